/**
 * The chart's look and behaviour as uPlot options, built from the theme's CSS custom
 * properties read at draw time (so the dark theme, and a theme change, are followed).
 */
import type uPlot from 'uplot';
import { formatValue } from '../values';

/**
 * How many series colours there are; series past these reuse them in order.
 */
export const PALETTE_SIZE = 10;

/**
 * The CSS custom property of a series' colour (`style/charts.css` sets ten per theme).
 *
 * @param index the series' position
 * @returns the property name
 */
export function seriesVariable(index: number): string {
  return `--jp-Dotscience-series-${index % PALETTE_SIZE}`;
}

/**
 * The theme values a chart is drawn with.
 */
export interface IChartTheme {
  /** one colour per palette slot */
  series: string[];
  /** axis values */
  text: string;
  /** grid and ticks */
  grid: string;
  /** the font of axis values */
  font: string;
}

/**
 * Read the chart's theme from CSS custom properties as they apply to an element now.
 *
 * @param element an element inside the chart's container
 * @returns the values (JupyterLab's defaults where a property is unset)
 */
export function readTheme(element: Element): IChartTheme {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) =>
    style.getPropertyValue(name).trim() || fallback;
  const text = read('--jp-ui-font-color2', '#616161');
  const series: string[] = [];
  for (let i = 0; i < PALETTE_SIZE; i++) {
    series.push(read(seriesVariable(i), read('--jp-brand-color1', text)));
  }
  // the element's own font (style/charts.css: the theme's smallest UI font), in whole
  // pixels: uPlot reads the size from a `<n>px` in the font and draws no text without it
  const size = Math.round(parseFloat(style.fontSize)) || 11;
  const family = style.fontFamily || 'sans-serif';
  return {
    series,
    text,
    grid: read('--jp-border-color2', '#e0e0e0'),
    font: `${size}px ${family}`
  };
}

/**
 * What a chart shows and how.
 */
export interface IChartLook {
  /** legend labels, in series order */
  labels: string[];
  /** drawing size in CSS pixels */
  width: number;
  height: number;
  /** x is a step or a time (seconds since the epoch) */
  x: 'step' | 'time';
  /** a logarithmic y axis */
  log: boolean;
  /** a sparkline: no axes, no cursor, no zoom */
  compact: boolean;
}

/**
 * Tick spacings of a step axis: whole numbers only (1, 2, 5, 10, 20, 50, ...), so a chart of
 * a few steps or trials never labels step 0.5.
 */
export const STEP_INCREMENTS: number[] = Array.from({ length: 16 }, (_, p) =>
  [1, 2, 5].map(m => m * 10 ** p)
).flat();

/**
 * The uPlot options of a chart: one coloured line per series, themed axes, no built-in
 * legend (the component draws one that stays small with 100 series), drag along x to
 * zoom when not compact.
 *
 * @param look what is shown
 * @param theme colours and font read from the theme
 * @returns the options
 */
export function chartOptions(
  look: IChartLook,
  theme: IChartTheme
): uPlot.Options {
  const axis = (side: 'x' | 'y'): uPlot.Axis => ({
    stroke: theme.text,
    font: theme.font,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1 },
    ...(side === 'x' && look.x === 'step' ? { incrs: STEP_INCREMENTS } : {}),
    ...(side === 'y'
      ? {
          size: 52,
          values: (_u: uPlot, splits: number[]) =>
            splits.map(v => (v === null ? '' : formatValue(v)))
        }
      : {})
  });
  return {
    width: Math.max(1, Math.round(look.width)),
    height: Math.max(1, Math.round(look.height)),
    legend: { show: false },
    padding: look.compact ? [2, 2, 2, 2] : [8, 20, 0, 0],
    cursor: look.compact
      ? { show: false }
      : {
          drag: { x: true, y: false, setScale: true },
          points: { size: 5 },
          focus: { prox: 16 }
        },
    select: { show: !look.compact, left: 0, top: 0, width: 0, height: 0 },
    scales: {
      x: { time: look.x === 'time' },
      y: look.log ? { distr: 3, log: 10 } : {}
    },
    axes: look.compact
      ? [{ show: false }, { show: false }]
      : [axis('x'), axis('y')],
    series: [
      { label: look.x === 'time' ? 'time' : 'step' },
      ...look.labels.map((label, i) => ({
        label,
        stroke: theme.series[i % theme.series.length],
        width: look.compact ? 1.25 : 1.5,
        spanGaps: true,
        points: { show: false }
      }))
    ]
  };
}

/**
 * How a legend of some series is laid out: a row of entries for a few, a collapsed,
 * scrollable list for many (100 runs must not push the chart off screen).
 *
 * @param count the number of series
 * @returns `none` for one series, `inline` up to 10, `collapsed` beyond
 */
export function legendMode(count: number): 'none' | 'inline' | 'collapsed' {
  if (count <= 1) {
    return 'none';
  }
  return count <= PALETTE_SIZE ? 'inline' : 'collapsed';
}

/**
 * What the chart says under the cursor: the series nearest to it vertically, its value and
 * the x there (the built-in legend, which would list every series, is off).
 *
 * @param u the chart (its cursor, data, series and scales)
 * @param x what x is
 * @returns the text, or '' when the cursor is not over a point
 */
export function readout(
  u: Pick<uPlot, 'cursor' | 'data' | 'series' | 'valToPos'>,
  x: 'step' | 'time'
): string {
  const i = u.cursor.idx;
  const top = u.cursor.top;
  if (i === null || i === undefined || top === undefined || top < 0) {
    return '';
  }
  let best = -1;
  let distance = Infinity;
  for (let s = 1; s < u.data.length; s++) {
    const v = u.data[s][i];
    if (v === null || v === undefined || u.series[s]?.show === false) {
      continue;
    }
    const d = Math.abs(u.valToPos(v, 'y') - top);
    if (d < distance) {
      distance = d;
      best = s;
    }
  }
  if (best < 0) {
    return '';
  }
  const at = u.data[0][i];
  const where =
    x === 'time'
      ? new Date(at * 1000).toLocaleTimeString()
      : `step ${formatValue(at)}`;
  const label = u.series[best]?.label;
  return `${typeof label === 'string' ? label : ''}: ${formatValue(u.data[best][i] as number)} at ${where}`;
}
