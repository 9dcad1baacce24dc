import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { IRunsAPI } from '../../api/runs';
import { RunDetail } from '../../run-detail/RunDetail';
import { RunDetailModel } from '../../run-detail/detailModel';
import { fullRun } from '../../__tests__/runFixtures';

describe('a run of a notebook in its detail tab', () => {
  it('offers the diff with the previous run of its notebook', async () => {
    // Given a run of a notebook
    const run = fullRun(1, { notebook: 'quickstart.ipynb' } as any);
    const api = {
      getRun: async () => run,
      getRunFiles: async () => [],
      getRunNotebook: async () => null,
      getRunLineage: async () => null
    } as unknown as IRunsAPI;
    const model = new RunDetailModel(run.id, api);
    await model.load();
    const diff = jest.fn();
    render(
      <RunDetail
        model={model}
        onOpenRun={jest.fn()}
        onOpenFile={jest.fn()}
        onJumpToCell={jest.fn()}
        onExport={jest.fn()}
        onDiffPrevious={diff}
      />
    );
    // When its button is clicked, Then the diff is asked for
    fireEvent.click(
      screen.getByText('Diff with previous run of this notebook')
    );
    expect(diff).toHaveBeenCalledTimes(1);
  });
});
