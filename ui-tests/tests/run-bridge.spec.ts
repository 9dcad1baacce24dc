import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext, Page } from '@playwright/test';

/**
 * Wait until the kernel is connected and idle (the notebook toolbar says idle earlier).
 */
async function waitForIdle(page: Page): Promise<void> {
  await expect(page.locator('#jp-main-statusbar')).toContainText('| Idle', {
    timeout: 30000
  });
}

async function openSidebar(page: IJupyterLabPageFixture) {
  const panel = page.locator('#jp-Dotscience-sidebar');
  if (!(await panel.isVisible())) {
    await page.locator('.jp-SideBar [title="Dotscience"]').click();
  }
  const run = panel.locator('.jp-Dotscience-currentRun');
  await expect(run).toHaveAttribute('data-bridge', 'attached', {
    timeout: 30000
  });
  return run;
}

/**
 * Create a notebook through the contents API (no rename, so its kernel session keeps the
 * path across page reloads) and open it.
 */
async function newNotebook(
  page: IJupyterLabPageFixture,
  request: APIRequestContext,
  dir: string,
  name: string
) {
  const path = `${dir}/${name}`;
  const response = await request.put(`/api/contents/${path}`, {
    data: {
      type: 'notebook',
      format: 'json',
      content: {
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
          {
            cell_type: 'code',
            id: 'first',
            source: '',
            metadata: {},
            outputs: [],
            execution_count: null
          }
        ]
      }
    }
  });
  expect(response.ok()).toBe(true);
  await page.filebrowser.refresh();
  await page.notebook.openByPath(path);
  await page.notebook.activate(name);
  await waitForIdle(page);
}

async function runCode(
  page: IJupyterLabPageFixture,
  index: number,
  source: string,
  wait = true
) {
  if (index >= (await page.notebook.getCellCount())) {
    await page.notebook.addCell('code', source);
  } else {
    await page.notebook.setCell(index, 'code', source);
  }
  await page.notebook.runCell(index, { wait });
}

/**
 * Shut down the kernel sessions of this test's notebooks (those under its own directory;
 * another worker's tests run in parallel with theirs).
 */
async function deleteSessions(request: APIRequestContext, dir: string) {
  const sessions = await (await request.get('/api/sessions')).json();
  for (const s of sessions) {
    if (s.path.startsWith(`${dir}/`)) {
      await request.delete(`/api/sessions/${s.id}`);
    }
  }
}

async function findRun(
  request: APIRequestContext,
  description: string,
  timeout = 20000
): Promise<any> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const body = await (
      await request.get(
        `/dotscience/api/runs?q=${encodeURIComponent(description)}`
      )
    ).json();
    const run = body.runs.find((r: any) => r.description === description);
    if (run) {
      return run;
    }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`no run "${description}" was stored`);
}

// Real kernel and session APIs (Galata's tracking routes break kernel restarts).
test.use({ autoGoto: true, kernels: null, sessions: null });

test.describe('Current run', () => {
  test.afterEach(async ({ request, tmpPath }) => {
    await deleteSessions(request, tmpPath);
  });

  test('shows declarations live, queues UI declarations while busy, publishes with cells', async ({
    page,
    request,
    tmpPath
  }) => {
    // Given a new notebook whose kernel the extension attached to
    await newNotebook(page, request, tmpPath, 'run-live.ipynb');
    const run = await openSidebar(page);

    // When a cell starts a run, records a parameter and a metric series
    await runCode(
      page,
      0,
      [
        'import dotscience as ds',
        "ds.start('live ui run')",
        "ds.parameter('alpha', 0.5)",
        'for i in range(50):',
        "    ds.metric('loss', 1 / (i + 1))"
      ].join('\n')
    );

    // Then the sidebar shows the parameter and the metric's last value with a chart
    await expect(run.getByTestId('ds-run-parameters')).toContainText('alpha');
    await expect(run.getByTestId('ds-run-parameters')).toContainText('0.5');
    await expect(run.getByTestId('ds-metric-loss')).toHaveText('0.02');
    await expect(run.locator('.jp-Dotscience-chart')).toHaveCount(1);
    await expect(run.getByTestId('ds-run-description')).toHaveText(
      'live ui run'
    );
    // And the cell that declared carries the badge
    await expect(page.locator('.jp-Notebook .jp-Cell').first()).toHaveClass(
      /jp-Dotscience-declaringCell/
    );

    // When the user declares a parameter while a cell is running
    await runCode(page, 1, 'import time\ntime.sleep(2)', false);
    await expect(page.locator('#jp-main-statusbar')).toContainText('| Busy');
    await run.getByLabel('Declaration').fill('beta=2');
    await run.getByLabel('Declaration').press('Enter');

    // Then it shows as pending, and as declared once the kernel is free
    await expect(
      run.locator('.jp-Dotscience-pending', { hasText: 'beta' })
    ).toBeVisible();
    await expect(run.getByTestId('ds-run-parameters')).toContainText('beta', {
      timeout: 10000
    });
    await expect(run.locator('.jp-Dotscience-pending')).toHaveCount(0);

    // When the user publishes from the sidebar with a description
    await waitForIdle(page);
    await run.getByLabel('Run description').fill('published from the UI');
    await run.getByLabel('Run description').press('Enter');

    // Then the run is stored with its parameters, metrics, notebook and cells
    await expect(run.getByTestId('ds-run-published')).toBeVisible();
    const stored = await findRun(request, 'published from the UI');
    const full = await (
      await request.get(`/dotscience/api/runs/${stored.id}`)
    ).json();
    expect(full.parameters.alpha.value).toBe(0.5);
    expect(full.parameters.beta.value).toBe(2);
    expect(full.metrics.loss).toHaveLength(50);
    expect(full.notebook).toBe(`${tmpPath}/run-live.ipynb`);
    await expect
      .poll(
        async () =>
          (
            await (
              await request.get(`/dotscience/api/runs/${stored.id}/cells`)
            ).json()
          ).cells.length,
        { timeout: 10000 }
      )
      .toBe(2);
    const cells = (
      await (
        await request.get(`/dotscience/api/runs/${stored.id}/cells`)
      ).json()
    ).cells;
    expect(cells.map((c: any) => c.index)).toEqual([0, 1]);
    expect(cells[0].source_sha256).toMatch(/^[0-9a-f]{64}$/);
    const snapshot = await request.get(
      `/dotscience/api/runs/${stored.id}/notebook`
    );
    expect(snapshot.ok()).toBe(true);
  });

  test('restores the run after a page reload and reattaches after a kernel restart', async ({
    page,
    request,
    tmpPath
  }) => {
    // Given a run with a parameter in a notebook's kernel
    await newNotebook(page, request, tmpPath, 'run-reload.ipynb');
    let run = await openSidebar(page);
    await runCode(
      page,
      0,
      "import dotscience as ds\nds.start('survives reload')\nds.parameter('gamma', 7)"
    );
    await expect(run.getByTestId('ds-run-parameters')).toContainText('gamma');

    // When the (saved) notebook's page is reloaded
    await page.notebook.save();
    await page.reload({ waitForIsReady: false });
    await waitForIdle(page);
    run = await openSidebar(page);

    // Then the sidebar shows the kernel's run again
    await expect(run.getByTestId('ds-run-parameters')).toContainText('gamma');
    await expect(run.getByTestId('ds-run-description')).toHaveText(
      'survives reload'
    );

    // When the kernel is restarted
    await page.evaluate(() => {
      void (window as any).jupyterapp.commands.execute(
        'notebook:restart-kernel'
      );
    });
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect(run).toHaveAttribute('data-bridge', 'restarting');
    await waitForIdle(page);

    // Then the bridge reattaches to the fresh kernel, which has no run yet
    await expect(run).toHaveAttribute('data-bridge', 'attached', {
      timeout: 30000
    });
    await expect(run.getByTestId('ds-run-parameters')).toHaveCount(0);
    await page.notebook.runCell(0, { wait: true });
    await expect(run.getByTestId('ds-run-parameters')).toContainText('gamma');
  });

  test('a run published after the tab closed is stored', async ({
    page,
    request,
    tmpPath
  }) => {
    // Given a notebook running a cell that sleeps then publishes
    await newNotebook(page, request, tmpPath, 'run-closed.ipynb');
    await runCode(
      page,
      0,
      [
        'import time, dotscience as ds',
        "ds.start('published after close')",
        "ds.parameter('delta', 1)",
        'time.sleep(2)',
        'ds.publish()'
      ].join('\n'),
      false
    );
    await expect(page.locator('#jp-main-statusbar')).toContainText('| Busy');

    // When the tab is closed before ds.publish() runs
    await page.close();

    // Then the kernel still stores the run through the server
    const stored = await findRun(request, 'published after close');
    expect(stored.id).toBeTruthy();
  });
});
