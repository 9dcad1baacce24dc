/**
 * The sweep form's state, checked and turned into the sweep spec the server takes: W&B's
 * sweep configuration (`method`, `metric: {name, goal}`, `parameters` each with `values`,
 * `value`, or `min`/`max` and an optional `distribution`, `run_cap`) plus `parallelism` and
 * a wall-time budget; and the same spec as YAML, to paste into a file for the CLI.
 */
import { INotebookParameter, Literal, parseLiteral } from './parameters';
import { setOwn } from '../values';

/**
 * Search strategies.
 */
export type Method = 'grid' | 'random' | 'bayes';

/**
 * Which way the objective is better.
 */
export type Goal = 'maximize' | 'minimize';

/**
 * The distributions the form offers for a parameter sampled from a range.
 */
export type Distribution =
  'uniform' | 'int_uniform' | 'log_uniform_values' | 'q_uniform' | 'normal';

/**
 * Every distribution the form offers, with its label.
 */
export const DISTRIBUTIONS: [Distribution, string][] = [
  ['uniform', 'uniform'],
  ['int_uniform', 'integer uniform'],
  ['log_uniform_values', 'log-uniform'],
  ['q_uniform', 'quantised uniform'],
  ['normal', 'normal']
];

/**
 * How one parameter is swept: left at the notebook's value, one fixed value, a list of
 * values, a range (its distribution inferred: integers if both ends are, else uniform), or
 * an explicit distribution.
 */
export type ParameterMode =
  'notebook' | 'value' | 'values' | 'range' | 'distribution';

/**
 * One parameter's row of the form: the fields as typed.
 */
export interface IParameterChoice {
  name: string;
  mode: ParameterMode;
  /** the notebook's default, when it is a literal (sets the type values must have) */
  default?: Literal;
  /** `value` mode */
  value: string;
  /** `values` mode: comma-separated literals (bare words are text) */
  values: string;
  /** `range` and `distribution` modes */
  min: string;
  max: string;
  distribution: Distribution;
  /** `q_uniform`: the step */
  q: string;
  /** `normal` */
  mu: string;
  sigma: string;
}

/**
 * The whole form as typed.
 */
export interface ISweepForm {
  method: Method;
  metric: string;
  goal: Goal;
  parameters: IParameterChoice[];
  /** the trial budget (`run_cap`): empty means the grid's size */
  runCap: string;
  /** the wall-time budget in minutes: empty means none */
  wallMinutes: string;
  parallelism: string;
  /** stop trials whose objective is clearly worse at the same step (Optuna's pruners) */
  earlyStop: 'none' | 'median' | 'hyperband';
}

/**
 * A parameter's entry in the spec.
 */
export interface IParameterSpec {
  value?: Literal;
  values?: Literal[];
  min?: number;
  max?: number;
  distribution?: Distribution;
  q?: number;
  mu?: number;
  sigma?: number;
}

/**
 * The sweep spec (W&B's format plus `parallelism` and `max_duration_seconds`), as
 * `jupyterlab_dotscience/sweeps/spec.py` reads it.
 */
export interface ISweepSpec {
  method: Method;
  metric: { name: string; goal: Goal };
  parameters: Record<string, IParameterSpec>;
  run_cap?: number;
  parallelism: number;
  max_duration_seconds?: number;
  early_terminate?: { type: 'median' | 'hyperband' };
}

/**
 * The most trials running at once the form accepts.
 */
export const MAX_PARALLELISM = 64;

/**
 * A grid's whole-number range must have fewer values than this (the server's limit).
 */
const MAX_GRID_RANGE = 10000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A form's row for a notebook parameter: left at the notebook's value until the user
 * chooses, with the default filled in as the list's first value.
 *
 * @param p the parameter found in the notebook
 * @returns the row
 */
export function initialChoice(p: INotebookParameter): IParameterChoice {
  const shown = p.default === undefined ? '' : literalText(p.default);
  const number = typeof p.default === 'number' ? String(p.default) : '';
  return {
    name: p.name,
    mode: 'notebook',
    default: p.default,
    value: shown,
    values: shown,
    min: number,
    max: number,
    distribution: 'uniform',
    q: '',
    mu: number,
    sigma: ''
  };
}

/**
 * A value written as the form shows it: numbers and booleans plainly, text as is when it
 * reads back as the same text, else quoted; lists in brackets.
 *
 * @param v the value
 * @returns the text
 */
export function literalText(v: Literal): string {
  if (Array.isArray(v)) {
    return `[${v.map(literalText).join(', ')}]`;
  }
  if (v === null) {
    return 'None';
  }
  if (typeof v === 'boolean') {
    return v ? 'True' : 'False';
  }
  if (typeof v === 'number') {
    return String(v);
  }
  return /^[A-Za-z_][\w.\-/]*$/.test(v) &&
    !['True', 'False', 'None'].includes(v)
    ? v
    : JSON.stringify(v);
}

/**
 * Split a comma-separated list at its top-level commas (not inside brackets or quotes).
 *
 * @param text the list
 * @returns the items, trimmed
 */
function splitItems(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') {
        i++;
      } else if (c === quote) {
        quote = null;
      }
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if ('([{'.includes(c)) {
      depth++;
    } else if (')]}'.includes(c)) {
      depth--;
    } else if (c === ',' && depth === 0) {
      items.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(text.slice(start).trim());
  return items;
}

/**
 * One value typed in the form, read with the type of the notebook's default.
 *
 * @param text what was typed
 * @param name the parameter (for the message)
 * @param like the notebook's default
 * @returns the value, or an error sentence
 */
function readValue(
  text: string,
  name: string,
  like: Literal | undefined
): { value: Literal } | { error: string } {
  const t = text.trim();
  if (!t) {
    return { error: `${name}: a value is empty.` };
  }
  let value = parseLiteral(t);
  if (value === undefined) {
    if (/^[^\s'"[\](){},]+$/.test(t)) {
      value = t; // a bare word is text
    } else {
      return { error: `${name}: ${t} is not a value (write text in quotes).` };
    }
  }
  if (typeof like === 'number' && typeof value !== 'number') {
    return { error: `${name}: ${t} is not a number.` };
  }
  return { value };
}

/**
 * One value of a parameter's list or its fixed value: text, a number, a boolean or None
 * (what the server's spec takes).
 */
function readScalar(
  text: string,
  name: string,
  like: Literal | undefined
): { value: Literal } | { error: string } {
  const v = readValue(text, name, like);
  if ('value' in v && Array.isArray(v.value)) {
    return {
      error: `${name}: ${text.trim()} is a list; each value must be text, a number, True, False or None.`
    };
  }
  return v;
}

/**
 * A number typed in the form.
 *
 * @param text what was typed
 * @param what the field, for the message (e.g. `lr: min`)
 * @returns the number, or an error sentence
 */
function readNumber(
  text: string,
  what: string
): { value: number } | { error: string } {
  const t = text.trim();
  const n = t === '' ? NaN : Number(t.replace(/_/g, ''));
  return Number.isFinite(n)
    ? { value: n }
    : { error: `${what} must be a number.` };
}

/**
 * A parameter's entry in the spec, from its row.
 *
 * @param c the row
 * @param method the strategy (a grid takes values only)
 * @returns the entry (null: not in the spec), or an error sentence
 */
function parameterSpec(
  c: IParameterChoice,
  method: Method
): { spec: IParameterSpec | null } | { error: string } {
  const name = c.name;
  if (c.mode === 'notebook') {
    return { spec: null };
  }
  if (!IDENTIFIER.test(name)) {
    return {
      error: `${name}: only a parameter named like a Python variable can be swept.`
    };
  }
  if (c.mode === 'value') {
    const v = readScalar(c.value, name, c.default);
    return 'error' in v ? v : { spec: { value: v.value } };
  }
  if (c.mode === 'values') {
    const items = c.values.trim() ? splitItems(c.values) : [];
    if (!items.length) {
      return { error: `${name}: give at least one value.` };
    }
    const values: Literal[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const v = readScalar(item, name, c.default);
      if ('error' in v) {
        return v;
      }
      const key = JSON.stringify(v.value);
      if (seen.has(key)) {
        return { error: `${name}: ${item.trim()} is listed twice.` };
      }
      seen.add(key);
      values.push(v.value);
    }
    return { spec: { values } };
  }
  const distribution = c.mode === 'range' ? null : c.distribution;
  if (
    method === 'grid' &&
    !(distribution === null || distribution === 'int_uniform')
  ) {
    return {
      error: `${name}: a grid search needs a list of values or a whole-number range.`
    };
  }
  if (distribution === 'normal') {
    if (method !== 'random') {
      return { error: `${name}: a normal distribution needs a random search.` };
    }
    const mu = readNumber(c.mu, `${name}: mean`);
    const sigma = readNumber(c.sigma, `${name}: standard deviation`);
    if ('error' in mu) {
      return mu;
    }
    if ('error' in sigma) {
      return sigma;
    }
    if (sigma.value <= 0) {
      return { error: `${name}: the standard deviation must be above 0.` };
    }
    return { spec: { distribution, mu: mu.value, sigma: sigma.value } };
  }
  const min = readNumber(c.min, `${name}: min`);
  const max = readNumber(c.max, `${name}: max`);
  if ('error' in min) {
    return min;
  }
  if ('error' in max) {
    return max;
  }
  if (min.value >= max.value) {
    return { error: `${name}: min must be below max.` };
  }
  const spec: IParameterSpec = { min: min.value, max: max.value };
  if (
    distribution === 'int_uniform' &&
    !(Number.isInteger(min.value) && Number.isInteger(max.value))
  ) {
    return { error: `${name}: an integer range needs whole numbers.` };
  }
  if (
    method === 'grid' &&
    !(Number.isInteger(min.value) && Number.isInteger(max.value))
  ) {
    return {
      error: `${name}: a grid search needs a list of values or a whole-number range.`
    };
  }
  if (method === 'grid' && max.value - min.value >= MAX_GRID_RANGE) {
    return {
      error: `${name}: a grid range must have fewer than ${MAX_GRID_RANGE} values.`
    };
  }
  if (distribution === 'log_uniform_values' && min.value <= 0) {
    return { error: `${name}: a log-uniform range must be above 0.` };
  }
  if (distribution === 'q_uniform') {
    const q = readNumber(c.q, `${name}: step`);
    if ('error' in q) {
      return q;
    }
    if (q.value <= 0) {
      return { error: `${name}: the step must be above 0.` };
    }
    spec.q = q.value;
  }
  if (distribution) {
    spec.distribution = distribution;
  }
  return { spec };
}

/**
 * A whole positive number typed in the form.
 */
function readCount(
  text: string,
  what: string,
  max = Number.MAX_SAFE_INTEGER
): { value: number } | { error: string } {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > max) {
    return { error: `${what} must be a whole number from 1 to ${max}.` };
  }
  return { value: Number(t) };
}

/**
 * The number of trials of a grid: the product of its lists' lengths.
 *
 * @param spec the parameters' entries
 * @returns the count
 */
export function gridSize(spec: Record<string, IParameterSpec>): number {
  let n = 1;
  for (const p of Object.values(spec)) {
    if (p.values) {
      n *= p.values.length;
    } else if (p.min !== undefined && p.max !== undefined) {
      n *= p.max - p.min + 1;
    }
  }
  return n;
}

/**
 * Check the form and build the spec.
 *
 * @param form the form as typed
 * @returns the spec, or the problems (one sentence each), the first one first
 */
export function buildSpec(
  form: ISweepForm
): { spec: ISweepSpec } | { errors: string[] } {
  const errors: string[] = [];
  const metric = form.metric.trim();
  if (!metric) {
    errors.push(
      'Name the metric to optimise (the one the notebook logs with ds.metric).'
    );
  }
  const parameters: Record<string, IParameterSpec> = {};
  for (const c of form.parameters) {
    const p = parameterSpec(c, form.method);
    if ('error' in p) {
      errors.push(p.error);
    } else if (p.spec) {
      setOwn(parameters, c.name, p.spec);
    }
  }
  const swept = Object.values(parameters).some(
    p => p.values || p.min !== undefined || p.distribution
  );
  if (!swept && !errors.length) {
    errors.push(
      'Give at least one parameter a list, a range or a distribution to sweep.'
    );
  }
  const spec: ISweepSpec = {
    method: form.method,
    metric: { name: metric, goal: form.goal },
    parameters,
    parallelism: 1
  };
  if (form.runCap.trim()) {
    const n = readCount(form.runCap, 'Trials');
    if ('error' in n) {
      errors.push(n.error);
    } else {
      spec.run_cap = n.value;
    }
  } else if (form.method !== 'grid') {
    errors.push(`A ${form.method} search needs a number of trials.`);
  }
  if (form.wallMinutes.trim()) {
    const t = readNumber(form.wallMinutes, 'Wall time');
    if ('error' in t) {
      errors.push(t.error);
    } else if (t.value <= 0) {
      errors.push('Wall time must be above 0 minutes.');
    } else {
      spec.max_duration_seconds = Math.round(t.value * 60);
    }
  }
  if (form.earlyStop !== 'none') {
    spec.early_terminate = { type: form.earlyStop };
  }
  const par = readCount(form.parallelism, 'Parallel trials', MAX_PARALLELISM);
  if ('error' in par) {
    errors.push(par.error);
  } else {
    spec.parallelism = par.value;
  }
  return errors.length ? { errors } : { spec };
}

const PLAIN_KEY = /^[A-Za-z_][\w-]*$/;
const YAML_WORDS = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

/**
 * A scalar in YAML.
 *
 * @param v the value
 * @returns its text
 */
function yamlScalar(v: Literal): string {
  if (v === null) {
    return 'null';
  }
  if (typeof v === 'boolean' || typeof v === 'number') {
    return String(v);
  }
  if (Array.isArray(v)) {
    return `[${v.map(yamlScalar).join(', ')}]`;
  }
  // plain when YAML reads it back as this same text, else a JSON string (valid YAML)
  return /^[A-Za-z_][\w.\-/]*$/.test(v) && !YAML_WORDS.test(v)
    ? v
    : JSON.stringify(v);
}

/**
 * A mapping key in YAML.
 */
function yamlKey(k: string): string {
  return PLAIN_KEY.test(k) && !YAML_WORDS.test(k) ? k : JSON.stringify(k);
}

/**
 * The spec as YAML (block mappings, lists in flow style), as a W&B sweep file is written.
 *
 * @param spec the spec
 * @returns the YAML text, ending with a newline
 */
export function specYaml(spec: ISweepSpec): string {
  const lines: string[] = [];
  const write = (obj: Record<string, unknown>, indent: string) => {
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) {
        continue;
      }
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const entries = Object.keys(v as object);
        if (!entries.length) {
          lines.push(`${indent}${yamlKey(k)}: {}`);
          continue;
        }
        lines.push(`${indent}${yamlKey(k)}:`);
        write(v as Record<string, unknown>, indent + '  ');
      } else {
        lines.push(`${indent}${yamlKey(k)}: ${yamlScalar(v as Literal)}`);
      }
    }
  };
  write(spec as unknown as Record<string, unknown>, '');
  return lines.join('\n') + '\n';
}
