import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { DiffView } from '../DiffView';
import { DiffModel } from '../diffModel';
import { ICompareAPI, IRunDiff } from '../api';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

/** The diff the server answers for two quickstart runs: alpha and the training cell
 * changed, everything else the same. */
function quickstartDiff(): IRunDiff {
  const same = (v: string) => ({ a: v, b: v, status: 'same' as const });
  const cell = (source: string, n: number) => ({
    source,
    execution_count: n,
    success: true
  });
  return {
    a: { id: A, description: 'first', notebook: 'quickstart.ipynb' },
    b: { id: B, description: 'second', notebook: 'quickstart.ipynb' },
    cells: [
      {
        key: 'id:load',
        cell_id: 'load',
        status: 'same',
        a: cell('df = load()', 1),
        b: cell('df = load()', 1)
      },
      {
        key: 'id:train',
        cell_id: 'train',
        status: 'changed',
        a: cell('model = fit(df)\nalpha = 0.1', 2),
        b: cell('model = fit(df)\nalpha = 0.5', 2)
      }
    ],
    parameters: [
      { key: 'alpha', status: 'changed', a: '0.1', b: '0.5' },
      { key: 'seed', status: 'same', a: '1', b: '1' }
    ],
    data: [
      {
        role: 'input',
        path: 'data/iris.csv',
        status: 'same',
        a: 'ab'.repeat(32),
        b: 'ab'.repeat(32),
        dataset: false
      }
    ],
    environment: {
      python: same('3.11.7'),
      implementation: same('CPython'),
      platform: same('Linux'),
      git_commit: { a: null, b: null, status: 'same' },
      packages: [],
      packages_same: 12
    },
    metrics: [
      {
        key: 'accuracy',
        status: 'changed',
        a: { value: 0.8, text: '0.8', step: 0 },
        b: { value: 0.9, text: '0.9', step: 0 },
        direction: 'higher',
        better: 'b'
      }
    ],
    changes: { cells: 1, parameters: 1, data: 0, environment: 0, metrics: 1 }
  } as IRunDiff;
}

describe('DiffView', () => {
  it('highlights exactly the changed parameter and cell, and folds the rest', () => {
    // Given the diff of two runs where one parameter and one cell changed
    const { container } = render(
      <DiffView diff={quickstartDiff()} onOpenRun={jest.fn()} />
    );
    // Then only the training cell is shown, with the old and new alpha lines
    const cells = container.querySelectorAll('.jp-Dotscience-diffCell');
    expect(Array.from(cells).map(c => c.getAttribute('data-cell'))).toEqual([
      'train'
    ]);
    const removed = container.querySelectorAll('[data-kind="removed"]');
    const added = container.querySelectorAll('[data-kind="added"]');
    expect(Array.from(removed).map(l => l.textContent)).toEqual([
      '−alpha = 0.1'
    ]);
    expect(Array.from(added).map(l => l.textContent)).toEqual(['+alpha = 0.5']);
    // And only alpha among the parameters, marked changed
    const params = container.querySelectorAll(
      'table[aria-label="Parameters"] tbody tr'
    );
    expect(
      Array.from(params).map(r => [r.getAttribute('data-key'), r.className])
    ).toEqual([['alpha', 'jp-mod-changed']]);
    // And the better accuracy is starred
    expect(container.querySelector('.jp-mod-best')!.textContent).toBe('0.9 ★');
    expect(screen.getByText('1 cells the same in both runs')).toBeTruthy();
  });

  it('shows unchanged items when asked, unhighlighted', () => {
    const { container } = render(
      <DiffView diff={quickstartDiff()} onOpenRun={jest.fn()} />
    );
    fireEvent.click(screen.getByLabelText('Show unchanged'));
    const params = container.querySelectorAll(
      'table[aria-label="Parameters"] tbody tr'
    );
    expect(Array.from(params).map(r => r.getAttribute('data-status'))).toEqual([
      'changed',
      'same'
    ]);
    expect(container.querySelectorAll('.jp-Dotscience-diffCell').length).toBe(
      2
    );
    expect(
      container.querySelectorAll('.jp-Dotscience-diffCell.jp-mod-changed')
        .length
    ).toBe(1);
  });

  it('opens a run from its name', () => {
    const open = jest.fn();
    render(<DiffView diff={quickstartDiff()} onOpenRun={open} />);
    fireEvent.click(screen.getByTitle(`Open run ${B}`));
    expect(open).toHaveBeenCalledWith(B);
  });
});

describe('DiffModel', () => {
  it('loads the diff of the two runs, or keeps the error as a sentence', async () => {
    const api: ICompareAPI = {
      compareRuns: jest.fn(),
      diffRuns: jest
        .fn()
        .mockResolvedValueOnce(quickstartDiff())
        .mockRejectedValueOnce(new Error('There is no run x.')),
      setDirection: jest.fn(),
      previousRun: jest.fn()
    };
    const model = new DiffModel(A, B, api);
    await model.load();
    expect(api.diffRuns).toHaveBeenCalledWith(A, B);
    expect(model.diff!.changes.cells).toBe(1);
    await model.load();
    expect(model.error).toContain('There is no run x.');
  });
});
