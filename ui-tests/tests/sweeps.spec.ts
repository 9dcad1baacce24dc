import { expect, test } from '@jupyterlab/galata';
import { deleteSessions } from './notebook';
import { brushTopOf } from './brush';
import { SHOTS } from './shots';

test.use({
  autoGoto: true,
  kernels: null,
  sessions: null,
  viewport: { width: 1280, height: 1000 }
});

/**
 * A small notebook to sweep: `scale` in a papermill parameters cell, `x` through
 * ds.parameter; the objective `score` is x * scale, so the largest x is the best trial.
 */
function sweepNotebook(): unknown {
  const code = (id: string, source: string, tags: string[] = []) => ({
    cell_type: 'code',
    id,
    source,
    metadata: { tags },
    outputs: [],
    execution_count: null
  });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3 (ipykernel)',
        language: 'python'
      }
    },
    cells: [
      code('params', 'scale = 1.5', ['parameters']),
      code(
        'train',
        [
          'import dotscience as ds',
          'ds.start()',
          "x = ds.parameter('x', 1)",
          "ds.metric('score', x * scale)",
          'ds.publish()'
        ].join('\n')
      )
    ]
  };
}

test('a grid sweep started from the form is watched to its end in the sweep view', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(300000);
  const errors: string[] = [];
  page.on('pageerror', e => errors.push(e.message));
  // Given a notebook with a parameters cell and a ds.parameter call, open in JupyterLab
  const nbPath = `${tmpPath}/sweep.ipynb`;
  const put = await request.put(`/api/contents/${nbPath}`, {
    data: { type: 'notebook', format: 'json', content: sweepNotebook() }
  });
  expect(put.ok()).toBeTruthy();
  await page.filebrowser.open(nbPath);
  // When the notebook toolbar's Sweep button is clicked
  await page
    .locator('.jp-NotebookPanel:visible .jp-Dotscience-sweepButton')
    .click();
  const form = page.locator('.jp-Dotscience-sweepForm:visible');
  // Then the form lists both parameters with their values in the notebook
  await expect(form.locator('tr[data-parameter="scale"]')).toContainText('1.5');
  await expect(form.locator('tr[data-parameter="x"]')).toContainText('1');
  // and, the code being as saved (the kernel only added metadata), no unsaved-changes warning
  await expect(form.getByText(/unsaved changes/)).toHaveCount(0);
  // When x gets the list 1, 2, 3 and scale 1, 2, the objective is score (maximize), two
  // trials at a time
  await form.getByLabel('x: sweep as').selectOption('values');
  await form.getByLabel('x values (comma-separated)').fill('1, 2, 3');
  await form.getByLabel('scale: sweep as').selectOption('values');
  await form.getByLabel('scale values (comma-separated)').fill('1, 2');
  await form.getByLabel('objective metric').fill('score');
  await form.getByLabel('parallel trials').fill('2');
  // Then the W&B-style spec is shown, a grid of six trials
  const yaml = form.getByTestId('sweep-yaml');
  await expect(yaml).toContainText('method: grid');
  await expect(yaml).toContainText('values: [1, 2, 3]');
  await expect(yaml).toContainText('values: [1, 2]');
  await expect(yaml).toContainText('name: score');
  await expect(form.getByTestId('sweep-grid-size')).toHaveText(
    'The grid has 6 trials.'
  );
  // When the sweep is started
  await form.getByRole('button', { name: 'Start sweep' }).click();
  // Then its view opens and follows it to the end: six trials done, scale = 2 and x = 3 the best
  const view = page.locator('.jp-Dotscience-sweepContent:visible');
  await expect(view.getByTestId('sweep-state')).toHaveText('finished', {
    timeout: 240000
  });
  await expect(view.getByTestId('sweep-counts')).toHaveText(
    '6 of 6 trials finished: 6 done, 0 running, 0 pruned, 0 failed'
  );
  await expect(view.getByTestId('sweep-best')).toContainText(
    'Best so far: trial'
  );
  await expect(view.getByTestId('sweep-best')).toContainText(
    'score 6 with scale = 2, x = 3'
  );
  // and the trials table, the objective chart and the parallel-coordinates plot show them
  await expect(view.locator('tr[data-trial]')).toHaveCount(6);
  await expect(view.locator('tr.jp-mod-best')).toContainText('6');
  await expect(view.locator('.jp-Dotscience-sweep-chart canvas')).toHaveCount(
    1
  );
  await expect(view.locator('path.jp-Dotscience-parallel-line')).toHaveCount(6);
  // And the notebook itself is unchanged
  const saved = await (await request.get(`/api/contents/${nbPath}`)).json();
  expect(saved.content.cells[0].source).toBe('scale = 1.5');
  if (SHOTS) {
    await view.screenshot({ path: `${SHOTS}/sweeps.png` });
  }
  // When the top of the x axis is brushed (dragged over)
  await brushTopOf(page, view, 'x');
  // Then only the two trials with x = 3 stay in the table
  await expect(view.locator('tr[data-trial]')).toHaveCount(2);
  // When the top of scale is brushed too
  await brushTopOf(page, view, 'scale');
  // Then only the best trial stays
  await expect(view.locator('tr[data-trial]')).toHaveCount(1);
  await expect(view.locator('tr[data-trial]')).toHaveClass(/jp-mod-best/);
  // When its run is opened from the table
  const link = view.locator('tr[data-trial] button.jp-Dotscience-link');
  const bestRun = await link.getAttribute('title');
  await link.click();
  // Then the run's detail tab opens on the best trial's run
  const detail = page.locator('.jp-Dotscience-detailContent:visible');
  await expect(detail.locator('.jp-Dotscience-detail')).toContainText(
    bestRun!.replace('Open run ', ''),
    { timeout: 30000 }
  );
  expect(errors).toEqual([]);
  await deleteSessions(request, tmpPath);
});
