import { render, waitFor } from '@testing-library/react';
import React from 'react';
import { IRunsAPI } from '../../api/runs';
import { RunDetail } from '../../run-detail/RunDetail';
import { RunDetailModel } from '../../run-detail/detailModel';
import { CompareView } from '../../compare/CompareView';
import { fullRun } from '../../__tests__/runFixtures';
import { compareRun, last } from '../../compare/__tests__/compareFixtures';
import { heldSeries } from '../SeriesChart';
import type { ICompareRun } from '../../diff/api';
import { metricSeries } from '../data';

/**
 * A metric series of n points (a noisy decay), as the server sends it.
 *
 * @param n points
 * @returns the series
 */
function longSeries(n: number) {
  const points = [];
  for (let i = 0; i < n; i++) {
    const value = 1 / (1 + i / 1000) + ((i * 7919) % 100) / 10000;
    points.push({ value, text: String(value), step: i, time: null });
  }
  return points;
}

describe('a run with a 150,000-point metric', () => {
  let errors: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => errors.mockRestore());

  it('opens its detail with the metric chart and no failed part', async () => {
    // Given a run whose loss has 150,000 points (it used to open a blank tab: spreading
    // the points into Math.min/Math.max overflowed the call stack)
    const run = fullRun(1, { metrics: { loss: longSeries(150_000) } as any });
    const api = {
      getRun: async () => run,
      getRunFiles: async () => [],
      getRunNotebook: async () => null,
      getRunLineage: async () => null
    } as unknown as IRunsAPI;
    const model = new RunDetailModel(run.id, api);
    await model.load();
    // When its detail is shown
    const { container } = render(
      <RunDetail
        model={model}
        onOpenRun={jest.fn()}
        onOpenFile={jest.fn()}
        onJumpToCell={jest.fn()}
        onExport={jest.fn()}
      />
    );
    // Then the metrics part shows the loss with a chart, and no part failed
    const metrics = container.querySelector('[data-section="metrics"]')!;
    expect(metrics.textContent).toContain('loss');
    expect(metrics.querySelector('.jp-Dotscience-chart')).not.toBeNull();
    expect(container.textContent).not.toMatch(/failed to render/);
  });

  it('compares it with another run: one chart, both series, far fewer points', async () => {
    // Given two runs, one with 150,000 loss points (the compare view gets each run's
    // last values in one request and each series from its loader)
    const series: Record<string, ReturnType<typeof longSeries>> = {
      a: longSeries(150_000),
      b: longSeries(300)
    };
    const runs: ICompareRun[] = [compareRun(1), compareRun(2)].map((r, i) => ({
      ...r,
      metrics: { loss: last(i) }
    }));
    const load = (which: ICompareRun[]) =>
      heldSeries(
        which.map((r, i) => metricSeries(r.id, i ? series.b : series.a))
      );
    // When they are compared
    const { container } = render(
      <CompareView
        runs={runs}
        directions={{}}
        kept={null}
        onKeep={jest.fn()}
        onDirection={jest.fn()}
        onOpenRun={jest.fn()}
        loadSeries={load}
      />
    );
    // Then the loss chart draws both runs, downsampled to about its width
    await waitFor(() => {
      const chart = container.querySelector('.jp-Dotscience-chart');
      expect(chart?.getAttribute('data-series')).toBe('2');
      expect(Number(chart?.getAttribute('data-points'))).toBeGreaterThan(300);
    });
    const chart = container.querySelector('.jp-Dotscience-chart')!;
    expect(Number(chart.getAttribute('data-points'))).toBeLessThan(5000);
  });
});
