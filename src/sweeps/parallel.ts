/**
 * The logic of a parallel-coordinates plot, without drawing: one vertical axis per
 * dimension (numbers on a linear or logarithmic scale, anything else as evenly spaced
 * categories), each row a line through its values, and brushes (a range on an axis) that
 * keep the rows inside every brush.
 */
import { formatValue, numeric } from '../values';

/**
 * One line of the plot.
 */
export interface IParallelRow {
  /** what a click on the line opens (e.g. a run id) */
  id: string;
  /** its name in tooltips */
  label: string;
  /** the value of each dimension (missing: no point on that axis) */
  values: Record<string, unknown>;
}

/**
 * A numeric axis.
 */
export interface INumericAxis {
  kind: 'linear' | 'log';
  name: string;
  /** the bottom and the top of the axis */
  min: number;
  max: number;
}

/**
 * An axis of text (or mixed) values: one place per distinct value, in sorted order.
 */
export interface ICategoryAxis {
  kind: 'category';
  name: string;
  categories: string[];
}

export type Axis = INumericAxis | ICategoryAxis;

/**
 * A brush: the part of an axis between `lo` and `hi`, in the axis' own position units
 * (0 the bottom, 1 the top).
 */
export interface IBrush {
  lo: number;
  hi: number;
}

/**
 * The key of a value on a category axis.
 */
function categoryKey(v: unknown): string {
  if (typeof v === 'string') {
    return v;
  }
  return v !== null && typeof v === 'object' && !('$float' in v)
    ? JSON.stringify(v)
    : formatValue(v as any);
}

/**
 * Whether a value is missing (no point on the axis).
 */
function missing(v: unknown): boolean {
  return v === undefined || v === null;
}

/**
 * Build the axes of the rows' dimensions: numeric when every present value is a finite
 * number (logarithmic when asked and all are above zero), else categories.
 *
 * @param rows the rows
 * @param dimensions the dimensions, in axis order
 * @param log the dimensions to draw on a logarithmic scale when they can be
 * @returns one axis per dimension
 */
export function buildAxes(
  rows: readonly IParallelRow[],
  dimensions: readonly string[],
  log: ReadonlySet<string> = new Set()
): Axis[] {
  return dimensions.map(name => {
    const present = rows.map(r => r.values[name]).filter(v => !missing(v));
    const numbers = present.map(numeric);
    const allFinite = numbers.every(n => n !== null && Number.isFinite(n));
    if (present.length && allFinite) {
      let min = Infinity;
      let max = -Infinity;
      for (const n of numbers as number[]) {
        min = Math.min(min, n);
        max = Math.max(max, n);
      }
      const kind = log.has(name) && min > 0 ? 'log' : 'linear';
      return { kind, name, min, max };
    }
    const categories = Array.from(new Set(present.map(categoryKey))).sort(
      (a, b) => (a < b ? -1 : a > b ? 1 : 0)
    );
    return { kind: 'category', name, categories };
  });
}

/**
 * Where a value sits on an axis.
 *
 * @param axis the axis
 * @param value the value
 * @returns 0 (bottom) to 1 (top), or null when the value is missing or not on the axis
 */
export function position(axis: Axis, value: unknown): number | null {
  if (missing(value)) {
    return null;
  }
  if (axis.kind === 'category') {
    const i = axis.categories.indexOf(categoryKey(value));
    if (i < 0) {
      return null;
    }
    return axis.categories.length === 1
      ? 0.5
      : i / (axis.categories.length - 1);
  }
  const n = numeric(value);
  if (n === null || !Number.isFinite(n)) {
    return null;
  }
  if (axis.min === axis.max) {
    return n === axis.min ? 0.5 : null;
  }
  if (axis.kind === 'log') {
    if (n <= 0) {
      return null;
    }
    return (
      (Math.log(n) - Math.log(axis.min)) /
      (Math.log(axis.max) - Math.log(axis.min))
    );
  }
  return (n - axis.min) / (axis.max - axis.min);
}

/**
 * The value at a position of a numeric axis (for a brush's bounds).
 *
 * @param axis the axis
 * @param t 0 (bottom) to 1 (top)
 * @returns the value there
 */
export function valueAt(axis: INumericAxis, t: number): number {
  if (axis.min === axis.max) {
    return axis.min;
  }
  return axis.kind === 'log'
    ? Math.exp(
        Math.log(axis.min) + t * (Math.log(axis.max) - Math.log(axis.min))
      )
    : axis.min + t * (axis.max - axis.min);
}

/**
 * The labelled ticks of an axis.
 *
 * @param axis the axis
 * @param count about how many a numeric axis gets
 * @returns each tick's position and text
 */
export function ticks(axis: Axis, count = 5): { at: number; text: string }[] {
  if (axis.kind === 'category') {
    return axis.categories.map((c, i) => ({
      at: axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1),
      text: c
    }));
  }
  if (axis.min === axis.max) {
    return [{ at: 0.5, text: formatValue(axis.min) }];
  }
  if (axis.kind === 'log') {
    const out: { at: number; text: string }[] = [];
    const lo = Math.ceil(Math.log10(axis.min));
    const hi = Math.floor(Math.log10(axis.max));
    const stride = Math.max(1, Math.ceil((hi - lo + 1) / count));
    for (let e = lo; e <= hi; e += stride) {
      const v = Math.pow(10, e);
      out.push({ at: position(axis, v)!, text: formatValue(v) });
    }
    if (!out.length) {
      out.push(
        { at: 0, text: formatValue(axis.min) },
        { at: 1, text: formatValue(axis.max) }
      );
    }
    return out;
  }
  const span = axis.max - axis.min;
  const raw = span / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step =
    [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => span / s <= count) ??
    10 * mag;
  const out: { at: number; text: string }[] = [];
  for (
    let v = Math.ceil(axis.min / step) * step;
    v <= axis.max + step * 1e-9;
    v += step
  ) {
    // round away the float error of repeated addition
    const clean = Number(v.toPrecision(12));
    out.push({ at: position(axis, clean) ?? 0, text: formatValue(clean) });
  }
  return out;
}

/**
 * The rows inside every brush (a row missing a brushed dimension is outside).
 *
 * @param rows the rows
 * @param axes the axes
 * @param brushes the brushes, by dimension
 * @returns the ids of the rows kept, in row order
 */
export function brushed(
  rows: readonly IParallelRow[],
  axes: readonly Axis[],
  brushes: Readonly<Record<string, IBrush>>
): string[] {
  const active = axes.filter(a => brushes[a.name]);
  return rows
    .filter(r =>
      active.every(a => {
        const t = position(a, r.values[a.name]);
        const b = brushes[a.name];
        const lo = Math.min(b.lo, b.hi);
        const hi = Math.max(b.lo, b.hi);
        // a tolerance so a brush drawn exactly to a category's place keeps it
        return t !== null && t >= lo - 1e-9 && t <= hi + 1e-9;
      })
    )
    .map(r => r.id);
}

/**
 * A brush's bounds as text (what a numeric brush keeps, or the categories inside it).
 *
 * @param axis the axis
 * @param brush the brush
 * @returns e.g. `0.1 – 0.5` or `adam, sgd`
 */
export function brushText(axis: Axis, brush: IBrush): string {
  const lo = Math.max(0, Math.min(brush.lo, brush.hi));
  const hi = Math.min(1, Math.max(brush.lo, brush.hi));
  if (axis.kind === 'category') {
    const kept = axis.categories.filter(c => {
      const t = position(axis, c)!;
      return t >= lo - 1e-9 && t <= hi + 1e-9;
    });
    return kept.length ? kept.join(', ') : 'none';
  }
  return `${formatValue(valueAt(axis, lo))} – ${formatValue(valueAt(axis, hi))}`;
}

/**
 * The colour of a line from where it sits on the colouring axis (the last one, usually the
 * objective): blue at the bottom through purple and magenta to orange at the top, at a
 * lightness that reads on the light and the dark theme.
 *
 * @param t 0 (bottom) to 1 (top), as {@link position} gives
 * @returns a CSS colour
 */
export function lineColour(t: number): string {
  const clamped = Math.min(1, Math.max(0, t));
  const hue = (220 + 170 * clamped) % 360;
  return `hsl(${Math.round(hue)}, 75%, 55%)`;
}
