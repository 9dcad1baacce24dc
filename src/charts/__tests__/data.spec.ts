import {
  align,
  downsample,
  drawable,
  metricSeries,
  pick,
  yRange
} from '../data';

describe('pick (the server rule, in the browser)', () => {
  it('keeps a spike, a dip, the first and the last point', () => {
    // Given 200,000 flat points with one spike and one dip
    const values: number[] = new Array(200_000).fill(1);
    values[123_456] = 1000;
    values[150_001] = -5;
    // When 600 points are picked
    const kept = pick(values, 600);
    // Then at most 600 increasing positions, the spike, the dip and both ends among them
    expect(kept.length).toBeLessThanOrEqual(600);
    expect(kept.every((k, i) => i === 0 || k > kept[i - 1])).toBe(true);
    for (const at of [0, 123_456, 150_001, 199_999]) {
      expect(kept).toContain(at);
    }
  });

  it('keeps every bucket of a sine at its full height', () => {
    // Given a sine of 100,002 points and 1,002 points wanted (500 buckets of 200)
    const values = Array.from({ length: 100_002 }, (_, i) =>
      Math.sin((2 * Math.PI * i) / 7919)
    );
    const kept = new Set(pick(values, 1002));
    // Then each bucket's smallest and largest value is kept
    for (let b = 0; b < 500; b++) {
      const lo = 1 + 200 * b;
      const bucket = values.slice(lo, lo + 200);
      expect(kept.has(lo + bucket.indexOf(Math.min(...bucket)))).toBe(true);
      expect(kept.has(lo + bucket.indexOf(Math.max(...bucket)))).toBe(true);
    }
  });

  it('keeps short series whole, and the last point alone for one', () => {
    expect(pick([1, 2, 3], 3)).toEqual([0, 1, 2]);
    expect(pick([1, 2, 3], 1)).toEqual([2]);
    expect(pick([1, 2, 3], 2)).toEqual([0, 2]);
    expect(pick([], 10)).toEqual([]);
  });

  it('keeps gaps where a bucket has no number', () => {
    // Given numbers, then a stretch of text (null), then numbers
    const values = [
      ...new Array(100).fill(1),
      ...new Array(100).fill(null),
      ...new Array(100).fill(2)
    ];
    // When 20 points are picked
    const kept = pick(values, 20);
    // Then a position inside the stretch of text is kept, so the line breaks there
    expect(kept.some(k => k >= 100 && k < 200)).toBe(true);
  });
});

describe('metricSeries', () => {
  it('numbers steps like the kernel library and makes gaps of what is not a number', () => {
    // Given points with and without steps, text, NaN and infinity
    const series = metricSeries('loss', [
      { value: 1, step: 5 },
      { value: 'n/a' },
      { value: { $float: 'nan' } },
      { value: { $float: 'inf' }, step: 10 },
      { value: 0.5 }
    ]);
    // Then steps 5, 6, 7, 10, 11 and values where they are finite
    expect(Array.from(series.x)).toEqual([5, 6, 7, 10, 11]);
    expect(Array.from(series.y)).toEqual([1, null, null, null, 0.5]);
  });

  it('reads times in seconds for a time axis and leaves out points without one', () => {
    const series = metricSeries(
      'rps',
      [
        { value: 1, time: '2026-11-27T06:30:00.000000Z' },
        { value: 2, time: null },
        { value: 3, time: '2026-11-27T06:30:01.500000Z' }
      ],
      'time'
    );
    const t0 = Date.parse('2026-11-27T06:30:00Z') / 1000;
    expect(Array.from(series.x)).toEqual([t0, t0 + 1.5]);
    expect(Array.from(series.y)).toEqual([1, 3]);
  });
});

describe('align', () => {
  it('puts series with different steps on one ascending axis with gaps', () => {
    // Given two runs logged at different steps, one out of order
    const a = { label: 'a', x: [0, 2, 4], y: [1, 2, 3] };
    const b = { label: 'b', x: [3, 1], y: [30, 10] };
    // When aligned
    const [xs, ya, yb] = align([a, b]);
    // Then every step once, each run null where it has no point
    expect(xs).toEqual([0, 1, 2, 3, 4]);
    expect(ya).toEqual([1, null, 2, null, 3]);
    expect(yb).toEqual([null, 10, null, 30, null]);
  });
});

describe('a 150,000-point series', () => {
  it('is prepared, ranged, aligned and downsampled without overflowing the stack', () => {
    // Given the points of a 150,000-point metric as the server sends them
    const points = Array.from({ length: 150_000 }, (_, i) => ({
      value: i === 99_999 ? 50 : (i % 7) - 3,
      step: i
    }));
    // When it is prepared for a 400-pixel chart
    const series = metricSeries('loss', points);
    const range = yRange([series]);
    const small = downsample(series, 400);
    const [xs, ys] = align([small]);
    // Then the range is the true one, and about 400 points keep the spike and the end
    expect(range).toEqual({ min: -3, max: 50 });
    expect(drawable([series])).toBe(150_000);
    expect(xs.length).toBeLessThanOrEqual(400);
    expect(ys).toContain(50);
    expect(xs[xs.length - 1]).toBe(149_999);
  });

  it('is cut to a zoom window before downsampling', () => {
    const series = {
      label: 'x',
      x: Array.from({ length: 150_000 }, (_, i) => i),
      y: Array.from({ length: 150_000 }, (_, i) => i % 10)
    };
    const small = downsample(series, 100, { min: 1000, max: 1999 });
    expect(small.x[0]).toBe(1000);
    expect(small.x[small.x.length - 1]).toBe(1999);
    expect(small.x.length).toBeLessThanOrEqual(100);
  });
});

describe('yRange', () => {
  it('leaves out values at or below zero for a log scale', () => {
    const s = { label: 'x', x: [0, 1, 2, 3], y: [-1, 0, 0.01, 100] };
    expect(yRange([s], true)).toEqual({ min: 0.01, max: 100 });
    expect(yRange([s])).toEqual({ min: -1, max: 100 });
    expect(yRange([{ label: 'y', x: [0], y: [null] }])).toBeNull();
  });
});
