import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import {
  deleteSessions,
  newNotebook,
  openQuickstart,
  openSidebar,
  runCode
} from './notebook';
import { SHOTS } from './shots';

test.use({
  autoGoto: true,
  kernels: null,
  sessions: null,
  viewport: { width: 1280, height: 900 }
});

/**
 * The run id a cell printed (the quickstart's last cell ends in `run["id"]`).
 */
async function printedRunId(
  page: IJupyterLabPageFixture,
  index: number
): Promise<string> {
  const text = ((await page.notebook.getCellTextOutput(index)) ?? []).join('');
  const id =
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(text);
  expect(id, `a run id in the output of cell ${index}: ${text}`).not.toBeNull();
  return id![0];
}

/**
 * Open a run's detail tab (the command the runs list and the publish card use).
 */
async function openRun(
  page: IJupyterLabPageFixture,
  id: string
): Promise<Locator> {
  await page.evaluate(async runId => {
    // the command returns the tab's widget, which is not serialisable
    await (window as any).jupyterapp.commands.execute('dotscience:open-run', {
      id: runId
    });
  }, id);
  const detail = page.locator('.jp-Dotscience-detailContent:visible');
  await expect(detail.locator('.jp-Dotscience-detailHeader')).toBeVisible();
  await expect(detail.locator('.jp-Dotscience-detail')).toContainText(id);
  return detail;
}

/**
 * Click Reproduce and wait for the verdict (a replay starts a fresh kernel).
 */
async function reproduce(detail: Locator): Promise<Locator> {
  const section = detail.locator('[data-section="reproduce"]');
  await section.getByRole('button', { name: 'Reproduce' }).click();
  const verdict = section.locator('.jp-Dotscience-reproduce-verdict');
  await expect(verdict).toBeVisible({ timeout: 120000 });
  return verdict;
}

test('the quickstart run out of order with an edited cell shows its warnings and reproduces identical', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(240000);
  // Given the quickstart notebook in the workspace, its kernel attached
  const { nb, nbPath } = await openQuickstart(page, request, tmpPath);
  await openSidebar(page);
  const cells = nb.cells as { cell_type: string; source: string | string[] }[];
  const code = cells
    .map((c, i) => (c.cell_type === 'code' ? i : -1))
    .filter(i => i >= 0);
  const [start, data, train, model, publish] = code;
  // When its cells run out of order: the data cell again after the training cell below it
  for (const i of [start, data, train, data, model]) {
    await page.notebook.runCell(i, true);
  }
  // And the training cell is edited after it ran (and not run again)
  const trained = [cells[train].source].flat().join('');
  await page.notebook.setCell(
    train,
    'code',
    `${trained}\n# edited after it ran`
  );
  // And the run is published from the last cell
  await page.notebook.runCell(publish, true);
  const id = await printedRunId(page, publish);

  // Then the run's detail shows the warnings at the cells they concern
  const detail = await openRun(page, id);
  const warnings = detail.locator('[data-section="warnings"]');
  await expect(warnings).toBeVisible({ timeout: 30000 });
  const kinds = await warnings
    .locator('.jp-Dotscience-warning')
    .evaluateAll(items => items.map(li => li.getAttribute('data-kind')));
  expect(kinds).toContain('out_of_order');
  expect(kinds).toContain('source_changed');
  await expect(
    warnings.locator('[data-kind="source_changed"]').getByRole('button')
  ).toBeVisible();
  // And its code section lists the executions in the order they ran, the data cell twice
  const executions = detail.locator(
    '[data-section="cells"] .jp-Dotscience-execution .jp-Dotscience-source'
  );
  const ran = await executions.allTextContents();
  const dataSource = [cells[data].source].flat().join('');
  expect(ran.filter(s => s === dataSource)).toHaveLength(2);
  expect(ran.indexOf(trained)).toBeLessThan(ran.lastIndexOf(dataSource));

  // When the user clicks Reproduce
  const verdict = await reproduce(detail);
  // Then the deterministic quickstart replays identical, with a link to the replay run
  await expect(verdict).toHaveAttribute('data-verdict', 'identical');
  await expect(verdict).toContainText(
    'The replay produced the same parameters, metrics and outputs.'
  );
  await expect(
    verdict.getByRole('button', { name: /Replay run/ })
  ).toBeVisible();
  // And the header shows the verdict stored with the run
  await expect(
    detail.locator('.jp-Dotscience-detailHeader .jp-Dotscience-verdict')
  ).toHaveText('identical');
  // Screenshot for the README: the verdict beside the warnings
  await page.sidebar.close('left');
  await page.sidebar.close('right');
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${SHOTS}/reproduce-warnings.png` });
  await deleteSessions(request, tmpPath);
});

test('a run that logs an unseeded random number reproduces as differs, naming the metric', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(240000);
  // Given a notebook that records an unseeded random number as a metric
  await newNotebook(page, request, tmpPath, 'random.ipynb');
  await openSidebar(page);
  await runCode(page, 0, 'import random\nimport dotscience as ds');
  await runCode(page, 1, 'ds.start("unseeded random number")');
  await runCode(page, 2, 'ds.parameter("draws", 1)');
  await runCode(page, 3, 'ds.metric("score", random.random())');
  await runCode(page, 4, 'run = ds.publish("random score")\nrun["id"]');
  const id = await printedRunId(page, 4);
  // When its detail is opened and the user clicks Reproduce
  const detail = await openRun(page, id);
  const verdict = await reproduce(detail);
  // Then the verdict is differs, and the table names the metric and both values
  await expect(verdict).toHaveAttribute('data-verdict', 'differs');
  const rows = verdict.locator('.jp-Dotscience-differences tbody tr');
  await expect(rows).toHaveCount(1);
  const cellsOf = await rows.first().locator('td').allTextContents();
  expect(cellsOf[0]).toBe('metric');
  expect(cellsOf[1]).toBe('score');
  expect(cellsOf[2]).not.toBe(cellsOf[3]);
  // And the parameter that did not change is not listed
  await expect(verdict).not.toContainText('draws');
  // Screenshot for the README: the run's detail with its verdict
  await page.sidebar.close('left');
  await page.sidebar.close('right');
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${SHOTS}/reproduce-verdict.png` });
  await page.theme.setDarkTheme();
  await page.waitForTimeout(1000);
  await page.screenshot({ path: `${SHOTS}/reproduce-verdict-dark.png` });
  await page.theme.setLightTheme();

  // When the runs list is filtered by the verdict differs
  await page.locator('.jp-SideBar [title="Dotscience"]').click();
  const runs = page.locator(
    '#jp-Dotscience-sidebar .jp-Dotscience-runsSection'
  );
  await expect(runs).toBeVisible();
  await runs.getByLabel('Search runs').fill('random score');
  await runs.getByLabel('Verdict').selectOption('differs');
  // Then the run is listed with its verdict badge
  const row = runs.locator(`.jp-Dotscience-runRow[data-run-id="${id}"]`);
  await expect(row.locator('.jp-Dotscience-verdict')).toHaveText('differs', {
    timeout: 15000
  });
  // And filtered by identical, it is not
  await runs.getByLabel('Verdict').selectOption('identical');
  await expect(row).toHaveCount(0, { timeout: 15000 });
  await deleteSessions(request, tmpPath);
});
