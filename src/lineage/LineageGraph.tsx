import React, { useMemo } from 'react';
import { basename, formatSize, runTitle, shortId } from '../format';
import { layoutLineage } from './layout';
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

/**
 * The lineage graph drawn left to right: upstream runs, files, this run, files, downstream
 * runs. Run nodes open their run; file nodes show their own lineage.
 *
 * @param props graph props
 * @returns the drawing
 */
export function LineageGraph(props: ILineageGraphProps): JSX.Element {
  const layout = useMemo(() => layoutLineage(props.graph), [props.graph]);
  if (props.graph.nodes.length <= 1 && props.graph.edges.length === 0) {
    return (
      <div className="jp-Dotscience-muted">
        No recorded inputs or outputs, so no lineage.
      </div>
    );
  }
  const activate = (n: RestWire.ILineageNode) =>
    n.kind === 'run'
      ? props.onRun(n.id)
      : n.sha256
        ? props.onFile(n.sha256, n.path ?? null)
        : undefined;
  return (
    <div className="jp-Dotscience-lineage">
      <svg
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
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
        {layout.edges.map((e, i) => {
          const dx = Math.max(24, (e.x2 - e.x1) / 2);
          return (
            <path
              key={i}
              className={`jp-Dotscience-edge jp-Dotscience-edge-${e.edge.kind}`}
              d={`M${e.x1},${e.y1} C${e.x1 + dx},${e.y1} ${e.x2 - dx},${e.y2} ${e.x2},${e.y2}`}
              markerEnd="url(#jp-Dotscience-arrow)"
            />
          );
        })}
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
                (clickable ? ' jp-mod-clickable' : '')
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
      </svg>
      {props.graph.truncated && (
        <div className="jp-Dotscience-muted">
          The graph was cut at the server’s node limit.
        </div>
      )}
    </div>
  );
}
