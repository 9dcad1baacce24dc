import React from 'react';
import { useWidth } from '../charts/useWidth';
import {
  Axis,
  IBrush,
  IParallelRow,
  brushText,
  brushed,
  buildAxes,
  lineColour,
  position,
  ticks
} from './parallel';

/**
 * Props of {@link ParallelCoordinates}.
 */
export interface IParallelCoordinatesProps {
  /** the plot's accessible name */
  title: string;
  /** one line each */
  rows: IParallelRow[];
  /** the dimensions, in axis order (e.g. the parameters, then the objective) */
  dimensions: string[];
  /** what a dimension is called on its axis, in the legend and the brushes' summary (by
   * default the dimension itself) */
  labels?: Readonly<Record<string, string>>;
  /** dimensions drawn on a logarithmic scale when all their values are above zero */
  log?: ReadonlySet<string>;
  /** a row drawn on top and emphasised (e.g. the best trial) */
  highlight?: string | null;
  /** drawing height in px (default 260) */
  height?: number;
  /** drawing width in px (default: the container's width) */
  width?: number;
  /** called with the ids of the rows inside every brush, or null when no axis is brushed */
  onFilter?: (ids: string[] | null) => void;
  /** called when a line is clicked */
  onOpen?: (id: string) => void;
  /** the brushes at first, by dimension (a restored view's) */
  initialBrushes?: Readonly<Record<string, IBrush>>;
  /** called with the brushes on the axes drawn whenever they change */
  onBrushes?: (brushes: Readonly<Record<string, IBrush>>) => void;
}

const MARGIN = { top: 30, bottom: 22, left: 48, right: 48 };
const MIN_DRAG = 3;
/** px the brushable area reaches past each end of an axis, so a drag can start beyond
 * the line at the end (a brush is clamped to the axis) */
const HIT_OVERHANG = 8;
/** the least room between two axes, in px: their names and tick labels stay readable, and
 * a plot of more axes than fit its width scrolls sideways */
export const MIN_GAP = 96;
/** the width of a character of an axis' name, about, in px */
const NAME_CHAR = 7;

/**
 * A parallel-coordinates plot (SVG, theme colours): one vertical axis per dimension and one
 * line per row. Dragging along an axis brushes it: only the rows inside every brush stay
 * coloured, and `onFilter` hears which; a click on an axis (no drag) clears its brush.
 */
export function ParallelCoordinates(
  props: IParallelCoordinatesProps
): JSX.Element {
  const { rows, dimensions, log, highlight, onFilter, onOpen } = props;
  const labelOf = (dimension: string) => props.labels?.[dimension] ?? dimension;
  const height = props.height ?? 260;
  const container = React.useRef<HTMLDivElement>(null);
  const svg = React.useRef<SVGSVGElement>(null);
  const width = useWidth(container, props.width, 600);
  const [brushes, setBrushes] = React.useState<Record<string, IBrush>>(() => ({
    ...props.initialBrushes
  }));

  const axes = React.useMemo(
    () => buildAxes(rows, dimensions, log),
    [rows, dimensions, log]
  );
  // a brush on a dimension no longer shown is dropped
  const live = React.useMemo(() => {
    const out: Record<string, IBrush> = {};
    for (const a of axes) {
      if (brushes[a.name]) {
        out[a.name] = brushes[a.name];
      }
    }
    return out;
  }, [axes, brushes]);
  const brushedCount = Object.keys(live).length;
  const kept = React.useMemo(
    () => (brushedCount ? new Set(brushed(rows, axes, live)) : null),
    [rows, axes, live, brushedCount]
  );
  const onFilterRef = React.useRef(onFilter);
  onFilterRef.current = onFilter;
  // what was last reported: the same rows kept are not reported again (a listener that
  // redraws this plot on each report would otherwise loop)
  const reported = React.useRef<string | undefined>(undefined);
  React.useEffect(() => {
    const ids = kept ? rows.filter(r => kept.has(r.id)).map(r => r.id) : null;
    const key = ids === null ? '' : `=${ids.join('\n')}`;
    if (key !== reported.current) {
      reported.current = key;
      onFilterRef.current?.(ids);
    }
  }, [kept, rows]);

  const onBrushesRef = React.useRef(props.onBrushes);
  onBrushesRef.current = props.onBrushes;
  React.useEffect(() => onBrushesRef.current?.(live), [live]);

  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const drawWidth = Math.max(
    width,
    MARGIN.left + MARGIN.right + Math.max(0, axes.length - 1) * MIN_GAP
  );
  const inner = Math.max(0, drawWidth - MARGIN.left - MARGIN.right);
  // an axis' name is cut to the room between axes (whole in its tooltip)
  const nameRoom = Math.max(
    4,
    Math.floor(
      (axes.length > 1 ? inner / (axes.length - 1) : inner) / NAME_CHAR
    ) - 1
  );
  const xOf = (i: number) =>
    axes.length === 1
      ? MARGIN.left + inner / 2
      : MARGIN.left + (i * inner) / (axes.length - 1);
  const yOf = (t: number) => MARGIN.top + (1 - t) * plotHeight;
  const tOf = (clientY: number) => {
    const top = svg.current?.getBoundingClientRect().top ?? 0;
    const t = 1 - (clientY - top - MARGIN.top) / plotHeight;
    return Math.max(0, Math.min(1, t));
  };

  const pathOf = (row: IParallelRow): string => {
    let d = '';
    let pen = false;
    axes.forEach((a, i) => {
      const t = position(a, row.values[a.name]);
      if (t === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${xOf(i).toFixed(1)},${yOf(t).toFixed(1)}`;
      pen = true;
    });
    return d;
  };

  // each line's path, drawn again only when the lines, axes or size change (500 runs over
  // 150 axes are 75,000 points)
  const paths = React.useMemo(
    () => new Map(rows.map(r => [r.id, pathOf(r)])),
    [rows, axes, drawWidth, plotHeight]
  );

  const setBrush = (name: string, from: number, to: number) =>
    setBrushes(b => ({
      ...b,
      [name]: { lo: Math.min(from, to), hi: Math.max(from, to) }
    }));
  // a drag follows the mouse over the whole page until the button is released
  const startBrush = (a: Axis, e: React.MouseEvent) => {
    if (e.button !== 0) {
      return;
    }
    e.preventDefault();
    const name = a.name;
    const start = tOf(e.clientY);
    const y0 = e.clientY;
    const doc = (e.target as Element).ownerDocument;
    const move = (m: MouseEvent) => {
      if (Math.abs(m.clientY - y0) >= MIN_DRAG) {
        setBrush(name, start, tOf(m.clientY));
      }
    };
    const up = (m: MouseEvent) => {
      doc.removeEventListener('mousemove', move);
      doc.removeEventListener('mouseup', up);
      if (Math.abs(m.clientY - y0) < MIN_DRAG) {
        // a click: clear this axis' brush
        setBrushes(b => {
          const rest = { ...b };
          delete rest[name];
          return rest;
        });
      } else {
        setBrush(name, start, tOf(m.clientY));
      }
    };
    doc.addEventListener('mousemove', move);
    doc.addEventListener('mouseup', up);
  };

  // lines are coloured by their value on the last axis (usually the objective)
  const colourAxis = axes.length > 1 ? axes[axes.length - 1] : null;
  const colours =
    colourAxis &&
    (colourAxis.kind !== 'category' || colourAxis.categories.length > 1)
      ? colourAxis
      : null;
  const ordered = [...rows].sort(
    (a, b) =>
      Number(a.id === highlight) - Number(b.id === highlight) ||
      Number(!kept || kept.has(a.id)) - Number(!kept || kept.has(b.id))
  );

  return (
    <div className="jp-Dotscience-parallel" ref={container}>
      {width > 0 && axes.length > 0 && (
        <div className="jp-Dotscience-parallel-scroll">
          <svg
            ref={svg}
            width={drawWidth}
            height={height}
            role="img"
            aria-label={`${props.title}: ${rows.length} lines over ${axes.length} axes${
              kept ? `, ${kept.size} inside the brushes` : ''
            }`}
          >
            <g className="jp-Dotscience-parallel-lines">
              {ordered.map(r => {
                const out = kept !== null && !kept.has(r.id);
                const cls = [
                  'jp-Dotscience-parallel-line',
                  out ? 'jp-mod-filtered' : '',
                  r.id === highlight ? 'jp-mod-highlight' : ''
                ]
                  .filter(Boolean)
                  .join(' ');
                const t =
                  colours && !out && r.id !== highlight
                    ? position(colours, r.values[colours.name])
                    : null;
                return (
                  <path
                    key={r.id}
                    className={cls}
                    style={t === null ? undefined : { stroke: lineColour(t) }}
                    data-id={r.id}
                    d={paths.get(r.id)}
                    onClick={onOpen ? () => onOpen(r.id) : undefined}
                  >
                    <title>{r.label}</title>
                  </path>
                );
              })}
            </g>
            {axes.map((a, i) => {
              const x = xOf(i);
              const b = live[a.name];
              const label = labelOf(a.name);
              // the last axis' labels go on its right, outside the lines
              const last = axes.length > 1 && i === axes.length - 1;
              return (
                <g
                  key={a.name}
                  className="jp-Dotscience-parallel-axis"
                  data-axis={a.name}
                >
                  <line x1={x} x2={x} y1={yOf(0)} y2={yOf(1)} />
                  {ticks(a).map(tk => (
                    <g key={`${tk.at}:${tk.text}`}>
                      <line
                        x1={x - 3}
                        x2={x + 3}
                        y1={yOf(tk.at)}
                        y2={yOf(tk.at)}
                      />
                      <text
                        x={last ? x + 5 : x - 5}
                        y={yOf(tk.at)}
                        dy="0.32em"
                        textAnchor={last ? 'start' : 'end'}
                      >
                        {tk.text.length > 10
                          ? `${tk.text.slice(0, 9)}…`
                          : tk.text}
                      </text>
                    </g>
                  ))}
                  <text
                    className="jp-Dotscience-parallel-name"
                    x={x}
                    y={MARGIN.top - 12}
                    textAnchor="middle"
                  >
                    {label.length > nameRoom
                      ? `${label.slice(0, nameRoom - 1)}…`
                      : label}
                    {label.length > nameRoom && <title>{label}</title>}
                  </text>
                  {b && (
                    <rect
                      className="jp-Dotscience-parallel-brush"
                      x={x - 8}
                      width={16}
                      y={yOf(b.hi)}
                      height={Math.max(1, yOf(b.lo) - yOf(b.hi))}
                    >
                      <title>{`${label}: ${brushText(a, b)}`}</title>
                    </rect>
                  )}
                  <rect
                    className="jp-Dotscience-parallel-hit"
                    data-brush={a.name}
                    x={x - 10}
                    width={20}
                    y={MARGIN.top - HIT_OVERHANG}
                    height={plotHeight + 2 * HIT_OVERHANG}
                    onMouseDown={e => startBrush(a, e)}
                  >
                    <title>{`Drag along ${label} to keep the lines in a range; click to clear`}</title>
                  </rect>
                </g>
              );
            })}
          </svg>
        </div>
      )}
      {colours && width > 0 && (
        <div className="jp-Dotscience-parallel-legend">
          <span>colour: {labelOf(colours.name)}</span>
          <span className="jp-Dotscience-muted">
            {colours.kind === 'category' ? colours.categories[0] : 'low'}
          </span>
          <span
            className="jp-Dotscience-parallel-scale"
            style={{
              background: `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1]
                .map(lineColour)
                .join(', ')})`
            }}
          />
          <span className="jp-Dotscience-muted">
            {colours.kind === 'category'
              ? colours.categories[colours.categories.length - 1]
              : 'high'}
          </span>
        </div>
      )}
      {brushedCount > 0 && (
        <div className="jp-Dotscience-parallel-status">
          <span>
            {kept!.size} of {rows.length} shown:{' '}
            {axes
              .filter(a => live[a.name])
              .map(a => `${labelOf(a.name)} ${brushText(a, live[a.name])}`)
              .join('; ')}
          </span>
          <button
            type="button"
            className="jp-mod-styled jp-mod-reject"
            onClick={() => setBrushes({})}
          >
            Clear brushes
          </button>
        </div>
      )}
    </div>
  );
}
