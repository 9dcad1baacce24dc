import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import { SHOTS } from './shots';
import type { APIRequestContext, Locator } from '@playwright/test';
import { createHash, randomUUID } from 'crypto';

// Fresh ids and a unique tag per test session, so the runs of one session never mix
// with another's in the shared store.
const TAG = `hist${Date.now().toString(36)}`;

const CLEAN = `clean,rows\n${TAG},1\n`;
const CLEAN_SHA = createHash('sha256').update(CLEAN).digest('hex');
const MODEL = `model for ${TAG}\n`;
const MODEL_SHA = createHash('sha256').update(MODEL).digest('hex');
const ids = { prep: randomUUID(), a: randomUUID(), b: randomUUID() };

const iso = (minutes: number) =>
  new Date(Date.UTC(2026, 10, 27, 6, minutes))
    .toISOString()
    .replace('Z', '000Z');

function record(id: string, minutes: number, extra: Record<string, unknown>) {
  return {
    schema: 'dotscience.run/2',
    id,
    project: 'default',
    mode: 'interactive',
    notebook: 'train.ipynb',
    start: iso(minutes),
    end: iso(minutes + 1),
    published: iso(minutes + 1),
    inputs: [],
    outputs: [],
    parameters: {},
    labels: { suite: TAG },
    metrics: {},
    environment: {
      python: '3.11.7',
      implementation: 'CPython',
      platform: 'Linux',
      packages: { numpy: '2.1.0', pandas: '2.2.3' },
      git: { commit: 'abcdef1234567890', dirty: true, branch: 'main' }
    },
    ...extra
  };
}

const param = (value: number) => ({ value, text: String(value) });
const series = (values: number[]) =>
  values.map((value, step) => ({
    value,
    text: String(value),
    step,
    time: iso(step)
  }));

/**
 * Put two workspace files and publish three runs: prep wrote data/clean.csv, runs A and B
 * read it (A also wrote a model). Idempotent: the server stores each run id once.
 */
async function seed(request: APIRequestContext): Promise<void> {
  for (const [path, content] of [
    [`${TAG}-clean.csv`, CLEAN],
    [`${TAG}-model.txt`, MODEL]
  ]) {
    const put = await request.put(`/api/contents/${path}`, {
      data: { type: 'file', format: 'text', content }
    });
    expect(put.ok()).toBe(true);
  }
  const clean = {
    path: `${TAG}-clean.csv`,
    sha256: CLEAN_SHA,
    size: CLEAN.length,
    outside: false,
    missing: false
  };
  const runs = [
    record(ids.prep, 0, {
      description: `prep ${TAG}`,
      parameters: { rows: param(100) },
      outputs: [clean]
    }),
    record(ids.a, 10, {
      description: `train ${TAG} a`,
      parameters: { alpha: param(0.1), epochs: param(3) },
      metrics: {
        accuracy: series([0.7, 0.8, 0.85]),
        loss: series([0.9, 0.5, 0.4])
      },
      inputs: [clean],
      outputs: [
        {
          path: `${TAG}-model.txt`,
          sha256: MODEL_SHA,
          size: MODEL.length,
          outside: false,
          missing: false
        },
        {
          path: `${TAG}-gone.bin`,
          sha256: null,
          size: null,
          outside: false,
          missing: true
        }
      ]
    }),
    record(ids.b, 20, {
      description: `train ${TAG} b`,
      parameters: { alpha: param(0.5), epochs: param(3) },
      metrics: { accuracy: series([0.75, 0.92]), loss: series([0.8, 0.3]) },
      inputs: [clean]
    })
  ];
  for (const run of runs) {
    const r = await request.post('/dotscience/api/runs', { data: run });
    expect(r.status()).toBeLessThan(300);
  }
}

async function openRuns(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.locator('.jp-SideBar [title="Dotscience"]').click();
  await page.sidebar.close('left');
  await page.sidebar.setWidth(340, 'right');
  const section = page.locator(
    '#jp-Dotscience-sidebar .jp-Dotscience-runsSection'
  );
  await expect(section).toBeVisible();
  await section.getByLabel('Search runs').fill(TAG);
  return section;
}

const titles = (section: Locator) =>
  section.locator('.jp-Dotscience-runRow .jp-Dotscience-runRow-title');

test.describe('Run history', () => {
  test.use({ viewport: { width: 1400, height: 900 } });

  test.beforeEach(async ({ page }) => {
    await seed(page.request);
  });

  test('lists, filters and sorts published runs', async ({ page }) => {
    // Given three published runs, when the user searches for them in the Runs section
    const section = await openRuns(page);
    await expect(titles(section)).toHaveText([
      `train ${TAG} b`,
      `train ${TAG} a`,
      `prep ${TAG}`
    ]);

    // When filtering by a parameter, only the matching run remains
    await section.getByLabel('Parameter filter').fill('alpha=0.5');
    await section.getByLabel('Parameter filter').press('Enter');
    await expect(titles(section)).toHaveText([`train ${TAG} b`]);
    await section.getByLabel('Remove filter param alpha=0.5').click();
    await expect(titles(section)).toHaveCount(3);

    // When filtering by a metric range
    await section.getByLabel('Filter kind').selectOption('metric');
    await section.getByLabel('Metric name').fill('accuracy');
    await section.getByLabel('Minimum').fill('0.8');
    await section.getByLabel('Maximum').fill('0.9');
    await section.getByRole('button', { name: 'Add' }).click();
    await expect(titles(section)).toHaveText([`train ${TAG} a`]);
    await section.getByLabel(/Remove filter accuracy/).click();

    // When sorting by accuracy, best first, then worst first
    await section.getByLabel('Sort by').selectOption('metric:accuracy');
    await expect(titles(section)).toHaveText([
      `train ${TAG} b`,
      `train ${TAG} a`,
      `prep ${TAG}`
    ]);
    await expect(
      section.locator('.jp-Dotscience-runRow-metric').first()
    ).toHaveText('accuracy 0.92');
    await section.getByRole('button', { name: /^Descending/ }).click();
    await expect(titles(section).first()).toHaveText(`train ${TAG} a`);
    // And back to best first, the list reloaded in that order (the picture waits for it)
    await section.getByRole('button', { name: /^Ascending/ }).click();
    await expect(titles(section).first()).toHaveText(`train ${TAG} b`);
    await expect(section.locator('.jp-Dotscience-runList-loading')).toHaveCount(
      0
    );
    await page.screenshot({ path: `${SHOTS}/history-sidebar-light.png` });
  });

  test('shows a run with its files and lineage, and opens the upstream run', async ({
    page
  }) => {
    // Given the runs, when the user opens run A from the list
    const section = await openRuns(page);
    await section.getByText(`train ${TAG} a`).click();
    const detail = page
      .locator('.jp-Dotscience-detail')
      .filter({ has: page.getByRole('heading', { name: `train ${TAG} a` }) });
    await expect(detail).toBeVisible();

    // Then its parameters, metrics, files and environment are shown
    const params = detail.locator('.jp-Dotscience-params');
    await expect(params.getByRole('row', { name: /alpha/ })).toContainText(
      '0.1'
    );
    await expect(
      detail.getByRole('img', { name: 'accuracy over steps' })
    ).toBeVisible();
    const files = detail.locator('.jp-Dotscience-files');
    await expect(
      files.getByRole('row', { name: new RegExp(`${TAG}-model.txt`) })
    ).toContainText('Download');
    await expect(
      files.getByRole('row', { name: new RegExp(`${TAG}-gone.bin`) })
    ).toContainText('missing when the run was published');
    await expect(detail.getByText('2 packages')).toBeVisible();

    // And the download link serves the captured output
    const href = await files
      .getByRole('row', { name: new RegExp(`${TAG}-model.txt`) })
      .getByRole('link', { name: 'Download' })
      .getAttribute('href');
    const got = await page.request.get(href!);
    expect(await got.text()).toBe(MODEL);

    // And the lineage graph shows the upstream run that wrote its input
    const graph = detail.getByRole('group', { name: 'Lineage graph' });
    await expect(
      graph.getByRole('button', { name: `File ${TAG}-clean.csv` })
    ).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/history-detail-light.png` });
    await detail.locator('[data-section="lineage"]').scrollIntoViewIfNeeded();
    await detail
      .locator('[data-section="lineage"]')
      .screenshot({ path: `${SHOTS}/history-lineage-light.png` });
    const upstream = graph.getByRole('button', { name: `Run prep ${TAG}` });
    await expect(upstream).toBeVisible();

    // When the user clicks it, that run's detail opens
    await upstream.click();
    await expect(
      page.getByRole('tab', { name: `Run: prep ${TAG}` })
    ).toBeVisible();
    await expect(
      page
        .locator('.jp-Dotscience-detail')
        .filter({ has: page.getByRole('heading', { name: `prep ${TAG}` }) })
        .locator('.jp-Dotscience-params')
    ).toContainText('100');
  });

  test('compares two runs, highlighting the differing parameter', async ({
    page
  }) => {
    // Given the runs, when the user ticks A and B and compares them
    const section = await openRuns(page);
    await section.getByLabel(`Select train ${TAG} a for compare`).check();
    await section.getByLabel(`Select train ${TAG} b for compare`).check();
    await section.getByRole('button', { name: 'Compare (2)' }).click();

    // Then alpha is a highlighted column, epochs (the same in both) is not shown, and B's
    // accuracy is the best
    const table = page.locator('.jp-Dotscience-compareTable');
    await expect(table).toBeVisible();
    await expect(table.locator('th[data-field="param:alpha"]')).toHaveClass(
      /jp-mod-differs/
    );
    await expect(table.locator('th[data-field="param:epochs"]')).toHaveCount(0);
    await expect(
      table.locator('td.jp-mod-best').filter({ hasText: /^0\.92/ })
    ).toHaveCount(1);
    await expect(page.getByRole('img', { name: /: 2 runs$/ })).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/history-compare-light.png` });

    // And importing the v1 export of a run already stored reports it as present
    const v1 = await page.request.get(
      `/dotscience/api/runs/${ids.a}/export?format=v1`
    );
    await page.request.put(`/api/contents/${TAG}-legacy.log`, {
      data: { type: 'file', format: 'text', content: await v1.text() }
    });
    await page.evaluate(
      path =>
        window.jupyterapp.commands.execute('dotscience:import-v1', { path }),
      `${TAG}-legacy.log`
    );
    await expect(
      page.getByText('Imported 0 runs (1 already present)')
    ).toBeVisible();
  });

  test('reads well in the dark theme', async ({ page }) => {
    await page.theme.setDarkTheme();
    const section = await openRuns(page);
    await expect(titles(section)).toHaveCount(3);
    await section.getByLabel(`Select train ${TAG} a for compare`).check();
    await page.screenshot({ path: `${SHOTS}/history-sidebar-dark.png` });
    await section.getByText(`train ${TAG} a`).click();
    const detail = page
      .locator('.jp-Dotscience-detail')
      .filter({ has: page.getByRole('heading', { name: `train ${TAG} a` }) });
    await expect(
      detail.getByRole('group', { name: 'Lineage graph' })
    ).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/history-detail-dark.png` });
    await detail.locator('[data-section="lineage"]').scrollIntoViewIfNeeded();
    await detail
      .locator('[data-section="lineage"]')
      .screenshot({ path: `${SHOTS}/history-lineage-dark.png` });
    await section.getByLabel(`Select train ${TAG} b for compare`).check();
    await section.getByRole('button', { name: 'Compare (2)' }).click();
    await expect(page.locator('.jp-Dotscience-compareTable')).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/history-compare-dark.png` });
  });
});
