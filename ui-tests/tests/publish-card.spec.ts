import { expect, test } from '@jupyterlab/galata';
import { openSidebar, waitForIdle } from './notebook';
import { SHOTS } from './shots';

// Real kernel and session APIs, as the other Current run tests use.
test.use({
  autoGoto: true,
  kernels: null,
  sessions: null,
  viewport: { width: 1280, height: 620 }
});

test.describe('Publishing from a notebook cell', () => {
  // Only this test's sessions: another worker's tests run at the same time.
  test.afterEach(async ({ request, tmpPath }) => {
    const sessions = await (await request.get('/api/sessions')).json();
    for (const s of sessions) {
      if (s.path.startsWith(`${tmpPath}/`)) {
        await request.delete(`/api/sessions/${s.id}`);
      }
    }
  });

  test('a cell ending in ds.publish(...) shows one card that opens the run', async ({
    page,
    request
  }) => {
    // Given a notebook whose kernel the extension attached to
    await page.notebook.createNew('publish-card.ipynb');
    await waitForIdle(page);
    await openSidebar(page);

    // When a cell declares a run and ends with ds.publish(...)
    await page.notebook.setCell(
      0,
      'code',
      [
        'import dotscience as ds',
        "open('iris.csv', 'w').write('sepal,petal\\n5.1,1.4\\n')",
        'ds.start()',
        "ds.input('iris.csv')",
        "ds.parameter('learning_rate', 0.01); ds.parameter('epochs', 40)",
        "ds.metric('accuracy', 0.93)",
        "ds.publish('Tuned the learning rate')"
      ].join('\n')
    );
    await page.notebook.runCell(0, { wait: true });

    // Then the cell's only output is one small card, not the run record
    const cell = page.locator('.jp-Notebook .jp-Cell').first();
    const card = cell.locator('.jp-Dotscience-publishedCard');
    await expect(card).toHaveCount(1);
    await expect(cell.locator('.jp-OutputArea-output')).toHaveCount(1);
    await expect(card).toContainText('Published run');
    await expect(card).toContainText('Tuned the learning rate');
    for (const count of ['1 input', '0 outputs', '2 parameters', '1 metric']) {
      await expect(card).toContainText(count);
    }
    await expect(card).toContainText('Dotscience sidebar');
    const outputs = cell.locator('.jp-OutputArea');
    await expect(outputs).not.toContainText('packages');
    await expect(outputs).not.toContainText('DOTSCIENCE-RUN');
    const box = await outputs.boundingBox();
    expect(box!.height).toBeLessThan(250);

    // And the card names the run the server stored
    const id = await card.getAttribute('data-run-id');
    await expect(card).toContainText(id!);
    const stored = await request.get(`/dotscience/api/runs/${id}`);
    expect(stored.ok()).toBe(true);
    expect((await stored.json()).description).toBe('Tuned the learning rate');
    // and the sidebar's Runs list, where the card points, shows it
    await expect(page.locator('#jp-Dotscience-sidebar')).toContainText(
      'Tuned the learning rate',
      { timeout: 15000 }
    );
    await page.screenshot({ path: `${SHOTS}/publish-card.png` });

    // When "Open run" on the card is clicked
    await card.getByRole('button', { name: 'Open run' }).click();

    // Then the run opens in its own tab
    await expect(page.locator(`#jp-Dotscience-run-${id}`)).toBeVisible({
      timeout: 15000
    });
  });
});
