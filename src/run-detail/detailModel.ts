import { ISignal, Signal } from '@lumino/signaling';
import { historyAPI, IHistoryAPI } from './api';
import { errorText } from './model';
import { HistoryWire } from './wire';

/**
 * One run's detail: the run, its files, its notebook snapshot and its lineage graph.
 */
export class RunDetailModel {
  /**
   * @param id the run id
   * @param api the REST calls (tests pass fakes)
   */
  constructor(
    readonly id: string,
    api: IHistoryAPI = historyAPI
  ) {
    this._api = api;
  }

  /**
   * Emitted whenever anything shown changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The run, once loaded. */
  get run(): HistoryWire.IRun | null {
    return this._run;
  }

  /** The run's files with their download state. */
  get files(): HistoryWire.IRunFile[] {
    return this._files;
  }

  /** The notebook snapshot; null when the run has none (or not loaded yet). */
  get notebook(): HistoryWire.INotebookSnapshot | null {
    return this._notebook;
  }

  /** The lineage graph shown: the run's, or a file's after `showFileLineage`. */
  get lineage(): HistoryWire.ILineage | null {
    return this._lineage;
  }

  /** The file whose lineage is shown instead of the run's, if any. */
  get lineageFile(): { sha256: string; path: string | null } | null {
    return this._lineageFile;
  }

  /** Whether the run is being loaded. */
  get loading(): boolean {
    return this._loading;
  }

  /** The error that stopped loading, as a sentence. */
  get error(): string | null {
    return this._error;
  }

  /**
   * Fetch the run and everything about it.
   *
   * @returns a promise that settles when loaded (errors end up in `error`)
   */
  async load(): Promise<void> {
    this._loading = true;
    this._changed.emit();
    try {
      const [run, files, notebook, lineage] = await Promise.all([
        this._api.getRun(this.id),
        this._api.getRunFiles(this.id),
        this._api.getRunNotebook(this.id).catch(() => null),
        this._api.getRunLineage(this.id).catch(() => null)
      ]);
      this._run = run;
      this._files = files;
      this._notebook = notebook;
      this._lineage = lineage;
      this._lineageFile = null;
      this._error = null;
    } catch (e) {
      this._error = errorText(e);
    } finally {
      this._loading = false;
      this._changed.emit();
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
      this._error = null;
    } catch (e) {
      this._error = errorText(e);
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
      this._error = errorText(e);
    }
    this._changed.emit();
  }

  /**
   * The run exported in a format.
   *
   * @param format `prov`, `openlineage` or `v1`
   * @returns the document's text
   */
  exportText(format: HistoryWire.ExportFormat): Promise<string> {
    return this._api.exportRun(this.id, format);
  }

  /**
   * Disconnect listeners.
   */
  dispose(): void {
    Signal.clearData(this);
  }

  private _api: IHistoryAPI;
  private _run: HistoryWire.IRun | null = null;
  private _files: HistoryWire.IRunFile[] = [];
  private _notebook: HistoryWire.INotebookSnapshot | null = null;
  private _lineage: HistoryWire.ILineage | null = null;
  private _lineageFile: { sha256: string; path: string | null } | null = null;
  private _loading = false;
  private _error: string | null = null;
  private _changed = new Signal<this, void>(this);
}

/**
 * Several whole runs, for the compare view.
 */
export class CompareModel {
  /**
   * @param ids the runs, in column order
   * @param api the REST calls (tests pass fakes)
   */
  constructor(
    readonly ids: string[],
    api: IHistoryAPI = historyAPI
  ) {
    this._api = api;
  }

  /** Emitted when the runs are loaded. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The runs, once loaded, in column order. */
  get runs(): HistoryWire.IRun[] {
    return this._runs;
  }

  /** The error that stopped loading. */
  get error(): string | null {
    return this._error;
  }

  /** Whether the runs are being loaded. */
  get loading(): boolean {
    return this._loading;
  }

  /**
   * Fetch the runs.
   *
   * @returns a promise that settles when loaded
   */
  async load(): Promise<void> {
    this._loading = true;
    this._changed.emit();
    try {
      this._runs = await Promise.all(this.ids.map(id => this._api.getRun(id)));
      this._error = null;
    } catch (e) {
      this._error = errorText(e);
    } finally {
      this._loading = false;
      this._changed.emit();
    }
  }

  /**
   * Disconnect listeners.
   */
  dispose(): void {
    Signal.clearData(this);
  }

  private _api: IHistoryAPI;
  private _runs: HistoryWire.IRun[] = [];
  private _error: string | null = null;
  private _loading = false;
  private _changed = new Signal<this, void>(this);
}
