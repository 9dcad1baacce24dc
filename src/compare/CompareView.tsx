import React from 'react';
import { compareRuns, ICompareRow, IMetricRow } from './comparison';
import { runTitle, shortId } from '../format';
import { RestWire } from '../api/rest';
import { SeriesChart, heldSeries } from '../charts/SeriesChart';
import { metricSeries } from '../charts/data';
import { seriesVariable } from '../charts/options';

/**
 * Props of CompareView.
 */
export interface ICompareViewProps {
  /** the runs, in column order */
  runs: RestWire.IRun[];
  /** open a run's detail */
  onOpenRun: (id: string) => void;
}

function Rows(props: {
  title: string;
  rows: ICompareRow[];
  metric?: boolean;
}): JSX.Element | null {
  if (!props.rows.length) {
    return null;
  }
  return (
    <>
      <tr className="jp-Dotscience-compare-group">
        <th colSpan={props.rows[0].values.length + 1} scope="colgroup">
          {props.title}
        </th>
      </tr>
      {props.rows.map(row => {
        const best = props.metric ? (row as IMetricRow).best : [];
        return (
          <tr
            key={row.key}
            className={row.differs ? 'jp-mod-differs' : undefined}
            data-key={row.key}
          >
            <th
              scope="row"
              title={
                props.metric
                  ? (row as IMetricRow).higherIsBetter
                    ? 'Higher is better'
                    : 'Lower is better'
                  : row.differs
                    ? 'Values differ'
                    : 'Same in every run'
              }
            >
              {row.key}
              {row.differs && (
                <span className="jp-Dotscience-differs" aria-label="differs">
                  ≠
                </span>
              )}
            </th>
            {row.values.map((v, i) => (
              <td
                key={i}
                className={best.includes(i) ? 'jp-mod-best' : undefined}
                title={best.includes(i) ? 'Best value' : undefined}
              >
                {v ?? '—'}
                {best.includes(i) && (
                  <span className="jp-Dotscience-best" aria-label="best">
                    {' ★'}
                  </span>
                )}
              </td>
            ))}
          </tr>
        );
      })}
    </>
  );
}

/**
 * One metric of every compared run overlaid, each series downsampled in the browser to
 * about a point per pixel (and again for a zoomed window).
 *
 * @param props the runs, their legend labels and the metric
 * @returns the chart
 */
function MetricOfRuns(props: {
  runs: RestWire.IRun[];
  labels: string[];
  metricKey: string;
}): JSX.Element {
  const { runs, labels, metricKey } = props;
  const load = React.useMemo(
    () =>
      heldSeries(
        runs.map((r, i) => metricSeries(labels[i], r.metrics[metricKey] ?? []))
      ),
    [runs, labels.join('\u0000'), metricKey]
  );
  return (
    <SeriesChart title={`${metricKey}: every run`} load={load} height={160} />
  );
}

/**
 * Runs side by side: differing rows highlighted, the best metric value starred and each
 * metric's series overlaid in one chart.
 *
 * @param props view props
 * @returns the comparison
 */
export function CompareView(props: ICompareViewProps): JSX.Element {
  const { runs } = props;
  const cmp = compareRuns(runs);
  const labels = runs.map(r => `${runTitle(r)}`);
  return (
    <div className="jp-Dotscience-compare">
      <table className="jp-Dotscience-table jp-Dotscience-compareTable">
        <thead>
          <tr>
            <th />
            {runs.map((r, i) => (
              <th key={r.id} scope="col">
                <span
                  className="jp-Dotscience-swatch jp-Dotscience-legendSwatch"
                  style={{ background: `var(${seriesVariable(i)})` }}
                  aria-hidden="true"
                />
                <button
                  className="jp-Dotscience-link"
                  title={`Open run ${r.id}`}
                  onClick={() => props.onOpenRun(r.id)}
                >
                  {labels[i]}
                </button>
                <div className="jp-Dotscience-muted jp-Dotscience-mono">
                  {shortId(r.id)}
                </div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <Rows title="Run" rows={cmp.fields} />
          <Rows title="Parameters" rows={cmp.parameters} />
          <Rows title="Labels" rows={cmp.labels} />
          <Rows title="Metrics (last value)" rows={cmp.metrics} metric />
        </tbody>
      </table>
      {cmp.metrics.length > 0 && (
        <div className="jp-Dotscience-metrics">
          {cmp.metrics.map(m => (
            <div key={m.key} className="jp-Dotscience-metric">
              <div className="jp-Dotscience-metric-head">
                <span>{m.key}</span>
              </div>
              <MetricOfRuns runs={runs} labels={labels} metricKey={m.key} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
