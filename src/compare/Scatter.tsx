import React from 'react';
import { numeric } from '../values';
import { seriesVariable } from '../charts/options';

/**
 * One point's coordinate on an axis: numbers as they are, anything else as the index of
 * its category (sorted), so text fields and content hashes can be plotted too.
 */
export interface IScale {
  /** position of a value, or null when the run has none */
  at(value: unknown): number | null;
  min: number;
  max: number;
  /** the categories, when the field is not numeric */
  categories: string[] | null;
}

/**
 * The scale of a field's values.
 *
 * @param values one per run
 * @returns numeric when every present value is a finite number, else categories
 */
export function scaleOf(values: readonly unknown[]): IScale {
  const present = values.filter(v => v !== undefined && v !== null);
  const numbers = present.map(v => numeric(v as any));
  if (present.length && numbers.every(n => n !== null && isFinite(n))) {
    let min = Infinity;
    let max = -Infinity;
    for (const n of numbers as number[]) {
      min = Math.min(min, n);
      max = Math.max(max, n);
    }
    return {
      at: v => {
        const n = v === undefined || v === null ? null : numeric(v as any);
        return n !== null && isFinite(n) ? n : null;
      },
      min,
      max,
      categories: null
    };
  }
  const categories = [...new Set(present.map(v => String(v)))].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  return {
    at: v =>
      v === undefined || v === null ? null : (index.get(String(v)) ?? null),
    min: 0,
    max: Math.max(0, categories.length - 1),
    categories
  };
}

/**
 * The colour slot of each run for a colour field: a category's index, or a number's
 * decile (so at most ten slots, told apart by the theme's series colours).
 *
 * @param values the colour field's value per run
 * @returns the slot per run (null: no value)
 */
export function colourSlots(values: readonly unknown[]): (number | null)[] {
  const scale = scaleOf(values);
  return values.map(v => {
    const at = scale.at(v);
    if (at === null) {
      return null;
    }
    if (scale.categories) {
      return at % 10;
    }
    const span = scale.max - scale.min;
    return span > 0
      ? Math.min(9, Math.floor(((at - scale.min) / span) * 10))
      : 0;
  });
}

/**
 * Props of {@link Scatter}.
 */
export interface IScatterProps {
  title: string;
  /** the value of the x field per run */
  x: readonly unknown[];
  /** the value of the y field per run */
  y: readonly unknown[];
  /** the value of the colour field per run (none: one colour) */
  colour?: readonly unknown[];
  /** runs drawn faded (outside the brushes) */
  faded?: readonly boolean[];
  width?: number;
  height?: number;
}

const PAD = 28;

/**
 * A scatter plot of two fields of the compared runs, coloured by a third (canvas, theme
 * colours read when drawn).
 *
 * @param props the values
 * @returns the plot
 */
export function Scatter(props: IScatterProps): JSX.Element {
  const canvas = React.useRef<HTMLCanvasElement>(null);
  const width = props.width ?? 420;
  const height = props.height ?? 280;
  const xs = scaleOf(props.x);
  const ys = scaleOf(props.y);
  const slots = props.colour ? colourSlots(props.colour) : null;
  let drawn = 0;
  for (let i = 0; i < props.x.length; i++) {
    if (xs.at(props.x[i]) !== null && ys.at(props.y[i]) !== null) {
      drawn++;
    }
  }
  React.useLayoutEffect(() => {
    const el = canvas.current;
    const ctx = el?.getContext?.('2d');
    if (!el || !ctx) {
      return;
    }
    const style = getComputedStyle(el);
    const read = (name: string, fallback: string) =>
      style.getPropertyValue(name).trim() || fallback;
    const ratio = window.devicePixelRatio || 1;
    el.width = width * ratio;
    el.height = height * ratio;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = read('--jp-border-color1', '#888');
    ctx.strokeRect(PAD, 4, width - PAD - 4, height - PAD - 4);
    const px = (v: number) =>
      PAD + 6 + ((v - xs.min) / (xs.max - xs.min || 1)) * (width - PAD - 16);
    const py = (v: number) =>
      height -
      PAD -
      6 -
      ((v - ys.min) / (ys.max - ys.min || 1)) * (height - PAD - 16);
    const colours = Array.from({ length: 10 }, (_, i) =>
      read(seriesVariable(i), read('--jp-brand-color1', '#1976d2'))
    );
    const faded = read('--jp-layout-color3', '#bbb');
    for (let i = 0; i < props.x.length; i++) {
      const x = xs.at(props.x[i]);
      const y = ys.at(props.y[i]);
      if (x === null || y === null) {
        continue;
      }
      const slot = slots ? slots[i] : 0;
      ctx.fillStyle = props.faded?.[i]
        ? faded
        : slot === null
          ? read('--jp-ui-font-color2', '#666')
          : colours[slot];
      ctx.beginPath();
      ctx.arc(px(x), py(y), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.fillStyle = read('--jp-ui-font-color2', '#666');
    ctx.font = `10px ${read('--jp-ui-font-family', 'sans-serif')}`;
    const text = (s: IScale, v: number) =>
      s.categories
        ? (s.categories[v] ?? '').slice(0, 10)
        : String(+v.toPrecision(4));
    ctx.fillText(text(xs, xs.min), PAD, height - 10);
    const maxX = text(xs, xs.max);
    ctx.fillText(maxX, width - 6 - ctx.measureText(maxX).width, height - 10);
    ctx.fillText(text(ys, ys.max), 2, 14);
    ctx.fillText(text(ys, ys.min), 2, height - PAD - 6);
  });
  return (
    <canvas
      ref={canvas}
      className="jp-Dotscience-scatter"
      role="img"
      aria-label={`${props.title}: ${drawn} runs`}
      data-points={drawn}
      style={{ width, height }}
    />
  );
}
