import {
  Column,
  columnId,
  FIELD_KEYS,
  FieldKey,
  METRIC_STATS,
  MetricStat
} from './columns';

/**
 * What a Runs table shows, kept across page loads: the columns chosen (null: the default
 * ones) and their widths, the sort, the column filters, the search, the grouping and where
 * it is scrolled. A restored tab gets all of it; a new table starts with the layout of the
 * last one changed (`layoutOf`: columns, widths, sort and grouping, not the filters, nor
 * the scroll).
 */
export interface ITableView {
  /** the columns in order, or null for the defaults (they follow the keys seen) */
  columns: Column[] | null;
  /** widths the user set, in px, by column id */
  widths: Record<string, number>;
  /** the column sorted by and the direction; null: newest first */
  sort: { column: Column; desc: boolean } | null;
  /** what each filter box holds, by column id */
  filters: Record<string, string>;
  /** the search box's text */
  search: string;
  /** the parameter the rows are grouped by */
  groupBy: string | null;
  /** the line at the top of the rows in view (0: the first) */
  top: number;
  /** how far the columns are scrolled sideways, in px */
  left: number;
}

/**
 * The view of a table nobody changed.
 */
export const EMPTY_VIEW: ITableView = {
  columns: null,
  widths: {},
  sort: null,
  filters: {},
  search: '',
  groupBy: null,
  top: 0,
  left: 0
};

/** the narrowest and widest a column can be made (px) */
export const MIN_WIDTH = 40;
export const MAX_WIDTH = 2000;

// bounds of a view read back: a workspace file is the user's, but it may be edited,
// truncated or written by another version
const MAX_COLUMNS = 5000;
const MAX_KEY = 1000;
const MAX_TEXT = 2000;
/** the deepest line and the farthest sideways scroll (px) read back */
const MAX_TOP = 10_000_000;
const MAX_LEFT = 10_000_000;

const offset = (v: unknown, max: number): number =>
  typeof v === 'number' && Number.isFinite(v)
    ? Math.round(Math.max(0, Math.min(max, v)))
    : 0;

/**
 * The column an id names (the inverse of `columnId`).
 *
 * @param id e.g. `param:alpha`, `metric:val:loss:min`, `field:status`
 * @returns the column, or null when the id names none
 */
export function columnFromId(id: string): Column | null {
  const colon = id.indexOf(':');
  const kind = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  if (colon < 0 || !rest || rest.length > MAX_KEY) {
    return null;
  }
  switch (kind) {
    case 'field':
      return FIELD_KEYS.includes(rest as FieldKey)
        ? { kind, key: rest as FieldKey }
        : null;
    case 'param':
    case 'label':
      return { kind, key: rest };
    case 'metric': {
      const last = rest.lastIndexOf(':');
      const stat = rest.slice(last + 1) as MetricStat;
      return last > 0 && METRIC_STATS.includes(stat)
        ? { kind, key: rest.slice(0, last), stat }
        : null;
    }
    default:
      return null;
  }
}

/**
 * A column read back from JSON, or null when it is not one.
 *
 * @param value anything
 * @returns the column
 */
function readColumn(value: unknown): Column | null {
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const { kind, key, stat } = value as Record<string, unknown>;
  if (typeof kind !== 'string' || typeof key !== 'string') {
    return null;
  }
  const id =
    kind === 'metric' ? `metric:${key}:${String(stat)}` : `${kind}:${key}`;
  return columnFromId(id);
}

/**
 * The string values of a JSON object that pass a test, each key and value bounded.
 */
function readMap<T>(
  value: unknown,
  read: (v: unknown) => T | null
): Record<string, T> {
  const out: Record<string, T> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return out;
  }
  let n = 0;
  for (const [key, raw] of Object.entries(value)) {
    const v = read(raw);
    if (v !== null && key.length <= MAX_KEY && columnFromId(key)) {
      out[key] = v;
      if (++n >= MAX_COLUMNS) {
        break;
      }
    }
  }
  return out;
}

/**
 * A view read back from where it was kept (a workspace), keeping what reads as a view
 * and dropping the rest: a missing or broken part is left as a new table has it.
 *
 * @param value the kept JSON
 * @returns the view
 */
export function readView(value: unknown): ITableView {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return EMPTY_VIEW;
  }
  const v = value as Record<string, unknown>;
  let columns: Column[] | null = null;
  if (Array.isArray(v.columns)) {
    const seen = new Set<string>();
    columns = [];
    for (const raw of v.columns.slice(0, MAX_COLUMNS)) {
      const column = readColumn(raw);
      if (column && !seen.has(columnId(column))) {
        seen.add(columnId(column));
        columns.push(column);
      }
    }
  }
  const sortColumn =
    typeof v.sort === 'object' && v.sort !== null
      ? readColumn((v.sort as Record<string, unknown>).column)
      : null;
  return {
    columns,
    widths: readMap(v.widths, w =>
      typeof w === 'number' && Number.isFinite(w)
        ? Math.round(Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, w)))
        : null
    ),
    sort: sortColumn
      ? {
          column: sortColumn,
          desc: (v.sort as Record<string, unknown>).desc === true
        }
      : null,
    filters: readMap(v.filters, t =>
      typeof t === 'string' && t.trim() && t.length <= MAX_TEXT ? t : null
    ),
    search:
      typeof v.search === 'string' && v.search.length <= MAX_TEXT
        ? v.search
        : '',
    groupBy:
      typeof v.groupBy === 'string' && v.groupBy && v.groupBy.length <= MAX_KEY
        ? v.groupBy
        : null,
    top: offset(v.top, MAX_TOP),
    left: offset(v.left, MAX_LEFT)
  };
}

/**
 * The part of a view a new table starts with: its columns, widths, sort and grouping,
 * not its filters or search (a new table shows every run), scrolled to the top left.
 *
 * @param view a table's view
 * @returns the layout
 */
export function layoutOf(view: ITableView): ITableView {
  return { ...view, filters: {}, search: '', top: 0, left: 0 };
}
