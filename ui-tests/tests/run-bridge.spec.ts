import { expect, JupyterLabPage, test } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';
import {
  deleteSessions,
  newNotebook,
  openSidebar,
  runCode,
  waitForIdle
} from './notebook';

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
    // (Galata's reload, not Playwright's: the restored notebook hides the launcher that
    // Galata's readiness check waits for)
    await (page as unknown as JupyterLabPage).reload({ waitForIsReady: false });
    await waitForIdle(page);
    run = await openSidebar(page);

    // Then the sidebar shows the kernel's run again
    await expect(run.getByTestId('ds-run-parameters')).toContainText('gamma');
    await expect(run.getByTestId('ds-run-description')).toHaveText(
      'survives reload'
    );

    // When the kernel is restarted (every state the bridge shows is recorded: "restarting"
    // may last only milliseconds, too short for a polling assertion, or not be drawn at
    // all when the kernel's "idle" follows in the same frame and the bridge goes straight
    // on to "attaching")
    await page.evaluate(() => {
      const panel = document.querySelector('#jp-Dotscience-sidebar')!;
      const states: string[] = [];
      (window as any).__bridgeStates = states;
      const record = () => {
        const state = panel
          .querySelector('.jp-Dotscience-currentRun')
          ?.getAttribute('data-bridge');
        if (state && states[states.length - 1] !== state) {
          states.push(state);
        }
      };
      new MutationObserver(record).observe(panel, {
        subtree: true,
        childList: true,
        attributeFilter: ['data-bridge']
      });
      void (window as any).jupyterapp.commands.execute(
        'notebook:restart-kernel'
      );
    });
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect
      .poll(() =>
        page.evaluate(() =>
          (window as any).__bridgeStates.some(
            (s: string) => s === 'restarting' || s === 'attaching'
          )
        )
      )
      .toBe(true);
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
