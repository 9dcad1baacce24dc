import { IMetricRange, IRunQuery, ITimeRange } from '../runs/query';
import { isoJustBefore, typedSince, typedTimeSpan } from '../time';
import { Column, columnId, columnTitle } from './columns';

/**
 * What a column's filter box asks of `GET runs`.
 */
export type ColumnFilter =
  | { param: string }
  | { metric: IMetricRange }
  | { label: { key: string; value: string } }
  | { time: ITimeRange }
  | { name: string }
  | { field: 'status'; value: 'succeeded' | 'failed' }
  | { field: 'project' | 'author' | 'notebook'; value: string };

const OP = /^(==|=|!=|<=|>=|<|>)?\s*(.*)$/;
const RANGE = /^(-?[\d.eE+-]*)\s*\.\.\s*(-?[\d.eE+-]*)$/;

/**
 * Read a time filter: a day, minute or second in the reader's time zone (or an instant
 * with its zone, `today`, `yesterday`, `now`, `3 hours ago`), alone (that span), after
 * `>`/`>=`/`<`/`<=`, or as `from..to` (both spans included, either may be left out); or a
 * trailing period, `last 7 days` (from then on, runs arriving later included).
 *
 * @param field the run's time
 * @param typed what was typed (trimmed, not empty)
 * @param now the time it is read at (relative times count back from it)
 * @returns the inclusive range the server is asked for, or null when it does not read
 */
function timeRange(
  field: ITimeRange['field'],
  typed: string,
  now = Date.now()
): ITimeRange | null {
  const since = typedSince(typed, now);
  if (since !== null) {
    return { field, from: new Date(since).toISOString(), to: null };
  }
  const range = /^(.*?)\s*\.\.\s*(.*)$/.exec(typed);
  if (range) {
    const from = range[1] ? typedTimeSpan(range[1], now) : null;
    const to = range[2] ? typedTimeSpan(range[2], now) : null;
    if ((range[1] && !from) || (range[2] && !to) || (!from && !to)) {
      return null;
    }
    if (from && to && from[0] >= to[1]) {
      return null; // an empty range is a typing slip, not "no runs"
    }
    return {
      field,
      from: from ? new Date(from[0]).toISOString() : null,
      to: to ? isoJustBefore(to[1]) : null
    };
  }
  const m = /^(>=|<=|>|<|==|=)?\s*(.+)$/.exec(typed)!;
  const span = typedTimeSpan(m[2], now);
  if (!span) {
    return null;
  }
  const [start, end] = span;
  switch (m[1]) {
    case '>=':
      return { field, from: new Date(start).toISOString(), to: null };
    case '>':
      return { field, from: new Date(end).toISOString(), to: null };
    case '<=':
      return { field, from: null, to: isoJustBefore(end) };
    case '<':
      return { field, from: null, to: isoJustBefore(start) };
    default:
      return {
        field,
        from: new Date(start).toISOString(),
        to: isoJustBefore(end)
      };
  }
}

function number(text: string): number | null {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : null;
}

/**
 * Read what the user typed in a column's filter box.
 *
 * Parameters: `0.1` or `=adam` (equal), `!=adam`, `<0.1`, `>=3`. Metrics (the column's
 * value: the last, the smallest or the largest): `<0.5`, `>=0.9`, `0.1..0.5` (bounds
 * included). Labels: the value. Status:
 * `succeeded` or `failed`. Run: part of its name (or the start of its id). Project,
 * author, notebook: the exact value. Published and
 * Started: a day, minute or second in the reader's time zone (`2026-11-30`,
 * `2026-11-30 08:15`, `today`, `yesterday`, `3 hours ago`), alone, after `>`, `>=`, `<`,
 * `<=`, or as `from..to` (days included); or `last 7 days`.
 *
 * @param column the column
 * @param text what was typed
 * @returns the filter, null for an empty box, or one sentence saying what is wrong
 */
export function parseColumnFilter(
  column: Column,
  text: string
): ColumnFilter | null | { error: string } {
  const typed = text.trim();
  if (!typed) {
    return null;
  }
  switch (column.kind) {
    case 'param': {
      const m = OP.exec(typed)!;
      const op = !m[1] || m[1] === '==' ? '=' : m[1];
      if (!m[2]) {
        return { error: `Give a value after ${op} to filter ${column.key}.` };
      }
      if (op !== '=' && op !== '!=' && number(m[2]) === null) {
        return { error: `${op} needs a number to filter ${column.key}.` };
      }
      return { param: `${column.key}${op}${m[2]}` };
    }
    case 'metric': {
      const stat = column.stat === 'last' ? {} : { stat: column.stat };
      const range = RANGE.exec(typed);
      if (range) {
        const min = range[1] ? number(range[1]) : null;
        const max = range[2] ? number(range[2]) : null;
        if ((range[1] && min === null) || (range[2] && max === null)) {
          return { error: `Write a range of ${column.key} as 0.1..0.5.` };
        }
        return { metric: { key: column.key, min, max, ...stat } };
      }
      const m = OP.exec(typed)!;
      const value = number(m[2]);
      if (value === null || !m[1] || m[1] === '!=') {
        return {
          error: `Filter ${column.key} with <, <=, >, >= and a number, or a range 0.1..0.5.`
        };
      }
      if (m[1] === '=' || m[1] === '==') {
        return { metric: { key: column.key, min: value, max: value, ...stat } };
      }
      const upper = m[1].startsWith('<');
      return {
        metric: {
          key: column.key,
          min: upper ? null : value,
          max: upper ? value : null,
          ...stat
        }
      };
    }
    case 'label':
      return { label: { key: column.key, value: typed } };
    case 'field':
      if (column.key === 'status') {
        if (typed !== 'succeeded' && typed !== 'failed') {
          return { error: 'Filter the status with succeeded or failed.' };
        }
        return { field: 'status', value: typed };
      }
      if (column.key === 'name') {
        return { name: typed };
      }
      if (column.key === 'received' || column.key === 'start') {
        const time = timeRange(column.key, typed);
        if (!time) {
          return {
            error:
              `Filter ${columnTitle(column)} with a date or time in your time zone, ` +
              'e.g. 2026-11-30, >=2026-11-30 08:00, 2026-11-29..2026-11-30, ' +
              'yesterday, <3 hours ago or last 7 days.'
          };
        }
        return { time };
      }
      if (
        column.key === 'project' ||
        column.key === 'author' ||
        column.key === 'notebook'
      ) {
        return { field: column.key, value: typed };
      }
      return {
        error: `Runs cannot be filtered by ${column.key}; use the search box.`
      };
  }
}

/**
 * The query's filters made from every column's filter (and the search text). Strict
 * bounds (`<`, `>`) are sent as inclusive ones; the server compares the column's value
 * (last, smallest or largest).
 *
 * @param base the rest of the query (sort, scope)
 * @param columns the columns with a filter
 * @param typed what each filter box holds, by column id
 * @returns the query, and a sentence per column whose box does not read as a filter
 */
export function queryFromFilters(
  base: IRunQuery,
  columns: readonly Column[],
  typed: Readonly<Record<string, string>>
): { query: IRunQuery; errors: Record<string, string> } {
  const query: IRunQuery = {
    ...base,
    status: null,
    labels: [],
    params: [],
    metrics: [],
    times: [],
    name: ''
  };
  const errors: Record<string, string> = {};
  for (const column of columns) {
    const id = columnId(column);
    const filter = parseColumnFilter(column, typed[id] ?? '');
    if (filter === null) {
      continue;
    }
    if ('error' in filter) {
      errors[id] = filter.error;
    } else if ('param' in filter) {
      query.params = [...query.params, filter.param];
    } else if ('metric' in filter) {
      query.metrics = [...query.metrics, filter.metric];
    } else if ('label' in filter) {
      query.labels = [...query.labels, filter.label];
    } else if ('name' in filter) {
      query.name = filter.name;
    } else if ('time' in filter) {
      query.times = [...(query.times ?? []), filter.time];
    } else if (filter.field === 'status') {
      query.status = filter.value;
    } else {
      query[filter.field] = filter.value;
    }
  }
  return { query, errors };
}
