import { LoadingModel } from '../api/loading';
import { RestWire } from '../api/rest';
import { IRunsAPI, runsAPI } from '../api/runs';

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
    api: IRunsAPI = runsAPI
  ) {
    super();
    this._api = api;
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
    });
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

  private _api: IRunsAPI;
  private _run: RestWire.IRun | null = null;
  private _files: RestWire.IRunFile[] = [];
  private _notebook: RestWire.INotebookSnapshot | null = null;
  private _lineage: RestWire.ILineage | null = null;
  private _lineageFile: { sha256: string; path: string | null } | null = null;
}
