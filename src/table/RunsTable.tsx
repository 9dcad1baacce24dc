import React, {
  memo,
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState
} from 'react';
import { flushSync } from 'react-dom';
import { downloadIcon } from '@jupyterlab/ui-components';
import {
  cellText,
  Column,
  columnId,
  columnTitle,
  defaultWidth
} from './columns';
import {
  IPoolFrame,
  IPoolLayout,
  fitPin,
  leadWidth,
  RowPool,
  wholeText
} from './rowPool';
import { RunsTableModel } from './tableModel';
import { BodyRow } from './grouping';
import {
  columnAt,
  columnOffsets,
  columnWindow,
  followWindow,
  rowWindow
} from './windowing';
import { NewRunsBanner, runCount } from '../runs/RunsPanel';
import { downloadRunsCsv } from '../api/runs';
import { errorText } from '../api/request';
import { saveURL } from '../download';
import { followColumnDrag } from './columnDrag';
import { compareState } from '../runs/compareLimit';

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
  /** rows drawn beyond the edge the view moves towards (half as many columns) */
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
  const [message, setMessage] = useState<string | null>(null);
  const [picking, setPicking] = useState(false);
  const columns = model.columns;
  const selected = list.selected;
  const comparable = compareState(selected.length);
  const total = list.total;
  const onSort = useCallback(
    (column: Column) => setMessage(model.sortBy(column)),
    [model]
  );
  // Column widths and offsets, worked out when the columns or their widths change (not
  // on every scroll: the grid draws with them as they are). The run's name, when shown,
  // is pinned at the left edge beside the checkboxes: a row scrolled far to the right
  // still says which run it is.
  const widthKey = columns.map(c => model.width(c)).join(',');
  const layout = useMemo<ILayout>(() => {
    const at = columns.findIndex(c => c.kind === 'field' && c.key === 'name');
    const pinned = at < 0 ? null : columns[at];
    const scrolled = pinned ? columns.filter((_, i) => i !== at) : columns;
    const widths = scrolled.map(c => model.width(c));
    return {
      columns: scrolled,
      widths,
      offsets: columnOffsets(widths),
      ids: scrolled.map(columnId),
      pin: pinned
        ? {
            column: pinned,
            id: columnId(pinned),
            width: model.width(pinned)
          }
        : null
    };
  }, [columns, widthKey]);

  const two = selected.length === 2 ? selected : null;
  // a download of more columns than an address holds is fetched first (POST runs/csv)
  const [exporting, setExporting] = useState(false);
  const exportCsv = () => {
    setExporting(true);
    setMessage(null);
    downloadRunsCsv(list.query, layoutIds(layout), saveURL)
      .catch(e => setMessage(`The CSV export failed: ${errorText(e)}`))
      .finally(() => setExporting(false));
  };
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
            disabled={!comparable.enabled}
            title={comparable.title}
            onClick={() => actions.compare?.(selected)}
          >
            {`Compare (${selected.length.toLocaleString('en-US')})`}
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
        <button
          className="jp-Dotscience-button jp-Dotscience-iconButton"
          aria-label="Export CSV"
          disabled={!list.runs.length || exporting}
          title={
            exporting
              ? 'Exporting the runs as CSV…'
              : `Download ${total === null ? 'the runs' : `the ${total.toLocaleString('en-US')} runs`} the filters match, in this order, with these columns, as CSV`
          }
          onClick={exportCsv}
        >
          <downloadIcon.react tag="span" elementSize="small" />
        </button>
      </div>
      {picking && <ColumnPicker model={model} />}
      {(message || list.error) && (
        <div className="jp-Dotscience-error" role="alert">
          {message ?? list.error}
        </div>
      )}
      <TableGrid
        model={model}
        layout={layout}
        openRun={actions.openRun}
        onSort={onSort}
        rowHeight={props.rowHeight ?? 28}
        overscan={props.overscan ?? 4}
        initialSize={props.initialSize}
      />
    </div>
  );
}

/**
 * The columns' ids in the order the table shows them: the pinned one, then the others.
 *
 * @param layout the columns
 * @returns the ids
 */
function layoutIds(layout: ILayout): string[] {
  return layout.pin ? [layout.pin.id, ...layout.ids] : [...layout.ids];
}

/**
 * The scrolled grid: the header row and the body's rows in view. It owns the scroll
 * position, so scrolling redraws the grid only, not the toolbar, and only when the rows
 * or columns in view leave the range drawn; it then draws synchronously in the scroll
 * event, so the frame that shows the new scroll position shows its rows. The body's rows
 * are a pool of elements drawn without React (`RowPool`): a vertical scroll rewrites the
 * rows that come into view and nothing else; a sideways one also redraws the header.
 */
function TableGrid(props: {
  model: RunsTableModel;
  layout: ILayout;
  openRun: (id: string) => void;
  onSort: (column: Column) => void;
  rowHeight: number;
  overscan: number;
  initialSize?: { width: number; height: number };
}): JSX.Element {
  const { model, rowHeight, overscan } = props;
  const list = model.list;
  const ref = useRef<HTMLDivElement>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  const headRef = useRef<HTMLDivElement>(null);
  const pool = useRef<RowPool | null>(null);
  // The header's tab stop, as the body's: one column's sort button or filter box is in
  // the tab order, and the arrow keys walk the columns' controls (see headMove).
  const headStop = useRef<IHeadStop>({ col: 0, part: 'sort' });
  const headTarget = useRef<HTMLElement | null>(null);
  const onScrollNow = useRef<(() => void) | null>(null);
  const gridId = `jp-Dotscience-table-grid${useId()}`;
  const [size, setSize] = useState(
    props.initialSize ?? { width: 800, height: 500 }
  );
  const [, redraw] = useState(0);
  // the scroll position, its last step (a fling's next step is drawn ahead) and direction
  const scroll = useRef({
    top: 0,
    left: 0,
    stepTop: 0,
    stepLeft: 0,
    down: true,
    right: true
  });
  const drawn = useRef<IWindows>({ rows: [0, 0], cols: [0, 0] });
  // the lines the grid showed last, and for which query (see the effect on `rows`)
  const shownRows = useRef({ rows: model.rows, query: list.query });
  // "Show" new runs was clicked: the table goes to the top once they are loaded
  const toTop = useRef(false);
  // A restored table goes back to where it was left once the runs down to there are
  // loaded (page after page, as the scroll there loaded them); the user scrolling,
  // clicking or pressing a key in the grid first, or a new filter, sort or search,
  // cancels it.
  // (`top` is a line, `offset` how far into it in px; a table hidden in a background tab
  // gets a place too when runs published meanwhile move the run it showed at its top)
  const restoring = useRef<{
    top: number;
    offset: number;
    left: number;
    query: typeof list.query;
  } | null>(
    model.scroll.top > 0 || model.scroll.left > 0
      ? { ...model.scroll, offset: 0, query: list.query }
      : null
  );
  // where a restored table is going back to, while that still means something (not once
  // the runs are searched, filtered or sorted anew: a place among other runs)
  const goal = () => {
    if (restoring.current && restoring.current.query !== list.query) {
      restoring.current = null;
    }
    return restoring.current;
  };
  const openRun = useRef(props.openRun);
  openRun.current = props.openRun;

  // the pinned name takes at most half a narrow table
  const layout = useMemo(
    () => fitPin(props.layout, size.width, CHECK),
    [props.layout, size.width]
  );
  const columns = layout.columns;
  const rows = model.rows;
  // what stays at the left edge: the checkboxes and the pinned name
  const lead = leadWidth(layout, CHECK);
  // the header's controls are counted from the pinned column's (0), then the others'
  const pinned = layout.pin ? 1 : 0;

  // What the window depends on, for the scroll handler (which runs between renders).
  const windows = (from: IWindows): IWindows => {
    const pos = scroll.current;
    const height = Math.max(0, size.height - HEADER);
    const width = Math.max(0, size.width - lead);
    const rowsAt = (top: number) =>
      rowWindow(Math.max(0, top), height, rowHeight, rows.length, 0);
    const colsAt = (left: number) =>
      columnWindow(layout.offsets, Math.max(0, left), width, 0);
    // in view now and after one more step like the last (at most a view's worth), so
    // the rows a steady scroll reaches next are in the DOM before the frame shows them;
    // and where the last step started (when it was no longer than a view: those rows are
    // drawn already), so a fling that turns back shows no blank frame either
    const stepTop = Math.max(-height, Math.min(height, pos.stepTop));
    const stepLeft = Math.max(-width, Math.min(width, pos.stepLeft));
    const backTop = Math.abs(pos.stepTop) <= height ? pos.stepTop : 0;
    const backLeft = Math.abs(pos.stepLeft) <= width ? pos.stepLeft : 0;
    return {
      rows: followWindow(
        from.rows,
        span(rowsAt(pos.top - backTop), rowsAt(pos.top + stepTop)),
        rows.length,
        pos.down,
        overscan,
        1
      ),
      cols: followWindow(
        from.cols,
        span(colsAt(pos.left - backLeft), colsAt(pos.left + stepLeft)),
        columns.length,
        pos.right,
        Math.max(1, overscan >> 1),
        1
      )
    };
  };
  const win = windows(drawn.current);
  drawn.current = win;

  // Fetch the next page well before the window reaches the end of the loaded runs (four
  // views ahead), so a steady scroll does not stop at the end of what is loaded.
  const ahead = Math.max(
    overscan * 2,
    Math.ceil((4 * size.height) / rowHeight)
  );
  const loadAhead = (endRow: number) => {
    if (list.hasMore && !list.loading && endRow >= rows.length - ahead) {
      void list.loadMore();
    }
  };
  // The lines wholly in view (below the header), `[first, end)`.
  const shown = (): [number, number] => {
    const top = Math.max(0, scroll.current.top);
    const height = Math.max(0, size.height - HEADER);
    const first = Math.min(rows.length, Math.ceil(top / rowHeight));
    const end = Math.min(rows.length, Math.floor((top + height) / rowHeight));
    return [first, Math.max(first, end)];
  };
  // The body as drawn now, for the scroll handler.
  const frame = (w: IWindows): IPoolFrame => ({
    rows,
    first: w.rows[0],
    end: w.rows[1],
    shown: shown(),
    firstCol: w.cols[0],
    endCol: w.cols[1],
    layout,
    top: HEADER,
    rowHeight,
    viewWidth: size.width,
    check: CHECK,
    groupBy: model.groupBy,
    isSelected: id => list.isSelected(id)
  });
  // The columns wholly in view (right of the selection column), `[first, end)`; at least
  // the one at the left edge when none is wholly in view.
  const shownCols = (): [number, number] => {
    const n = columns.length;
    if (n === 0) {
      return [0, 0];
    }
    const { offsets } = layout;
    const left = Math.max(0, scroll.current.left);
    const right = left + Math.max(0, size.width - lead);
    let first = columnAt(offsets, left);
    if (offsets[first] < left && first + 1 < n) {
      first++; // partly scrolled away
    }
    let end = first;
    while (end < n && offsets[end + 1] <= right) {
      end++;
    }
    return [first, Math.max(first + 1, end)];
  };
  // Give the header's tab stop its tab index: the stop's column while it is drawn, and
  // while in view or holding the focus; else the nearest column in view.
  const placeHeadStop = (): HTMLElement | null => {
    const head = headRef.current;
    const n = columns.length + pinned;
    if (!head || n === 0) {
      return null;
    }
    const stop = headStop.current;
    // (the pinned column's controls are always drawn and in view)
    const [first, end] = drawn.current.cols;
    const [from, to] = shownCols();
    const c = stop.col - pinned;
    const away = c >= 0 && (c < from || c >= to);
    if (
      stop.col >= n ||
      (c >= 0 && (c < first || c >= end)) ||
      (away && !head.contains(head.ownerDocument.activeElement))
    ) {
      stop.col =
        columns.length > 0 ? pinned + Math.max(from, Math.min(c, to - 1)) : 0;
    }
    const cell = head.querySelector(`[aria-colindex="${stop.col + 2}"]`);
    const target =
      cell?.querySelector<HTMLElement>(
        stop.part === 'sort' ? 'button' : 'input'
      ) ?? null;
    if (target !== headTarget.current) {
      if (headTarget.current) {
        headTarget.current.tabIndex = -1;
      }
      headTarget.current = target;
    }
    if (target && target.tabIndex !== 0) {
      target.tabIndex = 0;
    }
    return target;
  };
  // Scroll column `c` wholly into view (as far as it fits), drawing it before returning.
  const revealColumn = (h: number) => {
    const node = ref.current;
    const c = h - pinned;
    if (!node || c < 0) {
      return; // (the pinned column is always in view)
    }
    const { offsets } = layout;
    const view = Math.max(0, size.width - lead);
    if (offsets[c] < node.scrollLeft) {
      node.scrollLeft = offsets[c];
    } else if (offsets[c + 1] > node.scrollLeft + view) {
      node.scrollLeft = Math.min(offsets[c], offsets[c + 1] - view);
    }
    onScrollNow.current?.();
  };
  // A key pressed on a control of the header.
  const headKey = (event: KeyboardEvent) => {
    const at = headControl(event.target as Element);
    if (event.altKey || !at || columns.length + pinned === 0) {
      return;
    }
    // Ctrl+Shift+Left or Right on a heading moves its column a place (as a drag does)
    const way = columnMoveKey(event);
    if (way && at.part === 'sort') {
      event.preventDefault();
      const c = at.col - pinned;
      const id = c >= 0 ? layout.ids[c] : null;
      if (id && flushSync(() => model.moveColumn(id, way))) {
        latest.current.focusHeading(id);
      }
      return;
    }
    const next = headMove(
      event.key,
      at.part === 'filter',
      at.col,
      columns.length + pinned
    );
    if (next === null) {
      return;
    }
    event.preventDefault();
    if (next === 'body') {
      pool.current?.focus();
      return;
    }
    headStop.current = next;
    revealColumn(next.col);
    placeHeadStop()?.focus();
  };
  // Focus a column's sort button, scrolled into view.
  const focusHeading = (id: string) => {
    const c = layout.ids.indexOf(id);
    if (c >= 0) {
      headStop.current = { col: c + pinned, part: 'sort' };
      revealColumn(c + pinned);
      placeHeadStop()?.focus();
    }
  };
  // A control of the header took the focus (a click, a key): it is the header's stop.
  const headFocus = (event: FocusEvent) => {
    const at = headControl(event.target as Element);
    if (at) {
      headStop.current = at;
      placeHeadStop();
    }
  };
  // A restored table goes to its place, when it is shown and the runs down to there
  // are loaded (else later: at a render or when it is shown).
  const restore = () => {
    const place = goal();
    const node = ref.current;
    if (!place || !node || node.clientHeight === 0) {
      return; // (hidden: a hidden element does not scroll)
    }
    if (list.total === null || list.loading) {
      return; // (the first page, or the next, is on its way)
    }
    const lines = Math.ceil(
      Math.max(0, node.clientHeight - HEADER) / rowHeight
    );
    if (rows.length < place.top + lines && list.hasMore) {
      return; // more to load first
    }
    restoring.current = null;
    node.scrollTop = place.top * rowHeight + place.offset;
    node.scrollLeft = place.left;
    onScrollNow.current?.();
  };
  // what the handlers installed once (scroll, keys, focus) call: this render's functions
  const now = {
    restore,
    windows,
    frame,
    loadAhead,
    shown,
    placeHeadStop,
    headKey,
    headFocus,
    focusHeading,
    rowHeight
  };
  const latest = useRef(now);
  latest.current = now;

  useLayoutEffect(() => {
    const node = ref.current;
    const body = bodyRef.current;
    if (!node || !body) {
      return;
    }
    pool.current = new RowPool(body, {
      openRun: id => openRun.current(id),
      check: (id, shift) => {
        if (shift) {
          list.selectRange(id);
        } else {
          list.toggleSelected(id);
          list.setAnchor(id);
        }
      },
      toggleGroup: value => model.toggleGroup(value),
      toHead: () => latest.current.placeHeadStop()?.focus(),
      reveal: line => {
        // the line wholly below the sticky header, and drawn now (not at the scroll event)
        const top = line * rowHeight;
        const view = node.clientHeight - HEADER;
        if (top < node.scrollTop) {
          node.scrollTop = top;
        } else if (top + rowHeight > node.scrollTop + view) {
          node.scrollTop = top + rowHeight - view;
        }
        onScroll();
      }
    });
    const onScroll = () => {
      if (
        node.scrollTop === 0 &&
        node.scrollLeft === 0 &&
        node.clientHeight === 0
      ) {
        return; // hidden (a theme being switched): 0 is not where the user left it
      }
      const pos = scroll.current;
      const top = node.scrollTop;
      const left = node.scrollLeft;
      pos.stepTop = top - pos.top;
      pos.stepLeft = left - pos.left;
      pos.down = top > pos.top || (top === pos.top && pos.down);
      pos.right = left > pos.left || (left === pos.left && pos.right);
      pos.top = top;
      pos.left = left;
      const now = drawn.current;
      const next = latest.current.windows(now);
      const redrawn =
        next.cols[0] !== now.cols[0] || next.cols[1] !== now.cols[1];
      if (redrawn) {
        // the header's columns change too: React draws it, then the body (layout effect)
        flushSync(() => redraw(n => n + 1));
      } else if (next.rows[0] !== now.rows[0] || next.rows[1] !== now.rows[1]) {
        drawn.current = next;
        pool.current?.draw(latest.current.frame(next));
        latest.current.loadAhead(next.rows[1]);
      } else {
        pool.current?.show(latest.current.shown());
      }
      if (pos.stepLeft !== 0 && !redrawn) {
        latest.current.placeHeadStop(); // (a redraw gives it in its layout effect)
      }
    };
    onScrollNow.current = onScroll;
    node.addEventListener('scroll', onScroll, { passive: true });
    const head = headRef.current;
    const onHeadKey = (event: KeyboardEvent) => latest.current.headKey(event);
    const onHeadFocus = (event: FocusEvent) => latest.current.headFocus(event);
    head?.addEventListener('keydown', onHeadKey);
    head?.addEventListener('focusin', onHeadFocus);
    // a scroll moves rows under a still pointer: their tint follows once the browser has
    // counted the row now under it as hovered (the frame after the scroll ends)
    let hoverFrame = 0;
    const onScrollEnd = () => {
      cancelAnimationFrame(hoverFrame);
      hoverFrame = requestAnimationFrame(() =>
        pool.current?.hoverFromPointer()
      );
      // where the user left it, kept with the view (not before a restored table has gone
      // back to its place); from the position the scroll handler read (it ignores a
      // hidden grid's), as reading the grid's here would lay out the page again
      if (!restoring.current) {
        const pos = scroll.current;
        model.setScroll(
          Math.floor(pos.top / latest.current.rowHeight),
          pos.left
        );
      }
    };
    node.addEventListener('scrollend', onScrollEnd);
    const userMoved = () => {
      restoring.current = null;
    };
    const moves = ['wheel', 'pointerdown', 'keydown', 'touchstart'];
    for (const type of moves) {
      node.addEventListener(type, userMoved, { passive: true });
    }
    const measure = () => {
      // read now: the state updater runs later, when the grid may be hidden (0 x 0)
      const width = node.clientWidth;
      const height = node.clientHeight;
      if (height > 0 && width > 0) {
        // shown again: the position may have changed while hidden, without a scroll event
        const pos = scroll.current;
        const moved =
          pos.top !== node.scrollTop || pos.left !== node.scrollLeft;
        if (moved) {
          pos.top = node.scrollTop;
          pos.left = node.scrollLeft;
          pos.stepTop = 0;
          pos.stepLeft = 0;
        }
        setSize(old =>
          old.width === width && old.height === height && !moved
            ? old
            : { width, height }
        );
        latest.current.restore();
        const drawnBefore = (pool.current?.capacity ?? 0) > 0;
        if (drawnBefore && !pool.current!.measured) {
          // drawn while hidden: drawn again, its cells cut to the font now measured
          pool.current!.remeasure();
          redraw(n => n + 1);
        }
      }
    };
    measure();
    const observer =
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver(measure);
    observer?.observe(node);
    return () => {
      node.removeEventListener('scroll', onScroll);
      node.removeEventListener('scrollend', onScrollEnd);
      for (const type of moves) {
        node.removeEventListener(type, userMoved);
      }
      head?.removeEventListener('keydown', onHeadKey);
      head?.removeEventListener('focusin', onHeadFocus);
      onScrollNow.current = null;
      cancelAnimationFrame(hoverFrame);
      observer?.disconnect();
      pool.current?.dispose();
      pool.current = null;
    };
  }, []);

  // The lines changed. Among the same runs (new runs put on top, a page appended, a group
  // folded), the run at the top of the view stays there: the user reading line 300 of a
  // sweep that publishes run after run keeps reading it. A new search, filter or sort
  // (and "Show" new runs) starts at the top. Before the body is drawn, so the frame never
  // shows the runs moved.
  useLayoutEffect(() => {
    const before = shownRows.current;
    if (before.rows === rows) {
      return;
    }
    shownRows.current = { rows, query: list.query };
    const node = ref.current;
    if (!node) {
      return;
    }
    // where the view is, or is going back to (a restored table; a hidden one)
    const place = goal();
    const top = place
      ? place.top * rowHeight + place.offset
      : scroll.current.top;
    let to = top;
    if (before.query !== list.query || toTop.current) {
      toTop.current = false;
      to = 0;
    } else if (top >= rowHeight) {
      const line = Math.floor(top / rowHeight);
      to = top + (keptLine(before.rows, rows, line) - line) * rowHeight;
    }
    if (to === top) {
      return;
    }
    if (place || node.clientHeight === 0) {
      // a hidden element does not scroll: the table goes there when it is shown
      const line = Math.floor(to / rowHeight);
      restoring.current = {
        top: line,
        offset: to - line * rowHeight,
        left: place ? place.left : scroll.current.left,
        query: list.query
      };
    } else {
      node.scrollTop = to;
      onScrollNow.current?.();
    }
  }, [rows]);

  // every render draws the body with what it shows now (selection, rows, columns), and
  // gives the header's stop its tab index (a column drawn anew has -1)
  useLayoutEffect(() => {
    pool.current?.draw(frame(drawn.current));
    placeHeadStop();
  });

  // a restored table goes to its place once the runs down to there are loaded
  useLayoutEffect(() => restore());

  const [firstCol, endCol] = win.cols;
  const endRow = win.rows[1];
  const place = goal();
  const goalRow = place
    ? Math.max(endRow, place.top + Math.ceil(size.height / rowHeight))
    : endRow;
  useEffect(() => {
    loadAhead(goalRow);
  }, [goalRow, rows.length, list.hasMore, list.loading, ahead]);

  // a double-click on a column's edge: as wide as its title (and sort mark) and the
  // texts of the runs loaded need
  const fit = useCallback(
    (column: Column) => {
      function* texts() {
        yield `${columnTitle(column)} \u25bc`;
        for (const run of model.list.runs) {
          yield cellText(run, column);
        }
      }
      model.setWidth(
        column,
        pool.current?.fitWidth(texts()) ?? defaultWidth(column)
      );
    },
    [model]
  );
  const sort = model.sort;
  const width = layout.offsets[columns.length] + lead;
  const showNew = () => {
    toTop.current = true;
    void list.refresh();
  };
  return (
    <>
      {list.newRunsAvailable && <NewRunsBanner onShow={showNew} />}
      <div
        ref={ref}
        className="jp-Dotscience-table-scroller"
        role="grid"
        aria-rowcount={rowCount(model)}
        aria-colcount={columns.length + 1 + pinned}
        aria-multiselectable={true}
        aria-owns={`${gridId}-head ${gridId}-body`}
        onMouseOver={showWholeText}
      >
        <div
          className="jp-Dotscience-table-spacer"
          style={{ width, height: HEADER + rows.length * rowHeight }}
        >
          <div
            ref={bodyRef}
            id={`${gridId}-body`}
            className="jp-Dotscience-table-body"
            role="rowgroup"
          />
          <TableHead
            elRef={headRef}
            id={`${gridId}-head`}
            model={model}
            layout={layout}
            firstCol={firstCol}
            endCol={endCol}
            sortId={sort.column ? columnId(sort.column) : null}
            desc={sort.desc}
            filters={model.filters}
            errors={model.filterErrors}
            onSort={props.onSort}
            onFit={fit}
          />
        </div>
        {!list.loading && !list.error && rows.length === 0 && (
          <div className="jp-Dotscience-empty">
            No runs match these filters.
          </div>
        )}
      </div>
    </>
  );
}

/**
 * Where the run at line `top` of `before` is in `after` (the lines of the same query,
 * changed): that line, or `top` when it is gone (or folded away). The first run at or
 * below `top` counts (a group's heading is no run).
 *
 * @param before the lines shown
 * @param after the lines now
 * @param top the line at the top of the view
 * @returns the line to show at the top now
 */
export function keptLine(
  before: readonly BodyRow[],
  after: readonly BodyRow[],
  top: number
): number {
  let at = top;
  while (at < before.length && before[at].kind !== 'run') {
    at++;
  }
  const row = before[at];
  if (row?.kind !== 'run') {
    return top;
  }
  const same = after[at];
  if (same?.kind === 'run' && same.run.id === row.run.id) {
    return top; // (a page appended: nothing moved, found without a search)
  }
  const now = after.findIndex(r => r.kind === 'run' && r.run.id === row.run.id);
  return now < 0 ? top : now - (at - top);
}

/**
 * Give the cell under the pointer its whole text as a tooltip (set on hover, not on every
 * cell drawn while scrolling).
 *
 * @param event the pointer's move onto an element of the grid
 */
function showWholeText(event: React.MouseEvent): void {
  const target = event.target as Element;
  const cell = target.closest?.('.jp-Dotscience-table-td');
  if (cell && !cell.hasAttribute('title')) {
    cell.setAttribute('title', wholeText(cell));
  }
}

/**
 * The smallest range holding two ranges.
 *
 * @param a a range, `[first, end)`
 * @param b another
 * @returns both and what lies between
 */
function span(
  a: readonly [number, number],
  b: readonly [number, number]
): [number, number] {
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
}

/**
 * The rows of the grid as assistive technology counts them: the header and every line,
 * those not loaded yet included (-1, unknown, while grouped lines are still loading).
 *
 * @param model the table
 * @returns the count for `aria-rowcount`
 */
function rowCount(model: RunsTableModel): number {
  const { list, rows, groupBy } = model;
  if (!list.hasMore) {
    return rows.length + 1;
  }
  return groupBy ? -1 : Math.max(list.total ?? 0, rows.length) + 1;
}

/**
 * Which control of the header is its tab stop: a column's sort button or filter box.
 */
export interface IHeadStop {
  /** the column's index among the header's: the pinned column first (when there is
   * one), then the others in order (its `aria-colindex` less 2) */
  col: number;
  part: 'sort' | 'filter';
}

/**
 * The header control an element is (a column's sort button or filter box), if it is one.
 */
function headControl(el: Element): IHeadStop | null {
  const cell = el.closest?.('[role="columnheader"][data-column]');
  return cell
    ? {
        col: Number(cell.getAttribute('aria-colindex')) - 2,
        part: el.tagName === 'INPUT' ? 'filter' : 'sort'
      }
    : null;
}

/**
 * Where a key moves the focus from a control of the header (the grid's header row): left
 * and right, Home and End walk the columns' sort buttons (in a filter box they move its
 * caret); down goes from a sort button to its filter box and from there to the runs; up
 * from a filter box to its sort button (and from the first run to the header, see
 * `RowPool`).
 *
 * @param key the key (`KeyboardEvent.key`)
 * @param inFilter whether the focus is in a filter box (else on a sort button)
 * @param col the focused control's column
 * @param count the columns
 * @returns the control to focus, `'body'` for the runs, or null for a key not moving it
 */
export function headMove(
  key: string,
  inFilter: boolean,
  col: number,
  count: number
): IHeadStop | 'body' | null {
  const sort = (c: number): IHeadStop => ({
    col: Math.max(0, Math.min(count - 1, c)),
    part: 'sort'
  });
  switch (key) {
    case 'ArrowLeft':
      return inFilter ? null : sort(col - 1);
    case 'ArrowRight':
      return inFilter ? null : sort(col + 1);
    case 'Home':
      return inFilter ? null : sort(0);
    case 'End':
      return inFilter ? null : sort(count - 1);
    case 'ArrowDown':
      return inFilter ? 'body' : { col, part: 'filter' };
    case 'ArrowUp':
      return inFilter ? sort(col) : null;
    default:
      return null;
  }
}

/**
 * Where Ctrl+Shift+Left or Right (Cmd+Shift on a Mac) moves the column of a focused
 * heading, or null for any other key.
 *
 * @param event the key pressed
 * @returns the move
 */
export function columnMoveKey(event: KeyboardEvent): 'left' | 'right' | null {
  if (!(event.ctrlKey || event.metaKey) || !event.shiftKey || event.altKey) {
    return null;
  }
  return event.key === 'ArrowLeft'
    ? 'left'
    : event.key === 'ArrowRight'
      ? 'right'
      : null;
}

/**
 * The rows and columns drawn, each `[first, end)`.
 */
interface IWindows {
  rows: readonly [number, number];
  cols: readonly [number, number];
}

/**
 * The header row: each drawn column's title (a sort button) and filter box. Redrawn only
 * when the columns drawn, the sort or the filters change.
 */
const TableHead = memo(function TableHead(props: {
  elRef: React.RefObject<HTMLDivElement>;
  id: string;
  model: RunsTableModel;
  layout: ILayout;
  firstCol: number;
  endCol: number;
  sortId: string | null;
  desc: boolean;
  filters: Readonly<Record<string, string>>;
  errors: Readonly<Record<string, string>>;
  onSort: (column: Column) => void;
  onFit: (column: Column) => void;
}): JSX.Element {
  const { layout, model } = props;
  const pinned = layout.pin ? 1 : 0;
  const lead = leadWidth(layout, CHECK);
  // a heading dragged to another place: the gap it would drop into, and whether the
  // press became a drag (its click is then no sort)
  const [drag, setDrag] = useState<{ id: string; gap: number | null } | null>(
    null
  );
  const dragged = useRef(false);
  const startDrag = (e: React.PointerEvent, id: string, place: number) => {
    dragged.current = false;
    const head = props.elRef.current;
    const grid = head?.closest<HTMLElement>('.jp-Dotscience-table-scroller');
    if (e.button !== 0 || !head || !grid) {
      return;
    }
    followColumnDrag(e.nativeEvent, {
      at: place,
      grid,
      lead,
      offsets: layout.offsets,
      contentX: x => x - head.getBoundingClientRect().left - lead,
      onStart: () => {
        dragged.current = true;
        setDrag({ id, gap: null });
      },
      onGap: gap => setDrag(gap === null ? null : { id, gap }),
      onDrop: to => model.moveColumn(id, to)
    });
  };
  const cell = (
    column: Column,
    id: string,
    width: number,
    at: number,
    place: number | null
  ) => {
    const sorted = props.sortId === id;
    return (
      <div
        key={id}
        role="columnheader"
        aria-colindex={at}
        aria-sort={sorted ? (props.desc ? 'descending' : 'ascending') : 'none'}
        className={
          drag?.id === id
            ? 'jp-Dotscience-table-th jp-mod-dragged'
            : 'jp-Dotscience-table-th'
        }
        style={{ width }}
        data-column={id}
      >
        <button
          className="jp-Dotscience-table-sort"
          tabIndex={-1}
          title={
            place === null
              ? `Sort by ${columnTitle(column)}`
              : `Sort by ${columnTitle(column)}; drag, or Ctrl+Shift+←/→, to move the column`
          }
          onPointerDown={
            place === null ? undefined : e => startDrag(e, id, place)
          }
          onClick={() => {
            if (!dragged.current) {
              props.onSort(column);
            }
            dragged.current = false;
          }}
        >
          {columnTitle(column)}
          {sorted ? (props.desc ? ' ▼' : ' ▲') : ''}
        </button>
        <FilterBox
          column={column}
          value={props.filters[id] ?? ''}
          error={props.errors[id] ?? null}
          onApply={text => void model.setFilter(column, text)}
        />
        <div
          className="jp-Dotscience-table-resize"
          role="separator"
          aria-orientation="vertical"
          aria-label={`Resize ${columnTitle(column)}`}
          aria-valuenow={width}
          title="Drag to resize; double-click to fit the runs loaded"
          onPointerDown={e => startResize(e, model, column, width)}
          onDoubleClick={() => props.onFit(column)}
        />
      </div>
    );
  };
  const cells: JSX.Element[] = [];
  for (let c = props.firstCol; c < props.endCol; c++) {
    cells.push(
      cell(
        layout.columns[c],
        layout.ids[c],
        layout.widths[c],
        c + 2 + pinned,
        c
      )
    );
  }
  const pin = layout.pin;
  return (
    <div
      ref={props.elRef}
      id={props.id}
      className="jp-Dotscience-table-head"
      role="row"
      aria-rowindex={1}
      style={{
        width: layout.offsets[layout.columns.length] + lead,
        height: HEADER
      }}
    >
      <div className="jp-Dotscience-table-lead" style={{ width: lead }}>
        <div
          className="jp-Dotscience-table-check"
          role="columnheader"
          aria-colindex={1}
          aria-label="Selected"
        />
        {pin && cell(pin.column, pin.id, pin.width, 2, null)}
      </div>
      {drag && drag.gap !== null && (
        <div
          className="jp-Dotscience-table-dropMark"
          data-testid="ds-column-drop"
          style={{ left: lead + layout.offsets[drag.gap] - 1 }}
        />
      )}
      <div
        className="jp-Dotscience-table-cells"
        style={{ left: lead + layout.offsets[props.firstCol] }}
      >
        {cells}
      </div>
    </div>
  );
});

/**
 * Follow a drag of a column's right edge: the column takes the width the pointer gives
 * it, once a frame, until the button is released.
 *
 * @param event the press on the edge
 * @param model the table
 * @param column the column
 * @param width its width when pressed
 */
function startResize(
  event: React.PointerEvent<HTMLElement>,
  model: RunsTableModel,
  column: Column,
  width: number
): void {
  if (event.button !== 0) {
    return;
  }
  event.preventDefault(); // no text selection, no focus moved
  const handle = event.currentTarget;
  const from = event.clientX;
  let x = from;
  let frame = 0;
  handle.setPointerCapture?.(event.pointerId);
  const move = (e: PointerEvent) => {
    x = e.clientX;
    frame ||= requestAnimationFrame(() => {
      frame = 0;
      model.setWidth(column, width + x - from);
    });
  };
  const end = () => {
    cancelAnimationFrame(frame);
    if (x !== from) {
      model.setWidth(column, width + x - from);
    }
    handle.removeEventListener('pointermove', move);
    handle.removeEventListener('pointerup', end);
    handle.removeEventListener('pointercancel', end);
  };
  handle.addEventListener('pointermove', move);
  handle.addEventListener('pointerup', end);
  handle.addEventListener('pointercancel', end);
}

/**
 * A column's filter box: applied on Enter or when it loses focus; Escape drops the edit
 * (the box shows the filter applied again).
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
      tabIndex={-1}
      value={draft}
      // the browser's own menu (cut, copy, paste), not the heading's column menu
      onContextMenu={e => e.stopPropagation()}
      onChange={e => setDraft(e.currentTarget.value)}
      onKeyDown={e => {
        if (e.key === 'Enter') {
          apply();
        } else if (e.key === 'Escape' && draft !== props.value) {
          e.stopPropagation(); // (only the edit is dropped, not the tab or a dialog)
          setDraft(props.value);
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
  const toShow = matches.filter(c => !shown.has(columnId(c))).length;
  const toHide = matches.length - toShow;
  const found = needle ? 'the search finds' : 'of these runs';
  return (
    <div
      className="jp-Dotscience-table-picker"
      role="group"
      aria-label="Columns"
    >
      <div className="jp-Dotscience-table-pickerBar">
        <input
          type="search"
          aria-label="Find a column"
          placeholder="Find a parameter, metric or label"
          value={search}
          onChange={e => setSearch(e.currentTarget.value)}
        />
        <button
          className="jp-Dotscience-button"
          disabled={model.hasDefaultColumns}
          title="The run, its status and time, the first parameters and metrics seen (as a new table starts)"
          onClick={() => model.resetColumns()}
        >
          Default columns
        </button>
        <button
          className="jp-Dotscience-button"
          disabled={!toShow}
          title={`Show every column ${found} (${toShow.toLocaleString('en-US')} more)`}
          onClick={() => model.showColumns(matches, true)}
        >
          {`Show ${toShow === matches.length ? 'all ' : ''}${toShow.toLocaleString('en-US')}`}
        </button>
        <button
          className="jp-Dotscience-button"
          disabled={!toHide}
          title={`Hide every column ${found} (${toHide.toLocaleString('en-US')} shown)`}
          onClick={() => model.showColumns(matches, false)}
        >
          {`Hide ${toHide === matches.length ? 'all ' : ''}${toHide.toLocaleString('en-US')}`}
        </button>
      </div>
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

type ILayout = IPoolLayout;
