import React from 'react';
import { shortId } from '../format';
import { IRunDiff } from './api';
import { diffText } from './lineDiff';

/**
 * Props of {@link DiffView}.
 */
export interface IDiffViewProps {
  diff: IRunDiff;
  /** open a run's detail */
  onOpenRun: (id: string) => void;
}

const STATUS_TEXT: Record<string, string> = {
  same: 'same',
  changed: 'changed',
  added: 'added',
  removed: 'removed'
};

function Status(props: { status: string }): JSX.Element {
  return (
    <span className={`jp-Dotscience-diffStatus jp-mod-${props.status}`}>
      {STATUS_TEXT[props.status] ?? props.status}
    </span>
  );
}

/**
 * One cell: a line diff when it changed, its source when added or removed.
 */
function CellDiff(props: { cell: IRunDiff['cells'][number] }): JSX.Element {
  const { cell } = props;
  const lines = diffText(cell.a?.source ?? null, cell.b?.source ?? null);
  const name = cell.cell_id
    ? `cell ${cell.cell_id.slice(0, 12)}`
    : `unnamed cell ${Number(cell.key.split(':')[1]) + 1}`;
  const counts = [cell.a?.execution_count, cell.b?.execution_count].map(c =>
    c === null || c === undefined ? '–' : `[${c}]`
  );
  return (
    <div
      className={`jp-Dotscience-diffCell jp-mod-${cell.status}`}
      data-status={cell.status}
      data-cell={cell.cell_id ?? cell.key}
    >
      <div className="jp-Dotscience-diffCell-head">
        <span className="jp-Dotscience-mono">{name}</span>{' '}
        <span className="jp-Dotscience-muted">
          {counts[0]} → {counts[1]}
        </span>{' '}
        <Status status={cell.status} />
      </div>
      <pre
        className="jp-Dotscience-diffCode"
        aria-label={`${name}, ${cell.status}`}
      >
        {lines.map((l, i) => (
          <div
            key={i}
            className={`jp-Dotscience-diffLine jp-mod-${l.kind}`}
            data-kind={l.kind}
          >
            <span className="jp-Dotscience-diffMark" aria-hidden="true">
              {l.kind === 'added' ? '+' : l.kind === 'removed' ? '−' : ' '}
            </span>
            {l.text || ' '}
          </div>
        ))}
      </pre>
    </div>
  );
}

function Section(props: {
  title: string;
  changes: number;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <section className="jp-Dotscience-diffSection" aria-label={props.title}>
      <h3>
        {props.title}{' '}
        <span className="jp-Dotscience-muted">
          {props.changes ? `${props.changes} changed` : 'no change'}
        </span>
      </h3>
      {props.children}
    </section>
  );
}

function Table(props: {
  label: string;
  head: string[];
  rows: { key: string; status: string; cells: React.ReactNode[] }[];
  showSame: boolean;
}): JSX.Element {
  const rows = props.showSame
    ? props.rows
    : props.rows.filter(r => r.status !== 'same');
  const hidden = props.rows.length - rows.length;
  return (
    <>
      {rows.length > 0 && (
        <table
          className="jp-Dotscience-table jp-Dotscience-diffTable"
          aria-label={props.label}
        >
          <thead>
            <tr>
              {props.head.map(h => (
                <th key={h} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(r => (
              <tr
                key={r.key}
                className={
                  r.status === 'same' ? undefined : `jp-mod-${r.status}`
                }
                data-status={r.status}
                data-key={r.key}
              >
                {r.cells.map((c, i) =>
                  i === 0 ? (
                    <th key={i} scope="row">
                      {c}
                    </th>
                  ) : (
                    <td key={i}>{c}</td>
                  )
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {hidden > 0 && (
        <div className="jp-Dotscience-muted">{`${hidden} the same in both runs`}</div>
      )}
    </>
  );
}

const hash = (h: string | null | undefined) =>
  h ? (
    <span className="jp-Dotscience-mono" title={h}>
      {h.slice(0, 12)}
    </span>
  ) : (
    '—'
  );

/**
 * What changed between two runs: code cell by cell (a line diff per changed cell, outputs
 * left out), parameters, data, environment and metrics; changed items highlighted,
 * unchanged ones folded away (a switch shows them).
 *
 * @param props the diff
 * @returns the view
 */
export function DiffView(props: IDiffViewProps): JSX.Element {
  const { diff } = props;
  const [showSame, setShowSame] = React.useState(false);
  const run = (side: 'a' | 'b') => {
    const r = diff[side] as {
      id?: string;
      description?: string | null;
      notebook?: string | null;
      start?: string | null;
    };
    return (
      <button
        className="jp-Dotscience-link"
        title={`Open run ${r.id}`}
        onClick={() => r.id && props.onOpenRun(r.id)}
      >
        {`${side.toUpperCase()}: ${r.description || r.notebook || 'run'} (${shortId(r.id ?? '')})`}
      </button>
    );
  };
  const cells = showSame
    ? diff.cells
    : diff.cells.filter(c => c.status !== 'same');
  const sameCells = diff.cells.length - cells.length;
  const env = diff.environment;
  const envRows = [
    ...(['python', 'implementation', 'platform', 'git_commit'] as const).map(
      f => ({
        key: f,
        status: env[f].status,
        cells: [
          f === 'git_commit' ? 'git commit' : f,
          env[f].a ?? '—',
          env[f].b ?? '—'
        ]
      })
    ),
    ...env.packages.map(p => ({
      key: `package:${p.key}`,
      status: p.status,
      cells: [p.key, p.a ?? '—', p.b ?? '—']
    }))
  ];
  return (
    <div className="jp-Dotscience-diff">
      <div className="jp-Dotscience-diffHead">
        {run('a')} <span aria-hidden="true">→</span> {run('b')}
        <label className="jp-Dotscience-diffToggle">
          <input
            type="checkbox"
            checked={showSame}
            onChange={e => setShowSame(e.currentTarget.checked)}
          />{' '}
          Show unchanged
        </label>
      </div>
      <Section title="Code" changes={diff.changes.cells}>
        {cells.map(c => (
          <CellDiff key={c.key} cell={c} />
        ))}
        {sameCells > 0 && (
          <div className="jp-Dotscience-muted">{`${sameCells} cells the same in both runs`}</div>
        )}
        {diff.cells.length === 0 && (
          <div className="jp-Dotscience-muted">
            Neither run recorded executed cells.
          </div>
        )}
      </Section>
      <Section title="Parameters" changes={diff.changes.parameters}>
        <Table
          label="Parameters"
          head={['parameter', 'A', 'B']}
          showSame={showSame}
          rows={diff.parameters.map(p => ({
            key: p.key,
            status: p.status,
            cells: [p.key, p.a ?? '—', p.b ?? '—']
          }))}
        />
      </Section>
      <Section title="Data" changes={diff.changes.data}>
        <Table
          label="Data"
          head={['path', 'A', 'B', '']}
          showSame={showSame}
          rows={diff.data.map(d => ({
            key: `${d.role}:${d.path}`,
            status: d.status,
            cells: [
              `${d.role === 'input' ? '↓' : '↑'} ${d.path}${d.dataset ? ' (data set)' : ''}`,
              hash(d.a),
              hash(d.b),
              <Status key="s" status={d.status} />
            ]
          }))}
        />
      </Section>
      <Section title="Environment" changes={diff.changes.environment}>
        <Table
          label="Environment"
          head={['', 'A', 'B']}
          showSame={showSame}
          rows={envRows}
        />
        {env.packages_same > 0 && (
          <div className="jp-Dotscience-muted">{`${env.packages_same} packages the same`}</div>
        )}
      </Section>
      <Section title="Metrics" changes={diff.changes.metrics}>
        <Table
          label="Metrics"
          head={['metric', 'A', 'B', '']}
          showSame={showSame}
          rows={diff.metrics.map(m => ({
            key: m.key,
            status: m.status,
            cells: [
              m.key,
              <span
                key="a"
                className={m.better === 'a' ? 'jp-mod-best' : undefined}
              >
                {m.a?.text ?? '—'}
                {m.better === 'a' && ' ★'}
              </span>,
              <span
                key="b"
                className={m.better === 'b' ? 'jp-mod-best' : undefined}
              >
                {m.b?.text ?? '—'}
                {m.better === 'b' && ' ★'}
              </span>,
              m.direction ? `${m.direction} is better` : ''
            ]
          }))}
        />
      </Section>
    </div>
  );
}
