import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext, Page } from '@playwright/test';
import { SHOTS } from './shots';

/**
 * Wait until the kernel is connected and idle.
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
 * Create a notebook through the contents API and open it.
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
  source: string
) {
  if (index >= (await page.notebook.getCellCount())) {
    await page.notebook.addCell('code', source);
  } else {
    await page.notebook.setCell(index, 'code', source);
  }
  await page.notebook.runCell(index, { wait: true });
}

/**
 * Shut down the kernel sessions of this test's notebooks (only those under its directory).
 */
async function deleteSessions(request: APIRequestContext, dir: string) {
  const sessions = await (await request.get('/api/sessions')).json();
  for (const s of sessions) {
    if (s.path.startsWith(`${dir}/`)) {
      await request.delete(`/api/sessions/${s.id}`);
    }
  }
}

// Real kernel and session APIs (Galata's tracking routes break kernel restarts).
test.use({ autoGoto: true, kernels: null, sessions: null });

test.describe('Autologging', () => {
  test.afterEach(async ({ request, tmpPath }) => {
    await deleteSessions(request, tmpPath);
  });

  test('a notebook with only ds.autolog() and a scikit-learn fit shows its parameters and score live', async ({
    page,
    request,
    tmpPath
  }) => {
    // Given a new notebook whose kernel the extension attached to
    await newNotebook(page, request, tmpPath, 'autolog.ipynb');
    const run = await openSidebar(page);

    // When a cell switches autologging on and fits a model, with no other ds.* call
    await runCode(
      page,
      0,
      [
        'import dotscience as ds',
        'ds.autolog()',
        'from sklearn.datasets import load_iris',
        'from sklearn.linear_model import LogisticRegression',
        'X, y = load_iris(return_X_y=True)',
        'model = LogisticRegression(C=0.75, max_iter=300).fit(X, y)',
        'print(round(model.score(X, y), 4))'
      ].join('\n')
    );

    // Then the sidebar shows the estimator's parameters and its training score
    const parameters = run.getByTestId('ds-run-parameters');
    await expect(parameters).toContainText('estimator_class', {
      timeout: 20000
    });
    await expect(parameters).toContainText('LogisticRegression');
    await expect(parameters).toContainText('max_iter');
    await expect(parameters).toContainText('0.75');
    const output = await page.notebook.getCellTextOutput(0);
    const score = (output ?? []).join('').trim();
    expect(Number(score)).toBeGreaterThan(0.9);
    await expect(run.getByTestId('ds-metric-training_score')).toBeVisible();
    const shown = await run.getByTestId('ds-metric-training_score').innerText();
    expect(Number(shown)).toBeCloseTo(Number(score), 2);
    // (the documentation's picture: only the Current run section open, tall enough)
    await page.setViewportSize({ width: 1280, height: 1300 });
    for (const title of ['Runs', 'Models', 'API keys', 'Server']) {
      const heading = page.locator(
        `#jp-Dotscience-sidebar .lm-AccordionPanel-title[aria-label="${title} Section"]`
      );
      if ((await heading.getAttribute('aria-expanded')) === 'true') {
        await heading.click();
      }
    }
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${SHOTS}/autolog-run.png` });
  });
});
