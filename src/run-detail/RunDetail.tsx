import React from 'react';
import { runTitle, shortId } from '../format';
import { formatValue } from '../values';
import { formatDuration, formatTime } from '../time';
import { RunDetailModel } from './detailModel';
import { RestWire } from '../api/rest';
import { LineageGraph } from '../lineage/LineageGraph';
import { StoredMetricChart } from '../charts/SeriesChart';
import {
  CellsList,
  EnvironmentInfo,
  FilesTable,
  NotebookSnapshot,
  PartBoundary
} from './parts';
import {
  problemsNotice,
  readExecutions,
  readFiles,
  readNotebook,
  readRun,
  warningText
} from './read';
import {
  ConfirmReproduce,
  ExecutionsList,
  ReproducePanel,
  VerdictBadge,
  WarningsList
} from './reproduce';

/**
 * Props of RunDetail.
 */
export interface IRunDetailProps {
  /** the run's model */
  model: RunDetailModel;
  /** open another run */
  onOpenRun: (id: string) => void;
  /** open a workspace file (the run's notebook or script) */
  onOpenFile: (path: string) => void;
  /** jump to a cell of the run's notebook */
  onJumpToCell: (cell: { cell_id: string }, notebook: string | null) => void;
  /** download an export of the run */
  onExport: (format: RestWire.ExportFormat) => void;
  /** open the diff with the previous run of the same notebook (absent: no button) */
  onDiffPrevious?: () => void;
}

const EXPORTS: { format: RestWire.ExportFormat; label: string }[] = [
  { format: 'prov', label: 'PROV-JSON' },
  { format: 'openlineage', label: 'OpenLineage' },
  { format: 'v1', label: 'v1 block' }
];

function Section(props: {
  title: string;
  children: React.ReactNode;
  id?: string;
}): JSX.Element {
  return (
    <section className="jp-Dotscience-detailSection" data-section={props.id}>
      <h3>{props.title}</h3>
      {props.children}
    </section>
  );
}

/**
 * Everything about one run: fields, environment, reproduce and its verdict, hidden-state
 * warnings, parameters, labels, metrics with charts, the code it ran, notebook snapshot,
 * files, lineage and exports.
 *
 * @param props detail props
 * @returns the detail view
 */
export function RunDetail(props: IRunDetailProps): JSX.Element {
  const { model } = props;
  // parts that failed to render although their record was read (named in the notice)
  const [broken, setBroken] = React.useState<string[]>([]);
  const onPartError = React.useCallback(
    (name: string) => setBroken(b => (b.includes(name) ? b : [...b, name])),
    []
  );
  const problems: string[] = [];
  const run = model.run === null ? null : readRun(model.run, problems);
  const files = readFiles(model.files, problems);
  const notebook = readNotebook(model.notebook, problems);
  const recorded = readExecutions(model.executions, problems);
  problems.push(...broken.map(name => `the ${name} part failed to render`));
  const notice = problems.length > 0 && (
    <div
      className="jp-Dotscience-detailNotice jp-Dotscience-muted"
      role="status"
    >
      {problemsNotice(problems)}
    </div>
  );
  const part = (name: string, children: React.ReactNode) => (
    <PartBoundary name={name} onError={onPartError}>
      {children}
    </PartBoundary>
  );
  if (model.run !== null && !run) {
    return <div className="jp-Dotscience-detail">{notice}</div>;
  }
  if (!run) {
    return (
      <div className="jp-Dotscience-detail">
        {model.error ? (
          <div className="jp-Dotscience-error" role="alert">
            {model.error}
          </div>
        ) : (
          <div className="jp-Dotscience-muted">Loading run…</div>
        )}
      </div>
    );
  }
  const file = run.notebook ?? run.workload_file;
  const jump = (cellId: string) =>
    props.onJumpToCell({ cell_id: cellId }, run.notebook);
  const warningKinds = [...new Set(run.warnings.map(w => w.kind))];
  const params = Object.entries(run.parameters);
  const labels = Object.entries(run.labels);
  const metrics = Object.entries(run.metrics);
  return (
    <div className="jp-Dotscience-detail">
      <header className="jp-Dotscience-detailHeader">
        <span
          className={`jp-Dotscience-badge jp-Dotscience-status-${run.status}`}
        >
          {run.status}
        </span>
        <h2>{runTitle(run)}</h2>
        {run.imported && (
          <span
            className="jp-Dotscience-badge"
            title="Read from a legacy v1 block"
          >
            imported
          </span>
        )}
        {run.verdict && <VerdictBadge verdict={run.verdict} />}
        {warningKinds.length > 0 && (
          <span
            className="jp-Dotscience-badge jp-Dotscience-warningBadge"
            title={`Hidden state: ${warningKinds.map(warningText).join(', ')}`}
          >
            {`⚠ ${run.warnings.length} ${run.warnings.length === 1 ? 'warning' : 'warnings'}`}
          </span>
        )}
        {run.reproduces && (
          <button
            className="jp-Dotscience-link"
            title={`Open the run this run replays: ${run.reproduces}`}
            onClick={() => props.onOpenRun(run.reproduces!)}
          >
            {`replay of run ${shortId(run.reproduces)}`}
          </button>
        )}
        {run.notebook && props.onDiffPrevious && (
          <button
            className="jp-Dotscience-link"
            title={`What changed since the previous run of ${run.notebook}`}
            onClick={props.onDiffPrevious}
          >
            Diff with previous run of this notebook
          </button>
        )}
      </header>
      {model.confirmation && (
        <ConfirmReproduce
          confirmation={model.confirmation}
          executions={recorded?.executions ?? null}
          onConfirm={() => void model.confirmReproduce()}
          onDismiss={() => model.dismissConfirmation()}
        />
      )}
      {run.error && (
        <pre className="jp-Dotscience-error jp-Dotscience-errorBox">
          {run.error}
        </pre>
      )}
      {model.error && (
        <div className="jp-Dotscience-error" role="alert">
          {model.error}
        </div>
      )}
      {notice}
      <Section title="Reproduce" id="reproduce">
        {part(
          'reproduce',
          <ReproducePanel
            reproduction={model.reproduction}
            running={model.reproducing}
            error={model.reproduceError}
            replayable={(recorded?.executions.length ?? 0) > 0}
            onReproduce={tolerance => void model.reproduce(tolerance)}
            onCancel={() => void model.cancelReproduction()}
            onOpenRun={props.onOpenRun}
          />
        )}
      </Section>
      {run.warnings.length > 0 && (
        <Section
          title={`Hidden-state warnings (${run.warnings.length})`}
          id="warnings"
        >
          {part(
            'warnings',
            <WarningsList warnings={run.warnings} onJump={jump} />
          )}
        </Section>
      )}
      <div className="jp-Dotscience-detailGrid">
        <Section title="Run" id="run">
          {part(
            'run',
            <dl className="jp-Dotscience-facts">
              <dt>Id</dt>
              <dd className="jp-Dotscience-mono">{run.id}</dd>
              <dt>Description</dt>
              <dd>{run.description ?? '—'}</dd>
              <dt>Project</dt>
              <dd>{run.project}</dd>
              <dt>Author</dt>
              <dd>{run.author ?? '—'}</dd>
              <dt>Mode</dt>
              <dd>{run.mode ?? '—'}</dd>
              <dt>{run.notebook ? 'Notebook' : 'Script'}</dt>
              <dd>
                {file ? (
                  <button
                    className="jp-Dotscience-link"
                    title={`Open ${file}`}
                    onClick={() => props.onOpenFile(file)}
                  >
                    {file}
                  </button>
                ) : (
                  '—'
                )}
              </dd>
              {run.argv && run.argv.length > 0 && (
                <>
                  <dt>Command</dt>
                  <dd className="jp-Dotscience-mono">{run.argv.join(' ')}</dd>
                </>
              )}
              <dt>Started</dt>
              <dd>{formatTime(run.start)}</dd>
              <dt>Ended</dt>
              <dd>{formatTime(run.end)}</dd>
              <dt>Duration</dt>
              <dd>{formatDuration(run.start, run.end)}</dd>
              <dt>Published</dt>
              <dd>{formatTime(run.published ?? run.received)}</dd>
              {(run.build || run.deploy) && (
                <>
                  <dt>Requested</dt>
                  <dd>
                    {[run.build && 'build', run.deploy && 'deploy']
                      .filter(Boolean)
                      .join(', ')}
                  </dd>
                </>
              )}
            </dl>
          )}
        </Section>
        <Section title="Environment" id="environment">
          {part(
            'environment',
            <EnvironmentInfo environment={run.environment} />
          )}
        </Section>
      </div>
      <Section title={`Parameters (${params.length})`} id="parameters">
        {part(
          'parameters',
          params.length === 0 ? (
            <div className="jp-Dotscience-muted">None.</div>
          ) : (
            <table className="jp-Dotscience-table jp-Dotscience-params">
              <tbody>
                {params.map(([k, v]) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    <td className="jp-Dotscience-mono">{v.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        )}
      </Section>
      {labels.length > 0 && (
        <Section title="Labels" id="labels">
          {part(
            'labels',
            <ul className="jp-Dotscience-chips">
              {labels.map(([k, v]) => (
                <li key={k} className="jp-Dotscience-chip">{`${k}: ${v}`}</li>
              ))}
            </ul>
          )}
        </Section>
      )}
      <Section title={`Metrics (${metrics.length})`} id="metrics">
        {part(
          'metrics',
          metrics.length === 0 ? (
            <div className="jp-Dotscience-muted">None.</div>
          ) : (
            <div className="jp-Dotscience-metrics">
              {metrics.map(([k, series]) => {
                const last = series[series.length - 1];
                return (
                  <div key={k} className="jp-Dotscience-metric">
                    <div className="jp-Dotscience-metric-head">
                      <span>{k}</span>
                      <span className="jp-Dotscience-mono">
                        {last ? last.text || formatValue(last.value) : '—'}
                      </span>
                    </div>
                    {series.length > 1 && (
                      <StoredMetricChart runId={run.id} metricKey={k} />
                    )}
                  </div>
                );
              })}
            </div>
          )
        )}
      </Section>
      {run.models.length > 0 && (
        <Section title="Models" id="models">
          {part(
            'models',
            <ul>
              {run.models.map((m, i) => (
                <li key={i}>
                  {`${m.name}${m.version ? ` v${m.version}` : ''} · ${m.framework ?? 'unknown framework'}${
                    m.framework_version ? ' ' + m.framework_version : ''
                  } · ${m.path ?? ''}`}
                </li>
              ))}
            </ul>
          )}
        </Section>
      )}
      <Section
        title={
          recorded && recorded.executions.length > 0
            ? `Code (${recorded.executions.length} executions${
                recorded.kernel ? `, kernel ${recorded.kernel}` : ''
              })`
            : `Cells (${run.cells.length})`
        }
        id="cells"
      >
        {recorded && recorded.executions.length > 0
          ? part(
              'code',
              <ExecutionsList
                executions={recorded.executions}
                warnings={run.warnings}
                onJump={jump}
              />
            )
          : part(
              'cells',
              <CellsList
                cells={run.cells}
                notebook={notebook}
                onJump={cell => props.onJumpToCell(cell, run.notebook)}
              />
            )}
        {notebook &&
          part('notebook snapshot', <NotebookSnapshot notebook={notebook} />)}
      </Section>
      <Section title={`Files (${files.length})`} id="files">
        {part(
          'files',
          <FilesTable
            files={files}
            onLineage={(sha, path) => void model.showFileLineage(sha, path)}
          />
        )}
      </Section>
      <Section title="Lineage" id="lineage">
        {model.lineageFile && (
          <div className="jp-Dotscience-row">
            <span>
              {`Lineage of file ${model.lineageFile.path ?? model.lineageFile.sha256.slice(0, 10)}`}
            </span>
            <button
              className="jp-Dotscience-button"
              onClick={() => void model.showRunLineage()}
            >
              Back to this run’s lineage
            </button>
          </div>
        )}
        {model.lineage ? (
          part(
            'lineage',
            <LineageGraph
              graph={model.lineage}
              onRun={props.onOpenRun}
              onFile={(sha, path) => void model.showFileLineage(sha, path)}
            />
          )
        ) : (
          <div className="jp-Dotscience-muted">Lineage unavailable.</div>
        )}
      </Section>
      <Section title="Export" id="export">
        <div className="jp-Dotscience-row">
          {EXPORTS.map(e => (
            <button
              key={e.format}
              className="jp-Dotscience-button"
              onClick={() => props.onExport(e.format)}
            >
              {e.label}
            </button>
          ))}
        </div>
      </Section>
    </div>
  );
}
