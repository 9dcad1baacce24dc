import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import React from 'react';
import { CompareView, TABLE_ROWS, tableRows } from '../CompareView';
import { CompareModel } from '../compareModel';
import { heldSeries } from '../../charts/SeriesChart';
import { metricSeries } from '../../charts/data';
import type { ICompareAPI, ICompareRun } from '../../diff/api';
import { compareRun, last } from './compareFixtures';
import { EMPTY_COMPARE_VIEW, ICompareView, readCompareView } from '../view';

const p = (value: number) => ({ value, text: String(value) });

function runs(n: number): ICompareRun[] {
  return Array.from({ length: n }, (_, i) =>
    compareRun(i + 1, {
      parameters: { alpha: p(i / n), seed: p(1) },
      metrics: { accuracy: last(0.5 + i / (2 * n)) }
    })
  );
}

function view(
  rs: ICompareRun[],
  more: Partial<React.ComponentProps<typeof CompareView>> = {}
) {
  const props = {
    runs: rs,
    directions: {},
    kept: null,
    onKeep: jest.fn(),
    onDirection: jest.fn(),
    onOpenRun: jest.fn(),
    onDiff: jest.fn(),
    loadSeries: (which: ICompareRun[], key: string) =>
      heldSeries(
        which.map(r =>
          metricSeries(r.id, [
            {
              value: r.metrics[key]?.value ?? null,
              step: 0,
              time: null
            }
          ])
        )
      ),
    ...more
  };
  return { ...render(<CompareView {...props} />), props };
}

/**
 * Renders the view and waits until its series chart has loaded, as a user would see it.
 */
async function settledView(
  rs: ICompareRun[],
  more: Partial<React.ComponentProps<typeof CompareView>> = {}
) {
  const shown = view(rs, more);
  await waitFor(() =>
    expect(
      shown.container
        .querySelector('.jp-Dotscience-seriesChart')
        ?.getAttribute('data-loading')
    ).toBe('false')
  );
  return shown;
}

describe('CompareView', () => {
  it('puts runs in rows and only differing fields in columns, the best starred', async () => {
    // Given three runs differing in alpha and accuracy only
    const { container } = await settledView(runs(3));
    // Then the columns are alpha and accuracy (not seed), one row per run
    const heads = Array.from(
      container.querySelectorAll('thead th[data-field]')
    );
    expect(heads.map(h => h.getAttribute('data-field'))).toEqual([
      'param:alpha',
      'metric:accuracy'
    ]);
    expect(container.querySelectorAll('tbody tr[data-run]').length).toBe(3);
    // And the best accuracy (the last run's) is starred
    const best = container.querySelectorAll('td.jp-mod-best');
    expect(best.length).toBe(1);
    expect(best[0].closest('tr')!.getAttribute('data-run')).toBe(runs(3)[2].id);
  });

  it('shows every field when asked', async () => {
    const { container } = await settledView(runs(3));
    fireEvent.click(
      screen.getByLabelText('Show fields that are the same in every run')
    );
    const heads = Array.from(
      container.querySelectorAll('thead th[data-field]')
    );
    expect(heads.map(h => h.getAttribute('data-field'))).toContain(
      'param:seed'
    );
  });

  it('caps the table at 100 rows, with a button for all (no 13,000 px table)', async () => {
    const { container } = await settledView(runs(250));
    expect(container.querySelectorAll('tbody tr[data-run]').length).toBe(
      TABLE_ROWS
    );
    fireEvent.click(screen.getByText('Show all 250 runs'));
    expect(container.querySelectorAll('tbody tr[data-run]').length).toBe(250);
    // And the table is as wide as its few differing columns, whatever the number of runs
    expect(container.querySelectorAll('thead th').length).toBe(3);
  });

  it('shows fewer rows of runs that differ in many fields, the rest a click away', async () => {
    // Given 300 runs differing in 200 parameters
    const wide = Array.from({ length: 300 }, (_, i) =>
      compareRun(i + 1, {
        parameters: Object.fromEntries(
          Array.from({ length: 200 }, (_, k) => [`p${k}`, p((i + k) % 7)])
        )
      })
    );
    const { container } = view(wide);
    // Then the table shows 24 rows (about 5,000 cells, not 100 rows of 201 cells)
    const shown = () => container.querySelectorAll('tbody tr[data-run]').length;
    expect(tableRows(201)).toBe(24);
    expect(shown()).toBe(24);
    expect(container.querySelectorAll('thead th[data-field]').length).toBe(200);
    // And Show all shows every run
    fireEvent.click(screen.getByText('Show all 300 runs'));
    expect(shown()).toBe(300);
    // (a few fields keep 100 rows; very wide runs keep 10)
    expect(tableRows(3)).toBe(TABLE_ROWS);
    expect(tableRows(5000)).toBe(10);
  });

  it('draws the parallel coordinates over the differing parameter and a metric', async () => {
    const { container } = await settledView(runs(200));
    const axes = Array.from(container.querySelectorAll('[data-axis]'));
    expect(axes.map(a => a.getAttribute('data-axis'))).toEqual([
      'param:alpha',
      'metric:accuracy'
    ]);
    // (named as the runs name them)
    expect(
      Array.from(
        container.querySelectorAll('.jp-Dotscience-parallel-name'),
        n => n.textContent
      )
    ).toEqual(['alpha', 'accuracy']);
    // And the scatter plot's menus list the fields by name, by kind
    const x = screen.getByLabelText('x') as HTMLSelectElement;
    const groups = Array.from(x.querySelectorAll('optgroup'));
    expect(groups[0].label).toBe('Parameters');
    expect(Array.from(groups[0].children, o => o.textContent)).toEqual([
      'alpha',
      'seed'
    ]);
    expect(x.selectedOptions[0].textContent).toBe('alpha');
    expect(
      container.querySelectorAll('.jp-Dotscience-parallel-lines [data-id]')
        .length
    ).toBe(200);
  });

  it('chooses the axes from a list filtered by name, and goes back to the default', async () => {
    // Given runs differing in 30 parameters and logging 3 metrics
    const name = (k: number) => `q${String(k).padStart(2, '0')}`;
    const wide = Array.from({ length: 4 }, (_, i) =>
      compareRun(i + 1, {
        parameters: Object.fromEntries(
          Array.from({ length: 30 }, (_, k) => [name(k), p(i * (k + 1))])
        ),
        metrics: { m1: last(i), m2: last(2 * i), m3: last(3 * i) }
      })
    );
    const { container } = await settledView(wide);
    const axes = () =>
      Array.from(container.querySelectorAll('[data-axis]')).map(a =>
        a.getAttribute('data-axis')
      );
    // Then 18 of the 33 are drawn: the first 16 parameters and 2 metrics
    const button = screen.getByRole('button', { name: /^Axes:/ });
    expect(button.textContent).toBe('Axes: 18 of 33 (default)');
    expect(axes()).toEqual([
      ...Array.from({ length: 16 }, (_, k) => `param:${name(k)}`),
      'metric:m1',
      'metric:m2'
    ]);
    // When the list is opened and filtered by "2"
    fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    // (it says how the default ones were picked)
    expect(
      screen.getByText(
        /^Default: the 16 parameters and inputs whose values follow m1 most closely/
      )
    ).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Filter axes by name'), {
      target: { value: ' 2' }
    });
    // Then it lists the 12 matching parameters (2 drawn) and the matching metric
    const list = screen.getByRole('group', { name: 'Axes' });
    expect(
      Array.from(list.querySelectorAll('legend')).map(l => l.textContent)
    ).toEqual(['Parameters (2 of 12)', 'Metrics (1 of 1)']);
    expect(list.querySelectorAll('input[type="checkbox"]').length).toBe(13);
    // When all matching ones are ticked
    fireEvent.click(screen.getByText('All 13 matching'));
    // Then they are drawn too, in the parameters' order
    expect(button.textContent).toBe('Axes: 28 of 33');
    expect(axes()).toEqual([
      ...Array.from({ length: 16 }, (_, k) => `param:${name(k)}`),
      ...Array.from({ length: 10 }, (_, k) => `param:${name(20 + k)}`),
      'metric:m1',
      'metric:m2'
    ]);
    // When the filter is cleared and the third metric ticked, the first one unticked
    fireEvent.change(screen.getByLabelText('Filter axes by name'), {
      target: { value: '' }
    });
    fireEvent.click(screen.getByLabelText('m3'));
    fireEvent.click(screen.getByLabelText('m1'));
    expect(axes().slice(-2)).toEqual(['metric:m2', 'metric:m3']);
    // When None is pressed: no axes, and the plot says so
    fireEvent.click(screen.getByText('None'));
    expect(axes()).toEqual([]);
    expect(button.textContent).toBe('Axes: 0 of 33');
    expect(
      screen.getByText('No axes chosen: choose some under Axes.')
    ).toBeTruthy();
    // When Default is pressed: the first 16 parameters and 2 metrics again
    fireEvent.click(screen.getByText('Default'));
    expect(button.textContent).toBe('Axes: 18 of 33 (default)');
    expect(axes().length).toBe(18);
    // When m3 is ticked, then the default is told to follow m3
    fireEvent.click(screen.getByLabelText('m3'));
    expect(button.textContent).toBe('Axes: 19 of 33');
    fireEvent.change(screen.getByLabelText('Default axes follow'), {
      target: { value: 'metric:m3' }
    });
    // Then the default is drawn again, following m3: m3 and the first other metric
    expect(button.textContent).toBe('Axes: 18 of 33 (default)');
    expect(axes().slice(-2)).toEqual(['metric:m1', 'metric:m3']);
    expect(
      screen.getByText(
        /^Default: the 16 parameters and inputs whose values follow m3 most closely/
      )
    ).toBeTruthy();
  });

  it('keeps only the brushed runs in the table, the scatter and the series', async () => {
    // Given 200 runs of which the brushes keep three
    const rs = runs(200);
    const kept = new Set([rs[0].id, rs[5].id, rs[9].id]);
    const { container } = await settledView(rs, { kept });
    // Then the table lists those three
    expect(
      Array.from(container.querySelectorAll('tbody tr[data-run]')).map(r =>
        r.getAttribute('data-run')
      )
    ).toEqual([rs[0].id, rs[5].id, rs[9].id]);
    expect(screen.getByText('3 of 200 runs kept by the brushes')).toBeTruthy();
    // And the series chart overlays three series
    await waitFor(() =>
      expect(
        container
          .querySelector('.jp-Dotscience-chart')
          ?.getAttribute('data-series')
      ).toBe('3')
    );
  });

  it('stores a chosen direction and diffs the two picked runs, older first', async () => {
    const rs = runs(3);
    const { props } = await settledView(rs);
    fireEvent.change(screen.getByLabelText('Better accuracy'), {
      target: { value: 'lower' }
    });
    expect(props.onDirection).toHaveBeenCalledWith('accuracy', 'lower');
    fireEvent.click(
      screen.getByLabelText(`Pick run 3 (${rs[2].id.slice(0, 8)}) to diff`)
    );
    fireEvent.click(
      screen.getByLabelText(`Pick run 1 (${rs[0].id.slice(0, 8)}) to diff`)
    );
    fireEvent.click(screen.getByText('Diff (2/2)'));
    expect(props.onDiff).toHaveBeenCalledWith(rs[0].id, rs[2].id);
  });
});

describe('a compare view kept across page loads', () => {
  it('reports what the user chose, and a view started from it shows the same', async () => {
    // Given the view of 20 runs whose alpha goes from 0 to 0.95
    const rs = runs(20);
    const onView = jest.fn();
    const onKeep = jest.fn();
    const first = await settledView(rs, { onView, onKeep });
    expect(onView).toHaveBeenLastCalledWith(EMPTY_COMPARE_VIEW);
    // When the user brushes the bottom half of alpha (the plot is 260 px high: its axes
    // run from y 238, the bottom, to y 30), ...
    const hit = first.container.querySelector(
      'rect[data-brush="param:alpha"]'
    )!;
    fireEvent.mouseDown(hit, { button: 0, clientY: 238 });
    fireEvent.mouseMove(document, { clientY: 180 });
    fireEvent.mouseUp(document, { clientY: 134 });
    const kept = onKeep.mock.calls.at(-1)![0] as string[];
    expect(kept).toEqual(rs.slice(0, 10).map(r => r.id));
    // ... shows every field, plots seed on x coloured by accuracy and picks two runs
    fireEvent.click(
      screen.getByLabelText('Show fields that are the same in every run')
    );
    fireEvent.change(screen.getByLabelText('x'), {
      target: { value: 'param:seed' }
    });
    fireEvent.change(screen.getByLabelText('colour'), {
      target: { value: 'metric:accuracy' }
    });
    for (const i of [4, 2]) {
      fireEvent.click(
        screen.getByLabelText(
          `Pick run ${i} (${rs[i - 1].id.slice(0, 8)}) to diff`
        )
      );
    }
    // Then the view it reports holds each of those choices
    const chosen: ICompareView = onView.mock.calls.at(-1)![0];
    expect(chosen).toEqual({
      ...EMPTY_COMPARE_VIEW,
      all: true,
      brushes: { 'param:alpha': { lo: 0, hi: 0.5 } },
      x: 'param:seed',
      colour: 'metric:accuracy',
      picked: [rs[3].id, rs[1].id]
    });
    first.unmount();
    // When a view of the same runs starts from what was kept (as a restored tab does)
    const onKeepAgain = jest.fn();
    const onDiff = jest.fn();
    const again = await settledView(rs, {
      onKeep: onKeepAgain,
      onDiff,
      initialView: readCompareView(JSON.parse(JSON.stringify(chosen)))
    });
    // Then the brush keeps the same runs and is drawn, and the choices are shown
    expect(onKeepAgain).toHaveBeenLastCalledWith(kept);
    expect(
      again.container.querySelector('.jp-Dotscience-parallel-brush')
    ).toBeTruthy();
    expect(
      (
        screen.getByLabelText(
          'Show fields that are the same in every run'
        ) as HTMLInputElement
      ).checked
    ).toBe(true);
    expect((screen.getByLabelText('x') as HTMLSelectElement).value).toBe(
      'param:seed'
    );
    expect((screen.getByLabelText('colour') as HTMLSelectElement).value).toBe(
      'metric:accuracy'
    );
    fireEvent.click(screen.getByText('Diff (2/2)'));
    expect(onDiff).toHaveBeenCalledWith(rs[1].id, rs[3].id);
  });

  it('falls back to the defaults where a kept view names what these runs lack', async () => {
    // Given a kept view naming a metric, fields and runs these runs do not have
    const rs = runs(5);
    await settledView(rs, {
      initialView: {
        ...EMPTY_COMPARE_VIEW,
        x: 'param:gone',
        series: 'vanished',
        picked: ['not-a-run', rs[0].id]
      }
    });
    // Then the defaults are shown, and only the run that exists is picked
    expect((screen.getByLabelText('x') as HTMLSelectElement).value).toBe(
      'param:alpha'
    );
    expect(
      (screen.getByLabelText('Series metric') as HTMLSelectElement).value
    ).toBe('accuracy');
    expect(screen.getByText('Diff (1/2)')).toBeTruthy();
  });

  it('reads a hostile kept view defensively, keeping what is usable', () => {
    expect(readCompareView(null)).toEqual(EMPTY_COMPARE_VIEW);
    expect(readCompareView([1, 2])).toEqual(EMPTY_COMPARE_VIEW);
    expect(readCompareView('x')).toEqual(EMPTY_COMPARE_VIEW);
    const read = readCompareView({
      all: 'yes',
      axes: ['param:a', 7, 'param:a', '', 'metric:m'],
      follow: { evil: true },
      brushes: {
        'param:a': { lo: 0.8, hi: 0.2 },
        'param:b': { lo: -1, hi: 0.5 },
        'param:c': { lo: 0.1, hi: Number.NaN },
        'param:d': null,
        ['x'.repeat(5000)]: { lo: 0, hi: 1 }
      },
      x: 'param:a',
      y: 42,
      colour: 'x'.repeat(5000),
      series: 'loss',
      picked: ['r1', 'r2', 'r3', 4]
    });
    expect(read).toEqual({
      all: false,
      axes: ['param:a', 'metric:m'],
      follow: null,
      brushes: { 'param:a': { lo: 0.2, hi: 0.8 } },
      x: 'param:a',
      y: '',
      colour: '',
      series: 'loss',
      picked: ['r2', 'r3']
    });
  });
});

describe('CompareModel', () => {
  it('fetches every run in one request and keeps the directions it stores', async () => {
    const rs = runs(500);
    const api: ICompareAPI = {
      compareRuns: jest.fn().mockResolvedValue({
        runs: rs,
        missing: ['x'],
        directions: { loss: 'lower' }
      }),
      diffRuns: jest.fn(),
      setDirection: jest.fn().mockResolvedValue(undefined),
      previousRun: jest.fn()
    };
    const model = new CompareModel(
      rs.map(r => r.id),
      api
    );
    await model.load();
    expect(api.compareRuns).toHaveBeenCalledTimes(1);
    expect(model.runs.length).toBe(500);
    expect(model.missing).toEqual(['x']);
    await model.setDirection('accuracy', 'higher');
    expect(api.setDirection).toHaveBeenCalledWith('accuracy', 'higher');
    expect(model.directions).toEqual({ loss: 'lower', accuracy: 'higher' });
    model.keep([rs[1].id]);
    expect([...model.kept!]).toEqual([rs[1].id]);
  });

  it('says it changed only when the runs kept change', () => {
    // Given a model (nothing brushed) whose changes are counted
    const model = new CompareModel(['a', 'b', 'c']);
    let changes = 0;
    model.changed.connect(() => changes++);
    // When the view reports no brush, then two runs twice, then no brush twice
    model.keep(null);
    model.keep(['a', 'b']);
    model.keep(['b', 'a']);
    model.keep(null);
    model.keep(null);
    // Then it changed twice: to the two runs, and back to all
    expect(changes).toBe(2);
  });

  it('says its view changed only when it did, without drawing again', () => {
    const model = new CompareModel(['a', 'b'], undefined, {
      ...EMPTY_COMPARE_VIEW,
      x: 'param:a'
    });
    let changes = 0;
    let draws = 0;
    model.viewChanged.connect(() => changes++);
    model.changed.connect(() => draws++);
    model.setView({ ...EMPTY_COMPARE_VIEW, x: 'param:a' });
    model.setView({ ...EMPTY_COMPARE_VIEW, x: 'param:b' });
    model.setView({ ...EMPTY_COMPARE_VIEW, x: 'param:b' });
    expect(changes).toBe(1);
    expect(draws).toBe(0);
    expect(model.view.x).toBe('param:b');
  });
});

describe('the compare tab at rest', () => {
  it('reports its brushes once, not again each time it is drawn', async () => {
    // Given the view of 20 runs, drawn again and again by its tab with the same runs (the
    // tab draws again when the model says it changed: a report on every draw looped,
    // burning a core while the tab was open)
    const shown = await settledView(runs(20));
    const { rerender, props } = shown;
    for (let i = 0; i < 3; i++) {
      rerender(<CompareView {...props} onKeep={props.onKeep} />);
    }
    // Then it reported "nothing brushed" once
    expect(props.onKeep).toHaveBeenCalledTimes(1);
    expect(props.onKeep).toHaveBeenLastCalledWith(null);
  });
});
