import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import React from 'react';
import { APIError } from '../../api/request';
import { ISweepsAPI, SweepWire } from '../api';
import { SweepForm } from '../SweepForm';
import { SweepModel, objectiveSeries, sweepDimensions } from '../sweepModel';
import { SweepView } from '../SweepView';

function trial(
  number: number,
  state: SweepWire.TrialState,
  C: number,
  objective: number | null,
  extra: Partial<SweepWire.ITrial> = {}
): SweepWire.ITrial {
  return {
    number,
    state,
    run_id: state === 'running' ? null : `run-${number}-0000-0000`,
    values: { C, kernel: number % 2 ? 'rbf' : 'linear' },
    objective,
    error: null,
    started: null,
    finished: null,
    best: false,
    ...extra
  };
}

function sweep(
  trials: SweepWire.ITrial[],
  fields: Partial<SweepWire.ISweep> = {}
): SweepWire.ISweep {
  const counts = {
    trials: trials.length,
    done: 0,
    running: 0,
    pruned: 0,
    failed: 0,
    cancelled: 0
  };
  for (const t of trials) {
    if (t.state in counts) {
      (counts as any)[t.state]++;
    }
  }
  return {
    id: '0f1e2d3c-0000-4000-8000-000000000000',
    notebook: 'train.ipynb',
    project: 'default',
    owner: 'alice',
    state: 'running',
    backend: 'local',
    spec: {
      method: 'random',
      metric: { name: 'accuracy', goal: 'maximize' },
      parameters: {
        C: { distribution: 'log_uniform_values', min: 0.01, max: 10 },
        kernel: { distribution: 'categorical', values: ['linear', 'rbf'] },
        max_iter: { distribution: 'constant', value: 200 }
      },
      run_cap: 6,
      parallelism: 2,
      max_duration_seconds: null
    },
    spec_yaml: 'method: random\n',
    best: null,
    counts,
    message: null,
    created: '2026-11-30T06:00:00.000000Z',
    updated: '2026-11-30T06:00:00.000000Z',
    finished: null,
    trials,
    ...fields
  };
}

describe('objectiveSeries', () => {
  it('draws the finished trials objective and the best so far by the goal', () => {
    // Given trials out of order, one failed and one running
    const trials = [
      trial(2, 'done', 1, 0.7),
      trial(0, 'done', 1, 0.8),
      trial(1, 'failed', 1, null),
      trial(3, 'done', 1, 0.9),
      trial(4, 'running', 1, null)
    ];
    // When drawn for maximize and minimize
    const [obj, best] = objectiveSeries(trials, 'maximize');
    const [, low] = objectiveSeries(trials, 'minimize');
    // Then x is the trial number, and the best line only improves
    expect(Array.from(obj.x)).toEqual([0, 2, 3]);
    expect(Array.from(obj.y)).toEqual([0.8, 0.7, 0.9]);
    expect(Array.from(best.y)).toEqual([0.8, 0.8, 0.9]);
    expect(Array.from(low.y)).toEqual([0.8, 0.7, 0.7]);
    expect(objectiveSeries([trial(0, 'failed', 1, null)], 'maximize')).toEqual(
      []
    );
  });

  it('plots the varied parameters and the objective, log-uniform ones on a log scale', () => {
    // Given a sweep with a constant parameter
    // When its dimensions are read
    const { dimensions, log } = sweepDimensions(sweep([]));
    // Then the constant is left out and the metric comes last
    expect(dimensions).toEqual(['C', 'kernel', 'accuracy']);
    expect([...log]).toEqual(['C']);
  });
});

describe('SweepView', () => {
  it('shows progress, the best trial, and a trials table linking to runs', () => {
    // Given a running sweep: three done (trial 3 best), one failed, one running
    const trials = [
      trial(0, 'done', 0.1, 0.8),
      trial(1, 'failed', 1, null, { error: 'ValueError: bad C' }),
      trial(2, 'done', 1, 0.7),
      trial(3, 'done', 3, 0.95, { best: true }),
      trial(4, 'running', 5, null)
    ];
    const onOpenRun = jest.fn();
    const onCancel = jest.fn();
    const s = sweep(trials, {
      best: { trial: 3, run_id: 'run-3-0000-0000', value: 0.95 }
    });
    render(
      <SweepView
        sweep={s}
        error={null}
        cancelling={false}
        onCancel={onCancel}
        onOpenRun={onOpenRun}
      />
    );
    // Then the counts, the best trial and its values are shown
    expect(screen.getByTestId('sweep-counts').textContent).toBe(
      '4 of 6 trials finished: 3 done, 1 running, 0 pruned, 1 failed'
    );
    expect(screen.getByTestId('sweep-best').textContent).toContain(
      'Best so far: trial 3, accuracy 0.95 with C = 3, kernel = rbf'
    );
    // and the failed trial's error is in its row, the best row starred
    const failed = document.querySelector('tr[data-trial="1"]')!;
    expect(failed.textContent).toContain('ValueError: bad C');
    expect(
      document
        .querySelector('tr[data-trial="3"]')!
        .classList.contains('jp-mod-best')
    ).toBe(true);
    // When a trial's run is clicked, that run is opened
    fireEvent.click(document.querySelector('tr[data-trial="2"] button')!);
    expect(onOpenRun).toHaveBeenCalledWith('run-2-0000-0000');
    // When Cancel is clicked, the sweep is cancelled
    fireEvent.click(screen.getByText('Cancel sweep'));
    expect(onCancel).toHaveBeenCalled();
  });

  it('has no Cancel once the sweep has finished', () => {
    // Given a finished sweep
    render(
      <SweepView
        sweep={sweep([trial(0, 'done', 1, 0.5)], { state: 'done' })}
        error={null}
        cancelling={false}
        onCancel={jest.fn()}
        onOpenRun={jest.fn()}
      />
    );
    // Then it says finished and offers no Cancel
    expect(screen.getByTestId('sweep-state').textContent).toBe('finished');
    expect(screen.queryByText('Cancel sweep')).toBeNull();
  });
});

describe('SweepModel', () => {
  it('reads the sweep until it has finished, and no more', async () => {
    // Given an API whose sweep finishes on the third read
    const reads = [
      sweep([trial(0, 'running', 1, null)]),
      sweep([trial(0, 'done', 1, 0.5)])
    ];
    const done = sweep([trial(0, 'done', 1, 0.5)], { state: 'done' });
    let n = 0;
    const api: ISweepsAPI = {
      startSweep: jest.fn(),
      listSweeps: jest.fn(),
      getSweep: jest.fn(async () => (n < reads.length ? reads[n++] : done)),
      cancelSweep: jest.fn()
    };
    const model = new SweepModel('s', api, 5);
    // When it is started
    model.start();
    // Then it reads until the state is done, and no more
    await waitFor(() => expect(model.sweep?.state).toBe('done'));
    const calls = (api.getSweep as jest.Mock).mock.calls.length;
    await new Promise(r => setTimeout(r, 50));
    expect((api.getSweep as jest.Mock).mock.calls.length).toBe(calls);
    model.dispose();
  });

  it('says why a cancel was refused', async () => {
    // Given a sweep whose cancel is refused
    const api: ISweepsAPI = {
      startSweep: jest.fn(),
      listSweeps: jest.fn(),
      getSweep: jest.fn(async () => sweep([], { state: 'done' })),
      cancelSweep: jest.fn(async () => {
        throw new APIError(409, 'Sweep s has finished already (done).');
      })
    };
    const model = new SweepModel('s', api, 5);
    await model.refresh();
    // When it is cancelled
    await model.cancel();
    // Then the error says so, and cancelling is over
    expect(model.error).toBe(
      'The sweep could not be cancelled: Sweep s has finished already (done).'
    );
    expect(model.cancelling).toBe(false);
    model.dispose();
  });
});

describe('SweepForm', () => {
  it('shows the spec of a grid and starts it; a refusal is shown in the form', async () => {
    // Given the form of a notebook with two parameters, and a server that refuses once
    const onStart = jest
      .fn()
      .mockRejectedValueOnce(
        new APIError(400, 'Parameter C: values must be numbers.')
      )
      .mockResolvedValueOnce(undefined);
    render(
      <SweepForm
        notebook="dir/train.ipynb"
        dirty={true}
        parameters={[
          {
            name: 'C',
            default: 1,
            text: '1.0',
            origin: 'ds.parameter',
            cell: 1
          },
          {
            name: 'kernel',
            default: 'rbf',
            text: "'rbf'",
            origin: 'parameters cell',
            cell: 0
          }
        ]}
        onStart={onStart}
      />
    );
    // Then the unsaved changes are mentioned and, with nothing swept, Start is disabled
    expect(screen.getByText(/unsaved changes/)).toBeTruthy();
    const startButton = screen.getByText('Start sweep') as HTMLButtonElement;
    expect(startButton.disabled).toBe(true);
    expect(screen.getByTestId('sweep-problems').textContent).toContain(
      'Name the metric'
    );
    // When C gets a list and the metric is named
    fireEvent.change(screen.getByLabelText('C: sweep as'), {
      target: { value: 'values' }
    });
    fireEvent.change(screen.getByLabelText('C values (comma-separated)'), {
      target: { value: '0.1, 1, 10' }
    });
    fireEvent.change(screen.getByLabelText('objective metric'), {
      target: { value: 'accuracy' }
    });
    // Then the YAML spec and the grid's size are shown, and Start is enabled
    expect(screen.getByTestId('sweep-yaml').textContent).toContain(
      'C:\n    values: [0.1, 1, 10]'
    );
    expect(screen.getByTestId('sweep-grid-size').textContent).toBe(
      'The grid has 3 trials.'
    );
    expect(startButton.disabled).toBe(false);
    // When it is started and refused
    fireEvent.click(startButton);
    // Then the refusal is shown, and the request named the notebook and the spec
    await screen.findByText('Parameter C: values must be numbers.');
    expect(onStart.mock.calls[0][0]).toEqual({
      notebook: 'dir/train.ipynb',
      backend: 'local',
      spec: {
        method: 'grid',
        metric: { name: 'accuracy', goal: 'maximize' },
        parameters: { C: { values: [0.1, 1, 10] } },
        parallelism: 2
      }
    });
    // When started again, it goes through without a message
    fireEvent.click(startButton);
    await waitFor(() => expect(onStart).toHaveBeenCalledTimes(2));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it("lists the notebook's earlier sweeps, each opening its view", async () => {
    // Given a notebook swept once before
    const onOpenSweep = jest.fn();
    const earlier = sweep([trial(0, 'done', 1, 0.5)], { state: 'done' });
    render(
      <SweepForm
        notebook="train.ipynb"
        dirty={false}
        parameters={[]}
        onStart={jest.fn()}
        loadEarlier={async () => [earlier]}
        onOpenSweep={onOpenSweep}
      />
    );
    // Then the form says there is nothing to sweep, and lists the earlier sweep
    expect(screen.getByText(/declares no parameters/)).toBeTruthy();
    const list = await screen.findByTestId('sweep-earlier');
    expect(list.textContent).toContain('Sweep 0f1e2d3c');
    expect(list.textContent).toContain('random, done, 1 of 6 trials done');
    // When it is clicked, its view is opened
    fireEvent.click(screen.getByText('Sweep 0f1e2d3c'));
    expect(onOpenSweep).toHaveBeenCalledWith(earlier.id);
  });
});
