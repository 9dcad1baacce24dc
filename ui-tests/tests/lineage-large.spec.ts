import { expect, test } from '@jupyterlab/galata';
import { SHOTS } from './shots';
import type { APIRequestContext } from '@playwright/test';
import { createHash, randomUUID } from 'crypto';

// A lineage of about 500 nodes within the three run-to-run links the run detail asks for:
// a root run writes a seed file read by 40 runs; each of those starts a chain of three
// (stage 1, 2, 3) through the data file each stage writes; stage 3 also reads another
// chain's stage-1 metrics (fan-in) and stage 1 reads one of ten raw datasets (fan-out).
const TAG = `lin${Date.now().toString(36)}`;
const CHAINS = 40;

const sha = (name: string) =>
  createHash('sha256').update(`${TAG}:${name}`).digest('hex');
const file = (name: string) => ({
  path: `${TAG}/${name}`,
  sha256: sha(name),
  size: 100,
  outside: false,
  missing: false
});
const iso = (seconds: number) =>
  new Date(Date.UTC(2026, 10, 28, 6, 0, seconds))
    .toISOString()
    .replace('Z', '000Z');

function record(
  n: number,
  description: string,
  inputs: string[],
  outputs: string[]
) {
  return {
    schema: 'dotscience.run/2',
    id: randomUUID(),
    project: 'default',
    mode: 'interactive',
    notebook: 'pipeline.ipynb',
    description,
    start: iso(n),
    end: iso(n + 1),
    published: iso(n + 1),
    inputs: inputs.map(file),
    outputs: outputs.map(file),
    parameters: {},
    labels: { suite: TAG },
    metrics: {},
    environment: { python: '3.11.7', packages: {} }
  };
}

async function seed(request: APIRequestContext): Promise<void> {
  const runs = [
    record(0, `root ${TAG}`, ['rawA', 'rawB'], ['seed', 'log', 'cfg'])
  ];
  for (let stage = 1; stage <= 3; stage++) {
    for (let c = 0; c < CHAINS; c++) {
      const inputs =
        stage === 1
          ? ['seed', `raw${c % 10}`]
          : stage === 2
            ? [`data-1-${c}`]
            : [`data-2-${c}`, `metrics-1-${(c + 7) % CHAINS}`];
      runs.push(
        record(stage * 100 + c, `stage ${stage} chain ${c}`, inputs, [
          `data-${stage}-${c}`,
          `model-${stage}-${c}`,
          `metrics-${stage}-${c}`
        ])
      );
    }
  }
  for (const run of runs) {
    const r = await request.post('/dotscience/api/runs', { data: run });
    expect(r.status()).toBeLessThan(300);
  }
}

test.describe('Lineage of 500 nodes', () => {
  test.use({ viewport: { width: 1400, height: 900 } });

  test('opens on the run, fits the whole graph, and lays out in under a second', async ({
    page
  }) => {
    const errors: string[] = [];
    page.on('pageerror', e => errors.push(String(e)));
    // Given a root run whose lineage has about 500 nodes
    await seed(page.request);

    // When the user opens the root run from the Runs list
    await page.locator('.jp-SideBar [title="Dotscience"]').click();
    await page.sidebar.close('left');
    await page.sidebar.setWidth(340, 'right');
    const section = page.locator(
      '#jp-Dotscience-sidebar .jp-Dotscience-runsSection'
    );
    await section.getByLabel('Search runs').fill(`root ${TAG}`);
    await section.getByText(`root ${TAG}`).click();
    const detail = page
      .locator('.jp-Dotscience-detail')
      .filter({ has: page.getByRole('heading', { name: `root ${TAG}` }) });
    await expect(detail).toBeVisible();

    // Then the lineage graph is drawn with every node, laid out in under a second
    const lineage = detail.locator('.jp-Dotscience-lineage');
    await lineage.scrollIntoViewIfNeeded();
    await expect(lineage).toBeVisible();
    const nodes = Number(await lineage.getAttribute('data-nodes'));
    expect(nodes).toBeGreaterThanOrEqual(480);
    await expect(lineage.locator('.jp-Dotscience-node')).toHaveCount(nodes);
    expect(Number(await lineage.getAttribute('data-layout-ms'))).toBeLessThan(
      1000
    );
    // And it opens on the run, full size, its neighbourhood in focus
    const root = lineage.locator('.jp-Dotscience-node.jp-mod-root');
    await expect(root).toBeInViewport();
    await expect(root).not.toHaveClass(/jp-mod-faded/);
    await expect(
      lineage.locator('.jp-Dotscience-node.jp-mod-faded').first()
    ).toBeAttached();

    // When the user presses Fit
    await lineage.getByRole('button', { name: 'Fit' }).click();
    // Then the whole drawing lies inside the view and nothing is faded
    const view = (await lineage
      .locator('.jp-Dotscience-lineage-view')
      .boundingBox())!;
    const drawing = (await lineage
      .locator('.jp-Dotscience-lineage-canvas')
      .boundingBox())!;
    expect(drawing.x).toBeGreaterThanOrEqual(view.x - 1);
    expect(drawing.y).toBeGreaterThanOrEqual(view.y - 1);
    expect(drawing.x + drawing.width).toBeLessThanOrEqual(
      view.x + view.width + 1
    );
    expect(drawing.y + drawing.height).toBeLessThanOrEqual(
      view.y + view.height + 1
    );
    await expect(lineage.locator('.jp-mod-faded')).toHaveCount(0);
    await lineage.screenshot({ path: `${SHOTS}/lineage-500.png` });

    // When the user turns the wheel over the view, the drawing grows around the pointer
    await page.mouse.move(view.x + view.width / 2, view.y + view.height / 2);
    await page.mouse.wheel(0, -600);
    await expect
      .poll(
        async () =>
          (await lineage
            .locator('.jp-Dotscience-lineage-canvas')
            .boundingBox())!.width
      )
      .toBeGreaterThan(drawing.width * 1.5);
    expect(errors).toEqual([]);
  });
});
