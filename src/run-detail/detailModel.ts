import { ISignal, Signal } from '@lumino/signaling';
import { LoadingModel } from '../api/loading';
import { APIError, errorText } from '../api/request';
import { IReproduceAPI, reproduceAPI } from '../api/reproductions';
import { RestWire } from '../api/rest';
import { IRunsAPI, runsAPI } from '../api/runs';
import { IShownReproduction, readReproduction } from './read';

/**
 * How often a running reproduction's progress is read, in milliseconds.
 */
export const POLL_MS = 500;

/**
 * What the user is asked before reproducing a run authored by someone else.
 */
export interface IReproduceConfirmation {
  /** whose run it is */
  author: string;
  /** how many executions the replay will run, as the server counted them */
  executions: number | null;
  /** the relative tolerance asked for */
  tolerance: number;
}

/**
 * One run's detail: the run, its files, its notebook snapshot and its lineage graph.
 */
export class RunDetailModel extends LoadingModel {
  /**
   * @param id the run id
   * @param api the REST calls (tests pass fakes)
   */
  constructor(
    readonly id: string,
    api: IRunsAPI = runsAPI,
    reproduce: IReproduceAPI = reproduceAPI,
    private readonly _wait: (ms: number) => Promise<void> = ms =>
      new Promise(resolve => setTimeout(resolve, ms))
  ) {
    super();
    this._api = api;
    this._reproduce = reproduce;
  }

  /**
   * Emitted once when a reproduction this model followed has finished (its replay run is
   * new, and the run's verdict changed).
   */
  get reproduced(): ISignal<this, IShownReproduction> {
    return this._reproduced;
  }

  /**
   * What `GET runs/{id}/executions` sent, read defensively by the view; null when the
   * server has none (an older server or record).
   */
  get executions(): unknown {
    return this._executions;
  }

  /**
   * The reproduction shown: the one running, else the newest.
   */
  get reproduction(): IShownReproduction | null {
    return this._reproduction;
  }

  /**
   * Whether a reproduction of this run is queued or running.
   */
  get reproducing(): boolean {
    const r = this._reproduction;
    return r !== null && (r.state === 'queued' || r.state === 'running');
  }

  /**
   * The question to ask before reproducing someone else's run; null when none is pending.
   */
  get confirmation(): IReproduceConfirmation | null {
    return this._confirmation;
  }

  /**
   * Why the last reproduce or cancel request failed, as a sentence.
   */
  get reproduceError(): string | null {
    return this._reproduceError;
  }

  /**
   * Start reproducing the run. A run authored by someone else that this page has not
   * reproduced before is not started: the server refuses it without a confirmation, and
   * `confirmation` says whose it is until `confirmReproduce` or `dismissConfirmation`.
   *
   * @param tolerance the relative tolerance of metrics (0: exact)
   * @returns a promise that settles once the reproduction is running or refused
   */
  async reproduce(tolerance = 0): Promise<void> {
    return this._start(tolerance, this._confirmedBefore());
  }

  /**
   * The user has seen whose run it is and the code: start the reproduction.
   *
   * @returns a promise that settles once the reproduction is running or refused
   */
  async confirmReproduce(): Promise<void> {
    const pending = this._confirmation;
    if (!pending) {
      return;
    }
    this._confirmation = null;
    return this._start(pending.tolerance, true);
  }

  /**
   * The user closed the confirmation without reproducing.
   */
  dismissConfirmation(): void {
    this._confirmation = null;
    this._changed.emit();
  }

  /**
   * Cancel the running reproduction; its state turns `cancelled` when the server has
   * stopped it.
   *
   * @returns a promise that settles when the server has taken the request
   */
  async cancelReproduction(): Promise<void> {
    const r = this._reproduction;
    if (!r || !this.reproducing) {
      return;
    }
    try {
      await this._reproduce.cancelReproduction(this.id, r.id);
      this._reproduceError = null;
    } catch (e) {
      this._reproduceError = `The reproduction could not be cancelled: ${errorText(e)}`;
    }
    this._changed.emit();
    // the poll (running since the reproduction started) shows the cancelled state
  }

  dispose(): void {
    this._disposed = true;
    super.dispose();
  }

  /** The run, once loaded. */
  get run(): RestWire.IRun | null {
    return this._run;
  }

  /** The run's files with their download state. */
  get files(): RestWire.IRunFile[] {
    return this._files;
  }

  /** The notebook snapshot; null when the run has none (or not loaded yet). */
  get notebook(): RestWire.INotebookSnapshot | null {
    return this._notebook;
  }

  /** The lineage graph shown: the run's, or a file's after `showFileLineage`. */
  get lineage(): RestWire.ILineage | null {
    return this._lineage;
  }

  /** The file whose lineage is shown instead of the run's, if any. */
  get lineageFile(): { sha256: string; path: string | null } | null {
    return this._lineageFile;
  }

  /**
   * Fetch the run and everything about it.
   *
   * @returns a promise that settles when loaded (errors end up in `error`)
   */
  load(): Promise<void> {
    return this._fetch(async () => {
      const [run, files, notebook, lineage, executions, reproductions] =
        await Promise.all([
          this._api.getRun(this.id),
          this._api.getRunFiles(this.id),
          this._api.getRunNotebook(this.id).catch(() => null),
          this._api.getRunLineage(this.id).catch(() => null),
          this._reproduce.getRunExecutions(this.id).catch(() => null),
          this._reproduce.listReproductions(this.id).catch(() => [])
        ]);
      this._run = run;
      this._files = files;
      this._notebook = notebook;
      this._lineage = lineage;
      this._lineageFile = null;
      this._executions = executions;
      this._reproductions = (Array.isArray(reproductions) ? reproductions : [])
        .map(readReproduction)
        .filter((r): r is IShownReproduction => r !== null);
      if (!this.reproducing) {
        this._reproduction = this._reproductions[0] ?? null;
      }
    });
    if (this.reproducing) {
      void this._follow();
    }
  }

  /**
   * Show the lineage of a file instead of the run's.
   *
   * @param sha256 the file's content hash
   * @param path the file's path, for the heading
   * @returns a promise that settles when the graph is shown
   */
  async showFileLineage(sha256: string, path: string | null): Promise<void> {
    try {
      this._lineage = await this._api.getFileLineage(sha256);
      this._lineageFile = { sha256, path };
    } catch (e) {
      this._fail(e);
    }
    this._changed.emit();
  }

  /**
   * Show the run's own lineage again.
   *
   * @returns a promise that settles when the graph is shown
   */
  async showRunLineage(): Promise<void> {
    try {
      this._lineage = await this._api.getRunLineage(this.id);
      this._lineageFile = null;
    } catch (e) {
      this._fail(e);
    }
    this._changed.emit();
  }

  /**
   * The run exported in a format.
   *
   * @param format `prov`, `openlineage` or `v1`
   * @returns the document's text
   */
  exportText(format: RestWire.ExportFormat): Promise<string> {
    return this._api.exportRun(this.id, format);
  }

  /**
   * Whether this run was reproduced before by someone other than its author (only a
   * Jupyter login can reproduce, so that was a confirmed reproduction).
   */
  private _confirmedBefore(): boolean {
    const author = this._run?.author;
    return this._reproductions.some(r => r.requested_by !== author);
  }

  private async _start(tolerance: number, confirm: boolean): Promise<void> {
    if (this.reproducing) {
      return;
    }
    this._reproduceError = null;
    let started: IShownReproduction | null;
    try {
      started = readReproduction(
        await this._reproduce.startReproduction(this.id, { tolerance, confirm })
      );
    } catch (e) {
      if (e instanceof APIError && e.status === 409 && !confirm) {
        const body = (e.body ?? {}) as {
          author?: unknown;
          executions?: unknown;
        };
        this._confirmation = {
          author:
            typeof body.author === 'string'
              ? body.author
              : (this._run?.author ?? 'someone else'),
          executions:
            typeof body.executions === 'number' ? body.executions : null,
          tolerance
        };
      } else {
        this._reproduceError = `The run could not be reproduced: ${errorText(e)}`;
      }
      this._changed.emit();
      return;
    }
    if (!started) {
      this._reproduceError = 'The server did not answer with a reproduction.';
      this._changed.emit();
      return;
    }
    this._reproduction = started;
    this._reproductions = [
      started,
      ...this._reproductions.filter(r => r.id !== started!.id)
    ];
    this._changed.emit();
    await this._follow();
  }

  /**
   * Read the shown reproduction's progress every POLL_MS until it is done or cancelled,
   * then read the run again (its verdict changed).
   */
  private async _follow(): Promise<void> {
    if (this._following) {
      return;
    }
    this._following = true;
    try {
      while (!this._disposed && this.reproducing) {
        await this._wait(POLL_MS);
        if (this._disposed) {
          return;
        }
        const current = this._reproduction!;
        try {
          const next = readReproduction(
            await this._reproduce.getReproduction(this.id, current.id)
          );
          if (next) {
            this._reproduction = next;
            this._reproductions = this._reproductions.map(r =>
              r.id === next.id ? next : r
            );
          }
          this._reproduceError = null;
        } catch (e) {
          if (e instanceof APIError && e.status === 404) {
            // gone (the run was deleted): nothing left to follow
            this._reproduction = null;
            this._reproduceError =
              'The reproduction is no longer on the server.';
            this._changed.emit();
            return;
          }
          this._reproduceError = `Cannot read the reproduction's progress: ${errorText(e)}`;
        }
        this._changed.emit();
      }
      if (!this._disposed) {
        try {
          this._run = await this._api.getRun(this.id);
        } catch (e) {
          this._fail(e);
        }
        this._changed.emit();
        this._reproduced.emit(this._reproduction!);
      }
    } finally {
      this._following = false;
    }
  }

  private _reproduced = new Signal<this, IShownReproduction>(this);
  private _api: IRunsAPI;
  private _reproduce: IReproduceAPI;
  private _executions: unknown = null;
  private _reproductions: IShownReproduction[] = [];
  private _reproduction: IShownReproduction | null = null;
  private _confirmation: IReproduceConfirmation | null = null;
  private _reproduceError: string | null = null;
  private _following = false;
  private _disposed = false;
  private _run: RestWire.IRun | null = null;
  private _files: RestWire.IRunFile[] = [];
  private _notebook: RestWire.INotebookSnapshot | null = null;
  private _lineage: RestWire.ILineage | null = null;
  private _lineageFile: { sha256: string; path: string | null } | null = null;
}
