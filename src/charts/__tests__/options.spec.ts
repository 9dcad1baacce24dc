import * as fs from 'fs';
import * as path from 'path';
import {
  IChartTheme,
  PALETTE_SIZE,
  chartOptions,
  legendMode,
  readTheme,
  readout,
  seriesVariable
} from '../options';

const THEME: IChartTheme = {
  series: Array.from({ length: PALETTE_SIZE }, (_, i) => `#00000${i}`),
  text: '#111111',
  grid: '#eeeeee',
  font: '10px sans-serif'
};

const LOOK = {
  labels: ['a', 'b'],
  width: 320,
  height: 140,
  x: 'step' as const,
  log: false,
  compact: false
};

describe('chartOptions', () => {
  it('colours each series from the theme, in order, and hides the built-in legend', () => {
    const opts = chartOptions({ ...LOOK, labels: ['a', 'b', 'c'] }, THEME);
    expect(opts.series.slice(1).map(s => s.stroke)).toEqual([
      '#000000',
      '#000001',
      '#000002'
    ]);
    expect(opts.series.slice(1).map(s => s.label)).toEqual(['a', 'b', 'c']);
    expect(opts.legend?.show).toBe(false);
    expect(opts.axes?.[0].stroke).toBe('#111111');
    expect((opts.axes?.[1].grid as any).stroke).toBe('#eeeeee');
  });

  it('reuses the palette in order past ten series', () => {
    const labels = Array.from({ length: 12 }, (_, i) => `run ${i}`);
    const opts = chartOptions({ ...LOOK, labels }, THEME);
    expect(opts.series[11].stroke).toBe('#000000');
    expect(opts.series[12].stroke).toBe('#000001');
  });

  it('uses a log y scale, a time x scale and drag-to-zoom along x when asked', () => {
    const opts = chartOptions({ ...LOOK, log: true, x: 'time' }, THEME);
    expect(opts.scales?.y).toEqual({ distr: 3, log: 10 });
    expect(opts.scales?.x?.time).toBe(true);
    expect(opts.cursor?.drag).toMatchObject({ x: true, y: false });
    const linear = chartOptions(LOOK, THEME);
    expect(linear.scales?.y?.distr).toBeUndefined();
    expect(linear.scales?.x?.time).toBe(false);
  });

  it('labels a step axis with whole numbers only (a sweep of 3 trials has no trial 0.5)', () => {
    // Given a chart of steps, and one of times
    const steps = chartOptions(LOOK, THEME).axes?.[0];
    const times = chartOptions({ ...LOOK, x: 'time' }, THEME).axes?.[0];
    // Then the step axis's tick spacings are whole numbers from 1 up, the time axis keeps
    // uPlot's own
    const incrs = steps?.incrs as number[];
    expect(incrs.slice(0, 4)).toEqual([1, 2, 5, 10]);
    expect(incrs.every(v => Number.isInteger(v) && v >= 1)).toBe(true);
    expect(times?.incrs).toBeUndefined();
  });

  it('draws a sparkline without axes or cursor', () => {
    const opts = chartOptions({ ...LOOK, compact: true }, THEME);
    expect(opts.axes?.every(a => a.show === false)).toBe(true);
    expect(opts.cursor?.show).toBe(false);
  });
});

describe('readout', () => {
  // a chart whose y pixel is 100 minus the value
  const chart = (idx: number | null, top: number, hidden: number[] = []) =>
    ({
      cursor: { idx, top },
      data: [
        [0, 10, 20],
        [1, 5, 9],
        [50, 60, 70]
      ],
      series: [{}, { label: 'a' }, { label: 'b' }].map((s, i) => ({
        ...s,
        show: !hidden.includes(i)
      })),
      valToPos: (v: number) => 100 - v
    }) as any;

  it('names the series nearest the cursor, its value and the step there', () => {
    // When the cursor is at step 10, near b's value 60 (pixel 40)
    expect(readout(chart(1, 42), 'step')).toBe('b: 60 at step 10');
    // And near a's value 5 (pixel 95)
    expect(readout(chart(1, 90), 'step')).toBe('a: 5 at step 10');
  });

  it('skips hidden series and says nothing off the points', () => {
    expect(readout(chart(1, 42, [2]), 'step')).toBe('a: 5 at step 10');
    expect(readout(chart(null, 42), 'step')).toBe('');
    expect(readout(chart(1, -10), 'step')).toBe('');
  });
});

describe('legendMode', () => {
  it('shows no legend for one series, a row up to ten, a collapsed list for 100', () => {
    expect(legendMode(1)).toBe('none');
    expect(legendMode(2)).toBe('inline');
    expect(legendMode(10)).toBe('inline');
    expect(legendMode(11)).toBe('collapsed');
    expect(legendMode(100)).toBe('collapsed');
  });
});

describe('readTheme', () => {
  it('reads the series colours and axis colours from CSS custom properties', () => {
    // Given a page whose theme sets the chart's custom properties
    const el = document.createElement('div');
    document.body.appendChild(el);
    el.style.setProperty('--jp-ui-font-color2', 'rgb(1, 2, 3)');
    el.style.setProperty('--jp-border-color2', 'rgb(4, 5, 6)');
    el.style.setProperty(seriesVariable(3), 'rgb(7, 8, 9)');
    el.style.fontSize = '10.8333px';
    el.style.fontFamily = 'Inter, sans-serif';
    // When the chart reads them
    const theme = readTheme(el);
    // Then it draws with them
    expect(theme.text).toBe('rgb(1, 2, 3)');
    expect(theme.grid).toBe('rgb(4, 5, 6)');
    expect(theme.series[3]).toBe('rgb(7, 8, 9)');
    expect(theme.series).toHaveLength(PALETTE_SIZE);
    // And its font in whole pixels (uPlot draws no axis text without a `<n>px` size)
    expect(theme.font).toBe('11px Inter, sans-serif');
    el.remove();
  });
});

/**
 * The ten series colours a theme block of style/charts.css sets.
 *
 * @param block the text of the block
 * @returns the colours, in order
 */
function colours(block: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < PALETTE_SIZE; i++) {
    const m = new RegExp(`${seriesVariable(i)}:\\s*(#[0-9a-fA-F]{6})`).exec(
      block
    );
    expect(m).not.toBeNull();
    found.push(m![1]);
  }
  return found;
}

/**
 * CIE L*a*b* of an sRGB colour.
 *
 * @param hex `#rrggbb`
 * @returns `[L, a, b]`
 */
function lab(hex: string): [number, number, number] {
  const lin = [1, 3, 5].map(i => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const [r, g, b] = lin;
  const xyz = [
    (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
    0.2126 * r + 0.7152 * g + 0.0722 * b,
    (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
  ].map(t =>
    t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 / 116) * t + 16 / 116
  );
  return [116 * xyz[1] - 16, 500 * (xyz[0] - xyz[1]), 200 * (xyz[1] - xyz[2])];
}

describe('the palette (style/charts.css)', () => {
  const css = fs.readFileSync(
    path.join(__dirname, '..', '..', '..', 'style', 'charts.css'),
    'utf8'
  );
  const light = css.slice(css.indexOf(':root'), css.indexOf('}'));
  const darkStart = css.indexOf("body[data-jp-theme-light='false']");
  const dark = css.slice(darkStart, css.indexOf('}', darkStart));

  it.each([
    ['light', light],
    ['dark', dark]
  ])(
    'gives the first ten series clearly different colours (%s theme)',
    (_, block) => {
      // Given the ten colours of a theme
      const palette = colours(block);
      // Then no two are alike: every pair is at least 20 apart in CIE76 delta E (two
      // greens a user cannot tell apart are about 5 apart)
      for (let i = 0; i < palette.length; i++) {
        for (let j = i + 1; j < palette.length; j++) {
          const [a, b] = [lab(palette[i]), lab(palette[j])];
          const dE = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
          expect({ pair: [i, j], far: dE >= 20 }).toEqual({
            pair: [i, j],
            far: true
          });
        }
      }
    }
  );

  it('lightens every colour for the dark theme', () => {
    // Given the light and dark palettes
    const [l, d] = [colours(light), colours(dark)];
    // Then each dark-theme colour is lighter than its light-theme one
    l.forEach((c, i) => expect(lab(d[i])[0]).toBeGreaterThan(lab(c)[0]));
  });
});
