import { bestIndices, compareRuns, higherIsBetter } from '../comparison';
import { RestWire } from '../../api/rest';
import { fullRun } from '../../__tests__/runFixtures';

const point = (value: RestWire.Value, step: number) => ({
  value,
  text:
    value !== null && typeof value === 'object' ? value.$float : String(value),
  step,
  time: null
});

describe('compareRuns', () => {
  const a = fullRun(1, {
    parameters: {
      alpha: { value: 0.1, text: '0.1' },
      epochs: { value: 3, text: '3' }
    },
    labels: { team: 'ml' },
    metrics: {
      accuracy: [point(0.5, 0), point(0.91, 1)],
      loss: [point(0.9, 0), point(0.3, 1)]
    }
  });
  const b = fullRun(2, {
    parameters: {
      alpha: { value: 0.5, text: '0.5' },
      epochs: { value: 3, text: '3' }
    },
    labels: { team: 'ml' },
    metrics: { accuracy: [point(0.95, 0)], loss: [point(0.2, 0)] }
  });
  const c = fullRun(3, {
    parameters: { alpha: { value: 0.1, text: '0.1' } },
    metrics: { accuracy: [point({ $float: 'nan' }, 0)] }
  });

  it('marks only the rows whose values differ', () => {
    // Given two runs that differ in alpha only
    const cmp = compareRuns([a, b]);
    // Then alpha differs, epochs and the label do not
    const params = Object.fromEntries(cmp.parameters.map(r => [r.key, r]));
    expect(params.alpha.differs).toBe(true);
    expect(params.alpha.values).toEqual(['0.1', '0.5']);
    expect(params.epochs.differs).toBe(false);
    expect(cmp.labels[0]).toMatchObject({ key: 'team', differs: false });
  });

  it('counts a key missing from one run as a difference', () => {
    // Given a third run without epochs
    // When the three are compared
    const cmp = compareRuns([a, b, c]);
    // Then epochs differs, the missing value shown as null
    const epochs = cmp.parameters.find(r => r.key === 'epochs')!;
    expect(epochs.values).toEqual(['3', '3', null]);
    expect(epochs.differs).toBe(true);
  });

  it('stars the best last value: highest accuracy, lowest loss', () => {
    // Given three runs, one with a NaN accuracy
    const cmp = compareRuns([a, b, c]);
    const metrics = Object.fromEntries(cmp.metrics.map(r => [r.key, r]));
    // Then the last values are compared, NaN and missing never win
    expect(metrics.accuracy.values).toEqual(['0.91', '0.95', 'nan']);
    expect(metrics.accuracy.best).toEqual([1]);
    expect(metrics.loss.higherIsBetter).toBe(false);
    expect(metrics.loss.best).toEqual([1]);
  });

  it('marks ties, and nothing when fewer than two values compare', () => {
    // Given last values with a tie, with NaN and missing ones, and with -inf
    // Then every tied best is marked, nothing when fewer than two compare
    expect(bestIndices([1, 2, 2], true)).toEqual([1, 2]);
    expect(bestIndices([1, null, NaN], true)).toEqual([]);
    expect(bestIndices([-Infinity, 3, 1], false)).toEqual([2]);
  });

  it('guesses the direction from the metric name', () => {
    // Given metric names / Then scores are better high, losses and errors low
    expect(higherIsBetter('accuracy')).toBe(true);
    expect(higherIsBetter('f1')).toBe(true);
    expect(higherIsBetter('val_loss')).toBe(false);
    expect(higherIsBetter('RMSE')).toBe(false);
  });
});
