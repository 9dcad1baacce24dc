import { expect, test } from '@jupyterlab/galata';
import { openQuickstart, openSidebar, waitForIdle } from './notebook';
import { SHOTS } from './shots';

const DIR = SHOTS;

test.use({
  autoGoto: true,
  kernels: null,
  sessions: null,
  viewport: { width: 1280, height: 900 }
});

test('Publish & Deploy serves the quickstart model; its predictions equal predict()', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(150000);
  // Given the quickstart notebook copied into the workspace
  const { nb, nbPath } = await openQuickstart(page, request, tmpPath);
  await waitForIdle(page);
  await openSidebar(page);
  // When its cells train and register the model (all but the final plain publish)
  const cells = nb.cells as { cell_type: string }[];
  const last = cells.length - 1;
  for (let i = 0; i < last; i++) {
    if (cells[i].cell_type === 'code') {
      await page.notebook.runCell(i, true);
    }
  }
  // And a cell prints the notebook's own predictions
  await page.notebook.setCell(
    last,
    'code',
    [
      'import json',
      'rows = X_test[:5].values.tolist()',
      'print(json.dumps({"rows": rows, "pred": clf.predict(X_test[:5]).tolist()}))'
    ].join('\n')
  );
  await page.notebook.runCell(last, true);
  const printed = JSON.parse(
    ((await page.notebook.getCellTextOutput(last)) ?? [''])[0].trim()
  );
  // When Publish & Deploy is clicked in the notebook toolbar
  await page.locator('.jp-Dotscience-publishDeployButton').click();
  // Then the Models section shows the steps up to healthy and the endpoint
  const section = page.locator('.jp-Dotscience-models');
  await expect(
    section.locator('.jp-Dotscience-models-progress')
  ).toHaveAttribute('data-step', 'healthy', { timeout: 90000 });
  const url = (await section
    .locator('.jp-Dotscience-models-url')
    .textContent())!.trim();
  await expect(section.locator('.jp-Dotscience-models-curl')).toContainText(
    `curl -s -X POST '${url}v1/models/iris:predict'`
  );
  // And the endpoint's predictions equal the notebook's predict()
  const v1 = await request.post(`${url}v1/models/iris:predict`, {
    data: { instances: printed.rows }
  });
  expect((await v1.json()).predictions).toEqual(printed.pred);
  const v2 = await request.post(`${url}v2/models/iris/infer`, {
    data: {
      inputs: [
        { name: 'x', shape: [5, 4], datatype: 'FP64', data: printed.rows }
      ]
    }
  });
  const outputs = (await v2.json()).outputs;
  expect(outputs[0].data).toEqual(printed.pred);
  // And the metrics and log appear for the deployment
  await expect(section.locator('.jp-Dotscience-models-metrics')).toContainText(
    'requests',
    { timeout: 15000 }
  );
  await expect(section.locator('.jp-Dotscience-models-log pre')).toContainText(
    'serving iris'
  );
  // Screenshot: the Models section alone (other sections collapsed), sidebar widened
  for (const title of ['Current run', 'Runs', 'API keys', 'Server']) {
    const header = page.locator(
      '#jp-Dotscience-sidebar .lm-AccordionPanel-title',
      {
        hasText: title
      }
    );
    if (
      (await header.count()) &&
      (await header.first().getAttribute('aria-expanded')) === 'true'
    ) {
      await header.first().click();
    }
  }
  await page.evaluate(() => {
    const split = document.querySelector(
      '#jp-right-stack'
    ) as HTMLElement | null;
    if (split) {
      split.style.minWidth = '520px';
    }
    window.dispatchEvent(new Event('resize'));
  });
  await page.waitForTimeout(2500);
  await page
    .locator('#jp-Dotscience-sidebar')
    .screenshot({ path: `${DIR}/models-deploy.png` });
  // Cleanup: stop the deployment
  const deps = (await (await request.get('/dotscience/api/deployments')).json())
    .deployments;
  for (const d of deps.filter((d: any) => d.state === 'running')) {
    await request.delete(`/dotscience/api/deployments/${d.id}`);
  }
});
