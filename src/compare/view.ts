import type { IBrush } from '../sweeps/parallel';

/**
 * What a compare tab shows beyond its runs, kept across page loads: the fields shown, the
 * parallel-coordinates axes and brushes, the scatter plot's fields, the overlaid metric and
 * the two runs picked to diff. Field ids are those of `compareRuns` (`param:alpha`,
 * `metric:loss`, ...); an id these runs no longer have falls back to the default.
 */
export interface ICompareView {
  /** whether fields that are the same in every run are shown too */
  all: boolean;
  /** the axes the user chose, in order (null: the default ones) */
  axes: string[] | null;
  /** the metric the default axes follow (null: the first that can rank them) */
  follow: string | null;
  /** each brushed axis' range, from 0 (its bottom) to 1 (its top), by field id */
  brushes: Record<string, IBrush>;
  /** the scatter plot's x, y and colour fields ('' the default; colour '': none) */
  x: string;
  y: string;
  colour: string;
  /** the metric whose series are overlaid ('' the first) */
  series: string;
  /** the runs picked in the table to diff (at most 2) */
  picked: string[];
}

/**
 * The view of a compare tab nobody changed.
 */
export const EMPTY_COMPARE_VIEW: ICompareView = {
  all: false,
  axes: null,
  follow: null,
  brushes: {},
  x: '',
  y: '',
  colour: '',
  series: '',
  picked: []
};

// bounds of a view read back: a workspace file is the user's, but it may be edited,
// truncated or written by another version
const MAX_AXES = 2000;
const MAX_ID = 1000;

const isId = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;

const idOr = (v: unknown): string => (isId(v) ? v : '');

const inUnit = (t: unknown): t is number =>
  typeof t === 'number' && Number.isFinite(t) && t >= 0 && t <= 1;

/**
 * A compare view read back from a workspace, defensively: whatever is not what it
 * should be is dropped and the rest kept.
 *
 * @param value what was kept
 * @returns the view (EMPTY_COMPARE_VIEW's values where nothing usable was kept)
 */
export function readCompareView(value: unknown): ICompareView {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return EMPTY_COMPARE_VIEW;
  }
  const v = value as Record<string, unknown>;
  const axes = Array.isArray(v.axes)
    ? [...new Set(v.axes.slice(0, MAX_AXES).filter(isId))]
    : null;
  const brushes: Record<string, IBrush> = {};
  if (typeof v.brushes === 'object' && v.brushes !== null) {
    for (const [id, b] of Object.entries(v.brushes).slice(0, MAX_AXES)) {
      const { lo, hi } = (b ?? {}) as Record<string, unknown>;
      if (isId(id) && inUnit(lo) && inUnit(hi)) {
        brushes[id] = { lo: Math.min(lo, hi), hi: Math.max(lo, hi) };
      }
    }
  }
  return {
    all: v.all === true,
    axes,
    follow: isId(v.follow) ? v.follow : null,
    brushes,
    x: idOr(v.x),
    y: idOr(v.y),
    colour: idOr(v.colour),
    series: idOr(v.series),
    picked: Array.isArray(v.picked)
      ? [...new Set(v.picked.filter(isId))].slice(-2)
      : []
  };
}
