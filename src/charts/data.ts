/**
 * What a chart draws, prepared without the chart library: metric points to numbers, the
 * server's downsampling rule for series held in the browser, several series joined on one
 * x axis, ranges. No function here spreads an array into arguments (`Math.max(...xs)`),
 * which throws `RangeError: Maximum call stack size exceeded` past about 100,000 points.
 */
import { numberSteps } from '../steps';
import { numeric } from '../values';

/**
 * One line of a chart.
 */
export interface IChartSeries {
  /** legend text */
  label: string;
  /** x of each point (a step, or seconds since the epoch), in drawing order */
  x: ArrayLike<number>;
  /** y of each point; null (or a non-finite number) is a gap */
  y: ArrayLike<number | null>;
}

/**
 * What the chart library draws: one ascending x array and one y array per series, the
 * same length, null where a series has no point at that x.
 */
export type Aligned = [number[], ...(number | null)[][]];

/**
 * A stored or live metric point, as the REST API and the kernel bridge give them.
 */
export interface IMetricPoint {
  value: unknown;
  step?: number | null;
  time?: string | null;
}

/**
 * A metric series as a chart series: x the step (numbered as the kernel library numbers
 * them) or the time in seconds, y the numeric value (text, booleans, null, NaN and
 * infinities become gaps).
 *
 * @param label legend text
 * @param points the metric's points, in logged order
 * @param x `step` or `time` (points without a readable time are left out)
 * @returns the series
 */
export function metricSeries(
  label: string,
  points: readonly IMetricPoint[],
  x: 'step' | 'time' = 'step'
): IChartSeries {
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  const steps = x === 'step' ? numberSteps(points) : null;
  for (let i = 0; i < points.length; i++) {
    const at = steps ? steps[i] : timeSeconds(points[i].time);
    if (at === null) {
      continue;
    }
    const y = numeric(points[i].value);
    xs.push(at);
    ys.push(y !== null && Number.isFinite(y) ? y : null);
  }
  return { label, x: xs, y: ys };
}

function timeSeconds(time: string | null | undefined): number | null {
  if (typeof time !== 'string') {
    return null;
  }
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/**
 * The positions to keep so that at most `points` points draw a series' shape: the rule of
 * the server's `jupyterlab_dotscience/downsample.py` (`pick`) for series the browser holds
 * (the live Current run, the runs of a compare tab). The points between the first and the
 * last are cut into `(points - 2) / 2` buckets; each keeps its smallest and largest finite
 * value (its first point when it has none); the first and last points are always kept.
 *
 * @param values the y of each point (null or non-finite: a gap)
 * @param points the most positions to return (at least 1)
 * @returns increasing positions
 */
export function pick(
  values: ArrayLike<number | null>,
  points: number
): number[] {
  const n = values.length;
  const want = Math.max(1, Math.floor(points));
  const keep: number[] = [];
  if (n <= want) {
    for (let i = 0; i < n; i++) {
      keep.push(i);
    }
    return keep;
  }
  if (want === 1) {
    return [n - 1];
  }
  const buckets = Math.floor((want - 2) / 2);
  const inner = n - 2;
  keep.push(0);
  for (let b = 0; b < buckets; b++) {
    const a = 1 + Math.floor((b * inner) / buckets);
    const z = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (a >= z) {
      continue;
    }
    let low = -1;
    let high = -1;
    for (let i = a; i < z; i++) {
      const v = values[i];
      if (v === null || !Number.isFinite(v)) {
        continue;
      }
      if (low < 0 || v < (values[low] as number)) {
        low = i;
      }
      if (high < 0 || v > (values[high] as number)) {
        high = i;
      }
    }
    if (low < 0) {
      keep.push(a);
    } else if (low === high) {
      keep.push(low);
    } else {
      keep.push(Math.min(low, high), Math.max(low, high));
    }
  }
  keep.push(n - 1);
  return keep;
}

/**
 * A series cut to an x window and downsampled with {@link pick}.
 *
 * @param series the whole series
 * @param points the most points to keep
 * @param window inclusive x bounds, or null for all of it
 * @returns the smaller series
 */
export function downsample(
  series: IChartSeries,
  points: number,
  window: IRange | null = null
): IChartSeries {
  let xs: number[] = [];
  let ys: (number | null)[] = [];
  if (window) {
    for (let i = 0; i < series.x.length; i++) {
      const x = series.x[i];
      if (x >= window.min && x <= window.max) {
        xs.push(x);
        ys.push(series.y[i]);
      }
    }
  } else {
    xs = Array.from(series.x);
    ys = Array.from(series.y);
  }
  const kept = pick(ys, points);
  return {
    label: series.label,
    x: kept.map(i => xs[i]),
    y: kept.map(i => ys[i])
  };
}

/**
 * An inclusive range of x values.
 */
export interface IRange {
  min: number;
  max: number;
}

/**
 * Several series on one ascending x axis, as the chart library wants them: every x of
 * any series once, each series null where it has no point (a later point at the same x
 * wins). The total is x count times series count, so callers downsample first.
 *
 * @param series the series, in legend order
 * @returns the aligned arrays
 */
export function align(series: readonly IChartSeries[]): Aligned {
  if (series.length === 1 && ascending(series[0].x)) {
    return [Array.from(series[0].x), Array.from(series[0].y, finiteOrNull)];
  }
  const all = new Set<number>();
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      if (Number.isFinite(s.x[i])) {
        all.add(s.x[i]);
      }
    }
  }
  const xs = Array.from(all).sort((a, b) => a - b);
  const at = new Map<number, number>();
  xs.forEach((x, i) => at.set(x, i));
  const out: Aligned = [xs];
  for (const s of series) {
    const ys: (number | null)[] = new Array(xs.length).fill(null);
    for (let i = 0; i < s.x.length; i++) {
      const slot = at.get(s.x[i]);
      if (slot !== undefined) {
        ys[slot] = finiteOrNull(s.y[i]);
      }
    }
    out.push(ys);
  }
  return out;
}

function ascending(xs: ArrayLike<number>): boolean {
  for (let i = 1; i < xs.length; i++) {
    if (!(xs[i] > xs[i - 1])) {
      return false;
    }
  }
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) {
      return false;
    }
  }
  return true;
}

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

/**
 * The smallest and largest finite y of some series (on a log scale: of the positive ones),
 * found with a loop.
 *
 * @param series the series
 * @param positiveOnly leave out values at or below zero (a log scale cannot place them)
 * @returns the range, or null when there is no such value
 */
export function yRange(
  series: readonly IChartSeries[],
  positiveOnly = false
): IRange | null {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.y.length; i++) {
      const v = s.y[i];
      if (v === null || !Number.isFinite(v) || (positiveOnly && v <= 0)) {
        continue;
      }
      if (v < min) {
        min = v;
      }
      if (v > max) {
        max = v;
      }
    }
  }
  return min <= max ? { min, max } : null;
}

/**
 * How many points of the series can be drawn (finite y).
 *
 * @param series the series
 * @returns the count
 */
export function drawable(series: readonly IChartSeries[]): number {
  let n = 0;
  for (const s of series) {
    for (let i = 0; i < s.y.length; i++) {
      const v = s.y[i];
      if (v !== null && Number.isFinite(v)) {
        n++;
      }
    }
  }
  return n;
}
