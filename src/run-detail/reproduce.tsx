import React from 'react';
import { RestWire } from '../api/rest';
import { shortId } from '../format';
import { formatValue } from '../values';
import { IReproduceConfirmation } from './detailModel';
import {
  IShownExecution,
  IShownReproduction,
  verdictText,
  warningText
} from './read';

/**
 * A recorded value (a typed value, a content hash, or nothing) as text.
 *
 * @param x the value
 * @returns its text; a content hash is shortened
 */
export function differenceValue(x: unknown): string {
  if (x === null || x === undefined) {
    return '—';
  }
  if (typeof x === 'string' && /^[0-9a-f]{64}$/.test(x)) {
    return x.slice(0, 12);
  }
  if (
    typeof x === 'string' ||
    typeof x === 'number' ||
    typeof x === 'boolean' ||
    (typeof x === 'object' && '$float' in (x as object))
  ) {
    return formatValue(x as RestWire.Value);
  }
  try {
    return JSON.stringify(x);
  } catch {
    return String(x);
  }
}

/**
 * A relative difference as text.
 *
 * @param x the relative difference (null when it has none, e.g. a text parameter)
 * @returns e.g. `3.21e-2`, or a dash
 */
export function relativeText(x: number | null): string {
  if (x === null) {
    return '—';
  }
  if (x === Infinity) {
    return '∞';
  }
  return x === 0 ? '0' : x.toExponential(2);
}

/**
 * What a verdict says, in one sentence.
 *
 * @param r the finished reproduction
 * @returns the sentence
 */
export function verdictSentence(r: IShownReproduction): string {
  const n = r.result?.differences.length ?? 0;
  switch (r.verdict) {
    case 'identical':
      return 'The replay produced the same parameters, metrics and outputs.';
    case 'within_tolerance':
      return `Every metric is within a relative tolerance of ${r.tolerance}.`;
    case 'differs':
      return `The replay differs in ${n} ${n === 1 ? 'value' : 'values'}.`;
    case 'failed':
      return r.result?.failed?.cell !== null &&
        r.result?.failed?.cell !== undefined
        ? `The replay failed in cell ${r.result.failed.cell}.`
        : 'The replay failed.';
    case 'not_reproducible':
      return 'The run cannot be replayed from what it recorded.';
    default:
      return r.state === 'cancelled'
        ? 'The reproduction was cancelled.'
        : 'The reproduction ended without a verdict.';
  }
}

/**
 * Props of ReproducePanel.
 */
export interface IReproducePanelProps {
  /** the reproduction shown (running or the newest), if any */
  reproduction: IShownReproduction | null;
  /** whether it is queued or running */
  running: boolean;
  /** why the last request failed */
  error: string | null;
  /** whether the run has executions to replay (false: an older record) */
  replayable: boolean;
  /** start a reproduction with a relative tolerance */
  onReproduce: (tolerance: number) => void;
  /** cancel the running reproduction */
  onCancel: () => void;
  /** open a run (the replay) */
  onOpenRun: (id: string) => void;
}

/**
 * The Reproduce button, the progress of a reproduction (cell i of n) with Cancel, and its
 * verdict: the differences, the failed cell, what was missing, the environment.
 *
 * @param props panel props
 * @returns the panel
 */
export function ReproducePanel(props: IReproducePanelProps): JSX.Element {
  const [tolerance, setTolerance] = React.useState('0');
  const [problem, setProblem] = React.useState<string | null>(null);
  const r = props.reproduction;
  const start = () => {
    const value = Number(tolerance.trim() || '0');
    if (!Number.isFinite(value) || value < 0) {
      setProblem('The tolerance is a relative difference: a number ≥ 0.');
      return;
    }
    setProblem(null);
    props.onReproduce(value);
  };
  return (
    <div className="jp-Dotscience-reproduce">
      <div className="jp-Dotscience-row">
        <button
          className="jp-Dotscience-button jp-mod-accept"
          disabled={props.running}
          onClick={start}
          title="Run this run's recorded code again in a fresh kernel and compare the results"
        >
          Reproduce
        </button>
        <label className="jp-Dotscience-reproduce-tolerance">
          <span>Relative tolerance</span>
          <input
            className="jp-Dotscience-input jp-Dotscience-bound"
            inputMode="decimal"
            aria-label="Relative tolerance"
            value={tolerance}
            disabled={props.running}
            onChange={e => setTolerance(e.target.value)}
            onKeyDown={e => e.key === 'Enter' && start()}
          />
        </label>
        {props.running && (
          <button className="jp-Dotscience-button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
      {!props.replayable && !r && (
        <div className="jp-Dotscience-muted">
          This run’s record has no executions: reproducing it will say what is
          missing.
        </div>
      )}
      {problem && (
        <div className="jp-Dotscience-error" role="alert">
          {problem}
        </div>
      )}
      {props.error && (
        <div className="jp-Dotscience-error" role="alert">
          {props.error}
        </div>
      )}
      {r && props.running && <Progress reproduction={r} />}
      {r && !props.running && (
        <Verdict reproduction={r} onOpenRun={props.onOpenRun} />
      )}
    </div>
  );
}

function Progress(props: { reproduction: IShownReproduction }) {
  const r = props.reproduction;
  const text =
    r.state === 'queued' || r.cells === 0
      ? 'Preparing the replay…'
      : `Running cell ${Math.min(r.cell + 1, r.cells)} of ${r.cells}`;
  return (
    <div className="jp-Dotscience-reproduce-progress" role="status">
      <span>{text}</span>
      <progress max={Math.max(r.cells, 1)} value={r.cell} aria-label={text} />
    </div>
  );
}

/**
 * A verdict as a badge.
 *
 * @param props the verdict
 * @returns the badge
 */
export function VerdictBadge(props: {
  verdict: RestWire.Verdict;
}): JSX.Element {
  return (
    <span
      className={`jp-Dotscience-badge jp-Dotscience-verdict jp-Dotscience-verdict-${props.verdict}`}
      title={`Reproduced: ${verdictText(props.verdict)}`}
    >
      {verdictText(props.verdict)}
    </span>
  );
}

function Verdict(props: {
  reproduction: IShownReproduction;
  onOpenRun: (id: string) => void;
}) {
  const r = props.reproduction;
  const result = r.result;
  const env = result?.environment;
  const python = env?.python && env.python[0] !== env.python[1];
  return (
    <div
      className="jp-Dotscience-reproduce-verdict"
      data-verdict={r.verdict ?? r.state}
    >
      <div className="jp-Dotscience-row">
        {r.verdict ? (
          <VerdictBadge verdict={r.verdict} />
        ) : (
          <span className="jp-Dotscience-badge">{r.state}</span>
        )}
        <span>{verdictSentence(r)}</span>
        {r.replay_run_id && (
          <button
            className="jp-Dotscience-link"
            title={`Open the replay run ${r.replay_run_id}`}
            onClick={() => props.onOpenRun(r.replay_run_id!)}
          >
            {`Replay run ${shortId(r.replay_run_id)}`}
          </button>
        )}
      </div>
      {result && result.differences.length > 0 && (
        <table className="jp-Dotscience-table jp-Dotscience-differences">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Name</th>
              <th>Original</th>
              <th>Replay</th>
              <th>Relative difference</th>
            </tr>
          </thead>
          <tbody>
            {result.differences.map((d, i) => (
              <tr key={`${d.kind}:${d.name}:${i}`}>
                <td>{d.kind.replace(/_/g, ' ')}</td>
                <td className="jp-Dotscience-mono">{d.name}</td>
                <td className="jp-Dotscience-mono">
                  {differenceValue(d.original)}
                </td>
                <td className="jp-Dotscience-mono">
                  {differenceValue(d.replay)}
                </td>
                <td className="jp-Dotscience-mono">
                  {relativeText(d.relative_difference)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result?.failed && (
        <div className="jp-Dotscience-reproduce-failed">
          <div>
            {`${result.failed.cell === null ? 'The replay' : `Cell ${result.failed.cell}`}${
              result.failed.execution_count === null
                ? ''
                : ` (execution [${result.failed.execution_count}])`
            } failed:`}
          </div>
          <pre className="jp-Dotscience-error jp-Dotscience-errorBox">
            {result.failed.error}
          </pre>
          {result.failed.source !== null && (
            <pre className="jp-Dotscience-source">{result.failed.source}</pre>
          )}
        </div>
      )}
      {result && result.missing.length > 0 && (
        <div>
          <div>Missing:</div>
          <ul className="jp-Dotscience-reproduce-missing">
            {result.missing.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        </div>
      )}
      {result && result.skipped > 0 && (
        <div className="jp-Dotscience-muted">
          {`${result.skipped} failed ${
            result.skipped === 1 ? 'execution was' : 'executions were'
          } not replayed.`}
        </div>
      )}
      {env && (python || env.packages.length > 0) && (
        <details className="jp-Dotscience-reproduce-environment">
          <summary>
            {`Environment differences: ${[
              python ? 'Python' : '',
              env.packages.length > 0
                ? `${env.packages.length} ${env.packages.length === 1 ? 'package' : 'packages'}`
                : ''
            ]
              .filter(Boolean)
              .join(', ')}`}
          </summary>
          <table className="jp-Dotscience-table">
            <thead>
              <tr>
                <th />
                <th>Original</th>
                <th>Replay</th>
              </tr>
            </thead>
            <tbody>
              {python && (
                <tr>
                  <td>Python</td>
                  <td>{env.python![0]}</td>
                  <td>{env.python![1]}</td>
                </tr>
              )}
              {env.packages.map(p => (
                <tr key={p.name}>
                  <td>{p.name}</td>
                  <td>{p.original ?? 'not installed'}</td>
                  <td>{p.replay ?? 'not installed'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}

/**
 * Props of ExecutionsList.
 */
export interface IExecutionsListProps {
  /** the executions, in the order they ran */
  executions: IShownExecution[];
  /** the run's warnings, shown at the cells they concern */
  warnings?: RestWire.IRunWarning[];
  /** jump to a cell in the notebook */
  onJump?: (cellId: string) => void;
}

function originText(e: IShownExecution): string {
  if (e.origin === 'sidebar') {
    return 'from the sidebar';
  }
  if (e.origin === 'setting') {
    return 'from a setting';
  }
  return e.execution_count === null ? 'cell' : `[${e.execution_count}]`;
}

/**
 * The code a run depends on: every execution of its kernel session in the order it ran,
 * the ones inside the run marked, failed ones with their error.
 *
 * @param props the executions
 * @returns the list
 */
export function ExecutionsList(props: IExecutionsListProps): JSX.Element {
  if (props.executions.length === 0) {
    return <div className="jp-Dotscience-muted">No executions recorded.</div>;
  }
  return (
    <ol className="jp-Dotscience-executions">
      {props.executions.map(e => {
        const warnings = (props.warnings ?? []).filter(
          w =>
            w.cell_id !== null &&
            w.cell_id === e.cell_id &&
            (w.execution_count === null ||
              w.execution_count === e.execution_count)
        );
        return (
          <li
            key={e.seq}
            className={
              'jp-Dotscience-execution' +
              (e.in_run ? ' jp-mod-inRun' : '') +
              (e.success === false ? ' jp-mod-failed' : '')
            }
            data-seq={e.seq}
          >
            <span className="jp-Dotscience-cell-head">
              <span className="jp-Dotscience-mono">{originText(e)}</span>
              {e.in_run ? (
                <span className="jp-Dotscience-tag" title="Ran inside the run">
                  in run
                </span>
              ) : (
                <span
                  className="jp-Dotscience-tag jp-Dotscience-muted"
                  title="Ran before the run started: it built the state the run used"
                >
                  before run
                </span>
              )}
              {e.success === false && (
                <span className="jp-Dotscience-error">failed</span>
              )}
              {e.success === null && e.end === null && (
                <span className="jp-Dotscience-muted">published the run</span>
              )}
              {e.cell_id && props.onJump && (
                <button
                  className="jp-Dotscience-link"
                  title="Show this cell in the notebook"
                  onClick={() => props.onJump!(e.cell_id!)}
                >
                  show cell
                </button>
              )}
            </span>
            {warnings.map((w, i) => (
              <span
                key={i}
                className="jp-Dotscience-warning"
                title={warningText(w.kind)}
              >
                {`⚠ ${w.message}`}
              </span>
            ))}
            <pre className="jp-Dotscience-source">
              {e.source ?? '(source not stored)'}
            </pre>
            {e.error && (
              <pre className="jp-Dotscience-error jp-Dotscience-errorBox">
                {e.error}
              </pre>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/**
 * Props of WarningsList.
 */
export interface IWarningsListProps {
  /** the run's hidden-state warnings */
  warnings: RestWire.IRunWarning[];
  /** jump to a cell in the notebook */
  onJump: (cellId: string) => void;
}

/**
 * A run's hidden-state warnings, each with the cell it concerns.
 *
 * @param props the warnings
 * @returns the list
 */
export function WarningsList(props: IWarningsListProps): JSX.Element {
  return (
    <ul className="jp-Dotscience-warnings" aria-label="Hidden-state warnings">
      {props.warnings.map((w, i) => (
        <li key={i} className="jp-Dotscience-warning" data-kind={w.kind}>
          <span className="jp-Dotscience-tag">{warningText(w.kind)}</span>
          <span>{w.message}</span>
          {w.cell_id && (
            <button
              className="jp-Dotscience-link"
              title="Show this cell in the notebook"
              onClick={() => props.onJump(w.cell_id!)}
            >
              {w.execution_count === null
                ? 'show cell'
                : `show cell [${w.execution_count}]`}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * Props of ConfirmReproduce.
 */
export interface IConfirmReproduceProps {
  /** whose run it is */
  confirmation: IReproduceConfirmation;
  /** the code the replay will execute, in order */
  executions: IShownExecution[] | null;
  /** reproduce */
  onConfirm: () => void;
  /** do not */
  onDismiss: () => void;
}

/**
 * Asked before the first reproduction of a run authored by someone else: whose run it is
 * and the code it will execute on this server.
 *
 * @param props the question
 * @returns the dialog
 */
export function ConfirmReproduce(props: IConfirmReproduceProps): JSX.Element {
  const { confirmation, executions } = props;
  const runnable = (executions ?? []).filter(e => e.success !== false);
  const count = confirmation.executions ?? runnable.length;
  return (
    <div className="jp-Dotscience-dialogBackdrop">
      <div
        className="jp-Dotscience-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="jp-Dotscience-confirmReproduce"
        onKeyDown={e => e.key === 'Escape' && props.onDismiss()}
      >
        <h3 id="jp-Dotscience-confirmReproduce">
          {`Reproduce ${confirmation.author}’s run?`}
        </h3>
        <p>
          {`This run was published by ${confirmation.author}. Reproducing it executes its ${count} recorded ${
            count === 1 ? 'cell' : 'cells'
          } in a new kernel on this server, as you. Read the code first:`}
        </p>
        <div className="jp-Dotscience-dialog-body">
          {executions === null ? (
            <div className="jp-Dotscience-muted">
              The code could not be read.
            </div>
          ) : (
            <ExecutionsList executions={runnable} />
          )}
        </div>
        <div className="jp-Dotscience-row jp-Dotscience-dialog-buttons">
          <button
            className="jp-Dotscience-button"
            onClick={props.onDismiss}
            autoFocus
          >
            Cancel
          </button>
          <button
            className="jp-Dotscience-button jp-mod-accept"
            onClick={props.onConfirm}
          >
            Run this code
          </button>
        </div>
      </div>
    </div>
  );
}
