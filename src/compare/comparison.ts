/**
 * Side-by-side comparison of runs: which values differ, which metric value is best.
 */
import { formatValue, numeric } from '../values';
import { formatDuration } from '../time';
import { RestWire } from '../api/rest';

/**
 * A row of the compare table: one key, one value per run.
 */
export interface ICompareRow {
  key: string;
  /** the value's text per run; null where the run has no such key */
  values: (string | null)[];
  /** true when not every run has the same value */
  differs: boolean;
}

/**
 * A metric row: last values and the best among them.
 */
export interface IMetricRow extends ICompareRow {
  /** the last value per run as a number (null when missing or not numeric) */
  numbers: (number | null)[];
  /** indices of the runs holding the best value (empty when fewer than two compare) */
  best: number[];
  /** whether a larger value is better for this key */
  higherIsBetter: boolean;
}

/**
 * The comparison of some runs.
 */
export interface IComparison {
  fields: ICompareRow[];
  parameters: ICompareRow[];
  labels: ICompareRow[];
  metrics: IMetricRow[];
}

const LOWER_IS_BETTER =
  /loss|err|mse|mae|rmse|mape|perplexity|latency|time|duration|cost/i;

/**
 * Whether a larger value of a metric is better, guessed from its name.
 *
 * @param key metric name
 * @returns false for names such as `loss`, `val_error`, `rmse`; true otherwise
 */
export function higherIsBetter(key: string): boolean {
  return !LOWER_IS_BETTER.test(key);
}

function row(key: string, values: (string | null)[]): ICompareRow {
  const differs = values.some(v => v !== values[0]);
  return { key, values, differs };
}

function keysOf(objects: object[]): string[] {
  const keys = new Set<string>();
  objects.forEach(o => Object.keys(o).forEach(k => keys.add(k)));
  return [...keys].sort();
}

/**
 * Compare runs.
 *
 * @param runs two or more whole runs, in column order
 * @returns rows for fields, parameters, labels and metrics
 */
export function compareRuns(runs: RestWire.IRun[]): IComparison {
  const fields: ICompareRow[] = [
    row(
      'status',
      runs.map(r => r.status)
    ),
    row(
      'author',
      runs.map(r => r.author)
    ),
    row(
      'notebook / script',
      runs.map(r => r.notebook ?? r.workload_file)
    ),
    row(
      'duration',
      runs.map(r => formatDuration(r.start, r.end))
    ),
    row(
      'git commit',
      runs.map(r => r.environment?.git?.commit?.slice(0, 10) ?? null)
    )
  ];
  const parameters = keysOf(runs.map(r => r.parameters)).map(key =>
    row(
      key,
      runs.map(r => r.parameters[key]?.text ?? null)
    )
  );
  const labels = keysOf(runs.map(r => r.labels)).map(key =>
    row(
      key,
      runs.map(r => r.labels[key] ?? null)
    )
  );
  const metrics = keysOf(runs.map(r => r.metrics)).map(key => {
    const last = runs.map(r => {
      const series = r.metrics[key];
      return series && series.length ? series[series.length - 1] : null;
    });
    const base = row(
      key,
      last.map(p => (p ? p.text || formatValue(p.value) : null))
    );
    const numbers = last.map(p => (p ? numeric(p.value) : null));
    const higher = higherIsBetter(key);
    return {
      ...base,
      numbers,
      higherIsBetter: higher,
      best: bestIndices(numbers, higher)
    };
  });
  return { fields, parameters, labels, metrics };
}

/**
 * The positions of the best finite values.
 *
 * @param numbers a value per run (null when missing)
 * @param higher whether larger is better
 * @returns the indices holding the best value (ties all count), or none when fewer than
 * two values are comparable
 */
export function bestIndices(
  numbers: (number | null)[],
  higher: boolean
): number[] {
  const finite = numbers
    .map((v, i) => ({ v, i }))
    .filter(
      (e): e is { v: number; i: number } => e.v !== null && isFinite(e.v)
    );
  if (finite.length < 2) {
    return [];
  }
  const target = higher
    ? Math.max(...finite.map(e => e.v))
    : Math.min(...finite.map(e => e.v));
  return finite.filter(e => e.v === target).map(e => e.i);
}
