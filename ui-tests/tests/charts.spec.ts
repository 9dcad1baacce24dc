import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import { randomUUID } from 'crypto';
import { SHOTS } from './shots';

test.use({
  autoGoto: true,
  kernels: null,
  sessions: null,
  viewport: { width: 1280, height: 900 }
});

const POINTS = 150_000;

/**
 * A run whose `loss` has 150,000 points: a decay with a spike at step 90,000 (the
 * detail tab of such a run used to stay blank: the chart spread the points into
 * Math.min and overflowed the call stack).
 */
function longRun(id: string) {
  const loss = [];
  for (let step = 0; step < POINTS; step++) {
    const value = step === 90_000 ? 25 : 1 / (1 + step / 2000);
    loss.push({ value, step });
  }
  return {
    schema: 'dotscience.run/2',
    id,
    project: 'default',
    description: `long series ${id.slice(0, 8)}`,
    mode: 'script',
    workload_file: 'train.py',
    start: '2026-11-27T06:30:00.000000Z',
    end: '2026-11-27T06:40:00.000000Z',
    inputs: [],
    outputs: [],
    parameters: {},
    labels: {},
    metrics: { loss }
  };
}

/**
 * Open a run's detail tab with the command the runs list uses.
 */
async function openRun(
  page: IJupyterLabPageFixture,
  id: string
): Promise<Locator> {
  await page.evaluate(async runId => {
    await (window as any).jupyterapp.commands.execute('dotscience:open-run', {
      id: runId
    });
  }, id);
  const detail = page.locator('.jp-Dotscience-detailContent:visible');
  await expect(detail.locator('.jp-Dotscience-detail')).toContainText(id);
  return detail;
}

/**
 * How many pixels of a canvas are painted (not transparent), in all of it or in its
 * bottom `band` CSS pixels (where the x axis writes its values).
 */
function painted(canvas: Locator, band = 0): Promise<number> {
  return canvas.evaluate((c: HTMLCanvasElement, bottom: number) => {
    const ratio = c.width / c.getBoundingClientRect().width;
    const top = bottom ? Math.max(0, c.height - Math.round(bottom * ratio)) : 0;
    const data = c
      .getContext('2d')!
      .getImageData(0, top, c.width, c.height - top).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i] > 0) {
        n++;
      }
    }
    return n;
  }, band);
}

test('a run with a 150,000-point metric draws its chart from about a point per pixel', async ({
  page
}) => {
  // Given a published run with a 150,000-point loss
  const id = randomUUID();
  const published = await page.request.post('/dotscience/api/runs', {
    data: longRun(id)
  });
  expect(published.status()).toBe(201);
  const errors: string[] = [];
  page.on('pageerror', e => errors.push(String(e)));
  const asked: string[] = [];
  page.on('request', r => {
    if (r.url().includes(`/runs/${id}/metrics/loss`)) {
      asked.push(r.url());
    }
  });

  // When its detail tab opens
  const detail = await openRun(page, id);
  const metrics = detail.locator('[data-section="metrics"]');
  const chart = metrics.locator('.jp-Dotscience-chart');
  const canvas = chart.locator('canvas').first();

  // Then the loss chart is drawn on a canvas, with no page error
  await expect(canvas).toBeVisible();
  await expect(chart).not.toHaveAttribute('data-points', '0');
  await expect.poll(() => painted(canvas)).toBeGreaterThan(500);
  // with the values of its x axis written below its ticks (the bottom 34 of the 50 px
  // the axis takes)
  expect(await painted(canvas, 34)).toBeGreaterThan(50);
  expect(errors).toEqual([]);

  // And the chart asked the server for about one point per pixel of its width, not all
  // 150,000
  const width = (await chart
    .locator('.jp-Dotscience-chartCanvas')
    .boundingBox())!.width;
  expect(asked).toHaveLength(1);
  const points = Number(new URL(asked[0]).searchParams.get('points'));
  expect(points).toBeGreaterThanOrEqual(width);
  expect(points).toBeLessThanOrEqual(width + 100);
  const drawn = Number(await chart.getAttribute('data-points'));
  expect(drawn).toBeGreaterThan(width / 2);
  expect(drawn).toBeLessThanOrEqual(points);
  await page.screenshot({ path: `${SHOTS}/chart-long-series-light.png` });

  // When the user points at the chart
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
  // Then the value under the cursor is read out
  await expect(chart.locator('.jp-Dotscience-chartReadout')).toHaveText(
    /^loss: \S+ at step [\d,]+$/
  );

  // When the user drags over a part of the chart
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, {
    steps: 5
  });
  await page.mouse.up();

  // Then the chart asks again, for that window of steps only
  await expect.poll(() => asked.length).toBe(2);
  const zoom = new URL(asked[1]).searchParams;
  const from = Number(zoom.get('from'));
  const to = Number(zoom.get('to'));
  expect(from).toBeGreaterThan(POINTS * 0.2);
  expect(to).toBeLessThan(POINTS * 0.6);
  expect(from).toBeLessThan(to);
  await expect(detail.getByText(/^steps /)).toBeVisible();
  await expect(metrics.locator('.jp-Dotscience-seriesChart')).toHaveAttribute(
    'data-loading',
    'false'
  );

  // When it switches to the dark theme
  const before = await canvas.screenshot();
  await page.theme.setDarkTheme();
  // Then the chart is drawn again in the dark theme's colours, still without errors
  await expect
    .poll(async () => Buffer.compare(before, await canvas.screenshot()))
    .not.toBe(0);
  await expect.poll(() => painted(canvas)).toBeGreaterThan(500);
  expect(errors).toEqual([]);
  await page.screenshot({ path: `${SHOTS}/chart-long-series-dark.png` });
  await page.theme.setLightTheme();
});

test('compare draws 12 runs on one chart with distinct colours and a folded legend', async ({
  page
}) => {
  // Given 12 published runs, each with a 3,000-point loss
  const ids: string[] = [];
  for (let r = 0; r < 12; r++) {
    const id = randomUUID();
    ids.push(id);
    const loss = [];
    for (let step = 0; step < 3000; step++) {
      loss.push({ value: (r + 1) / (1 + step / 300), step });
    }
    const published = await page.request.post('/dotscience/api/runs', {
      data: {
        ...longRun(id),
        description: `run ${r + 1} of 12`,
        metrics: { loss }
      }
    });
    expect(published.status()).toBe(201);
  }
  const errors: string[] = [];
  page.on('pageerror', e => errors.push(String(e)));

  // When they are compared
  await page.evaluate(async runIds => {
    await (window as any).jupyterapp.commands.execute(
      'dotscience:compare-runs',
      { ids: runIds }
    );
  }, ids);
  const compare = page.locator('.jp-Dotscience-compareContent:visible');
  const chart = compare.locator('.jp-Dotscience-chart').first();

  // Then one canvas draws all 12 series
  await expect(chart).toHaveAttribute('data-series', '12');
  const canvas = chart.locator('canvas').first();
  await expect.poll(() => painted(canvas)).toBeGreaterThan(1000);
  // And the legend is one folded line naming the count, its entries in a scrollable list
  const legend = chart.locator('details.jp-Dotscience-legendMany');
  await expect(legend.locator('summary')).toHaveText('12 series');
  await expect(
    legend.locator('.jp-Dotscience-legendEntry').first()
  ).toBeHidden();
  await legend.locator('summary').click();
  await expect(legend.locator('.jp-Dotscience-legendEntry')).toHaveCount(12);
  // And the first ten swatches have ten different colours
  const colours = await legend
    .locator('.jp-Dotscience-legendSwatch')
    .evaluateAll(els =>
      els.slice(0, 10).map(e => getComputedStyle(e).backgroundColor)
    );
  expect(new Set(colours).size).toBe(10);
  expect(errors).toEqual([]);
  await page.screenshot({ path: `${SHOTS}/chart-compare-12-light.png` });
});
