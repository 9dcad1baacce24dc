import type { components } from '../api/openapi';

/**
 * What the history list shows: filters and sort order, and how they become query
 * parameters of `GET dotscience/api/runs`.
 */

/**
 * A metric range filter; either bound may be missing.
 */
export interface IMetricRange {
  key: string;
  min: number | null;
  max: number | null;
  /** which value of the series: its last (default), smallest or largest number */
  stat?: 'last' | 'min' | 'max';
}

/**
 * A time filter: runs whose time (`received`: when published) lies between two ISO 8601
 * times, both included; either may be missing.
 */
export interface ITimeRange {
  field: 'received' | 'start' | 'end';
  from: string | null;
  to: string | null;
}

/**
 * The verdict filter's values: a verdict, or `none` for runs never reproduced (as the
 * REST API's `verdict` filter takes them).
 */
export type VerdictFilter = components['parameters']['FilterVerdict'];

/**
 * The history list's query.
 */
export interface IRunQuery {
  /** only runs of this project (all projects when null) */
  project: string | null;
  /** only runs of this notebook (root-relative path), when set */
  notebook: string | null;
  /** only runs published by this user, when set */
  author?: string | null;
  /** `succeeded`, `failed` or null for any */
  status: 'succeeded' | 'failed' | null;
  /** a reproduction verdict, `none` for runs never reproduced, or null for any */
  verdict: VerdictFilter | null;
  /** only runs with hidden-state warnings */
  warnings: boolean;
  /** free text search */
  text: string;
  /** the run's shown name (description, else notebook or script) contains it, or its id
   * starts with it (the Runs table's Run filter) */
  name?: string;
  /** label filters `key:value` */
  labels: { key: string; value: string }[];
  /** parameter filters such as `alpha>=0.1` */
  params: string[];
  /** metric ranges */
  metrics: IMetricRange[];
  /** time ranges (the Runs table's Published and Started filters) */
  times?: ITimeRange[];
  /** sort key: `received`, `start`, `metric:<key>`, `param:<key>` */
  sort: string;
  /** descending order */
  desc: boolean;
  /** also each run's smallest and largest metric values (`metric_min`, `metric_max`) */
  stats?: boolean;
}

/**
 * The query that shows every run, newest first.
 */
export const DEFAULT_QUERY: IRunQuery = {
  project: null,
  notebook: null,
  status: null,
  verdict: null,
  warnings: false,
  text: '',
  labels: [],
  params: [],
  metrics: [],
  sort: 'received',
  desc: true
};

const PARAM_RE = /^([^<>=!]+?)(==|=|!=|<=|>=|<|>)(.*)$/;

/**
 * Check a parameter filter typed by the user.
 *
 * @param text e.g. `alpha>=0.1` or `optimizer=adam`
 * @returns the normalised filter, or null when it does not read as one
 */
export function parseParamFilter(text: string): string | null {
  const m = PARAM_RE.exec(text.trim());
  if (!m || !m[1].trim()) {
    return null;
  }
  return `${m[1].trim()}${m[2] === '==' ? '=' : m[2]}${m[3].trim()}`;
}

/**
 * Check a label filter typed by the user.
 *
 * @param text `key:value`
 * @returns the filter, or null when it has no key
 */
export function parseLabelFilter(
  text: string
): { key: string; value: string } | null {
  const i = text.indexOf(':');
  if (i <= 0) {
    return null;
  }
  return { key: text.slice(0, i).trim(), value: text.slice(i + 1).trim() };
}

/**
 * The query parameters for a page of the listing.
 *
 * @param query the list's query
 * @param limit page size
 * @param cursor the previous page's `next_cursor`
 * @returns the search parameters, in a stable order
 */
export function toSearchParams(
  query: IRunQuery,
  limit: number,
  cursor: string | null = null
): URLSearchParams {
  const p = new URLSearchParams();
  if (query.project) {
    p.append('project', query.project);
  }
  if (query.notebook) {
    p.append('notebook', query.notebook);
  }
  if (query.author) {
    p.append('author', query.author);
  }
  if (query.status) {
    p.append('status', query.status);
  }
  if (query.verdict) {
    p.append('verdict', query.verdict);
  }
  if (query.warnings) {
    p.append('warnings', 'true');
  }
  if (query.text.trim()) {
    p.append('q', query.text.trim());
  }
  if (query.name?.trim()) {
    p.append('name', query.name.trim());
  }
  for (const { key, value } of query.labels) {
    p.append('label', `${key}:${value}`);
  }
  for (const f of query.params) {
    p.append('param', f);
  }
  for (const m of query.metrics) {
    const name = !m.stat || m.stat === 'last' ? 'metric' : `metric.${m.stat}`;
    p.append(name, `${m.key}:${m.min ?? ''}:${m.max ?? ''}`);
  }
  for (const t of query.times ?? []) {
    p.append(t.field, `${t.from ?? ''}..${t.to ?? ''}`);
  }
  p.append('sort', (query.desc ? '-' : '') + query.sort);
  if (query.stats) {
    p.append('stats', 'true');
  }
  p.append('limit', String(limit));
  if (cursor) {
    p.append('cursor', cursor);
  }
  return p;
}

/**
 * Whether the query filters anything beyond its scope (project, notebook).
 *
 * @param query the list's query
 * @returns true when a filter or search is active
 */
export function isFiltered(query: IRunQuery): boolean {
  return (
    !!query.status ||
    !!query.verdict ||
    query.warnings ||
    !!query.text.trim() ||
    !!query.name?.trim() ||
    query.labels.length > 0 ||
    query.params.length > 0 ||
    query.metrics.length > 0 ||
    (query.times ?? []).length > 0
  );
}
