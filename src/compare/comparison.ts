/**
 * Comparison of up to 500 runs (the answer of `POST runs/compare`): which fields differ,
 * the best value of each metric by its direction, and the dimensions of the
 * parallel-coordinates plot and the scatter plot.
 */
import { formatValue, numeric, ownValue } from '../values';
import type { Direction, ICompareRun } from '../diff/api';

/**
 * One field of the comparison: a parameter, an input's content, a label, a metric or a
 * run field; one value per run.
 */
export interface IField {
  /** unique: `param:alpha`, `input:data/x.csv`, `label:team`, `metric:loss`, `run:status` */
  id: string;
  kind: 'run' | 'param' | 'input' | 'label' | 'metric';
  /** the name shown */
  name: string;
  /** the value per run (typed value, text, a content hash; undefined: the run has none) */
  values: unknown[];
  /** the text shown per run (null: none) */
  texts: (string | null)[];
  /** whether not every run has the same value */
  differs: boolean;
}

/**
 * A metric field: its numbers and the best runs by its direction.
 */
export interface IMetricField extends IField {
  kind: 'metric';
  numbers: (number | null)[];
  /** the direction stored on the server, else the one guessed from its name */
  direction: Direction;
  /** whether the direction was guessed (none is stored) */
  guessed: boolean;
  /** indices of the runs with the best value (empty when fewer than two compare) */
  best: number[];
}

/**
 * The comparison of some runs.
 */
export interface IComparison {
  runs: ICompareRun[];
  fields: IField[];
  parameters: IField[];
  inputs: IField[];
  labels: IField[];
  metrics: IMetricField[];
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
  let target: number | null = null;
  let count = 0;
  for (const v of numbers) {
    if (v === null || !isFinite(v)) {
      continue;
    }
    count++;
    if (target === null || (higher ? v > target : v < target)) {
      target = v;
    }
  }
  if (count < 2) {
    return [];
  }
  const out: number[] = [];
  numbers.forEach((v, i) => v === target && out.push(i));
  return out;
}

function keysOf(objects: object[]): string[] {
  const keys = new Set<string>();
  objects.forEach(o => Object.keys(o).forEach(k => keys.add(k)));
  return [...keys].sort();
}

function sameKey(v: unknown): string {
  return v === undefined ? '\u0000none' : JSON.stringify(v);
}

function field(
  id: string,
  kind: IField['kind'],
  name: string,
  values: unknown[],
  texts: (string | null)[]
): IField {
  const first = sameKey(values[0]);
  const differs = values.some(v => sameKey(v) !== first);
  return { id, kind, name, values, texts, differs };
}

/** A content hash as shown: its first 12 digits (none: "—" is the view's). */
export function shortHash(sha: string | null | undefined): string | null {
  return sha ? sha.slice(0, 12) : null;
}

/**
 * Compare runs.
 *
 * @param runs the runs (`POST runs/compare`), in order
 * @param directions the stored direction of each metric
 * @returns the fields, each with a value per run
 */
export function compareRuns(
  runs: ICompareRun[],
  directions: Record<string, Direction> = {}
): IComparison {
  const fields: IField[] = [
    field(
      'run:status',
      'run',
      'status',
      runs.map(r => r.status),
      runs.map(r => r.status)
    ),
    field(
      'run:author',
      'run',
      'author',
      runs.map(r => r.author),
      runs.map(r => r.author)
    ),
    field(
      'run:notebook',
      'run',
      'notebook / script',
      runs.map(r => r.notebook ?? r.workload_file ?? undefined),
      runs.map(r => r.notebook ?? r.workload_file)
    ),
    field(
      'run:python',
      'run',
      'python',
      runs.map(r => r.environment?.python ?? undefined),
      runs.map(r => r.environment?.python ?? null)
    ),
    field(
      'run:packages',
      'run',
      'packages',
      runs.map(r => shortHash(r.environment?.packages_sha256) ?? undefined),
      runs.map(r =>
        r.environment
          ? `${r.environment.packages} (${shortHash(r.environment.packages_sha256) ?? '—'})`
          : null
      )
    ),
    field(
      'run:git',
      'run',
      'git commit',
      runs.map(r => r.environment?.git_commit ?? undefined),
      runs.map(r => r.environment?.git_commit?.slice(0, 10) ?? null)
    )
  ];
  const parameters = keysOf(runs.map(r => r.parameters)).map(key =>
    field(
      `param:${key}`,
      'param',
      key,
      runs.map(r => ownValue(r.parameters, key)?.value),
      runs.map(r => ownValue(r.parameters, key)?.text ?? null)
    )
  );
  const inputOf = (r: ICompareRun) =>
    Object.fromEntries(r.inputs.map(i => [i.path, i.sha256 ?? 'no hash']));
  const inputMaps = runs.map(inputOf);
  const inputs = keysOf(inputMaps).map(path =>
    field(
      `input:${path}`,
      'input',
      path,
      inputMaps.map(m => shortHash(ownValue(m, path)) ?? undefined),
      inputMaps.map(m => shortHash(ownValue(m, path)))
    )
  );
  const labels = keysOf(runs.map(r => r.labels)).map(key =>
    field(
      `label:${key}`,
      'label',
      key,
      runs.map(r => ownValue(r.labels, key)),
      runs.map(r => ownValue(r.labels, key) ?? null)
    )
  );
  const metrics = keysOf(runs.map(r => r.metrics)).map(key => {
    const last = runs.map(r => ownValue(r.metrics, key));
    const base = field(
      `metric:${key}`,
      'metric',
      key,
      last.map(m => m?.value),
      last.map(m => (m ? m.text || formatValue(m.value) : null))
    );
    const numbers = last.map(m => (m ? numeric(m.value) : null));
    const stored = ownValue(directions, key);
    const direction: Direction =
      stored ?? (higherIsBetter(key) ? 'higher' : 'lower');
    return {
      ...base,
      kind: 'metric' as const,
      numbers,
      direction,
      guessed: !stored,
      best: bestIndices(numbers, direction === 'higher')
    };
  });
  return { runs, fields, parameters, inputs, labels, metrics };
}

/**
 * The fields the table and the plots show: those that differ between the runs (all of them
 * when `all`), run fields first, then parameters, inputs, labels and metrics.
 *
 * @param cmp the comparison
 * @param all whether to show fields with the same value in every run too
 * @returns the fields
 */
export function shownFields(cmp: IComparison, all: boolean): IField[] {
  const keep = (f: IField) => all || f.differs;
  return [
    ...cmp.fields.filter(keep),
    ...cmp.parameters.filter(keep),
    ...cmp.inputs.filter(keep),
    ...cmp.labels.filter(keep),
    ...cmp.metrics.filter(f => all || f.differs || cmp.runs.length === 1)
  ];
}

/** Parameter and input axes drawn by default (those that follow the first metric most
 * closely): runs differing in 150 parameters otherwise get 150 axes, a plot too wide to
 * read (MLflow's complaint) */
export const DEFAULT_AXES = 16;
/** Metric axes drawn by default */
export const DEFAULT_METRIC_AXES = 2;

/**
 * The fields that can be axes of the parallel-coordinates plot: the parameters (only
 * those that differ, unless `all`), the inputs as categories (their content hash), then
 * the metrics.
 *
 * @param cmp the comparison
 * @param all whether to include parameters and inputs that are the same in every run
 * @returns the fields, in axis order
 */
export function axisCandidates(cmp: IComparison, all: boolean): IField[] {
  return [
    ...cmp.parameters.filter(f => all || f.differs),
    ...cmp.inputs.filter(f => all || f.differs),
    ...cmp.metrics
  ];
}

/**
 * Ranks of numbers, ties given their mean rank.
 */
function ranks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]] === xs[order[i]]) {
      j++;
    }
    for (let k = i; k <= j; k++) {
      out[order[k]] = (i + j) / 2;
    }
    i = j + 1;
  }
  return out;
}

function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/**
 * How closely a field's values follow a metric across runs, from 0 (not at all) to 1.
 * Numbers: the size of Spearman's rank correlation. Other values (text, an input's
 * content hash, numbers mixed with text): the correlation ratio, the square root of the
 * share of the metric's variance that grouping the runs by value explains. Runs without
 * the value or a finite metric are left out; with fewer than 3 left, 0.
 *
 * @param values the field's value per run
 * @param metric the metric's number per run (null: none)
 * @returns the association
 */
export function association(
  values: readonly unknown[],
  metric: readonly (number | null)[]
): number {
  const xs: unknown[] = [];
  const ys: number[] = [];
  values.forEach((v, i) => {
    const y = metric[i];
    if (v !== undefined && v !== null && isFiniteNumber(y)) {
      xs.push(v);
      ys.push(y);
    }
  });
  if (xs.length < 3) {
    return 0;
  }
  const nums = xs.map(numeric);
  if (nums.every(x => x !== null && isFinite(x))) {
    return Math.abs(pearson(ranks(nums as number[]), ranks(ys)));
  }
  const groups = new Map<string, number[]>();
  xs.forEach((x, i) => {
    const key = sameKey(x);
    const group = groups.get(key);
    if (group) {
      group.push(ys[i]);
    } else {
      groups.set(key, [ys[i]]);
    }
  });
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const total = ys.reduce((a, y) => a + (y - mean) ** 2, 0);
  if (total === 0 || groups.size < 2 || groups.size === ys.length) {
    return 0; // one group, or a group per run: grouping explains nothing
  }
  let between = 0;
  for (const g of groups.values()) {
    const m = g.reduce((a, b) => a + b, 0) / g.length;
    between += g.length * (m - mean) ** 2;
  }
  return Math.sqrt(between / total);
}

/**
 * The axes drawn when the user has chosen none, and the metric that picked them.
 */
export interface IDefaultAxes {
  /** the ids, in the candidates' order */
  ids: string[];
  /** the metric whose association ranked the parameters and inputs (null: there were
   * `DEFAULT_AXES` or fewer, or no metric to rank them by: the first ones) */
  ranked: IMetricField | null;
  /** the metrics that could rank them (each with 3 or more finite values), when there
   * are more than `DEFAULT_AXES` to pick from */
  rankable: IMetricField[];
}

/**
 * The axes drawn when the user has chosen none: `DEFAULT_AXES` parameters and inputs
 * (when there are more, those whose values follow a metric most closely, see
 * `association`; ties in the candidates' order) and `DEFAULT_METRIC_AXES` metrics: the
 * one followed and the first others.
 *
 * @param candidates the fields that can be axes (`axisCandidates`)
 * @param follow the id of the metric to follow (by default, and when it cannot rank
 *   them, the first metric that can)
 * @returns their ids, and the metric that ranked them
 */
export function defaultAxes(
  candidates: readonly IField[],
  follow: string | null = null
): IDefaultAxes {
  const values = candidates.filter(f => f.kind !== 'metric');
  const metrics = candidates.filter(
    (f): f is IMetricField => f.kind === 'metric'
  );
  const rankable =
    values.length > DEFAULT_AXES
      ? metrics.filter(m => m.numbers.filter(isFiniteNumber).length >= 3)
      : [];
  const by = rankable.find(m => m.id === follow) ?? rankable[0];
  let picked = values.slice(0, DEFAULT_AXES);
  let ranked: IMetricField | null = null;
  if (by) {
    const score = new Map(
      values.map(f => [f, association(f.values, by.numbers)])
    );
    if ([...score.values()].some(x => x > 0)) {
      const top = new Set(
        [...values]
          .sort((a, b) => score.get(b)! - score.get(a)!)
          .slice(0, DEFAULT_AXES)
      );
      picked = values.filter(f => top.has(f));
      ranked = by;
    }
  }
  const metricAxes = new Set(
    ranked
      ? [ranked, ...metrics.filter(m => m !== ranked)].slice(
          0,
          DEFAULT_METRIC_AXES
        )
      : metrics.slice(0, DEFAULT_METRIC_AXES)
  );
  return {
    ids: [...picked, ...metrics.filter(m => metricAxes.has(m))].map(f => f.id),
    ranked,
    rankable: ranked ? rankable : []
  };
}

function isFiniteNumber(x: number | null): x is number {
  return x !== null && isFinite(x);
}

/**
 * The axes of the parallel-coordinates plot: the candidates chosen, in the candidates'
 * order (parameters, inputs, metrics).
 *
 * @param cmp the comparison
 * @param all whether parameters and inputs that are the same in every run can be axes
 * @param chosen the ids of the fields chosen, or null for the default (`defaultAxes`)
 * @returns the fields, in axis order
 */
export function parallelFields(
  cmp: IComparison,
  all: boolean,
  chosen: readonly string[] | null
): IField[] {
  const candidates = axisCandidates(cmp, all);
  const ids = new Set(chosen ?? defaultAxes(candidates).ids);
  return candidates.filter(f => ids.has(f.id));
}

const KIND_NAMES: Record<IField['kind'], string> = {
  param: 'parameter',
  input: 'input',
  metric: 'metric',
  label: 'label',
  run: 'run'
};

/**
 * What the plot calls its axes: a field's name, with its kind when another axis has the
 * same name (a parameter and a metric both called `lr`).
 *
 * @param fields the axes
 * @returns each axis' name by field id
 */
export function axisNames(fields: readonly IField[]): Record<string, string> {
  const count = new Map<string, number>();
  for (const f of fields) {
    count.set(f.name, (count.get(f.name) ?? 0) + 1);
  }
  return Object.fromEntries(
    fields.map(f => [
      f.id,
      count.get(f.name)! > 1 ? `${f.name} (${KIND_NAMES[f.kind]})` : f.name
    ])
  );
}

/**
 * The rows of the parallel-coordinates plot and the scatter plot: one per run, its value
 * for each field by field id.
 *
 * @param cmp the comparison
 * @param fields the fields
 * @param label a run's name
 * @returns the rows
 */
export function fieldRows(
  cmp: IComparison,
  fields: readonly IField[],
  label: (run: ICompareRun) => string
): { id: string; label: string; values: Record<string, unknown> }[] {
  return cmp.runs.map((r, i) => {
    const values: Record<string, unknown> = {};
    for (const f of fields) {
      values[f.id] = f.values[i];
    }
    return { id: r.id, label: label(r), values };
  });
}
