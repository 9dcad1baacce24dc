import { ISignal, Signal } from '@lumino/signaling';
import { IRunsAPI, runsAPI } from '../api/runs';
import { RestWire } from '../api/rest';
import { compactRuns, KeyCollector, unpackPage } from '../runs/compact';
import { RunListModel } from '../runs/listModel';
import { DEFAULT_QUERY, IRunQuery } from '../runs/query';
import { readerDay } from '../time';
import {
  availableColumns,
  Column,
  columnId,
  defaultColumns,
  defaultWidth,
  serverSort,
  TableRun
} from './columns';
import { queryFromFilters } from './filters';
import { BodyRow, groupRows } from './grouping';
import {
  columnFromId,
  EMPTY_VIEW,
  ITableView,
  MAX_WIDTH,
  MIN_WIDTH
} from './view';

/**
 * The order of the kinds of columns in a table (as the column picker lists them).
 */
const KIND_ORDER: readonly Column['kind'][] = [
  'field',
  'param',
  'metric',
  'label'
];

/**
 * The REST calls with every page of runs asked with its metrics' smallest and largest
 * values (`GET runs?stats=true`), for the "loss (min)" and "loss (max)" columns, and kept
 * packed (fetched, parsed and packed in a worker where there is one: the table holds every
 * page it loads; see `src/runs/packing.ts`).
 *
 * @param api the REST calls
 * @returns the same calls, `listRuns` asking for the statistics
 */
function withStats(api: IRunsAPI): IRunsAPI {
  const listRuns: IRunsAPI['listRuns'] = async (query, limit, cursor) => {
    const asked = { ...query, stats: true };
    if (api.listRunsPacked) {
      const { page, runs } = unpackPage(
        await api.listRunsPacked(asked, limit, cursor)
      );
      return { ...(page as Omit<RestWire.IRunPage, 'runs'>), runs };
    }
    const page = await api.listRuns(asked, limit, cursor);
    return { ...page, runs: compactRuns(page.runs) };
  };
  return new Proxy(api, {
    get(target, name) {
      if (name === 'listRuns') {
        return listRuns;
      }
      const value = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    }
  });
}

/**
 * The Runs table's state: the runs (paged from `GET runs` with the server's filters and
 * sort, so 10,000 runs are never fetched at once), the chosen columns and their widths,
 * the column filters, the grouping and the selection.
 */
export class RunsTableModel {
  /**
   * @param options.api the REST calls (tests pass fakes)
   * @param options.pageSize runs per page (default 200: a page of runs with hundreds of
   *   values each is parsed in one go, so smaller pages keep scrolling smooth)
   * @param options.view what the table shows at first (a kept view; default: every run,
   *   newest first, in the default columns)
   */
  constructor(options: RunsTableModel.IOptions = {}) {
    const view = options.view ?? EMPTY_VIEW;
    this._columns = view.columns ? [...view.columns] : null;
    this._widths = new Map(Object.entries(view.widths));
    this._groupBy = view.groupBy;
    this._scroll = { top: view.top, left: view.left };
    this._filters = { ...view.filters };
    const sort = view.sort && serverSort(view.sort.column);
    this._sortColumn = sort ? view.sort!.column : null;
    const { query, errors, applied } = this._read(
      {
        ...DEFAULT_QUERY,
        text: view.search,
        ...(sort ? { sort, desc: view.sort!.desc } : {})
      },
      // the filtered columns of a view in the default columns are not known yet
      Object.keys(this._filters)
        .map(columnFromId)
        .filter((c): c is Column => c !== null)
    );
    this._filterErrors = errors;
    this._applied = applied;
    this.list = new RunListModel({
      api: withStats(options.api ?? runsAPI),
      pageSize: options.pageSize ?? 200,
      query,
      // the grid keeps the run at its top in place when runs are put above it
      keepsPlace: true
    });
    this.list.changed.connect(this._onList, this);
    this._atMidnight(query);
  }

  /**
   * The paged runs, the total and the selection.
   */
  readonly list: RunListModel;

  /**
   * Emitted whenever anything the table shows changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted when the user changes the view (columns, a width, the sort, a filter, the
   * search, the grouping or where it is scrolled), not when runs arrive.
   */
  get viewChanged(): ISignal<this, void> {
    return this._viewChanged;
  }

  /**
   * What the table shows, to keep: the columns chosen, the widths set, the sort, the
   * filters applied (as their boxes hold them), the search and the grouping.
   */
  get view(): ITableView {
    const sort = this._sortColumn;
    const filters: Record<string, string> = {};
    for (const id of this._applied) {
      filters[id] = this._filters[id];
    }
    return {
      columns: this._columns ? [...this._columns] : null,
      widths: Object.fromEntries(this._widths),
      sort: sort ? { column: sort, desc: this.list.query.desc } : null,
      filters,
      search: this.list.query.text,
      groupBy: this._groupBy,
      top: this._scroll.top,
      left: this._scroll.left
    };
  }

  /**
   * Where the table is scrolled: the line at the top of the rows in view and the px
   * scrolled sideways (a restored table's at first, until the table goes there).
   */
  get scroll(): { readonly top: number; readonly left: number } {
    return this._scroll;
  }

  /**
   * Note where the user left the table scrolled (kept with the view; nothing is drawn
   * again).
   *
   * @param top the line at the top of the rows in view
   * @param left px scrolled sideways
   */
  setScroll(top: number, left: number): void {
    const next = {
      top: Math.max(0, Math.round(top)),
      left: Math.max(0, Math.round(left))
    };
    if (next.top !== this._scroll.top || next.left !== this._scroll.left) {
      this._scroll = next;
      this._viewChanged.emit();
    }
  }

  /**
   * The columns shown, in order: the same array until they change (the table keeps its
   * layout, and every drawn cell, while it gets the same columns).
   */
  get columns(): readonly Column[] {
    if (this._columns) {
      return this._columns;
    }
    // the key sets only grow while the same runs are matched, so the same sizes of the
    // same sets are the same keys
    const kept = [
      ...this._applied,
      ...(this._sortColumn ? [columnId(this._sortColumn)] : [])
    ];
    const sizes = `${this._keysOf},${this._params.keys.size},${this._metrics.keys.size},${kept.join('\n')}`;
    if (this._defaults === null || this._defaultsFor !== sizes) {
      const shown = defaultColumns(
        this._sorted(this._params.keys),
        this._sorted(this._metrics.keys)
      );
      // a column filtered or sorted on stays, its box and arrow with it, when the runs
      // that now match do not have its key
      const ids = new Set(shown.map(columnId));
      for (const id of kept) {
        const column = columnFromId(id);
        if (column && !ids.has(id)) {
          ids.add(id);
          placeColumn(shown, column);
        }
      }
      this._defaults = shown;
      this._defaultsFor = sizes;
    }
    return this._defaults;
  }

  /**
   * Every column that can be chosen: those of the keys seen in the runs the query
   * matches, and those shown or grouped by (which may be of runs the query no longer
   * matches), so each can be unticked where it was ticked.
   */
  get available(): Column[] {
    const params = new Set(this._params.keys);
    const metrics = new Set(this._metrics.keys);
    const labels = new Set(this._labels.keys);
    const kinds = { param: params, metric: metrics, label: labels };
    for (const column of this.columns) {
      if (column.kind !== 'field') {
        kinds[column.kind].add(column.key);
      }
    }
    if (this._groupBy !== null) {
      params.add(this._groupBy);
    }
    return availableColumns({ params, metrics, labels });
  }

  /**
   * Show or hide a column.
   *
   * @param column the column
   * @param on show (true), hide (false) or toggle (undefined)
   */
  toggleColumn(column: Column, on?: boolean): void {
    const id = columnId(column);
    const current = [...this.columns];
    const at = current.findIndex(c => columnId(c) === id);
    const want = on ?? at < 0;
    if (want && at < 0) {
      placeColumn(current, column);
    } else if (!want && at >= 0) {
      current.splice(at, 1);
    } else {
      return;
    }
    this._columns = current;
    this._changed.emit();
    this._viewChanged.emit();
  }

  /**
   * Show or hide many columns at once (the column picker's search results): each one
   * shown goes beside the columns of its kind, as `toggleColumn` places it.
   *
   * @param columns the columns
   * @param on show (true) or hide (false)
   */
  showColumns(columns: readonly Column[], on: boolean): void {
    let current = [...this.columns];
    const shown = new Set(current.map(columnId));
    if (on) {
      for (const column of columns) {
        if (!shown.has(columnId(column))) {
          shown.add(columnId(column));
          placeColumn(current, column);
        }
      }
    } else {
      const hidden = new Set(columns.map(columnId));
      current = current.filter(c => !hidden.has(columnId(c)));
    }
    if (current.length !== this.columns.length) {
      this._columns = current;
      this._changed.emit();
      this._viewChanged.emit();
    }
  }

  /**
   * Hide a shown column.
   *
   * @param id the column's id (`param:alpha`)
   */
  hideColumn(id: string): void {
    const column = this.columns.find(c => columnId(c) === id);
    if (column) {
      this.toggleColumn(column, false);
    }
  }

  /**
   * Where a shown column can go: the run's name is pinned at the left edge wherever it
   * is, so only the other columns move, among themselves.
   *
   * @param id the column's id (`param:alpha`)
   * @returns its place among the columns that move and how many there are, or null for
   *   the name or a column not shown
   */
  columnPlace(id: string): { at: number; count: number } | null {
    const movable = this.columns.filter(c => !isName(c));
    const at = movable.findIndex(c => columnId(c) === id);
    return at < 0 ? null : { at, count: movable.length };
  }

  /**
   * Move a shown column: to the start (beside the pinned name), one place left or right,
   * to the end, or to a place among the columns that move (where a dragged heading is
   * dropped). The view keeps the order (a reload, the CSV export).
   *
   * @param id the column's id (`param:alpha`)
   * @param to where it goes (a place as `columnPlace` counts them)
   * @returns whether it moved
   */
  moveColumn(
    id: string,
    to: 'start' | 'left' | 'right' | 'end' | number
  ): boolean {
    const place = this.columnPlace(id);
    if (!place) {
      return false;
    }
    const { at, count } = place;
    const clamp = (n: number) => Math.min(count - 1, Math.max(0, n));
    const target =
      typeof to === 'number'
        ? clamp(Math.trunc(to))
        : to === 'start'
          ? 0
          : to === 'end'
            ? count - 1
            : clamp(at + (to === 'left' ? -1 : 1));
    if (target === at) {
      return false;
    }
    const names = this.columns.filter(isName);
    const movable = this.columns.filter(c => !isName(c));
    const [column] = movable.splice(at, 1);
    movable.splice(target, 0, column);
    this._columns = [...names, ...movable];
    this._changed.emit();
    this._viewChanged.emit();
    return true;
  }

  /**
   * Set the columns shown.
   *
   * @param columns the columns, in order
   */
  setColumns(columns: Column[]): void {
    this._columns = [...columns];
    this._changed.emit();
    this._viewChanged.emit();
  }

  /**
   * Show the default columns again (they follow the keys seen, as in a new table).
   */
  resetColumns(): void {
    if (this._columns !== null) {
      this._columns = null;
      this._changed.emit();
      this._viewChanged.emit();
    }
  }

  /**
   * Whether the columns are the default ones (none chosen).
   */
  get hasDefaultColumns(): boolean {
    return this._columns === null;
  }

  /**
   * A column's width in px.
   *
   * @param column the column
   * @returns the width
   */
  width(column: Column): number {
    return this._widths.get(columnId(column)) ?? defaultWidth(column);
  }

  /**
   * Resize a column (40 to 2,000 px).
   *
   * @param column the column
   * @param width the new width in px
   */
  setWidth(column: Column, width: number): void {
    const id = columnId(column);
    const w = Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, Math.round(width)));
    if (this._widths.get(id) === w) {
      return;
    }
    this._widths.set(id, w);
    this._changed.emit();
    this._viewChanged.emit();
  }

  /**
   * The column the runs are sorted by (null: newest first) and the direction.
   */
  get sort(): { column: Column | null; desc: boolean } {
    return { column: this._sortColumn, desc: this.list.query.desc };
  }

  /**
   * Sort by a column on the server: descending first for metrics and times, ascending for
   * the rest; sorting again by the same column reverses the order.
   *
   * @param column the column
   * @returns a sentence when the server cannot sort by it, else null
   */
  sortBy(column: Column): string | null {
    const sort = serverSort(column);
    if (sort === null) {
      return `Runs cannot be sorted by ${column.key}.`;
    }
    const same =
      this._sortColumn !== null &&
      columnId(this._sortColumn) === columnId(column);
    const desc = same
      ? !this.list.query.desc
      : column.kind === 'metric' ||
        (column.kind === 'field' &&
          (column.key === 'received' || column.key === 'start'));
    this._sortColumn = column;
    void this.list.setQuery({ sort, desc });
    this._changed.emit();
    this._viewChanged.emit();
    return null;
  }

  /**
   * What each column's filter box holds, by column id.
   */
  get filters(): Readonly<Record<string, string>> {
    return this._filters;
  }

  /**
   * The sentence of each filter box that does not read as a filter, by column id.
   */
  get filterErrors(): Readonly<Record<string, string>> {
    return this._filterErrors;
  }

  /**
   * The search box's text (description, notebook, labels, parameters).
   */
  get search(): string {
    return this.list.query.text;
  }

  /**
   * Set a column's filter (or the search text with `column` null) and reload with every
   * filter that reads as one; a box that does not is reported and left out.
   *
   * @param column the column, or null for the search box
   * @param text what the box holds
   * @returns a promise that settles when the first page is loaded
   */
  setFilter(column: Column | null, text: string): Promise<void> {
    if (column === null) {
      return this._apply({ ...this.list.query, text });
    }
    this._filters = { ...this._filters, [columnId(column)]: text };
    return this._apply(this.list.query);
  }

  /**
   * Group the rows by a parameter (null: no groups).
   *
   * @param param the parameter key
   */
  setGroupBy(param: string | null): void {
    this._groupBy = param;
    this._collapsed.clear();
    this._rows = null;
    if (param) {
      this._sortColumn = { kind: 'param', key: param };
      void this.list.setQuery({ sort: `param:${param}`, desc: false });
    }
    this._changed.emit();
    this._viewChanged.emit();
  }

  /**
   * The parameter the rows are grouped by.
   */
  get groupBy(): string | null {
    return this._groupBy;
  }

  /**
   * Collapse or expand a group.
   *
   * @param value the group's parameter value
   */
  toggleGroup(value: string): void {
    if (this._collapsed.has(value)) {
      this._collapsed.delete(value);
    } else {
      this._collapsed.add(value);
    }
    this._rows = null;
    this._changed.emit();
  }

  /**
   * The body's lines (group headings and runs) for the loaded runs.
   */
  get rows(): readonly BodyRow[] {
    if (this._rows !== null) {
      return this._rows;
    }
    const runs = this.list.runs as readonly TableRun[];
    const last = this._lines.length - 1;
    if (
      !this._groupBy &&
      this._linesOf === runs &&
      runs.length >= this._lines.length &&
      (last < 0 || (this._lines[last] as { run: TableRun }).run === runs[last])
    ) {
      // the next page was appended: add its lines to the same array (the lines already
      // made stay, so a page of a 10,000-run table does not make 10,000 new objects)
      for (let i = this._lines.length; i < runs.length; i++) {
        this._lines.push({ kind: 'run', run: runs[i], index: i });
      }
      this._rows = this._lines;
    } else {
      this._rows = groupRows(runs, this._groupBy, this._collapsed);
      this._lines = this._groupBy ? [] : this._rows;
      this._linesOf = runs;
    }
    return this._rows;
  }

  /**
   * Make sure the runs up to `end` are loaded (fetching the next pages in turn as the
   * user scrolls; never more than the pages before `end`).
   *
   * @param end one past the last row wanted
   * @returns a promise that settles when they are (or there are no more)
   */
  async ensureRows(end: number): Promise<void> {
    while (
      this.list.runs.length < end &&
      this.list.hasMore &&
      !this.list.error
    ) {
      const before = this.list.runs.length;
      await this.list.loadMore();
      if (this.list.runs.length === before && this.list.loading) {
        return; // another load is in flight; its end calls us back through `changed`
      }
      if (this.list.runs.length === before) {
        return;
      }
    }
  }

  /**
   * Look for newly published runs (the server's run-published event).
   *
   * @returns a promise that settles after the check
   */
  checkForNew(): Promise<void> {
    return this.list.checkForNew();
  }

  /**
   * Stop listening and drop the runs.
   */
  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    clearTimeout(this._midnight);
    this.list.dispose();
    Signal.clearData(this);
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._disposed;
  }

  private _apply(base: IRunQuery): Promise<void> {
    const { query, errors, applied } = this._read(base, this.columns);
    this._filterErrors = errors;
    this._applied = applied;
    this._changed.emit();
    this._viewChanged.emit();
    this._atMidnight(query);
    return this.list.setQuery(query);
  }

  /**
   * The query of `base` with the filter boxes of `columns` read now, and the ids of the
   * columns whose box holds something.
   */
  private _read(
    base: IRunQuery,
    columns: readonly Column[]
  ): {
    query: IRunQuery;
    errors: Record<string, string>;
    applied: string[];
  } {
    const filtered = columns.filter(c =>
      (this._filters[columnId(c)] ?? '').trim()
    );
    return {
      ...queryFromFilters(
        { ...DEFAULT_QUERY, ...base },
        filtered,
        this._filters
      ),
      applied: filtered.map(columnId)
    };
  }

  /**
   * While a time box is applied, read the boxes again at the reader's next midnight: a
   * relative time ('today', 'yesterday', 'last 7 days', '3 hours ago') then counts from
   * the new day, so a table left open overnight on 'today' shows the new day's runs
   * (and takes in the runs published in it), not the day before's. A box that reads the
   * same (a date) reloads nothing.
   *
   * @param query the query applied now
   */
  private _atMidnight(query: IRunQuery): void {
    clearTimeout(this._midnight);
    this._midnight = undefined;
    if (this._disposed || !query.times?.length) {
      return;
    }
    const now = Date.now();
    const next = readerDay(now)[1];
    this._midnight = setTimeout(() => {
      this._midnight = undefined;
      if (this._disposed) {
        return;
      }
      const applied = this.list.query;
      const read = this._read(applied, this._filterColumns()).query;
      if (JSON.stringify(read.times) !== JSON.stringify(applied.times)) {
        void this._apply(applied);
      } else {
        this._atMidnight(applied); // early, or nothing relative: the next midnight
      }
    }, next - now);
  }

  /**
   * The columns whose filters are applied now.
   */
  private _filterColumns(): Column[] {
    return this._applied
      .map(columnFromId)
      .filter((c): c is Column => c !== null);
  }

  private _sorted(keys: Set<string>): string[] {
    return [...keys].sort();
  }

  private _onList(): void {
    // a page appended: its runs; a new query or runs put first: every run again
    const runs = this.list.runs;
    // the keys are those of the runs the query matches (the default columns and the
    // column picker follow a search), not of every run loaded since the table opened; a
    // new sort of the same runs keeps them
    const matched = this.list.runsQuery;
    const of = matched ? runSet(matched) : '';
    if (of !== this._keysOf) {
      this._keysOf = of;
      this._params = new KeyCollector('parameters');
      this._metrics = new KeyCollector('metrics');
      this._labels = new KeyCollector('labels');
      this._seenOf = null;
    }
    const from = runs === this._seenOf ? this._seen : 0;
    for (let i = from; i < runs.length; i++) {
      this._params.add(runs[i]);
      this._metrics.add(runs[i]);
      this._labels.add(runs[i]);
    }
    this._seen = runs.length;
    this._seenOf = runs;
    this._rows = null;
    this._changed.emit();
  }

  private _columns: Column[] | null;
  private _defaults: Column[] | null = null; // the default columns, for the key sets' sizes
  private _defaultsFor = '';
  private _widths: Map<string, number>;
  private _sortColumn: Column | null;
  private _filters: Record<string, string>;
  private _filterErrors: Record<string, string>;
  private _applied: string[]; // the ids of the columns whose filters the query holds
  private _groupBy: string | null;
  private _scroll: { top: number; left: number };
  private _collapsed = new Set<string>();
  private _rows: BodyRow[] | null = null;
  private _lines: BodyRow[] = []; // the ungrouped lines and the runs they were made for
  private _linesOf: readonly TableRun[] | null = null;
  private _params = new KeyCollector('parameters');
  private _metrics = new KeyCollector('metrics');
  private _labels = new KeyCollector('labels');
  private _keysOf = ''; // the runs the keys are of (runSet of their query)
  private _seen = 0;
  private _seenOf: readonly unknown[] | null = null;
  private _disposed = false;
  private _midnight: ReturnType<typeof setTimeout> | undefined = undefined;
  private _changed = new Signal<this, void>(this);
  private _viewChanged = new Signal<this, void>(this);
}

/**
 * RunsTableModel's types.
 */
export namespace RunsTableModel {
  /**
   * Construction options.
   */
  export interface IOptions {
    /** the REST calls (tests pass fakes) */
    api?: IRunsAPI;
    /** runs per page (default 200) */
    pageSize?: number;
    /** what the table shows at first (see `ITableView`) */
    view?: ITableView;
  }
}

/**
 * Put a column among `columns` beside the columns of its kind (fields, parameters,
 * metrics, labels), so it comes into view where it is looked for, not after every metric.
 *
 * @param columns the columns shown, changed in place
 * @param column the column to show
 */
function placeColumn(columns: Column[], column: Column): void {
  const rank = KIND_ORDER.indexOf(column.kind);
  let place = columns.length;
  for (let i = columns.length - 1; i >= 0; i--) {
    if (KIND_ORDER.indexOf(columns[i].kind) <= rank) {
      break;
    }
    place = i;
  }
  columns.splice(place, 0, column);
}

/**
 * Whether a column is the run's name (pinned at the left edge of the table).
 *
 * @param column the column
 * @returns true for the name
 */
function isName(column: Column): boolean {
  return column.kind === 'field' && column.key === 'name';
}

/**
 * Which runs a query matches, as a string: the query less its order (a new sort shows the
 * same runs) and the stats it asks for.
 *
 * @param query the query
 * @returns equal strings for queries that match the same runs (whatever the order of
 *   their fields)
 */
function runSet(query: IRunQuery): string {
  const order = new Set<string>(['sort', 'desc', 'stats']);
  return JSON.stringify(
    Object.keys(query)
      .filter(key => !order.has(key))
      .sort()
      .map(key => [key, query[key as keyof IRunQuery]])
  );
}
