import React, {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState
} from 'react';
import { basename, formatSize, runTitle, shortId } from '../format';
import { ILineageLayout, IPlacedEdge, layoutLineage } from './layout';
import { RestWire } from '../api/rest';

/**
 * Props of LineageGraph.
 */
export interface ILineageGraphProps {
  /** the graph from the server */
  graph: RestWire.ILineage;
  /** a run node was clicked */
  onRun: (id: string) => void;
  /** a file node was clicked */
  onFile: (sha256: string, path: string | null) => void;
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/** A graph with more nodes than this opens on the root's neighbourhood. */
export const LARGE_GRAPH = 150;
/** Hops from the root that stay in focus in a large graph. */
const FOCUS_HOPS = 2;
/** The tallest the view gets, in pixels. */
const VIEW_HEIGHT = 520;
const MIN_SCALE = 0.02;
const MAX_SCALE = 4;

/** A view of the drawing: a point p of the layout is shown at p * k + (x, y). */
interface IView {
  k: number;
  x: number;
  y: number;
}

/** The SVG path of an edge: horizontal-tangent curves through its bend points. */
function edgePath(e: IPlacedEdge): string {
  const pts: [number, number][] = [
    [e.x1, e.y1],
    ...(e.points ?? []),
    [e.x2, e.y2]
  ];
  let d = `M${pts[0][0]},${pts[0][1]}`;
  for (let i = 1; i < pts.length; i++) {
    const [x1, y1] = pts[i - 1];
    const [x2, y2] = pts[i];
    const dx = Math.max(24, (x2 - x1) / 2);
    d += ` C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
  }
  return d;
}

/** Node ids within a few hops of the root, edges taken either way. */
function neighbourhood(graph: RestWire.ILineage, hops: number): Set<string> {
  const near = new Map<string, string[]>();
  for (const e of graph.edges) {
    (near.get(e.from) ?? near.set(e.from, []).get(e.from)!).push(e.to);
    (near.get(e.to) ?? near.set(e.to, []).get(e.to)!).push(e.from);
  }
  const seen = new Set([graph.root]);
  let ring = [graph.root];
  for (let h = 0; h < hops; h++) {
    ring = ring.flatMap(id => near.get(id) ?? []).filter(id => !seen.has(id));
    ring.forEach(id => seen.add(id));
  }
  return seen;
}

function clamp(k: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, k));
}

/** The view that shows the whole drawing in a box (never enlarged). */
function fitView(layout: ILineageLayout, width: number, height: number): IView {
  const k = clamp(Math.min(1, width / layout.width, height / layout.height));
  return {
    k,
    x: (width - layout.width * k) / 2,
    y: (height - layout.height * k) / 2
  };
}

/**
 * The lineage graph drawn left to right: upstream runs, files, this run, files, downstream
 * runs. Run nodes open their run; file nodes show their own lineage.
 *
 * @param props graph props
 * @returns the drawing
 */
export function LineageGraph(props: ILineageGraphProps): JSX.Element {
  const { layout, ms } = useMemo(() => {
    const t0 = performance.now();
    const laid = layoutLineage(props.graph);
    return { layout: laid, ms: performance.now() - t0 };
  }, [props.graph]);
  const large = props.graph.nodes.length > LARGE_GRAPH;
  const near = useMemo(
    () => neighbourhood(props.graph, FOCUS_HOPS),
    [props.graph]
  );
  const box = useRef<HTMLDivElement>(null);
  const dragged = useRef(false);
  const viewHeight = Math.min(VIEW_HEIGHT, layout.height + 2);
  const size = () => ({
    w: box.current?.clientWidth || layout.width,
    h: box.current?.clientHeight || viewHeight
  });
  const focusView = useCallback((): IView => {
    const root = layout.nodes.find(p => p.node.id === props.graph.root);
    const w = box.current?.clientWidth || layout.width;
    const h = box.current?.clientHeight || viewHeight;
    if (!root) {
      return { k: 1, x: 0, y: 0 };
    }
    return {
      k: 1,
      x: Math.min(0, w / 2 - (root.x + root.width / 2)),
      y: Math.min(0, h / 2 - (root.y + root.height / 2))
    };
  }, [layout, props.graph.root, viewHeight]);
  const [view, setView] = useState<IView>({ k: 1, x: 0, y: 0 });
  const [focus, setFocus] = useState(large);
  useEffect(() => {
    // A new graph: a large one opens on its root; a small one whole (shrunk to fit, but
    // not below half size, else on its root).
    setFocus(large);
    const { w, h } = size();
    const fit = fitView(layout, w, h);
    setView(large || fit.k < 0.5 ? focusView() : fit);
  }, [layout]);

  const zoomAt = useCallback((factor: number, cx: number, cy: number) => {
    setView(v => {
      const k = clamp(v.k * factor);
      return {
        k,
        x: cx - ((cx - v.x) * k) / v.k,
        y: cy - ((cy - v.y) * k) / v.k
      };
    });
  }, []);
  useEffect(() => {
    // a native listener: React's wheel listener is passive and cannot stop the page scroll
    const el = box.current;
    if (!el) {
      return;
    }
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      zoomAt(
        Math.exp(-e.deltaY * 0.0015),
        e.clientX - r.left,
        e.clientY - r.top
      );
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [zoomAt, layout]);

  const onPointerDown = (e: React.PointerEvent) => {
    if (e.button !== 0) {
      return;
    }
    const start = { x: e.clientX, y: e.clientY, v: view };
    dragged.current = false;
    const move = (m: PointerEvent) => {
      const dx = m.clientX - start.x;
      const dy = m.clientY - start.y;
      if (!dragged.current && Math.hypot(dx, dy) < 4) {
        return;
      }
      dragged.current = true;
      setView({ ...start.v, x: start.v.x + dx, y: start.v.y + dy });
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };

  if (props.graph.nodes.length <= 1 && props.graph.edges.length === 0) {
    return (
      <div className="jp-Dotscience-muted">
        No recorded inputs or outputs, so no lineage.
      </div>
    );
  }
  const activate = (n: RestWire.ILineageNode) => {
    if (dragged.current) {
      dragged.current = false; // the end of a pan, not a click
      return;
    }
    if (n.kind === 'run') {
      props.onRun(n.id);
    } else if (n.sha256) {
      props.onFile(n.sha256, n.path ?? null);
    }
  };
  const faded = (id: string) => focus && !near.has(id);
  const zoomBy = (factor: number) => {
    const { w, h } = size();
    zoomAt(factor, w / 2, h / 2);
  };
  return (
    <div
      className="jp-Dotscience-lineage"
      data-nodes={props.graph.nodes.length}
      data-layout-ms={ms.toFixed(1)}
      data-crossings={layout.crossings}
    >
      <div
        className="jp-Dotscience-lineage-tools"
        role="toolbar"
        aria-label="Lineage view"
      >
        <button
          className="jp-Dotscience-button"
          title="Show the whole graph"
          onClick={() => {
            const { w, h } = size();
            setFocus(false);
            setView(fitView(layout, w, h));
          }}
        >
          Fit
        </button>
        <button
          className="jp-Dotscience-button"
          title="Zoom in (or turn the mouse wheel)"
          aria-label="Zoom in"
          onClick={() => zoomBy(1.25)}
        >
          +
        </button>
        <button
          className="jp-Dotscience-button"
          title="Zoom out (or turn the mouse wheel)"
          aria-label="Zoom out"
          onClick={() => zoomBy(0.8)}
        >
          −
        </button>
        {large && (
          <button
            className="jp-Dotscience-button"
            aria-pressed={focus}
            title={`Centre on this run and fade nodes more than ${FOCUS_HOPS} steps away`}
            onClick={() => {
              setFocus(true);
              setView(focusView());
            }}
          >
            Focus on this run
          </button>
        )}
        <span className="jp-Dotscience-muted jp-Dotscience-lineage-scale">
          {`${Math.round(view.k * 100)}% · ${props.graph.nodes.length} nodes · drag to move`}
        </span>
      </div>
      <div
        ref={box}
        className="jp-Dotscience-lineage-view"
        style={{ height: viewHeight }}
        onPointerDown={onPointerDown}
      >
        <svg
          width="100%"
          height={viewHeight}
          role="group"
          aria-label="Lineage graph"
        >
          <defs>
            <marker
              id="jp-Dotscience-arrow"
              viewBox="0 0 8 8"
              refX="8"
              refY="4"
              markerWidth="7"
              markerHeight="7"
              orient="auto"
            >
              <path d="M0,0 L8,4 L0,8 z" className="jp-Dotscience-arrowhead" />
            </marker>
          </defs>
          <g
            className="jp-Dotscience-lineage-canvas"
            transform={`translate(${view.x},${view.y}) scale(${view.k})`}
          >
            {layout.edges.map((e, i) => (
              <path
                key={i}
                className={
                  `jp-Dotscience-edge jp-Dotscience-edge-${e.edge.kind}` +
                  (faded(e.edge.from) || faded(e.edge.to)
                    ? ' jp-mod-faded'
                    : '')
                }
                d={edgePath(e)}
                markerEnd="url(#jp-Dotscience-arrow)"
              />
            ))}
            {layout.nodes.map(p => {
              const n = p.node;
              const root = n.id === props.graph.root;
              const clickable = n.kind === 'run' ? !root : !!n.sha256;
              const label =
                n.kind === 'run'
                  ? runTitle(n)
                  : basename(n.path ?? n.paths?.[0] ?? '(unnamed)');
              const sub =
                n.kind === 'run'
                  ? `${n.status ?? ''} · ${shortId(n.id)}`
                  : `${formatSize(n.size)}${n.sha256 ? ' · ' + n.sha256.slice(0, 8) : ''}`;
              const tip =
                n.kind === 'run'
                  ? `Run ${n.id}\n${runTitle(n)}${root ? '' : '\nClick to open'}`
                  : `${(n.paths ?? [n.path]).join('\n')}\nsha256 ${n.sha256 ?? 'unknown'}${
                      n.sha256 ? '\nClick to show this file’s lineage' : ''
                    }`;
              return (
                <g
                  key={n.id}
                  className={
                    `jp-Dotscience-node jp-Dotscience-node-${n.kind}` +
                    (root ? ' jp-mod-root' : '') +
                    (n.status === 'failed' ? ' jp-mod-failed' : '') +
                    (clickable ? ' jp-mod-clickable' : '') +
                    (faded(n.id) ? ' jp-mod-faded' : '')
                  }
                  transform={`translate(${p.x},${p.y})`}
                  data-node-id={n.id}
                  role={clickable ? 'button' : undefined}
                  tabIndex={clickable ? 0 : undefined}
                  aria-label={`${n.kind === 'run' ? 'Run' : 'File'} ${label}`}
                  onClick={clickable ? () => activate(n) : undefined}
                  onKeyDown={
                    clickable
                      ? e => (e.key === 'Enter' || e.key === ' ') && activate(n)
                      : undefined
                  }
                >
                  <title>{tip}</title>
                  <rect
                    width={p.width}
                    height={p.height}
                    rx={n.kind === 'run' ? 6 : 2}
                  />
                  <text
                    x={10}
                    y={n.kind === 'run' ? 18 : 14}
                    className="jp-Dotscience-node-label"
                  >
                    {truncate(label, 24)}
                  </text>
                  <text
                    x={10}
                    y={n.kind === 'run' ? 34 : 26}
                    className="jp-Dotscience-node-sub"
                  >
                    {truncate(sub, 30)}
                  </text>
                </g>
              );
            })}
          </g>
        </svg>
      </div>
      {props.graph.truncated && (
        <div className="jp-Dotscience-muted">
          The graph was cut at the server’s node limit.
        </div>
      )}
    </div>
  );
}
