import React, { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { runTitle } from '../format';
import { formatValue, ownValue } from '../values';
import { formatAgo } from '../time';
import { RestWire } from '../api/rest';
import { readVerdict, verdictText, warningText } from '../run-detail/read';

/**
 * The badges of a run's row: its hidden-state warning kinds and its latest verdict (read
 * defensively: an older server sends neither).
 *
 * @param run the run's summary
 * @returns the warning kinds, each once, and the verdict
 */
export function rowBadges(run: RestWire.IRunSummary): {
  warnings: string[];
  verdict: RestWire.Verdict | null;
} {
  const raw = run as unknown as { warnings?: unknown; verdict?: unknown };
  const warnings = Array.isArray(raw.warnings)
    ? [
        ...new Set(
          raw.warnings.filter((w): w is string => typeof w === 'string')
        )
      ]
    : [];
  return { warnings, verdict: readVerdict(raw.verdict, []) };
}

/**
 * The height of a run's row (two lines of name and one of metrics and parameters), px.
 */
export const RUN_ROW_HEIGHT = 54;

/**
 * Props of RunList.
 */
export interface IRunListProps {
  /** the runs loaded so far */
  runs: readonly RestWire.IRunSummary[];
  /** whether the server has more */
  hasMore: boolean;
  /** whether a page is being fetched */
  loading: boolean;
  /** fetch the next page */
  onLoadMore: () => void;
  /** whether a run is selected for compare */
  isSelected: (id: string) => boolean;
  /** select or unselect a run (`range`: shift-click, tick from the last click to it) */
  onToggle: (id: string, range?: boolean) => void;
  /** open a run's detail */
  onOpen: (id: string) => void;
  /** a metric to show on each row (the sort metric) */
  metric?: string | null;
  /** row height in px */
  rowHeight?: number;
  /** viewport height to assume before the list is measured */
  initialHeight?: number;
  /** rows drawn beyond each edge of the viewport */
  overscan?: number;
}

/**
 * The window of rows to draw.
 *
 * @param scrollTop the list's scroll offset
 * @param height the viewport height
 * @param rowHeight the height of a row
 * @param count the number of rows
 * @param overscan extra rows on each side
 * @returns the first row and one past the last
 */
export function visibleRange(
  scrollTop: number,
  height: number,
  rowHeight: number,
  count: number,
  overscan: number
): [number, number] {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(
    count,
    Math.ceil((scrollTop + height) / rowHeight) + overscan
  );
  return [first, Math.max(first, last)];
}

/**
 * The list of runs, virtualised: only the rows in view (plus a few) are in the DOM, so
 * tens of thousands of runs scroll smoothly. Scrolling near the end asks for the next page.
 *
 * @param props list props
 * @returns the list
 */
export function RunList(props: IRunListProps): JSX.Element {
  const rowHeight = props.rowHeight ?? RUN_ROW_HEIGHT;
  const overscan = props.overscan ?? 6;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(props.initialHeight ?? 400);
  const count = props.runs.length;

  useLayoutEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const measure = () => {
      if (node.clientHeight > 0) {
        setHeight(node.clientHeight);
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

  const [first, last] = visibleRange(
    scrollTop,
    height,
    rowHeight,
    count,
    overscan
  );

  // Ask for more when the window reaches the last loaded page's end.
  useEffect(() => {
    if (props.hasMore && !props.loading && last >= count - overscan * 2) {
      props.onLoadMore();
    }
  }, [last, count, props.hasMore, props.loading]);

  const rows: JSX.Element[] = [];
  for (let i = first; i < last; i++) {
    const run = props.runs[i];
    rows.push(
      <RunRow
        key={run.id}
        run={run}
        top={i * rowHeight}
        height={rowHeight}
        index={i}
        selected={props.isSelected(run.id)}
        metric={props.metric ?? null}
        onToggle={props.onToggle}
        onOpen={props.onOpen}
      />
    );
  }
  return (
    <div
      ref={ref}
      className="jp-Dotscience-runList"
      role="list"
      aria-label="Runs"
      aria-rowcount={count}
      onScroll={e => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div
        className="jp-Dotscience-runList-spacer"
        style={{ height: count * rowHeight }}
      >
        {rows}
      </div>
      {props.loading && (
        <div className="jp-Dotscience-runList-loading">Loading runs…</div>
      )}
    </div>
  );
}

interface IRunRowProps {
  run: RestWire.IRunSummary;
  top: number;
  height: number;
  index: number;
  selected: boolean;
  metric: string | null;
  onToggle: (id: string, range?: boolean) => void;
  onOpen: (id: string) => void;
}

function RunRow(props: IRunRowProps): JSX.Element {
  const { run } = props;
  const title = runTitle(run);
  const params = Object.entries(run.parameters)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const metric =
    props.metric && ownValue(run.metrics, props.metric) !== undefined
      ? `${props.metric} ${formatValue(ownValue(run.metrics, props.metric))}`
      : Object.entries(run.metrics)
          .slice(0, 2)
          .map(([k, v]) => `${k} ${formatValue(v)}`)
          .join(' · ');
  const badges = rowBadges(run);
  return (
    <div
      role="listitem"
      className={
        'jp-Dotscience-runRow' +
        (props.selected ? ' jp-mod-selected' : '') +
        (props.index % 2 ? ' jp-mod-odd' : '')
      }
      style={{ top: props.top, height: props.height }}
      data-run-id={run.id}
      title={`${title}\n${run.id}${run.error ? '\n' + run.error : ''}`}
    >
      <input
        type="checkbox"
        aria-label={`Select ${title} for compare`}
        checked={props.selected}
        onChange={() => undefined}
        onClick={e => props.onToggle(run.id, e.shiftKey)}
      />
      <span
        className={`jp-Dotscience-status jp-Dotscience-status-${run.status}`}
        aria-label={run.status}
      />
      <button
        className="jp-Dotscience-runRow-main"
        onClick={() => props.onOpen(run.id)}
      >
        <span className="jp-Dotscience-runRow-title">{title}</span>
        <span className="jp-Dotscience-runRow-line">
          {badges.warnings.length > 0 && (
            <span
              className="jp-Dotscience-runRow-badge jp-Dotscience-warningBadge"
              title={`Hidden state: ${badges.warnings.map(warningText).join(', ')}`}
              aria-label={`${badges.warnings.length} hidden-state ${
                badges.warnings.length === 1 ? 'warning' : 'warnings'
              }`}
            >
              {`⚠ ${badges.warnings.length}`}
            </span>
          )}
          {badges.verdict && (
            <span
              className={`jp-Dotscience-runRow-badge jp-Dotscience-verdict jp-Dotscience-verdict-${badges.verdict}`}
              title={`Reproduced: ${verdictText(badges.verdict)}`}
            >
              {verdictText(badges.verdict)}
            </span>
          )}
          {metric && (
            <span className="jp-Dotscience-runRow-metric">{metric}</span>
          )}
          <span className="jp-Dotscience-runRow-params">{params}</span>
          <span className="jp-Dotscience-runRow-time">
            {formatAgo(run.start ?? run.received)}
          </span>
        </span>
      </button>
    </div>
  );
}
