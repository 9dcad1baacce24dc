import React, {
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState
} from 'react';
import { Column, columnId, columnTitle, cellText, TableRun } from './columns';
import { RunsTableModel } from './tableModel';
import { columnOffsets, columnWindow, rowWindow } from './windowing';
import { runCount } from '../runs/RunsPanel';

/**
 * What the table's buttons do (the tab wires them to commands).
 */
export interface IRunsTableActions {
  /** open a run's detail */
  openRun: (id: string) => void;
  /** compare runs, when a compare command is registered */
  compare: ((ids: string[]) => void) | null;
  /** diff two runs, when a diff command is registered */
  diff: ((a: string, b: string) => void) | null;
}

/**
 * Props of RunsTable.
 */
export interface IRunsTableProps {
  model: RunsTableModel;
  actions: IRunsTableActions;
  /** row height in px */
  rowHeight?: number;
  /** viewport size before it is measured (tests) */
  initialSize?: { width: number; height: number };
  /** rows and columns drawn beyond each edge */
  overscan?: number;
}

const HEADER = 56; // two lines: the titles and the filter boxes
const CHECK = 32; // the selection column, always in view

/**
 * The Runs table: one row per run, a column per chosen field, parameter, metric or label,
 * drawn in a window both ways (only the cells in view are in the DOM), sorted and
 * filtered on the server, grouped by a parameter, with a selection that can hold every
 * run the filters match.
 *
 * @param props table props
 * @returns the table
 */
export function RunsTable(props: IRunsTableProps): JSX.Element {
  const { model, actions } = props;
  const list = model.list;
  const rowHeight = props.rowHeight ?? 28;
  const overscan = props.overscan ?? 4;
  const ref = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, left: 0 });
  const [size, setSize] = useState(
    props.initialSize ?? { width: 800, height: 500 }
  );
  const [message, setMessage] = useState<string | null>(null);
  const [picking, setPicking] = useState(false);

  useLayoutEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const measure = () => {
      if (node.clientHeight > 0 && node.clientWidth > 0) {
        setSize({ width: node.clientWidth, height: node.clientHeight });
      }
    };
    measure();
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  const columns = model.columns;
  const widthKey = columns.map(c => model.width(c)).join(',');
  const layout = useMemo(() => {
    const widths = columns.map(c => model.width(c));
    return {
      columns,
      widths,
      offsets: columnOffsets(widths),
      ids: columns.map(columnId)
    };
  }, [columns, widthKey]);
  const { widths, offsets } = layout;
  const onCheck = useCallback(
    (id: string, range: boolean) => {
      if (range) {
        list.selectRange(id);
      } else {
        list.toggleSelected(id);
        list.setAnchor(id);
      }
    },
    [list]
  );
  const rows = model.rows;
  const [firstRow, endRow] = rowWindow(
    Math.max(0, scroll.top - HEADER),
    size.height,
    rowHeight,
    rows.length,
    overscan
  );
  const [firstCol, endCol] = columnWindow(
    offsets,
    scroll.left,
    Math.max(0, size.width - CHECK),
    1
  );

  // Fetch the next page when the window reaches the end of the loaded runs.
  useEffect(() => {
    if (list.hasMore && !list.loading && endRow >= rows.length - overscan * 2) {
      void list.loadMore();
    }
  }, [endRow, rows.length, list.hasMore, list.loading]);

  const selected = list.selected;
  const total = list.total;
  const sort = model.sort;
  const sortId = sort.column ? columnId(sort.column) : null;
  const visibleCols: number[] = [];
  for (let c = firstCol; c < endCol; c++) {
    visibleCols.push(c);
  }

  const header = (
    <div
      className="jp-Dotscience-table-head"
      role="row"
      style={{ width: offsets[columns.length] + CHECK, height: HEADER }}
    >
      <div className="jp-Dotscience-table-check" style={{ height: HEADER }} />
      {visibleCols.map(c => {
        const column = columns[c];
        const id = columnId(column);
        const error = model.filterErrors[id];
        return (
          <div
            key={id}
            role="columnheader"
            aria-sort={
              sortId === id ? (sort.desc ? 'descending' : 'ascending') : 'none'
            }
            className="jp-Dotscience-table-th"
            style={{ left: CHECK + offsets[c], width: widths[c] }}
            data-column={id}
          >
            <button
              className="jp-Dotscience-table-sort"
              title={`Sort by ${columnTitle(column)}`}
              onClick={() => setMessage(model.sortBy(column))}
            >
              {columnTitle(column)}
              {sortId === id ? (sort.desc ? ' ▼' : ' ▲') : ''}
            </button>
            <FilterBox
              column={column}
              value={model.filters[id] ?? ''}
              error={error ?? null}
              onApply={text => void model.setFilter(column, text)}
            />
          </div>
        );
      })}
    </div>
  );

  const body: JSX.Element[] = [];
  for (let i = firstRow; i < endRow; i++) {
    const row = rows[i];
    const top = HEADER + i * rowHeight;
    if (row.kind === 'group') {
      body.push(
        <div
          key={`group:${row.value}`}
          role="row"
          className="jp-Dotscience-table-group"
          style={{
            top,
            height: rowHeight,
            left: scroll.left,
            width: size.width
          }}
        >
          <button onClick={() => model.toggleGroup(row.value)}>
            {`${row.collapsed ? '▶' : '▼'} ${model.groupBy} = ${row.value} (${row.count})`}
          </button>
        </div>
      );
      continue;
    }
    body.push(
      <TableRow
        key={row.run.id}
        run={row.run}
        index={row.index}
        top={top}
        height={rowHeight}
        selected={list.isSelected(row.run.id)}
        layout={layout}
        firstCol={firstCol}
        endCol={endCol}
        onCheck={onCheck}
        onOpen={actions.openRun}
      />
    );
  }

  const two = selected.length === 2 ? selected : null;
  return (
    <div className="jp-Dotscience-runsTable">
      <div className="jp-Dotscience-table-toolbar">
        <SearchBox
          value={model.search}
          onApply={text => void model.setFilter(null, text)}
        />
        <button
          className="jp-Dotscience-button"
          aria-expanded={picking}
          onClick={() => setPicking(!picking)}
        >
          {`Columns (${columns.length})`}
        </button>
        <label className="jp-Dotscience-table-groupBy">
          Group by{' '}
          <select
            aria-label="Group by parameter"
            value={model.groupBy ?? ''}
            onChange={e => model.setGroupBy(e.currentTarget.value || null)}
          >
            <option value="">nothing</option>
            {model.available
              .filter(c => c.kind === 'param')
              .map(c => (
                <option key={c.key} value={c.key}>
                  {c.key}
                </option>
              ))}
          </select>
        </label>
        <span className="jp-Dotscience-muted" data-testid="ds-table-count">
          {runCount(list.runs.length, total, list.hasMore)}
          {selected.length
            ? ` · ${selected.length.toLocaleString('en-US')} selected`
            : ''}
        </span>
        <button
          className="jp-Dotscience-button"
          disabled={!list.runs.length}
          onClick={() => void list.selectAllMatching()}
        >
          {`Select all${total !== null ? ` ${total.toLocaleString('en-US')}` : ''}`}
        </button>
        <button
          className="jp-Dotscience-button"
          disabled={!selected.length}
          onClick={() => list.clearSelection()}
        >
          Clear
        </button>
        {actions.compare && (
          <button
            className="jp-Dotscience-button jp-mod-accept"
            disabled={selected.length < 2}
            onClick={() => actions.compare?.(selected)}
          >
            {`Compare (${selected.length})`}
          </button>
        )}
        {actions.diff && (
          <button
            className="jp-Dotscience-button"
            disabled={!two}
            title={two ? 'Diff the two selected runs' : 'Tick exactly two runs'}
            onClick={() => two && actions.diff?.(two[0], two[1])}
          >
            Diff
          </button>
        )}
      </div>
      {picking && <ColumnPicker model={model} />}
      {(message || list.error) && (
        <div className="jp-Dotscience-error" role="alert">
          {message ?? list.error}
        </div>
      )}
      <div
        ref={ref}
        className="jp-Dotscience-table-scroller"
        role="grid"
        aria-rowcount={total ?? rows.length}
        aria-colcount={columns.length}
        onScroll={e =>
          setScroll({
            top: e.currentTarget.scrollTop,
            left: e.currentTarget.scrollLeft
          })
        }
      >
        <div
          className="jp-Dotscience-table-spacer"
          style={{
            width: offsets[columns.length] + CHECK,
            height: HEADER + rows.length * rowHeight
          }}
        >
          {body}
          {header}
        </div>
        {!list.loading && !list.error && rows.length === 0 && (
          <div className="jp-Dotscience-empty">
            No runs match these filters.
          </div>
        )}
      </div>
    </div>
  );
}

/**
 * A column's filter box: applied on Enter or when it loses focus.
 */
function FilterBox(props: {
  column: Column;
  value: string;
  error: string | null;
  onApply: (text: string) => void;
}): JSX.Element {
  const [draft, setDraft] = useState(props.value);
  useEffect(() => setDraft(props.value), [props.value]);
  const apply = () => {
    if (draft !== props.value) {
      props.onApply(draft);
    }
  };
  return (
    <input
      className={
        'jp-Dotscience-table-filter' + (props.error ? ' jp-mod-error' : '')
      }
      aria-label={`Filter ${columnTitle(props.column)}`}
      title={props.error ?? `Filter ${columnTitle(props.column)}`}
      placeholder="filter"
      value={draft}
      onChange={e => setDraft(e.currentTarget.value)}
      onKeyDown={e => {
        if (e.key === 'Enter') {
          apply();
        }
      }}
      onBlur={apply}
    />
  );
}

/**
 * The search box: applied on Enter or when it loses focus.
 */
function SearchBox(props: {
  value: string;
  onApply: (text: string) => void;
}): JSX.Element {
  const [draft, setDraft] = useState(props.value);
  const apply = () => draft !== props.value && props.onApply(draft);
  return (
    <input
      className="jp-Dotscience-table-search"
      type="search"
      aria-label="Search runs"
      placeholder="Search description, notebook, labels, parameters"
      value={draft}
      onChange={e => setDraft(e.currentTarget.value)}
      onKeyDown={e => e.key === 'Enter' && apply()}
      onBlur={apply}
    />
  );
}

/**
 * Choose the columns: every parameter, metric (last, min, max) and label seen, searched
 * by name (at most 200 listed at once).
 */
function ColumnPicker(props: { model: RunsTableModel }): JSX.Element {
  const { model } = props;
  const [search, setSearch] = useState('');
  const shown = new Set(model.columns.map(columnId));
  const needle = search.trim().toLowerCase();
  const matches = model.available.filter(
    c =>
      !needle ||
      columnTitle(c).toLowerCase().includes(needle) ||
      c.kind.includes(needle)
  );
  return (
    <div
      className="jp-Dotscience-table-picker"
      role="group"
      aria-label="Columns"
    >
      <input
        type="search"
        aria-label="Find a column"
        placeholder="Find a parameter, metric or label"
        value={search}
        onChange={e => setSearch(e.currentTarget.value)}
      />
      <div className="jp-Dotscience-table-pickerList">
        {matches.slice(0, 200).map(c => {
          const id = columnId(c);
          return (
            <label key={id}>
              <input
                type="checkbox"
                checked={shown.has(id)}
                onChange={() => model.toggleColumn(c)}
              />
              {`${c.kind === 'field' ? '' : c.kind + ' '}${columnTitle(c)}`}
            </label>
          );
        })}
        {matches.length > 200 && (
          <span className="jp-Dotscience-muted">{`${matches.length - 200} more: narrow the search`}</span>
        )}
      </div>
    </div>
  );
}

interface ILayout {
  columns: readonly Column[];
  widths: number[];
  offsets: number[];
  ids: string[];
}

interface ITableRowProps {
  run: TableRun;
  index: number;
  top: number;
  height: number;
  selected: boolean;
  layout: ILayout;
  firstCol: number;
  endCol: number;
  onCheck: (id: string, range: boolean) => void;
  onOpen: (id: string) => void;
}

/**
 * One run's row: its checkbox (sticky at the left edge, so horizontal scrolling does not
 * redraw it) and the cells of the columns in view. Memoised: a row whose run, selection
 * and column window did not change is not drawn again while scrolling.
 */
const TableRow = memo(function TableRow(props: ITableRowProps): JSX.Element {
  const { run, layout } = props;
  const cells: JSX.Element[] = [];
  for (let c = props.firstCol; c < props.endCol; c++) {
    const column = layout.columns[c];
    const text = cellText(run, column);
    const isName = column.kind === 'field' && column.key === 'name';
    cells.push(
      <div
        key={layout.ids[c]}
        role="cell"
        className="jp-Dotscience-table-td"
        style={{ left: CHECK + layout.offsets[c], width: layout.widths[c] }}
        title={text}
      >
        {isName ? (
          <button
            className="jp-Dotscience-link"
            onClick={() => props.onOpen(run.id)}
          >
            {text}
          </button>
        ) : (
          text
        )}
      </div>
    );
  }
  return (
    <div
      role="row"
      aria-selected={props.selected}
      data-run-id={run.id}
      className={
        'jp-Dotscience-table-row' +
        (props.selected ? ' jp-mod-selected' : '') +
        (props.index % 2 ? ' jp-mod-odd' : '')
      }
      style={{
        top: props.top,
        height: props.height,
        width: layout.offsets[layout.columns.length] + CHECK
      }}
    >
      <div className="jp-Dotscience-table-check">
        <input
          type="checkbox"
          aria-label={`Select run ${run.id}`}
          checked={props.selected}
          onChange={() => undefined}
          onClick={e => props.onCheck(run.id, e.shiftKey)}
        />
      </div>
      {cells}
    </div>
  );
});
