import React from 'react';
import { Chart } from '../charts/Chart';
import { shortId } from '../format';
import { formatValue } from '../values';
import { SweepWire } from './api';
import { ParallelCoordinates } from './ParallelCoordinates';
import {
  objectiveSeries,
  rowId,
  sweepDimensions,
  trialRows
} from './sweepModel';

/**
 * Props of {@link SweepView}.
 */
export interface ISweepViewProps {
  sweep: SweepWire.ISweep;
  /** why the last read or cancel failed */
  error: string | null;
  cancelling: boolean;
  onCancel: () => void;
  onOpenRun: (id: string) => void;
}

const STATE_TEXT: Record<SweepWire.State, string> = {
  running: 'running',
  done: 'finished',
  cancelled: 'cancelled',
  stopped: 'stopped (its server stopped)'
};

/**
 * A value of a trial as text.
 */
function valueText(v: unknown): string {
  if (
    v === null ||
    v === undefined ||
    typeof v === 'number' ||
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'object' && '$float' in (v as object))
  ) {
    return formatValue(v as any);
  }
  return JSON.stringify(v);
}

/**
 * The sweep view: progress, the best trial so far, the objective over trials, the
 * parallel-coordinates plot of the trials (brushing it filters the table), the trials
 * (each linking to its run) and Cancel.
 */
export function SweepView(props: ISweepViewProps): JSX.Element {
  const { sweep, error, cancelling, onCancel, onOpenRun } = props;
  const [shown, setShown] = React.useState<Set<string> | null>(null);
  const trials = React.useMemo(
    () => [...(sweep.trials ?? [])].sort((a, b) => a.number - b.number),
    [sweep.trials]
  );
  const metric = sweep.spec.metric;
  const { dimensions, log } = React.useMemo(
    () => sweepDimensions(sweep),
    [sweep.spec]
  );
  const rows = React.useMemo(() => trialRows(sweep), [sweep]);
  const series = React.useMemo(
    () => (metric ? objectiveSeries(trials, metric.goal ?? 'minimize') : []),
    [trials, metric]
  );
  const c = sweep.counts;
  const total = sweep.spec.run_cap;
  const finished = c.done + c.pruned + c.failed + c.cancelled;
  const params = dimensions.filter(d => d !== metric?.name);
  const bestTrial = sweep.best
    ? trials.find(t => t.number === sweep.best!.trial)
    : undefined;
  const onFilter = React.useCallback(
    (ids: string[] | null) => setShown(ids ? new Set(ids) : null),
    []
  );
  const runLink = (t: SweepWire.ITrial) =>
    t.run_id ? (
      <button
        type="button"
        className="jp-Dotscience-link"
        title={`Open run ${t.run_id}`}
        onClick={() => onOpenRun(t.run_id!)}
      >
        {shortId(t.run_id)}
      </button>
    ) : (
      <span className="jp-Dotscience-muted">—</span>
    );

  return (
    <div className="jp-Dotscience-sweep" data-state={sweep.state}>
      <div className="jp-Dotscience-sweep-head">
        <h2>
          Sweep {shortId(sweep.id)} of <code>{sweep.notebook}</code>
        </h2>
        <span
          className={`jp-Dotscience-sweep-state jp-mod-${sweep.state}`}
          data-testid="sweep-state"
        >
          {STATE_TEXT[sweep.state] ?? sweep.state}
        </span>
        {sweep.state === 'running' && (
          <button
            type="button"
            className="jp-mod-styled jp-mod-warn"
            disabled={cancelling}
            onClick={onCancel}
          >
            {cancelling ? 'Cancelling…' : 'Cancel sweep'}
          </button>
        )}
      </div>
      <div className="jp-Dotscience-muted">
        {sweep.spec.method} search · {sweep.backend} backend · up to{' '}
        {sweep.spec.parallelism} at a time
        {metric ? ` · ${metric.goal} ${metric.name}` : ''}
      </div>
      {error && (
        <div className="jp-Dotscience-error" role="alert">
          {error}
        </div>
      )}
      {sweep.message && (
        <div className="jp-Dotscience-warning">{sweep.message}</div>
      )}
      <div className="jp-Dotscience-sweep-progress" aria-live="polite">
        <progress max={Math.max(1, total)} value={Math.min(finished, total)} />
        <span data-testid="sweep-counts">
          {finished} of {total} trials finished: {c.done} done, {c.running}{' '}
          running, {c.pruned} pruned, {c.failed} failed
          {c.cancelled ? `, ${c.cancelled} cancelled` : ''}
        </span>
      </div>
      <div className="jp-Dotscience-sweep-best" data-testid="sweep-best">
        {sweep.best && metric ? (
          <>
            Best so far: trial {sweep.best.trial}, {metric.name}{' '}
            <strong>{formatValue(sweep.best.value)}</strong>
            {bestTrial && params.length > 0 && (
              <>
                {' '}
                with{' '}
                {params
                  .map(p => `${p} = ${valueText(bestTrial.values[p])}`)
                  .join(', ')}
              </>
            )}
            {bestTrial && <> · run {runLink(bestTrial)}</>}
          </>
        ) : (
          <span className="jp-Dotscience-muted">
            No trial has {metric ? `a ${metric.name}` : 'an objective'} yet.
          </span>
        )}
      </div>
      {metric && (
        <section className="jp-Dotscience-sweep-chart">
          <h3>{metric.name} over trials</h3>
          <Chart
            title={`${metric.name} over trials`}
            series={series}
            height={160}
            empty="No finished trial has an objective yet."
          />
        </section>
      )}
      {dimensions.length > 0 && rows.length > 0 && (
        <section>
          <h3>Trials by parameter</h3>
          <ParallelCoordinates
            title="Trials by parameter"
            rows={rows}
            dimensions={dimensions}
            log={log}
            highlight={bestTrial ? rowId(bestTrial) : null}
            onFilter={onFilter}
            onOpen={id => !id.startsWith('trial:') && onOpenRun(id)}
          />
        </section>
      )}
      <section>
        <h3>
          Trials
          {shown
            ? ` (${shown.size} of ${trials.length} inside the brushes)`
            : ''}
        </h3>
        <table className="jp-Dotscience-sweep-trials">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">state</th>
              {params.map(p => (
                <th scope="col" key={p}>
                  {p}
                </th>
              ))}
              <th scope="col">{metric?.name ?? 'objective'}</th>
              <th scope="col">run</th>
            </tr>
          </thead>
          <tbody>
            {trials
              .filter(t => !shown || shown.has(rowId(t)))
              .map(t => (
                <tr
                  key={t.number}
                  data-trial={t.number}
                  className={t.best ? 'jp-mod-best' : undefined}
                >
                  <td>
                    {t.number}
                    {t.best && (
                      <span className="jp-Dotscience-best" title="best trial">
                        {' '}
                        ★
                      </span>
                    )}
                  </td>
                  <td
                    className={`jp-Dotscience-trial-state jp-mod-${t.state}`}
                    title={t.error ?? undefined}
                  >
                    {t.state}
                    {t.error && (
                      <div className="jp-Dotscience-trial-error">{t.error}</div>
                    )}
                  </td>
                  {params.map(p => (
                    <td key={p}>{valueText(t.values[p])}</td>
                  ))}
                  <td>{valueText(t.objective)}</td>
                  <td>{runLink(t)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </section>
      {sweep.spec_yaml && (
        <details>
          <summary>Spec</summary>
          <pre className="jp-Dotscience-sweep-yaml">{sweep.spec_yaml}</pre>
        </details>
      )}
    </div>
  );
}
