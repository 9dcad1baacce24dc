import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { CurrentRun } from '../CurrentRun';
import { DeclareForm, parseValue } from '../DeclareForm';
import { humanSize } from '../../format';
import { compactNumber } from '../../values';
import { LiveMetricChart } from '../CurrentRun';
import uPlot from 'uplot';
import { KernelRunModel } from '../../kernel/kernelRun';

function attachedRun() {
  const sent: any[] = [];
  const run = new KernelRunModel('work/a.ipynb');
  run.setSender(d => {
    sent.push(d);
    return true;
  });
  run.setKernel('Python 3', 'k1');
  run.setBridge('attached');
  run.handle({
    method: 'state',
    state: {
      protocol: '2.0.0',
      library_version: '0.1.0',
      kernel_id: 'k1',
      notebook: null,
      published: null,
      active: true,
      unpublished: true,
      start: '2026-01-01T00:00:00.000000Z',
      description: 'baseline',
      error: null,
      inputs: [
        { path: 'data/iris.csv', sha256: 'abcdef0123456789', size: 4608 }
      ],
      outputs: ['model.pkl'],
      parameters: { alpha: { value: 0.5, text: '0.5' } },
      labels: { team: 'ml' },
      metrics: {
        loss: {
          count: 3,
          text: '0.1',
          points: [
            [0, 1, 't'],
            [1, 0.5, 't'],
            [2, 0.1, 't']
          ],
          reset: true
        }
      }
    }
  });
  return { run, sent };
}

describe('CurrentRun', () => {
  it('shows the run: description, files with hash and size, parameters, labels, metrics', () => {
    // Given a kernel run with a description, files, values and a metric series
    const { run } = attachedRun();
    // When the Current run section shows it
    render(<CurrentRun run={run} />);
    // Then each part is there, files with short hash and size, the metric with a chart
    expect(screen.getByTestId('ds-run-description').textContent).toBe(
      'baseline'
    );
    expect(screen.getByTestId('ds-run-inputs').textContent).toContain(
      'abcdef01'
    );
    expect(screen.getByTestId('ds-run-inputs').textContent).toContain('4.5 KB');
    expect(screen.getByTestId('ds-run-outputs').textContent).toContain(
      'model.pkl'
    );
    expect(screen.getByTestId('ds-run-parameters').textContent).toContain(
      'alpha0.5'
    );
    expect(screen.getByTestId('ds-run-labels').textContent).toContain('teamml');
    expect(screen.getByTestId('ds-metric-loss').textContent).toBe('0.1');
    expect(screen.getByRole('img', { name: /loss/ })).toBeTruthy();
  });

  it('shows a declaration as pending until acknowledged', () => {
    // Given a kernel busy running a cell
    const { run, sent } = attachedRun();
    run.setBusy(true);
    const { rerender } = render(<CurrentRun run={run} />);
    // When the user declares a parameter from the form
    fireEvent.change(screen.getByLabelText('Declaration'), {
      target: { value: 'beta=2' }
    });
    fireEvent.submit(screen.getByRole('form', { name: 'Declare' }));
    rerender(<CurrentRun run={run} />);
    // Then it shows as pending, waiting for the kernel
    expect(screen.getByTestId('ds-run-pending').textContent).toContain(
      'Waiting for the kernel'
    );
    expect(screen.getByTestId('ds-run-parameters').textContent).toContain(
      'pending'
    );
    // When the kernel applies it and acknowledges the request
    run.handle({
      method: 'update',
      events: [
        { event: 'parameter', key: 'beta', value: 2, text: '2', cell: null }
      ],
      run: {
        active: true,
        unpublished: true,
        start: '2026-01-01T00:00:00.000000Z',
        parameters: {
          alpha: { value: 0.5, text: '0.5' },
          beta: { value: 2, text: '2' }
        }
      },
      metrics: {},
      reset_metrics: false,
      cells: []
    });
    run.handle({
      method: 'ack',
      request_id: sent[0].request_id,
      ok: true,
      error: null,
      message: null
    });
    rerender(<CurrentRun run={run} />);
    // Then it is a parameter of the run, no longer pending
    expect(screen.queryByTestId('ds-run-pending')).toBeNull();
    expect(screen.getByTestId('ds-run-parameters').textContent).toContain(
      'beta2'
    );
  });

  it('publishes with the description typed', () => {
    // Given the Current run section of an attached kernel
    const { run, sent } = attachedRun();
    render(<CurrentRun run={run} />);
    // When the user types a description and publishes
    fireEvent.change(screen.getByLabelText('Run description'), {
      target: { value: 'tuned' }
    });
    fireEvent.submit(screen.getByRole('form', { name: 'Publish run' }));
    // Then the kernel is asked to publish with that description
    expect(sent[0]).toMatchObject({ method: 'publish', description: 'tuned' });
  });

  it('says plainly when the kernel cannot import the library', () => {
    // Given a kernel where importing the library failed
    const run = new KernelRunModel('a.ipynb');
    run.setBridge('failed', "No module named 'dotscience'");
    // When the section shows it
    render(<CurrentRun run={run} />);
    // Then the reason is an alert
    expect(screen.getByRole('alert').textContent).toContain(
      "No module named 'dotscience'"
    );
    run.dispose();
  });
});

describe('small parts', () => {
  it('parses values and sizes', () => {
    // Given what a user types, and byte counts / Then numbers, booleans and text are
    // told apart, and sizes read as people write them
    expect(parseValue('3')).toBe(3);
    expect(parseValue('true')).toBe(true);
    expect(parseValue('adam')).toBe('adam');
    expect(humanSize(512)).toBe('512 B');
    expect(humanSize(3 * 1024 * 1024)).toBe('3.0 MB');
  });

  it('asks for name=value', () => {
    // Given the declare form
    const onDeclare = jest.fn();
    render(<DeclareForm onDeclare={onDeclare} />);
    // When the user submits a parameter without a value
    fireEvent.change(screen.getByLabelText('Declaration'), {
      target: { value: 'novalue' }
    });
    fireEvent.submit(screen.getByRole('form', { name: 'Declare' }));
    // Then nothing is declared and the form says what it needs
    expect(onDeclare).not.toHaveBeenCalled();
    expect(screen.getByRole('alert').textContent).toContain('name=value');
  });

  it('draws nothing for one point and a line for more', () => {
    // Given a series of one point
    const plots = (uPlot as any).instances as any[];
    plots.length = 0;
    const { container, rerender } = render(
      <LiveMetricChart metricKey="x" points={[[0, 1]]} />
    );
    // Then there is no chart
    expect(container.querySelector('.jp-Dotscience-chart')).toBeNull();
    expect(plots).toHaveLength(0);
    // When a second point arrives
    rerender(
      <LiveMetricChart
        metricKey="x"
        points={[
          [0, 1],
          [1, 2]
        ]}
      />
    );
    // Then a line through both points is drawn
    const live = plots.filter(p => !p.destroyed);
    expect(live).toHaveLength(1);
    expect(live[0].data).toEqual([
      [0, 1],
      [1, 2]
    ]);
  });
});

describe('compactNumber', () => {
  it('shortens long floats to six significant digits and leaves the rest alone', () => {
    // Given metric texts as the kernel printed them
    // Then long floats fit a narrow column, and the rest is left as it is
    expect(compactNumber('0.06843168076000879')).toBe('0.0684317');
    expect(compactNumber('0.99236490578114')).toBe('0.992365');
    expect(compactNumber('0.02')).toBe('0.02');
    expect(compactNumber('123456789')).toBe('123456789');
    expect(compactNumber('1.234567891e-7')).toBe('1.23457e-7');
    expect(compactNumber('nan')).toBe('nan');
    expect(compactNumber('very good')).toBe('very good');
  });
});
