import { ISignal, Signal } from '@lumino/signaling';
import { errorText } from '../api/request';
import { runsAPI, IRunsAPI } from '../api/runs';
import { DEFAULT_QUERY, IRunQuery } from './query';
import { RestWire } from '../api/rest';
import { KeyCollector } from './compact';

/**
 * How many of the newest runs a run-published event fetches (newest-first lists).
 */
const NEW_BATCH = 20;

/**
 * The run history list: the one owner of the listing's state. It pages through
 * `GET runs` with cursors, keeps the selection for compare and notices new runs.
 */
export class RunListModel {
  /**
   * @param options.api the REST calls (tests pass fakes)
   * @param options.pageSize runs per page
   * @param options.query the query the first load asks (default: every run, newest
   *   first)
   * @param options.keepsPlace whether the view keeps the user's place when runs are put
   *   on top (the Runs table does)
   */
  constructor(options: RunListModel.IOptions = {}) {
    this._api = options.api ?? runsAPI;
    this.pageSize = options.pageSize ?? 100;
    this._query = options.query ?? DEFAULT_QUERY;
    this._keepsPlace = options.keepsPlace ?? false;
  }

  /**
   * Runs per page.
   */
  readonly pageSize: number;

  /**
   * Emitted whenever anything the list shows changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The current query.
   */
  get query(): IRunQuery {
    return this._query;
  }

  /**
   * The query the loaded runs were fetched for (null before the first page): a new
   * query's runs take the place of the old ones only when its first page arrives.
   */
  get runsQuery(): IRunQuery | null {
    return this._runsQuery;
  }

  /**
   * The runs loaded so far, in list order, each once.
   */
  get runs(): readonly RestWire.IRunSummary[] {
    return this._runs;
  }

  /**
   * How many runs the query matches on the server (all pages), or null before the first
   * page (or from an older server that does not say).
   */
  get total(): number | null {
    return this._total;
  }

  /**
   * Whether the server has more runs after the loaded ones.
   */
  get hasMore(): boolean {
    return this._cursor !== null || !this._started;
  }

  /**
   * Whether a page is being fetched.
   */
  get loading(): boolean {
    return this._loading;
  }

  /**
   * The last error, as a sentence.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * True when runs were published since the list was loaded and the list did not take
   * them in: the user has scrolled past the first page (the list is then not reloaded
   * under their feet), unless the view keeps its place and the runs go on top (newest
   * first, and no more than a few at a time).
   */
  get newRunsAvailable(): boolean {
    return this._newRuns;
  }

  /**
   * Metric keys seen in the loaded runs (for sorting), sorted.
   */
  get metricKeys(): string[] {
    return [...this._metricKeys.keys].sort();
  }

  /**
   * Parameter keys seen in the loaded runs, sorted.
   */
  get paramKeys(): string[] {
    return [...this._paramKeys.keys].sort();
  }

  /**
   * Projects known to the server.
   */
  get projects(): readonly RestWire.IProject[] {
    return this._projects;
  }

  /**
   * Ids of the runs selected for compare, in the order they were selected.
   */
  get selected(): string[] {
    return [...this._selected];
  }

  /**
   * Whether a run is selected.
   *
   * @param id run id
   * @returns true when selected
   */
  isSelected(id: string): boolean {
    return this._selected.has(id);
  }

  /**
   * Select or unselect a run for compare.
   *
   * @param id run id
   * @param on select (true), unselect (false) or toggle (undefined)
   */
  toggleSelected(id: string, on?: boolean): void {
    const want = on ?? !this._selected.has(id);
    if (want === this._selected.has(id)) {
      return;
    }
    if (want) {
      this._selected.add(id);
    } else {
      this._selected.delete(id);
    }
    this._changed.emit();
  }

  /**
   * Tick (or untick) every loaded run from the last one clicked to `id`, as a shift-click
   * does; without an earlier click, only `id`.
   *
   * @param id the run shift-clicked
   * @param on tick (default: the state the clicked run's checkbox takes, i.e. the
   * opposite of its current state)
   */
  selectRange(id: string, on?: boolean): void {
    const want = on ?? !this._selected.has(id);
    const end = this._runs.findIndex(r => r.id === id);
    const start =
      this._anchor === null
        ? -1
        : this._runs.findIndex(r => r.id === this._anchor);
    if (end < 0) {
      return;
    }
    const [from, to] =
      start < 0 ? [end, end] : [start, end].sort((a, b) => a - b);
    for (let i = from; i <= to; i++) {
      if (want) {
        this._selected.add(this._runs[i].id);
      } else {
        this._selected.delete(this._runs[i].id);
      }
    }
    this._anchor = id;
    this._changed.emit();
  }

  /**
   * Remember the run last clicked (the start of the next shift-click range).
   *
   * @param id run id
   */
  setAnchor(id: string): void {
    this._anchor = id;
  }

  /**
   * Tick every run the query matches on the server, loaded or not (their ids come from
   * `GET runs/ids`); falls back to the loaded runs with an API that cannot list ids.
   *
   * @returns a promise that settles when the selection is made
   */
  async selectAllMatching(): Promise<void> {
    const generation = this._generation;
    let ids: string[];
    if (this._api.listRunIds) {
      try {
        ids = (await this._api.listRunIds(this._query)).ids;
      } catch (e) {
        this._error = errorText(e);
        this._changed.emit();
        return;
      }
    } else {
      ids = this._runs.map(r => r.id);
    }
    if (generation !== this._generation) {
      return; // the query changed meanwhile: this selection belongs to the old one
    }
    ids.forEach(id => this._selected.add(id));
    this._changed.emit();
  }

  /**
   * Unselect every run.
   */
  clearSelection(): void {
    if (this._selected.size) {
      this._selected.clear();
      this._changed.emit();
    }
  }

  /**
   * Change the query and reload from the first page.
   *
   * @param change the fields to change
   * @returns a promise that settles when the first page is loaded
   */
  setQuery(change: Partial<IRunQuery>): Promise<void> {
    this._query = { ...this._query, ...change };
    return this.refresh();
  }

  /**
   * Reload from the first page. The old runs stay visible until the new page arrives.
   *
   * @returns a promise that settles when the first page is loaded
   */
  async refresh(): Promise<void> {
    const generation = ++this._generation;
    this._loading = true;
    this._changed.emit();
    if (!this._projectsLoaded) {
      this._projectsLoaded = true;
      this._api.listProjects().then(
        projects => {
          this._projects = projects;
          this._changed.emit();
        },
        () => (this._projectsLoaded = false)
      );
    }
    const query = this._query;
    await this._load(generation, async () => {
      const [page, newest] = await Promise.all([
        this._api.listRuns(query, this.pageSize, null),
        this._newestId().catch(() => this._newest)
      ]);
      return () => {
        this._runsQuery = query;
        this._runs = [];
        this._ids.clear();
        this._append(page);
        this._started = true;
        this._newest = newest;
        this._newRuns = false;
        this._prepended = 0;
        this._total = typeof page.total === 'number' ? page.total : null;
      };
    });
  }

  /**
   * Fetch the next page, unless one is being fetched or there is none.
   *
   * @returns a promise that settles when the page is appended
   */
  async loadMore(): Promise<void> {
    if (!this._started) {
      return this.refresh();
    }
    if (this._loading || this._cursor === null) {
      return;
    }
    const generation = this._generation;
    this._loading = true;
    this._changed.emit();
    await this._load(generation, async () => {
      const page = await this._api.listRuns(
        this._query,
        this.pageSize,
        this._cursor
      );
      return () => {
        this._append(page);
        if (typeof page.total === 'number') {
          this._total = page.total;
        }
      };
    });
  }

  /**
   * Run a fetch; apply its result, or record its error, only if no newer query started
   * meanwhile (a late answer to an old query is dropped), then clear the loading state.
   *
   * @param generation the query generation the fetch belongs to
   * @param fetch fetches and returns the function that applies the result
   */
  private async _load(
    generation: number,
    fetch: () => Promise<() => void>
  ): Promise<void> {
    try {
      const apply = await fetch();
      if (generation === this._generation) {
        apply();
        this._error = null;
      }
    } catch (e) {
      if (generation === this._generation) {
        this._error = errorText(e);
      }
    } finally {
      if (generation === this._generation) {
        this._loading = false;
        this._changed.emit();
        if (this._recheck) {
          this._recheck = false;
          void this.checkForNew();
        }
      }
    }
  }

  /**
   * Import legacy v1 blocks from a workspace file, then reload the list.
   *
   * @param path root-relative notebook or log
   * @returns how many runs were found and how many were new
   */
  async importV1(path: string): Promise<RestWire.IImportResult> {
    const result = await this._api.importV1(path);
    await this.refresh();
    return result;
  }

  /**
   * Look for newly published runs. Newest first, they are put on top while the user is
   * on the first page, or anywhere in a view that keeps its place; in another order, the
   * list reloads while the user is on the first page. Otherwise `newRunsAvailable` turns
   * true.
   *
   * @returns a promise that settles after the check
   */
  async checkForNew(): Promise<void> {
    if (!this._started) {
      return;
    }
    if (this._loading) {
      this._recheck = true; // a run published while a page loads is looked for after it
      return;
    }
    // the pages the user loaded (runs put on top by events do not count)
    const onFirstPage = this._runs.length - this._prepended <= this.pageSize;
    const newestFirst = this._query.sort === 'received' && this._query.desc;
    if (newestFirst && (onFirstPage || this._keepsPlace)) {
      return this._prependNew(onFirstPage);
    }
    let newest: string | null;
    try {
      newest = await this._newestId();
    } catch {
      return; // the next event will tell
    }
    if (newest === this._newest) {
      return;
    }
    if (onFirstPage) {
      await this.refresh();
    } else if (!this._newRuns) {
      this._newRuns = true;
      this._changed.emit();
    }
  }

  /**
   * In newest-first order, fetch only the newest few runs and put those not shown yet on
   * top (one small request, not a reload of the page); more new runs than that: reload
   * while the user is on the first page, else offer them (`newRunsAvailable`).
   *
   * @param onFirstPage whether the user is on the first page
   */
  private async _prependNew(onFirstPage: boolean): Promise<void> {
    const generation = this._generation;
    let page: RestWire.IRunPage;
    try {
      page = await this._api.listRuns(this._query, NEW_BATCH, null);
    } catch {
      return; // the next event will tell
    }
    if (generation !== this._generation || this._loading) {
      return; // the query changed or a reload started meanwhile
    }
    const fresh: RestWire.IRunSummary[] = [];
    let reachedKnown = false;
    for (const run of page.runs) {
      if (this._ids.has(run.id)) {
        reachedKnown = true;
        break;
      }
      fresh.push(run);
    }
    if (!fresh.length) {
      return;
    }
    if (!reachedKnown && page.next_cursor !== null && this._runs.length) {
      // more new runs than one small page: start again, or offer them
      if (onFirstPage) {
        await this.refresh();
      } else if (!this._newRuns) {
        this._newRuns = true;
        this._changed.emit();
      }
      return;
    }
    for (const run of fresh) {
      this._ids.add(run.id);
      this._metricKeys.add(run);
      this._paramKeys.add(run);
    }
    this._runs = [...fresh, ...this._runs];
    this._prepended += fresh.length;
    this._newest = page.runs[0].id;
    if (typeof page.total === 'number') {
      this._total = page.total;
    }
    this._changed.emit();
  }

  /**
   * Check for new runs every `intervalMs` until `stopPolling`.
   *
   * @param intervalMs milliseconds between checks
   */
  startPolling(intervalMs = 5000): void {
    this.stopPolling();
    this._timer = setInterval(() => void this.checkForNew(), intervalMs);
  }

  /**
   * Stop checking for new runs.
   */
  stopPolling(): void {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Stop polling and disconnect listeners.
   */
  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.stopPolling();
    this._generation++;
    Signal.clearData(this);
  }

  /**
   * The id of the newest run (by received time) matching the query.
   */
  private async _newestId(): Promise<string | null> {
    const page = await this._api.listRuns(
      { ...this._query, sort: 'received', desc: true },
      1,
      null
    );
    return page.runs.length ? page.runs[0].id : null;
  }

  private _append(page: RestWire.IRunPage): void {
    for (const run of page.runs) {
      if (this._ids.has(run.id)) {
        continue; // a run published between two pages can shift the listing
      }
      this._ids.add(run.id);
      this._runs.push(run);
      this._metricKeys.add(run);
      this._paramKeys.add(run);
    }
    this._cursor = page.next_cursor;
  }

  private _api: IRunsAPI;
  private _query: IRunQuery;
  private _runs: RestWire.IRunSummary[] = [];
  private _runsQuery: IRunQuery | null = null;
  private _ids = new Set<string>();
  private _cursor: string | null = null;
  private _started = false;
  private _loading = false;
  private _error: string | null = null;
  private _generation = 0;
  private _newest: string | null = null;
  private _newRuns = false;
  private readonly _keepsPlace: boolean;
  private _selected = new Set<string>();
  private _anchor: string | null = null;
  private _recheck = false;
  private _prepended = 0;
  private _total: number | null = null;
  private _metricKeys = new KeyCollector('metrics');
  private _paramKeys = new KeyCollector('parameters');
  private _projects: RestWire.IProject[] = [];
  private _projectsLoaded = false;
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * RunListModel's types.
 */
export namespace RunListModel {
  /**
   * Construction options.
   */
  export interface IOptions {
    /** the REST calls (tests pass fakes) */
    api?: IRunsAPI;
    /** runs per page (default 100) */
    pageSize?: number;
    /** the query the first load asks (default: every run, newest first) */
    query?: IRunQuery;
    /** whether the view keeps the user's place when runs are put on top, so that new
     * runs go on top however far the user scrolled (default: false, the sidebar) */
    keepsPlace?: boolean;
  }
}
