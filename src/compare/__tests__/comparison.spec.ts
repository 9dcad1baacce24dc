import {
  bestIndices,
  compareRuns,
  fieldRows,
  higherIsBetter,
  parallelFields,
  association,
  axisCandidates,
  axisNames,
  defaultAxes,
  DEFAULT_AXES,
  shownFields
} from '../comparison';
import { compareRun, last } from './compareFixtures';

const p = (value: number | string) => ({ value, text: String(value) });

describe('compareRuns', () => {
  const runs = [
    compareRun(1, {
      parameters: { alpha: p(0.1), seed: p(1), kind: p('rf') },
      metrics: { accuracy: last(0.8), loss: last(0.3) },
      inputs: [
        { path: 'data/train.csv', sha256: 'a'.repeat(64), size: 1 },
        { path: 'memory:X', sha256: 'c'.repeat(64), size: 1 }
      ]
    }),
    compareRun(2, {
      parameters: { alpha: p(0.5), seed: p(1), kind: p('rf') },
      metrics: { accuracy: last(0.9), loss: last(0.2) },
      inputs: [
        { path: 'data/train.csv', sha256: 'b'.repeat(64), size: 1 },
        { path: 'memory:X', sha256: 'c'.repeat(64), size: 1 }
      ]
    })
  ];

  it('compares keys named like Object members as keys, the run without one showing none', () => {
    // Given one run with a parameter, label, metric and input path named like members
    // every JavaScript object inherits, and one run with none of them
    const named = JSON.parse(
      JSON.stringify(
        compareRun(1, {
          parameters: { constructor: p(1) },
          labels: { toString: 'red' },
          metrics: { valueOf: last(0.5) },
          inputs: [{ path: '__proto__', sha256: 'a'.repeat(64), size: 1 }]
        })
      )
    );
    const cmp = compareRuns([named, compareRun(2)], JSON.parse('{}'));
    // Then each is a field that differs, with a value for the first run only
    const texts = (fields: { name: string; texts: (string | null)[] }[]) =>
      fields.map(f => [f.name, ...f.texts]);
    expect(texts(cmp.parameters)).toEqual([['constructor', '1', null]]);
    expect(texts(cmp.labels)).toEqual([['toString', 'red', null]]);
    expect(texts(cmp.metrics)).toEqual([['valueOf', '0.5', null]]);
    expect(texts(cmp.inputs)).toEqual([['__proto__', 'a'.repeat(12), null]]);
    expect(cmp.metrics[0].differs).toBe(true);
  });

  it('marks only the fields that differ', () => {
    // Given two runs that differ in alpha and in the content of one input
    const cmp = compareRuns(runs);
    // Then alpha and data/train.csv differ; seed, kind and the data set do not
    expect(cmp.parameters.filter(f => f.differs).map(f => f.name)).toEqual([
      'alpha'
    ]);
    expect(cmp.inputs.map(f => [f.name, f.differs])).toEqual([
      ['data/train.csv', true],
      ['memory:X', false]
    ]);
    expect(cmp.inputs[0].texts).toEqual(['a'.repeat(12), 'b'.repeat(12)]);
  });

  it('shows only differing parameters on the axes by default, all when asked', () => {
    const cmp = compareRuns(runs);
    // (by default: those and the first two metrics)
    expect(parallelFields(cmp, false, null).map(f => f.id)).toEqual([
      'param:alpha',
      'input:data/train.csv',
      'metric:accuracy',
      'metric:loss'
    ]);
    expect(
      parallelFields(cmp, false, ['metric:accuracy', 'param:alpha']).map(
        f => f.id
      )
    ).toEqual(['param:alpha', 'metric:accuracy']);
    // (a parameter the same in every run is an axis only with `all`)
    expect(parallelFields(cmp, false, ['param:seed'])).toEqual([]);
    expect(
      parallelFields(cmp, true, [
        'param:alpha',
        'param:kind',
        'param:seed',
        'input:data/train.csv',
        'input:memory:X'
      ]).map(f => f.id)
    ).toEqual([
      'param:alpha',
      'param:kind',
      'param:seed',
      'input:data/train.csv',
      'input:memory:X'
    ]);
    // And the table's columns are the differing fields only
    expect(shownFields(cmp, false).map(f => f.id)).toEqual([
      'param:alpha',
      'input:data/train.csv',
      'metric:accuracy',
      'metric:loss'
    ]);
  });

  it('draws the first 16 differing parameters and 2 metrics by default, not 150', () => {
    // Given runs differing in 150 parameters and logging 5 metrics
    const wide = Array.from({ length: 3 }, (_, i) =>
      compareRun(i, {
        parameters: Object.fromEntries(
          Array.from({ length: 150 }, (_, k) => [
            `p${String(k).padStart(3, '0')}`,
            p(i + k)
          ])
        ),
        metrics: Object.fromEntries(
          ['m1', 'm2', 'm3', 'm4', 'm5'].map(m => [m, last(i)])
        )
      })
    );
    const cmp = compareRuns(wide);
    // Then all 155 can be axes, and 18 are drawn by default
    expect(axisCandidates(cmp, false).length).toBe(155);
    expect(DEFAULT_AXES).toBe(16);
    expect(parallelFields(cmp, false, null).map(f => f.name)).toEqual([
      ...Array.from({ length: 16 }, (_, k) => `p${String(k).padStart(3, '0')}`),
      'm1',
      'm2'
    ]);
  });

  it('measures how closely a field follows a metric: rank correlation, or by groups', () => {
    const metric = [0.1, 0.4, 0.2, 0.9, 0.5, 0.3];
    // numbers in the metric's order (whatever their scale), or in reverse: 1
    expect(association([1, 400, 20, 9000, 500, 30], metric)).toBeCloseTo(1);
    expect(association([6, 3, 5, 1, 2, 4], metric)).toBeCloseTo(1);
    // numbers that do not follow it: near 0
    expect(association([4, 6, 1, 3, 2, 5], metric)).toBeLessThan(0.1);
    // text that splits the runs by the metric: 1; a value per run or one value: 0
    expect(
      association(['lo', 'hi', 'lo', 'hi', 'hi', 'lo'], [1, 2, 1, 2, 2, 1])
    ).toBeCloseTo(1);
    expect(association(['a', 'b', 'c', 'd', 'e', 'f'], metric)).toBe(0);
    expect(association(['a', 'a', 'a', 'a', 'a', 'a'], metric)).toBe(0);
    // runs without the value or the metric are left out; fewer than 3 left: 0
    expect(association([1, undefined, 2, 3], [1, 5, null, 2])).toBe(0);
  });

  it('draws by default the 16 parameters that follow the first metric most closely', () => {
    // Given 40 runs differing in 30 parameters, of which q25 follows accuracy, q27 goes
    // against it and opt (text) splits the runs by it; the others are scrambled
    const scrambled = (i: number, k: number) =>
      ((i * 7919 + k * 104729) % 97) / 97;
    const wide = Array.from({ length: 40 }, (_, i) => {
      const accuracy = i / 40;
      return compareRun(i, {
        parameters: {
          ...Object.fromEntries(
            Array.from({ length: 30 }, (_, k) => [
              `q${String(k).padStart(2, '0')}`,
              p(
                k === 25 ? accuracy * 3 : k === 27 ? -accuracy : scrambled(i, k)
              )
            ])
          ),
          opt: p(accuracy < 0.5 ? 'sgd' : 'adam')
        },
        metrics: { accuracy: last(accuracy), loss: last(1 - accuracy) }
      });
    });
    const picked = defaultAxes(axisCandidates(compareRuns(wide), false));
    // Then those three are among the 16 drawn (in the candidates' order), ranked by
    // accuracy, with the first two metrics
    expect(picked.ranked?.name).toBe('accuracy');
    expect(picked.ids.length).toBe(18);
    expect(picked.ids).toEqual(
      expect.arrayContaining(['param:q25', 'param:q27', 'param:opt'])
    );
    expect(picked.ids.slice(-2)).toEqual(['metric:accuracy', 'metric:loss']);
    expect(picked.rankable.map(m => m.name)).toEqual(['accuracy', 'loss']);
    const order = axisCandidates(compareRuns(wide), false).map(f => f.id);
    expect(
      [...picked.ids].sort((a, b) => order.indexOf(a) - order.indexOf(b))
    ).toEqual(picked.ids);
    // And with 16 or fewer candidates, or no metric, the first ones, unranked
    const few = defaultAxes(
      axisCandidates(compareRuns(wide.map(r => ({ ...r, metrics: {} }))), false)
    );
    expect(few.ranked).toBeNull();
    expect(few.ids[0]).toBe('param:opt');
  });

  it('follows the metric the user names instead of the first one', () => {
    // Given 40 runs differing in 30 parameters, of which q03 follows seconds and q05
    // goes against it, while the others follow accuracy as well as seconds or not at all
    const scrambled = (i: number, k: number) =>
      ((i * 7919 + k * 104729) % 97) / 97;
    const seconds = (i: number) => scrambled(i, 1000);
    const wide = Array.from({ length: 40 }, (_, i) =>
      compareRun(i, {
        parameters: Object.fromEntries(
          Array.from({ length: 30 }, (_, k) => [
            `q${String(k).padStart(2, '0')}`,
            p(
              k === 3
                ? seconds(i) * 2
                : k === 5
                  ? -seconds(i)
                  : k < 20
                    ? i + k / 100
                    : scrambled(i, k)
            )
          ])
        ),
        metrics: {
          accuracy: last(i / 40),
          loss: last(1 - i / 40),
          seconds: last(seconds(i))
        }
      })
    );
    const candidates = axisCandidates(compareRuns(wide), false);
    // When the default follows the first metric: q03 and q05 are left out
    const first = defaultAxes(candidates);
    expect(first.ranked?.name).toBe('accuracy');
    expect(first.ids).not.toContain('param:q03');
    // When it follows seconds
    const bySeconds = defaultAxes(candidates, 'metric:seconds');
    // Then q03 and q05 are drawn, ranked by seconds, with seconds and the first other
    // metric (in the candidates' order)
    expect(bySeconds.ranked?.name).toBe('seconds');
    expect(bySeconds.ranked?.id).toBe('metric:seconds');
    expect(bySeconds.ids).toEqual(
      expect.arrayContaining(['param:q03', 'param:q05'])
    );
    expect(bySeconds.ids.length).toBe(18);
    expect(bySeconds.ids.slice(-2)).toEqual([
      'metric:accuracy',
      'metric:seconds'
    ]);
    // And a metric that is not there, or cannot rank, falls back to the first
    expect(defaultAxes(candidates, 'metric:nope').ranked?.name).toBe(
      'accuracy'
    );
  });

  it('names the axes as the runs do, with the kind when two share a name', () => {
    const cmp = compareRuns([
      compareRun(1, {
        parameters: { lr: p(0.1), depth: p(2) },
        metrics: { lr: last(0.1) }
      }),
      compareRun(2, {
        parameters: { lr: p(0.2), depth: p(3) },
        metrics: { lr: last(0.05) }
      })
    ]);
    expect(axisNames(parallelFields(cmp, false, null))).toEqual({
      'param:depth': 'depth',
      'param:lr': 'lr (parameter)',
      'metric:lr': 'lr (metric)'
    });
  });

  it('marks the best value by the stored direction, else by the name', () => {
    // Given no stored direction: accuracy higher is better, loss lower (guessed)
    let cmp = compareRuns(runs);
    const [accuracy, loss] = cmp.metrics;
    expect([accuracy.direction, accuracy.guessed, accuracy.best]).toEqual([
      'higher',
      true,
      [1]
    ]);
    expect([loss.direction, loss.best]).toEqual(['lower', [1]]);
    // When loss is stored as higher-is-better, Then the first run is best
    cmp = compareRuns(runs, { loss: 'higher' });
    expect([cmp.metrics[1].guessed, cmp.metrics[1].best]).toEqual([false, [0]]);
  });

  it('gives each run its value per field for the plots', () => {
    const cmp = compareRuns(runs);
    const fields = parallelFields(cmp, false, [
      'param:alpha',
      'input:data/train.csv',
      'metric:loss'
    ]);
    const rows = fieldRows(cmp, fields, r => r.description ?? '');
    expect(rows[1]).toEqual({
      id: runs[1].id,
      label: 'run 2',
      values: {
        'param:alpha': 0.5,
        'input:data/train.csv': 'b'.repeat(12),
        'metric:loss': 0.2
      }
    });
  });

  it('compares 500 runs (its speed is a row of make bench: bench_compare)', () => {
    const many = Array.from({ length: 500 }, (_, i) =>
      compareRun(i, {
        parameters: Object.fromEntries(
          Array.from({ length: 50 }, (_, k) => [
            `p${k}`,
            p(k % 5 === 0 ? i : k)
          ])
        ),
        metrics: { loss: last(1 / (i + 1)) }
      })
    );
    const cmp = compareRuns(many);
    expect(cmp.parameters.filter(f => f.differs).length).toBe(10);
    expect(cmp.metrics[0].best).toEqual([499]);
  });
});

describe('bestIndices and higherIsBetter', () => {
  it('finds ties, ignores missing and non-finite values', () => {
    expect(bestIndices([1, 3, null, 3, Infinity], true)).toEqual([1, 3]);
    expect(bestIndices([2, null], false)).toEqual([]);
    expect(higherIsBetter('val_loss')).toBe(false);
    expect(higherIsBetter('f1')).toBe(true);
  });
});
