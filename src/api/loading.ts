import { ISignal, Signal } from '@lumino/signaling';
import { errorText } from './request';

/**
 * A model that fetches what a view shows: `loading` while a request runs, `error` (one
 * sentence) when one failed, `changed` before and after.
 */
export abstract class LoadingModel {
  /**
   * Emitted whenever anything shown changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Whether a request is running. */
  get loading(): boolean {
    return this._loading;
  }

  /** The error that stopped the last request, as a sentence. */
  get error(): string | null {
    return this._error;
  }

  /**
   * Disconnect listeners.
   */
  dispose(): void {
    Signal.clearData(this);
  }

  /**
   * Run a request, showing it as loading and keeping its error as a sentence.
   *
   * @param fetch the request; it stores what it fetched
   * @returns a promise that settles when done (never rejected)
   */
  protected async _fetch(fetch: () => Promise<void>): Promise<void> {
    this._loading = true;
    this._changed.emit();
    try {
      await fetch();
      this._error = null;
    } catch (e) {
      this._error = errorText(e);
    } finally {
      this._loading = false;
      this._changed.emit();
    }
  }

  /**
   * Keep the error of a request made without the loading state.
   *
   * @param e what was thrown
   */
  protected _fail(e: unknown): void {
    this._error = errorText(e);
  }

  protected _changed = new Signal<this, void>(this);
  private _loading = false;
  private _error: string | null = null;
}
