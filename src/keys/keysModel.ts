import { ISignal, Signal } from '@lumino/signaling';
import * as api from './api';

/**
 * The API keys section's state: the key list, the secret just created, the last error.
 */
export class KeysModel {
  /**
   * @param client the REST calls (replaceable in tests)
   */
  constructor(private readonly client: typeof api = api) {}

  /** Emitted whenever anything below changes. */
  get changed(): ISignal<KeysModel, void> {
    return this._changed;
  }

  /** The current user's keys, newest first. */
  get keys(): readonly api.IApiKey[] {
    return this._keys;
  }

  /** The key created last, with its secret, until dismissed. */
  get created(): api.INewApiKey | null {
    return this._created;
  }

  /** The last error, as one sentence, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Whether a request is under way. */
  get busy(): boolean {
    return this._busy;
  }

  /**
   * Reload the key list.
   */
  async refresh(): Promise<void> {
    await this._run(async () => {
      this._keys = await this.client.listKeys();
    });
  }

  /**
   * Create a key and keep its secret for display.
   *
   * @param name what the key is for
   * @param project the only project it may publish to (empty: any)
   * @param deploy whether the key may build and deploy models (off by default)
   */
  async create(name: string, project: string, deploy = false): Promise<void> {
    await this._run(async () => {
      this._created = await this.client.createKey(
        name.trim() || null,
        project.trim() || null,
        deploy ? [api.SCOPE_DEPLOY] : []
      );
      this._keys = await this.client.listKeys();
    });
  }

  /**
   * Revoke a key.
   *
   * @param id the key id
   */
  async revoke(id: string): Promise<void> {
    await this._run(async () => {
      await this.client.revokeKey(id);
      if (this._created?.id === id) {
        this._created = null;
      }
      this._keys = await this.client.listKeys();
    });
  }

  /**
   * Forget the secret shown after creating a key.
   */
  dismissCreated(): void {
    this._created = null;
    this._changed.emit();
  }

  /**
   * Release the signal connections.
   */
  dispose(): void {
    Signal.clearData(this);
  }

  private async _run(work: () => Promise<void>): Promise<void> {
    this._busy = true;
    this._error = null;
    this._changed.emit();
    try {
      await work();
    } catch (error) {
      this._error = (error as Error).message || String(error);
    } finally {
      this._busy = false;
      this._changed.emit();
    }
  }

  private _keys: api.IApiKey[] = [];
  private _created: api.INewApiKey | null = null;
  private _error: string | null = null;
  private _busy = false;
  private _changed = new Signal<KeysModel, void>(this);
}
