import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/*
 * Notebook helpers shared by the UI tests: a notebook made through the contents API, its
 * cells run, the Dotscience sidebar opened, and the test's own kernel sessions shut down.
 */

/**
 * Wait until the kernel is connected and idle (the notebook toolbar says idle earlier).
 */
export async function waitForIdle(page: Page): Promise<void> {
  await expect(page.locator('#jp-main-statusbar')).toContainText('| Idle', {
    timeout: 30000
  });
}

export async function openSidebar(page: IJupyterLabPageFixture) {
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
export async function newNotebook(
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

export async function runCode(
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
export async function deleteSessions(request: APIRequestContext, dir: string) {
  const sessions = await (await request.get('/api/sessions')).json();
  for (const s of sessions) {
    if (s.path.startsWith(`${dir}/`)) {
      await request.delete(`/api/sessions/${s.id}`);
    }
  }
}

/**
 * Copy the README's quickstart notebook (examples/quickstart.ipynb) into `dir` through the
 * contents API and open it.
 *
 * @returns the notebook's JSON and its path in the workspace
 */
export async function openQuickstart(
  page: IJupyterLabPageFixture,
  request: APIRequestContext,
  dir: string
): Promise<{ nb: any; nbPath: string }> {
  const nb = JSON.parse(
    fs.readFileSync(
      path.join(__dirname, '../../examples/quickstart.ipynb'),
      'utf-8'
    )
  );
  const nbPath = `${dir}/quickstart.ipynb`;
  const put = await request.put(`/api/contents/${nbPath}`, {
    data: { type: 'notebook', format: 'json', content: nb }
  });
  expect(put.ok()).toBeTruthy();
  await page.filebrowser.open(nbPath);
  return { nb, nbPath };
}
