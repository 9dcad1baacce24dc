import { ISignal, Signal } from '@lumino/signaling';
import * as api from './api/server';
import { IKernelRun, IRunTracker, ServerStatus, Wire } from './tokens';

/**
 * The functions of `api.ts` the tracker uses (replaceable in tests).
 */
export interface IRunTrackerAPI {
  getVersion: typeof api.getVersion;
}

/**
 * The run tracker model: owns the state, widgets render it.
 */
export class RunTracker implements IRunTracker {
  /**
   * @param frontendVersion the version of this frontend extension
   * @param client the REST client (defaults to `api.ts`)
   */
  constructor(
    readonly frontendVersion: string,
    private readonly client: IRunTrackerAPI = api
  ) {}

  get server(): Wire.IVersionInfo | null {
    return this._server;
  }

  get status(): ServerStatus {
    return this._status;
  }

  get error(): string | null {
    return this._error;
  }

  get changed(): ISignal<IRunTracker, void> {
    return this._changed;
  }

  get versionWarnings(): string[] {
    const server = this._server;
    if (!server) {
      return [];
    }
    const warnings: string[] = [];
    if (server.version !== this.frontendVersion) {
      warnings.push(
        `The JupyterLab extension is version ${this.frontendVersion} but the server extension is ${server.version}: reinstall jupyterlab_dotscience and reload the page.`
      );
    }
    if (
      server.kernel_library_version &&
      server.kernel_library_version !== server.version
    ) {
      warnings.push(
        `The kernel library is version ${server.kernel_library_version} but the server extension is ${server.version}.`
      );
    }
    return warnings;
  }

  get current(): IKernelRun | null {
    return this._current;
  }

  get currentChanged(): ISignal<IRunTracker, IKernelRun | null> {
    return this._currentChanged;
  }

  /**
   * Make `run` the current one.
   *
   * @param run the active notebook's run, or null
   */
  setCurrent(run: IKernelRun | null): void {
    if (run === this._current) {
      return;
    }
    this._current = run;
    this._currentChanged.emit(run);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  async refresh(): Promise<void> {
    try {
      this._server = await this.client.getVersion();
      this._status = 'connected';
      this._error = null;
    } catch (error) {
      this._status = 'error';
      this._error = `Cannot reach the Dotscience server extension: ${(error as Error).message}`;
    }
    this._changed.emit();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _server: Wire.IVersionInfo | null = null;
  private _status: ServerStatus = 'connecting';
  private _error: string | null = null;
  private _isDisposed = false;
  private _changed = new Signal<IRunTracker, void>(this);
  private _current: IKernelRun | null = null;
  private _currentChanged = new Signal<IRunTracker, IKernelRun | null>(this);
}
