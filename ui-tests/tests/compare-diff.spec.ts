import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';
import { createHash, randomUUID } from 'crypto';
import { brushTopOf } from './brush';
import { SHOTS } from './shots';

test.use({
  autoGoto: true,
  kernels: null,
  sessions: null,
  viewport: { width: 1280, height: 900 }
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A run of the quickstart notebook as its kernel publishes it: three cells executed in
 * the run (load, train with `alpha`, evaluate), alpha as a parameter, accuracy as a metric.
 */
function quickstartRun(
  project: string,
  alpha: number,
  train: string,
  accuracy: number
) {
  const cells: [string, string][] = [
    ['c-load', 'import pandas as pd\ndf = pd.read_csv("iris.csv")'],
    ['c-train', train],
    [
      'c-eval',
      'ds.metric("accuracy", model.score(X, y))\nds.publish("quickstart")'
    ]
  ];
  return {
    schema: 'dotscience.run/2',
    id: randomUUID(),
    project,
    description: `quickstart alpha=${alpha}`,
    mode: 'interactive',
    notebook: 'quickstart.ipynb',
    start: '2026-11-27T06:30:00.000000Z',
    end: '2026-11-27T06:31:00.000000Z',
    inputs: [{ path: 'iris.csv', sha256: sha('iris'), size: 4 }],
    outputs: [],
    parameters: {
      alpha: { value: alpha, text: String(alpha) },
      seed: { value: 42, text: '42' }
    } as Record<string, { value: number; text: string }>,
    labels: {},
    metrics: {
      accuracy: [{ value: accuracy, text: String(accuracy), step: 0 }]
    },
    executions: cells.map(([cellId, source], seq) => ({
      seq,
      cell_id: cellId,
      execution_count: seq + 1,
      source_sha256: sha(source),
      success: true,
      in_run: true,
      origin: 'cell'
    })),
    sources: Object.fromEntries(
      cells.map(([, source]) => [sha(source), source])
    )
  };
}

async function publish(
  request: APIRequestContext,
  run: object
): Promise<string> {
  const answer = await request.post('/dotscience/api/runs', { data: run });
  expect(answer.status()).toBe(201);
  return (await answer.json()).id;
}

async function command(page: IJupyterLabPageFixture, id: string, args: object) {
  await page.evaluate(
    async ([cmd, a]) => {
      await (window as any).jupyterapp.commands.execute(cmd, a);
    },
    [id, args] as const
  );
}

test('the diff of two quickstart runs highlights exactly the changed parameter and cell', async ({
  page
}) => {
  // Given two quickstart runs where alpha and the training cell changed
  const project = `diff-${randomUUID().slice(0, 8)}`;
  const a = await publish(
    page.request,
    quickstartRun(
      project,
      0.1,
      'ds.parameter("alpha", 0.1)\nmodel = fit(df, alpha=0.1)',
      0.9
    )
  );
  const b = await publish(
    page.request,
    quickstartRun(
      project,
      0.5,
      'ds.parameter("alpha", 0.5)\nmodel = fit(df, alpha=0.5)',
      0.9
    )
  );
  const errors: string[] = [];
  page.on('pageerror', e => errors.push(String(e)));
  // When their diff is opened
  await command(page, 'dotscience:diff-runs', { a, b });
  const diff = page.locator('.jp-Dotscience-diffContent:visible');
  await expect(diff.locator('.jp-Dotscience-diff')).toBeVisible();
  // Then exactly one cell is shown changed: the training cell, its alpha lines marked
  await expect(diff.locator('.jp-Dotscience-diffCell')).toHaveCount(1);
  await expect(diff.locator('.jp-Dotscience-diffCell')).toHaveAttribute(
    'data-cell',
    'c-train'
  );
  await expect(diff.locator('[data-kind="removed"]')).toHaveText([
    /ds\.parameter\("alpha", 0\.1\)/,
    /alpha=0\.1/
  ]);
  await expect(diff.locator('[data-kind="added"]')).toHaveCount(2);
  // And exactly one parameter, alpha, is highlighted; no data, environment or metric row
  const changed = diff.locator('tr[data-status="changed"]');
  await expect(changed).toHaveCount(1);
  await expect(changed).toHaveAttribute('data-key', 'alpha');
  await expect(
    diff.locator('tr[data-status="added"], tr[data-status="removed"]')
  ).toHaveCount(0);
  expect(errors).toEqual([]);
  await page.screenshot({ path: `${SHOTS}/diff-light.png` });
  await page.theme.setDarkTheme();
  await page.screenshot({ path: `${SHOTS}/diff-dark.png` });
  await page.theme.setLightTheme();
});

test('compare of 200 runs opens in one request and brushing an axis keeps some', async ({
  page
}) => {
  // Given 200 runs of a project with alpha from 0 to 0.995 and their accuracy
  const project = `cmp-${randomUUID().slice(0, 8)}`;
  const ids: string[] = [];
  for (let i = 0; i < 200; i++) {
    const accuracy = 0.7 + 0.2 * Math.sin(i / 9) * (1 - i / 400);
    const run = quickstartRun(project, i / 200, 'fit()', accuracy);
    const depth = 2 + ((i * 7) % 9);
    run.parameters = {
      ...run.parameters,
      depth: { value: depth, text: String(depth) }
    };
    run.inputs = [{ path: 'iris.csv', sha256: sha(`iris ${i % 3}`), size: 4 }];
    ids.push(await publish(page.request, run));
  }
  const compares: string[] = [];
  page.on('request', r => {
    if (r.url().includes('/dotscience/api/runs/')) {
      compares.push(`${r.method()} ${new URL(r.url()).pathname}`);
    }
  });
  // When they are compared
  await command(page, 'dotscience:compare-runs', { ids });
  const view = page.locator('.jp-Dotscience-compareContent:visible');
  await expect(view.getByText('200 runs', { exact: true })).toBeVisible();
  // Then one request fetched them all, and the plot has a line per run
  expect(compares.filter(c => c.endsWith('/runs/compare'))).toEqual([
    'POST /dotscience/api/runs/compare'
  ]);
  expect(compares.filter(c => /\/runs\/[0-9a-f-]{36}$/.test(c))).toEqual([]);
  await expect(
    view.locator('.jp-Dotscience-parallel-lines [data-id]')
  ).toHaveCount(200);
  // When the top fifth of the alpha axis is brushed
  await brushTopOf(page, view, 'param:alpha');
  // Then fewer runs are kept, and the table lists only them
  const kept = view.getByText(/^\d+ of 200 runs kept by the brushes$/);
  await expect(kept).toBeVisible();
  const n = Number((await kept.textContent())!.split(' ')[0]);
  expect(n).toBeGreaterThan(0);
  expect(n).toBeLessThan(200);
  await expect(view.locator('tbody tr[data-run]')).toHaveCount(
    Math.min(n, 100)
  );
  await page.screenshot({ path: `${SHOTS}/compare-200-light.png` });
  await page.theme.setDarkTheme();
  await page.screenshot({ path: `${SHOTS}/compare-200-dark.png` });
  await page.theme.setLightTheme();
  // When the depth axis is taken off in the list of axes
  await view.getByRole('button', { name: /^Axes: 4 of 4/ }).click();
  await view
    .getByRole('group', { name: 'Axes' })
    .getByLabel('depth', { exact: true })
    .uncheck();
  // Then the plot has no depth axis, and the brush on alpha keeps the same runs
  await expect(view.locator('[data-axis="param:depth"]')).toHaveCount(0);
  await expect(view.locator('[data-axis="param:alpha"]')).toHaveCount(1);
  await expect(view.getByRole('button', { name: /^Axes:/ })).toHaveText(
    'Axes: 3 of 4'
  );
  await expect(
    view.getByText(`${n} of 200 runs kept by the brushes`)
  ).toBeVisible();
});
