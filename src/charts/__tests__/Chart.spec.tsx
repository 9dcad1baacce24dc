import { act, fireEvent, render, waitFor } from '@testing-library/react';
import React from 'react';
import uPlot from 'uplot';
import { Chart } from '../Chart';
import {
  SeriesChart,
  heldSeries,
  pointsFor,
  storedMetric
} from '../SeriesChart';
import { requestAPI } from '../../api/request';

jest.mock('../../api/request', () => ({ requestAPI: jest.fn() }));

/** The fake uPlot's charts (src/__mocks__/uplot.js) still on the page. */
function plots(): any[] {
  return ((uPlot as any).instances as any[]).filter(p => !p.destroyed);
}

function line(label: string, n: number, offset = 0) {
  return {
    label,
    x: Array.from({ length: n }, (_, i) => i),
    y: Array.from({ length: n }, (_, i) => i + offset)
  };
}

beforeEach(() => {
  (uPlot as any).instances.length = 0;
});

describe('Chart', () => {
  it('hands uPlot one x axis and a line per series, at its width', () => {
    // When two series are drawn 300 px wide
    render(
      <Chart
        title="loss"
        width={300}
        series={[line('a', 3), line('b', 3, 10)]}
      />
    );
    // Then one chart with both lines, 300 px wide, coloured from the theme
    const [p] = plots();
    expect(p.data).toEqual([
      [0, 1, 2],
      [0, 1, 2],
      [10, 11, 12]
    ]);
    expect(p.options.width).toBe(300);
    expect(p.options.series).toHaveLength(3);
  });

  it('replaces the data of a live chart without building a new one', () => {
    const { rerender } = render(
      <Chart title="loss" width={200} series={[line('a', 3)]} />
    );
    const first = plots()[0];
    rerender(<Chart title="loss" width={200} series={[line('a', 5)]} />);
    expect(plots()).toEqual([first]);
    expect(first.data[0]).toHaveLength(5);
  });

  it('draws a log scale with the values it cannot place left out', () => {
    // Given a loss that reaches zero
    const loss = { label: 'loss', x: [0, 1, 2, 3], y: [1, 0.1, 0, -1] };
    // When drawn on a log scale
    render(<Chart title="loss" width={300} log series={[loss]} />);
    // Then the scale is logarithmic and zero and below are gaps
    const [p] = plots();
    expect(p.options.scales.y).toEqual({ distr: 3, log: 10 });
    expect(p.data[1]).toEqual([1, 0.1, null, null]);
  });

  it('keeps the legend of 100 series collapsed in a scrollable list', () => {
    // Given 100 runs
    const series = Array.from({ length: 100 }, (_, i) => line(`run ${i}`, 2));
    // When they are drawn
    const { container } = render(
      <Chart title="loss" width={300} series={series} />
    );
    // Then the legend is one closed summary naming the count, its entries in a list
    const details = container.querySelector('details')!;
    expect(details.open).toBe(false);
    expect(details.querySelector('summary')!.textContent).toBe('100 series');
    expect(
      details.querySelectorAll('.jp-Dotscience-legend.jp-mod-scroll li')
    ).toHaveLength(100);
  });

  it('hides and shows a series from its legend entry', () => {
    const { getByText } = render(
      <Chart title="loss" width={300} series={[line('a', 2), line('b', 2)]} />
    );
    fireEvent.click(getByText('b'));
    expect(plots()[0].shown[2]).toBe(false);
    fireEvent.click(getByText('b'));
    expect(plots()[0].shown[2]).toBe(true);
  });

  it('reports a drag over x as a zoom and a double-click as zooming out', () => {
    // Given a chart that wants to know about zooms
    const onZoom = jest.fn();
    render(
      <Chart
        title="loss"
        width={300}
        series={[line('a', 100)]}
        onZoom={onZoom}
      />
    );
    const p = plots()[0];
    // When the user drags from 20 to 50 (the fake maps pixels to values 1:1)
    p.select = { left: 20, top: 0, width: 30, height: 100 };
    p.options.hooks.setSelect[0](p);
    // Then the range is reported
    expect(onZoom).toHaveBeenLastCalledWith({ min: 20, max: 50 });
    // When they double-click
    p.options.cursor.bind.dblclick(
      p,
      p.target,
      jest.fn()
    )(new MouseEvent('dblclick'));
    // Then zooming out is reported
    expect(onZoom).toHaveBeenLastCalledWith(null);
  });

  it('reads the theme again and redraws when JupyterLab switches theme', async () => {
    // Given a chart drawn with the light theme's first series colour
    const sheet = document.createElement('style');
    sheet.textContent =
      '.jp-Dotscience-chartCanvas { --jp-Dotscience-series-0: rgb(1, 1, 1); }';
    document.head.appendChild(sheet);
    render(<Chart title="loss" width={300} series={[line('a', 3)]} />);
    expect(plots()[0].options.series[1].stroke).toBe('rgb(1, 1, 1)');
    // When the theme changes (JupyterLab swaps its style sheet and sets attributes on
    // the body)
    sheet.textContent =
      '.jp-Dotscience-chartCanvas { --jp-Dotscience-series-0: rgb(2, 2, 2); }';
    act(() => {
      document.body.setAttribute('data-jp-theme-light', 'false');
    });
    // Then the chart is drawn again with the dark colour
    await waitFor(() =>
      expect(plots()[0].options.series[1].stroke).toBe('rgb(2, 2, 2)')
    );
    expect(plots()).toHaveLength(1);
    document.body.removeAttribute('data-jp-theme-light');
    sheet.remove();
  });
});

describe('SeriesChart', () => {
  it('asks the server for about one point per pixel, then for the zoomed window', async () => {
    // Given a stored metric behind a chart 640 px wide
    const request = requestAPI as jest.Mock;
    request.mockReset();
    request.mockResolvedValue({
      key: 'loss',
      count: 3,
      series: [
        { value: 3, step: 0 },
        { value: 2, step: 500 },
        { value: 1, step: 999 }
      ]
    });
    const load = storedMetric('00000000-0000-4000-8000-000000000001', 'loss');
    render(<SeriesChart title="loss" load={load} width={640} />);
    // Then it asks for 700 points (the width rounded up to 100) and draws them
    await waitFor(() => expect(plots()[0]?.data[0]).toEqual([0, 500, 999]));
    expect(request).toHaveBeenCalledTimes(1);
    expect(request.mock.calls[0][0]).toBe(
      'runs/00000000-0000-4000-8000-000000000001/metrics/loss?points=700'
    );
    // When the user zooms to steps 100.4..200.6
    const p = plots()[0];
    p.select = { left: 100.4, top: 0, width: 100.2, height: 10 };
    act(() => p.options.hooks.setSelect[0](p));
    // Then it asks again for that window only, whole steps included
    await waitFor(() => expect(request).toHaveBeenCalledTimes(2));
    expect(request.mock.calls[1][0]).toBe(
      'runs/00000000-0000-4000-8000-000000000001/metrics/loss?points=700&from=100&to=201'
    );
  });

  it('says so when the series cannot be loaded', async () => {
    const load = jest.fn().mockRejectedValue(new Error('There is no run x.'));
    const { findByRole } = render(
      <SeriesChart title="loss" load={load} width={300} />
    );
    expect((await findByRole('alert')).textContent).toContain(
      'There is no run x.'
    );
  });

  it('downsamples series the browser holds to the chart width', async () => {
    const load = heldSeries([line('a', 50_000), line('b', 10)]);
    const { container } = render(
      <SeriesChart title="loss" load={load} width={300} />
    );
    await waitFor(() => expect(plots()[0]?.data.length).toBe(3));
    const drawn = Number(
      container
        .querySelector('.jp-Dotscience-chart')!
        .getAttribute('data-points')
    );
    expect(drawn).toBeGreaterThan(10);
    expect(drawn).toBeLessThanOrEqual(pointsFor(300) + 10);
  });
});

describe('pointsFor', () => {
  it('rounds the width up to 100 and stays within the server bounds', () => {
    expect(pointsFor(1)).toBe(100);
    expect(pointsFor(301)).toBe(400);
    expect(pointsFor(50_000)).toBe(10_000);
  });
});
