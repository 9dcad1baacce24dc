import { RestWire } from '../api/rest';
import { runTitle } from '../format';
import { summaryValue } from '../runs/compact';
import { formatStamp } from '../time';
import { formatValue } from '../values';

/**
 * A field every run has (a column of the runs table in the store).
 */
export type FieldKey =
  'name' | 'status' | 'received' | 'start' | 'author' | 'project' | 'notebook';

/**
 * A column of the Runs table: a field, a parameter, a metric (its last, smallest or
 * largest value) or a label.
 */
export type Column =
  | { kind: 'field'; key: FieldKey }
  | { kind: 'param'; key: string }
  | { kind: 'metric'; key: string; stat: MetricStat }
  | { kind: 'label'; key: string };

/**
 * Which value of a metric's series a column shows.
 */
export type MetricStat = 'last' | 'min' | 'max';

/**
 * A run summary with the smallest and largest value of each metric (`metric_min`,
 * `metric_max`: the table lists runs with `GET runs?stats=true`).
 */
export type TableRun = RestWire.IRunSummary;

/**
 * The statistics a metric column can show, in the order the column picker offers them.
 */
export const METRIC_STATS: readonly MetricStat[] = ['last', 'min', 'max'];

const METRIC_MAPS = {
  last: 'metrics',
  min: 'metric_min',
  max: 'metric_max'
} as const;

/**
 * The stable id of a column (also its key in width and filter maps).
 *
 * @param column the column
 * @returns e.g. `param:alpha`, `metric:loss:min`
 */
export function columnId(column: Column): string {
  return column.kind === 'metric'
    ? `metric:${column.key}:${column.stat}`
    : `${column.kind}:${column.key}`;
}

/**
 * Every field a column can show, in the order the column picker lists them.
 */
export const FIELD_KEYS: readonly FieldKey[] = [
  'name',
  'status',
  'received',
  'start',
  'author',
  'project',
  'notebook'
];

const FIELD_TITLES: Record<FieldKey, string> = {
  name: 'Run',
  status: 'Status',
  received: 'Published',
  start: 'Started',
  author: 'Author',
  project: 'Project',
  notebook: 'Notebook or script'
};

/**
 * The header text of a column.
 *
 * @param column the column
 * @returns e.g. `alpha`, `loss (min)`
 */
export function columnTitle(column: Column): string {
  switch (column.kind) {
    case 'field':
      return FIELD_TITLES[column.key];
    case 'metric':
      return column.stat === 'last'
        ? column.key
        : `${column.key} (${column.stat})`;
    default:
      return column.key;
  }
}

/**
 * The server's sort for a column (`GET runs?sort=`), or null when the server cannot sort
 * by it (a label).
 *
 * @param column the column
 * @returns e.g. `param:alpha`, `metric:loss`, `metric.min:loss`, `received`
 */
export function serverSort(column: Column): string | null {
  switch (column.kind) {
    case 'field':
      return column.key === 'name' ? 'description' : column.key;
    case 'param':
      return `param:${column.key}`;
    case 'metric':
      return column.stat === 'last'
        ? `metric:${column.key}`
        : `metric.${column.stat}:${column.key}`;
    default:
      return null;
  }
}

/**
 * A column's width before the user drags it: the run's name is wide, a time fits
 * `2026-11-27 07:30:00` in the code font, the rest 120 px.
 *
 * @param column the column
 * @returns the width in px
 */
export function defaultWidth(column: Column): number {
  if (column.kind !== 'field') {
    return 120;
  }
  return column.key === 'name'
    ? 240
    : column.key === 'received' || column.key === 'start'
      ? 168
      : 120;
}

/**
 * The text of a cell.
 *
 * @param run the row's run
 * @param column the column
 * @returns what the cell shows (an em dash when the run has no value)
 */
export function cellText(run: TableRun, column: Column): string {
  switch (column.kind) {
    case 'field':
      if (column.key === 'name') {
        return runTitle(run);
      }
      if (column.key === 'notebook') {
        return run.notebook ?? run.workload_file ?? '—';
      }
      if (column.key === 'received' || column.key === 'start') {
        return formatStamp(run[column.key]); // as the column's filter reads it
      }
      return String(run[column.key] ?? '—');
    case 'param':
      return summaryValue(run, 'parameters', column.key) ?? '—';
    case 'label':
      return summaryValue(run, 'labels', column.key) ?? '—';
    case 'metric':
      return formatValue(
        summaryValue(run, METRIC_MAPS[column.stat], column.key)
      );
  }
}

/**
 * The columns a new table starts with: the run, its status and time, the first few
 * parameters and metrics seen.
 *
 * @param paramKeys parameter keys seen
 * @param metricKeys metric keys seen
 * @returns the columns
 */
export function defaultColumns(
  paramKeys: string[],
  metricKeys: string[]
): Column[] {
  return [
    { kind: 'field', key: 'name' },
    { kind: 'field', key: 'status' },
    { kind: 'field', key: 'received' },
    ...paramKeys.slice(0, 8).map(key => ({ kind: 'param' as const, key })),
    ...metricKeys
      .slice(0, 8)
      .map(key => ({ kind: 'metric' as const, key, stat: 'last' as const }))
  ];
}

/**
 * Every column that can be chosen for the keys seen, fields first, then parameters,
 * metrics (each as its last value, then its smallest and largest: "loss", "loss (min)",
 * "loss (max)") and labels.
 *
 * @param keys parameter, metric and label keys seen
 * @returns the columns
 */
export function availableColumns(keys: {
  params: Iterable<string>;
  metrics: Iterable<string>;
  labels: Iterable<string>;
}): Column[] {
  const columns: Column[] = FIELD_KEYS.map(key => ({ kind: 'field', key }));
  for (const key of [...keys.params].sort()) {
    columns.push({ kind: 'param', key });
  }
  for (const key of [...keys.metrics].sort()) {
    for (const stat of METRIC_STATS) {
      columns.push({ kind: 'metric', key, stat });
    }
  }
  for (const key of [...keys.labels].sort()) {
    columns.push({ kind: 'label', key });
  }
  return columns;
}
