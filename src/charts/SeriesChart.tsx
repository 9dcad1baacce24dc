import React from 'react';
import { requestAPI } from '../api/request';
import { formatValue } from '../values';
import { Chart } from './Chart';
import {
  IChartSeries,
  IMetricPoint,
  IRange,
  downsample,
  metricSeries
} from './data';

/**
 * What a chart asks its source for: about one point per pixel of its width, over the
 * x window it shows (null: everything).
 */
export interface ISeriesRequest {
  points: number;
  window: IRange | null;
}

/**
 * Where a chart's series come from: the server (a stored run) or the browser (a live run,
 * the runs of a compare tab). Answers the series for a request.
 */
export type SeriesLoader = (request: ISeriesRequest) => Promise<IChartSeries[]>;

/**
 * The points a chart of this width asks for: its width rounded up to 100 (a resize by a
 * few pixels does not refetch), at most the server's 10,000.
 *
 * @param width the drawing width in px
 * @returns the points
 */
export function pointsFor(width: number): number {
  return Math.min(10000, Math.max(100, Math.ceil(width / 100) * 100));
}

/**
 * A loader of one stored metric: `GET runs/{id}/metrics/{key}?points=N[&from&to]`, the
 * server's downsampled series (the first and last points exact).
 *
 * @param runId the run
 * @param key the metric
 * @param label legend text (default: the key)
 * @returns the loader
 */
export function storedMetric(
  runId: string,
  key: string,
  label: string = key
): SeriesLoader {
  return async ({ points, window }) => {
    const query = new URLSearchParams({ points: String(points) });
    if (window) {
      query.set('from', String(Math.floor(window.min)));
      query.set('to', String(Math.ceil(window.max)));
    }
    const body = await requestAPI<{ series: IMetricPoint[] }>(
      `runs/${encodeURIComponent(runId)}/metrics/${encodeURIComponent(key)}?${query}`
    );
    return [metricSeries(label, body.series)];
  };
}

/**
 * A loader of series the browser already holds, downsampled with the server's rule.
 *
 * @param series the whole series
 * @returns the loader
 */
export function heldSeries(series: readonly IChartSeries[]): SeriesLoader {
  return async ({ points, window }) =>
    series.map(s => downsample(s, points, window));
}

function windowText(window: IRange, x: 'step' | 'time'): string {
  if (x === 'time') {
    const at = (s: number) => new Date(s * 1000).toLocaleTimeString();
    return `${at(window.min)}–${at(window.max)}`;
  }
  return `steps ${formatValue(Math.floor(window.min))}–${formatValue(Math.ceil(window.max))}`;
}

/**
 * Props of {@link SeriesChart}.
 */
export interface ISeriesChartProps {
  /** the chart's accessible name */
  title: string;
  /** where the series come from (keep it the same object between renders) */
  load: SeriesLoader;
  /** x is a step (default) or a time in seconds */
  x?: 'step' | 'time';
  /** drawing height (default 140) */
  height?: number;
  /** fixed drawing width (default: the container's) */
  width?: number;
  /** a sparkline: no axes, legend, zoom or log switch */
  compact?: boolean;
}

/**
 * A chart that asks its source for about one point per pixel of its width and asks again,
 * for the window only, when the user zooms (drag over x; double-click to zoom out).
 *
 * @param props chart props
 * @returns the chart with a log-scale switch and the zoom window
 */
export function SeriesChart(props: ISeriesChartProps): JSX.Element {
  const { load, compact = false } = props;
  const [points, setPoints] = React.useState(0);
  const [window, setWindow] = React.useState<IRange | null>(null);
  const [log, setLog] = React.useState(false);
  const [series, setSeries] = React.useState<IChartSeries[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  const [loading, setLoading] = React.useState(true);
  const onWidth = React.useCallback((w: number) => setPoints(pointsFor(w)), []);
  React.useEffect(() => {
    if (points <= 0) {
      return;
    }
    let current = true;
    setLoading(true);
    load({ points, window }).then(
      got => {
        if (current) {
          setSeries(got);
          setError(null);
          setLoading(false);
        }
      },
      (e: unknown) => {
        if (current) {
          setError(
            `Could not load the series: ${(e as Error)?.message ?? String(e)}`
          );
          setLoading(false);
        }
      }
    );
    return () => {
      current = false;
    };
  }, [load, points, window]);
  return (
    <div
      className="jp-Dotscience-seriesChart"
      data-loading={loading ? 'true' : 'false'}
    >
      {!compact && (
        <div className="jp-Dotscience-chartTools">
          <label title="Logarithmic y axis (values at or below zero are left out)">
            <input
              type="checkbox"
              checked={log}
              onChange={e => setLog(e.currentTarget.checked)}
            />
            log y
          </label>
          {window && (
            <>
              <span className="jp-Dotscience-muted">
                {windowText(window, props.x ?? 'step')}
              </span>
              <button
                className="jp-Dotscience-link"
                onClick={() => setWindow(null)}
              >
                Zoom out
              </button>
            </>
          )}
        </div>
      )}
      {error && (
        <div className="jp-Dotscience-error" role="alert">
          {error}
        </div>
      )}
      <Chart
        title={props.title}
        series={series}
        x={props.x}
        log={log}
        height={props.height}
        width={props.width}
        compact={compact}
        onWidth={onWidth}
        onZoom={compact ? undefined : setWindow}
        empty={loading ? 'Loading…' : undefined}
      />
    </div>
  );
}

/**
 * The chart of one stored metric of a run, fetched from the server at about one point per
 * pixel and again for a zoomed window.
 *
 * @param props the run, the metric and the drawing height
 * @param props.runId the run
 * @param props.metricKey the metric
 * @param props.height drawing height (default 160)
 * @returns the chart
 */
export function StoredMetricChart(props: {
  runId: string;
  metricKey: string;
  height?: number;
}): JSX.Element {
  const { runId, metricKey } = props;
  const load = React.useMemo(
    () => storedMetric(runId, metricKey),
    [runId, metricKey]
  );
  return (
    <SeriesChart
      title={`${metricKey} over steps`}
      load={load}
      height={props.height ?? 160}
    />
  );
}
