import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { APIRequestContext, Locator } from '@playwright/test';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import { brushTopOf } from './brush';
import { SHOTS } from './shots';

test.use({
  autoGoto: true,
  kernels: null,
  sessions: null,
  viewport: { width: 1280, height: 900 }
});

/**
 * A small run of a test's own tag (its description carries the tag, so a search finds
 * exactly this test's runs).
 */
function run(tag: string, i: number, start = '2026-11-27T06:30:00.000000Z') {
  const schedule = `cosine with warm restarts every ${(i % 7) + 1} epochs`;
  return {
    schema: 'dotscience.run/2',
    id: randomUUID(),
    project: 'default',
    description: `${tag} trial ${i}`,
    mode: 'script',
    workload_file: 'train.py',
    start,
    end: start,
    inputs: [],
    outputs: [],
    parameters: {
      alpha: { value: i, text: String(i) },
      // too long for its column: the table cuts it to fit, ending in "…"
      schedule: { value: schedule, text: schedule }
    },
    labels: {},
    metrics: {
      loss: [{ value: 1 / (1 + i), text: String(1 / (1 + i)), step: 0 }]
    }
  };
}

/**
 * Publish runs through the REST API, 25 at a time.
 */
async function publish(
  request: APIRequestContext,
  tag: string,
  from: number,
  count: number
): Promise<void> {
  for (let i = from; i < from + count; i += 25) {
    const batch = [];
    for (let j = i; j < Math.min(from + count, i + 25); j++) {
      batch.push(
        request
          .post('/dotscience/api/runs', { data: run(tag, j) })
          .then(r => expect(r.status()).toBe(201))
      );
    }
    await Promise.all(batch);
  }
}

/**
 * Focus the table's search box and press Tab until `arrived` (at most 12 times).
 */
async function tabFromSearch(
  page: IJupyterLabPageFixture,
  table: Locator,
  arrived: () => Promise<boolean>
): Promise<void> {
  await table.getByLabel('Search runs').focus();
  for (let i = 0; i < 12 && !(await arrived()); i++) {
    await page.keyboard.press('Tab');
  }
}

/**
 * Open the Runs table with its command and search for a tag.
 */
async function openTable(
  page: IJupyterLabPageFixture,
  tag: string
): Promise<Locator> {
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute(
      'dotscience:open-runs-table',
      {}
    );
  });
  const table = page.locator('.jp-Dotscience-runsTable:visible');
  await expect(table).toBeVisible();
  const search = table.getByLabel('Search runs');
  await search.fill(tag);
  await search.press('Enter');
  return table;
}

/**
 * Reload the page and wait until JupyterLab has restored its tabs (Galata's own reload
 * waits for a launcher, which restored tabs take the place of).
 */
async function reloadKeepingTabs(page: IJupyterLabPageFixture): Promise<void> {
  // (the fixture's type leaves out the option its reload takes)
  const reload = page.reload as unknown as (options: {
    waitForIsReady: boolean;
  }) => Promise<unknown>;
  await reload.call(page, { waitForIsReady: false });
  await page.evaluate(() => (window as any).jupyterapp.restored);
}

/**
 * Wait for JupyterLab to save its workspace (it does so a moment after the last change)
 * with a body that passes `test`.
 */
function workspaceSaved(
  page: IJupyterLabPageFixture,
  test: (body: string) => boolean
): Promise<unknown> {
  return page.waitForRequest(
    r =>
      r.method() === 'PUT' &&
      r.url().includes('/lab/api/workspaces') &&
      test(r.postData() ?? ''),
    { timeout: 15000 }
  );
}

/**
 * The rows of the Runs table's grid as Chromium gives them to assistive technology, in
 * order: `header` for the header row, a run's id for its row (its first cell is named by
 * its checkbox, "Select run <id>").
 */
async function readingOrder(page: IJupyterLabPageFixture): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page.mainFrame());
  await cdp.send('Accessibility.enable');
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  await cdp.detach();
  type Node = (typeof nodes)[number];
  const byId = new Map(nodes.map(n => [n.nodeId, n]));
  const kids = (n: Node) =>
    (n.childIds ?? []).map(id => byId.get(id)).filter((k): k is Node => !!k);
  const first = (n: Node, roles: string[]): Node | null => {
    for (const k of kids(n)) {
      if (!k.ignored && roles.includes(k.role?.value as string)) {
        return k;
      }
      const found = first(k, roles);
      if (found) {
        return found;
      }
    }
    return null;
  };
  const order: string[] = [];
  const walk = (n: Node) => {
    if (!n.ignored && n.role?.value === 'row') {
      const cell = first(n, ['columnheader', 'gridcell', 'cell']);
      order.push(
        cell?.role?.value === 'columnheader'
          ? 'header'
          : String(cell?.name?.value ?? '').replace(/^Select run /, '')
      );
      return;
    }
    kids(n).forEach(walk);
  };
  nodes.filter(n => n.role?.value === 'grid' && !n.ignored).forEach(walk);
  return order;
}

/**
 * Publish `count` runs of a new tag (`prefix` and a random part) and open the Runs table
 * on them, once it counts them all.
 *
 * @returns the table and the tag (to publish more runs of it)
 */
async function taggedTable(
  page: IJupyterLabPageFixture,
  request: APIRequestContext,
  prefix: string,
  count: number
): Promise<{ table: Locator; tag: string }> {
  const tag = `${prefix}${randomUUID().slice(0, 8)}`;
  await publish(request, tag, 0, count);
  const table = await openTable(page, tag);
  await expect(table.getByTestId('ds-table-count')).toHaveText(`${count} runs`);
  return { table, tag };
}

/**
 * `taggedTable` on 60 runs, scrolled down to line 30: the table, its grid and row height,
 * and the run the user reads at the top.
 */
async function readingLine30(
  page: IJupyterLabPageFixture,
  request: APIRequestContext,
  prefix: string
) {
  const { table, tag } = await taggedTable(page, request, prefix, 60);
  const grid = table.getByRole('grid');
  const rowHeight = await rowHeightOf(grid);
  await grid.evaluate((g, top) => {
    g.scrollTop = top;
  }, 30 * rowHeight);
  await expect.poll(() => topRun(grid)).not.toBeNull();
  return { table, tag, grid, rowHeight, reading: await topRun(grid) };
}

/**
 * Click a Runs table's Export CSV; the file the browser saves (named runs.csv, from an
 * address `from` matches: `GET runs/csv` by default), as lines of cells (its values hold
 * no commas or quotes).
 */
async function exportedCsv(
  page: IJupyterLabPageFixture,
  table: Locator,
  from: RegExp = /\/dotscience\/api\/runs\/csv\?/
): Promise<string[][]> {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    table.getByRole('button', { name: 'Export CSV' }).click()
  ]);
  expect(file.suggestedFilename()).toBe('runs.csv');
  expect(file.url()).toMatch(from);
  return fs
    .readFileSync(await file.path(), 'utf-8')
    .trimEnd()
    .split('\r\n')
    .map(line => line.split(','));
}

/**
 * `taggedTable`'s table, for a test that publishes no more runs.
 */
async function tableOfRuns(
  page: IJupyterLabPageFixture,
  request: APIRequestContext,
  prefix: string,
  count: number
): Promise<Locator> {
  return (await taggedTable(page, request, prefix, count)).table;
}

/**
 * The run on the line at the top of a Runs table's rows in view (the header covers the
 * top of the scrolled content, where no run is).
 */
function topRun(grid: Locator): Promise<string | null> {
  return grid.evaluate(el => {
    const head = el.querySelector('[role="row"]:not([data-run-id])')!;
    const below = head.getBoundingClientRect().bottom + 1;
    const x = el.getBoundingClientRect().left + 8;
    const row = document
      .elementsFromPoint(x, below)
      .find(e => e.matches('[data-run-id]'));
    return row?.getAttribute('data-run-id') ?? null;
  });
}

/**
 * The height of a Runs table's row.
 */
function rowHeightOf(grid: Locator): Promise<number> {
  return grid
    .locator('[role="row"][data-run-id]')
    .first()
    .evaluate(r => r.getBoundingClientRect().height);
}

test('filter 200 of 250 runs in the Runs table, select them all and compare', async ({
  page,
  request
}) => {
  // Given 250 published runs of this test (alpha 0..249)
  const tag = `tbl${randomUUID().slice(0, 8)}`;
  await publish(request, tag, 0, 250);
  const errors: string[] = [];
  page.on('pageerror', e => errors.push(String(e)));
  const workers: string[] = [];
  page.on('worker', w => workers.push(w.url()));
  // When the Runs table opens on them
  const table = await openTable(page, tag);
  const count = table.getByTestId('ds-table-count');
  await expect(count).toHaveText('250 runs');
  // (its pages are fetched, parsed and packed in a worker, off the main thread)
  expect(workers.filter(url => url.startsWith('blob:'))).toHaveLength(1);
  // And alpha's filter box says < 200
  const alpha = table.getByLabel('Filter alpha');
  await alpha.fill('<200');
  await alpha.press('Enter');
  // Then the table says 200 runs match
  await expect(count).toHaveText('200 runs');
  // When every match is selected
  await table.getByRole('button', { name: 'Select all 200' }).click();
  // Then 200 are selected, also those not drawn
  await expect(count).toHaveText('200 runs · 200 selected');
  const grid = table.getByRole('grid');
  expect(await grid.locator('[role="row"][data-run-id]').count()).toBeLessThan(
    200
  );
  // And every cell's text stays inside its cell (cells are not clipped: plain text too
  // long for its column is cut to fit, ending in "…")
  const text = await grid.evaluate(g => {
    let cut = 0;
    const over: string[] = [];
    for (const cell of Array.from(
      g.querySelectorAll('[role="row"][data-run-id] [role="cell"]')
    )) {
      if (cell.classList.contains('jp-mod-clip')) {
        continue;
      }
      const box = cell.getBoundingClientRect();
      const style = getComputedStyle(cell);
      const inner =
        box.right -
        (parseFloat(style.paddingRight) || 0) -
        (parseFloat(style.borderRightWidth) || 0);
      const range = document.createRange();
      range.selectNodeContents(cell);
      const drawn = range.getBoundingClientRect();
      if (drawn.width > 0 && drawn.right > inner + 0.5) {
        over.push(`${cell.textContent} (${drawn.right} > ${inner})`);
      }
      if ((cell.textContent ?? '').endsWith('\u2026')) {
        cut++;
      }
    }
    return { cut, over };
  });
  expect(text.over).toEqual([]);
  expect(text.cut).toBeGreaterThan(0);
  await page.screenshot({ path: `${SHOTS}/runs-table-light.png` });
  // When Compare is clicked
  await table.getByRole('button', { name: 'Compare (200)' }).click();
  // Then a compare tab of the 200 runs opens
  await expect(
    page.locator('.lm-TabBar-tab', { hasText: 'Compare 200 runs' })
  ).toBeVisible();
  expect(errors).toEqual([]);
});

test('the Runs table comes back after a reload as the user left it, and a new one starts with its columns', async ({
  page,
  request
}) => {
  // Given the Runs table on this test's 30 runs
  const table = await tableOfRuns(page, request, 'keep', 30);
  const count = table.getByTestId('ds-table-count');
  // the columns whose headings the user sees (the header draws a few more, out of view,
  // as many as its history left drawn)
  const heads = (t: Locator) =>
    t.getByRole('grid').evaluate(grid => {
      const view = grid.getBoundingClientRect();
      return Array.from(
        grid.querySelectorAll('[role="columnheader"][data-column]'),
        c => [c.getAttribute('data-column'), c.getBoundingClientRect()] as const
      )
        .filter(([, r]) => r.right > view.left && r.left < view.right)
        .map(([id]) => id);
    });
  const schedule = (t: Locator) =>
    t.locator('[role="row"][data-run-id] [role="cell"]', {
      hasText: 'cosine'
    });
  // the first run's name (pinned beside its checkbox, not in its row's element)
  const firstRun = async (t: Locator) => {
    const id = await t
      .locator('[role="row"][aria-rowindex="2"]')
      .getAttribute('data-run-id');
    return t
      .locator(`.jp-Dotscience-table-rowCheck[data-run-id="${id}"]`)
      .textContent();
  };
  // how many schedules the user sees whole: neither cut to fit ("…") nor clipped (a cell
  // clips its text until the font is measured)
  const wholeSchedules = (t: Locator) =>
    schedule(t).evaluateAll(
      cells =>
        cells.filter(
          c =>
            !c.textContent!.endsWith('\u2026') && c.scrollWidth <= c.clientWidth
        ).length
    );
  // (the schedule is too long for its column)
  await expect.poll(() => wholeSchedules(table)).toBe(0);
  // When the user hides Status, sorts by alpha twice (largest first), keeps alpha < 20
  await table.getByRole('button', { name: /^Columns/ }).click();
  await table.getByRole('checkbox', { name: 'Status', exact: true }).uncheck();
  await table.getByRole('button', { name: /^Columns/ }).click();
  const sortAlpha = table.locator(
    '[data-column="param:alpha"] .jp-Dotscience-table-sort'
  );
  await sortAlpha.click();
  await expect.poll(() => firstRun(table)).toContain('trial 0');
  await sortAlpha.click();
  await expect.poll(() => firstRun(table)).toContain('trial 29');
  const alpha = table.getByLabel('Filter alpha');
  await alpha.fill('<20');
  await alpha.press('Enter');
  await expect(count).toHaveText('20 runs');
  await expect.poll(() => firstRun(table)).toContain('trial 19');
  const saved = workspaceSaved(page, body =>
    body.includes('"param:schedule":380')
  );
  // And drags the schedule column's right edge 260 px to the right
  const edge = table.getByRole('separator', { name: 'Resize schedule' });
  const box = (await edge.boundingBox())!;
  await page.mouse.move(box.x + 3, box.y + box.height / 2);
  await page.mouse.down();
  for (const dx of [50, 150, 260]) {
    await page.mouse.move(box.x + 3 + dx, box.y + box.height / 2);
  }
  await page.mouse.up();
  // Then the column is 260 px wider and its cells show the whole schedule
  await expect(edge).toHaveAttribute('aria-valuenow', '380');
  await expect(schedule(table).first()).toHaveText(
    /^cosine with warm restarts every \d epochs$/
  );
  await expect
    .poll(() => wholeSchedules(table))
    .toBe(await schedule(table).count());
  const columns = await heads(table);
  expect(columns).not.toContain('field:status');
  await saved; // (kept once the changes settle)

  // When the page is reloaded
  await reloadKeepingTabs(page);
  // Then the Runs table tab is back as it was left: the search, the filter, the sort,
  // the columns and the width
  const back = page.locator('.jp-Dotscience-runsTable:visible');
  await expect(back.getByTestId('ds-table-count')).toHaveText('20 runs');
  await expect.poll(() => firstRun(back)).toContain('trial 19');
  await expect(back.getByLabel('Filter alpha')).toHaveValue('<20');
  await expect(back.getByLabel('Search runs')).toHaveValue(/^keep/);
  const tag = await back.getByLabel('Search runs').inputValue();
  await expect(
    back.locator('[data-column="param:alpha"] .jp-Dotscience-table-sort')
  ).toContainText('\u25bc');
  expect(await heads(back)).toEqual(columns);
  await expect(
    back.getByRole('separator', { name: 'Resize schedule' })
  ).toHaveAttribute('aria-valuenow', '380');
  await expect
    .poll(() => wholeSchedules(back))
    .toBe(await schedule(back).count());

  // When a new Runs table is opened
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute(
      'dotscience:open-runs-table',
      {}
    );
  });
  const fresh = page.locator('.jp-Dotscience-runsTable:visible');
  await expect(page.locator('.jp-Dotscience-runsTable')).toHaveCount(2);
  // Then it has those columns, width and sort, but no filter or search: every run
  await expect(fresh.getByLabel('Search runs')).toHaveValue('');
  await expect(fresh.getByLabel('Filter alpha')).toHaveValue('');
  await expect(
    fresh.getByRole('separator', { name: 'Resize schedule' })
  ).toHaveAttribute('aria-valuenow', '380');
  await expect(fresh.getByTestId('ds-table-count')).not.toHaveText('20 runs');
  // When it is searched for this test's runs (the newest runs of the server may be other
  // tests', without a schedule) and its edge is double-clicked, the column fits its
  // longest text (narrower than the width dragged) and shows every schedule whole
  const search = fresh.getByLabel('Search runs');
  await search.fill(tag);
  await search.press('Enter');
  await expect(fresh.getByTestId('ds-table-count')).toHaveText('30 runs');
  await fresh.getByRole('separator', { name: 'Resize schedule' }).dblclick();
  await expect(
    fresh.getByRole('separator', { name: 'Resize schedule' })
  ).not.toHaveAttribute('aria-valuenow', '380');
  const fitted = Number(
    await fresh
      .getByRole('separator', { name: 'Resize schedule' })
      .getAttribute('aria-valuenow')
  );
  expect(fitted).toBeGreaterThan(120);
  expect(fitted).toBeLessThan(380);
  await expect
    .poll(() => wholeSchedules(fresh))
    .toBe(await schedule(fresh).count());
  // When its columns are set back to the default ones
  await fresh.getByRole('button', { name: /^Columns/ }).click();
  await fresh.getByRole('button', { name: 'Default columns' }).click();
  // Then Status is shown again
  await expect(
    fresh.locator('[role="columnheader"][data-column="field:status"]')
  ).toHaveCount(1);
  await expect(
    fresh.getByRole('button', { name: 'Default columns' })
  ).toBeDisabled();
});

test('the Runs table downloads as CSV: the runs its filters match, in its order, with its columns', async ({
  page,
  request
}) => {
  // Given the Runs table on this test's 30 runs, filtered to alpha < 10 and sorted by
  // alpha, largest first
  const table = await tableOfRuns(page, request, 'csv', 30);
  const alpha = table.getByLabel('Filter alpha');
  await alpha.fill('<10');
  await alpha.press('Enter');
  await expect(table.getByTestId('ds-table-count')).toHaveText('10 runs');
  const sortAlpha = table.locator(
    '[data-column="param:alpha"] .jp-Dotscience-table-sort'
  );
  await sortAlpha.click();
  await sortAlpha.click();
  await expect(sortAlpha).toContainText('\u25bc');
  const titles = await table
    .locator('[role="columnheader"][data-column] .jp-Dotscience-table-sort')
    .evaluateAll(buttons =>
      buttons.map(b => (b.textContent ?? '').replace(/ [\u25b2\u25bc]$/, ''))
    );
  // When Export CSV is clicked
  // Then the browser saves runs.csv: a heading line with the run's id and the table's
  // columns in its order, then the 10 runs, alpha 9 down to 0, each with its name
  const lines = await exportedCsv(page, table);
  expect(lines[0]).toEqual(['run_id', ...titles]);
  expect(lines).toHaveLength(11);
  const column = (title: string) =>
    lines.slice(1).map(cells => cells[lines[0].indexOf(title)]);
  expect(column('alpha')).toEqual([
    '9',
    '8',
    '7',
    '6',
    '5',
    '4',
    '3',
    '2',
    '1',
    '0'
  ]);
  expect(column('Run')).toEqual(
    column('alpha').map(a => expect.stringMatching(new RegExp(` trial ${a}$`)))
  );
});

test('a column moves to the start of the Runs table, or hides, from its heading’s context menu', async ({
  page,
  request
}) => {
  // Given a run of another experiment, with a parameter and a metric of its own
  const other = run(`other${randomUUID().slice(0, 8)}`, 0);
  (other.parameters as Record<string, unknown>).zz_depth = {
    value: 3,
    text: '3'
  };
  (other.metrics as Record<string, unknown>).zz_score = other.metrics.loss;
  expect(
    (await request.post('/dotscience/api/runs', { data: other })).status()
  ).toBe(201);
  // And the Runs table searched for this test's runs (the table opened on every run)
  const table = await tableOfRuns(page, request, 'move', 3);
  const headings = () =>
    table
      .locator('[role="columnheader"][data-column]')
      .evaluateAll(cells => cells.map(c => c.getAttribute('data-column')));
  // Then its columns are those of the runs found: Run, Status, Published, alpha,
  // schedule, loss (not the other run's, empty in every row)
  await expect
    .poll(headings)
    .toEqual([
      'field:name',
      'field:status',
      'field:received',
      'param:alpha',
      'param:schedule',
      'metric:loss:last'
    ]);
  const loss = table.locator(
    '[role="columnheader"][data-column^="metric:loss"]'
  );
  // When the user right-clicks loss's heading (its title)
  await loss.locator('.jp-Dotscience-table-sort').click({ button: 'right' });
  const menu = page.locator('.lm-Menu');
  const item = (label: string) =>
    menu.locator('.lm-Menu-item', { hasText: new RegExp(`^${label}`) });
  // Then the menu offers to move it left or to the start, not further right
  await expect(item('Move Column to the Start')).not.toHaveClass(
    /lm-mod-disabled/
  );
  await expect(item('Move Column Right')).toHaveClass(/lm-mod-disabled/);
  await expect(item('Move Column to the End')).toHaveClass(/lm-mod-disabled/);
  // When it is moved to the start
  await item('Move Column to the Start').click();
  // Then loss is the first column after the pinned name
  await expect
    .poll(headings)
    .toEqual([
      'field:name',
      await loss.getAttribute('data-column'),
      'field:status',
      'field:received',
      'param:alpha',
      'param:schedule'
    ]);
  // When Status is hidden from its heading's menu
  await table
    .locator(
      '[role="columnheader"][data-column="field:status"] .jp-Dotscience-table-sort'
    )
    .click({ button: 'right' });
  await item('Hide Column').click();
  // Then it is gone, and the Columns button counts one fewer
  await expect(
    table.locator('[role="columnheader"][data-column="field:status"]')
  ).toHaveCount(0);
  await expect(table.getByRole('button', { name: /^Columns/ })).toHaveText(
    'Columns (5)'
  );
  // And a right-click in a filter box opens no column menu (the browser's own is left)
  await page.keyboard.press('Escape');
  await table.getByLabel('Filter alpha').click({ button: 'right' });
  await expect(menu).toHaveCount(0);
});

test('a column is dragged by its heading to another place in the Runs table', async ({
  page,
  request
}) => {
  // Given the Runs table: Run, Status, Published, alpha, schedule, loss
  const table = await tableOfRuns(page, request, 'drag', 3);
  const headings = () =>
    table
      .locator('[role="columnheader"][data-column]')
      .evaluateAll(cells => cells.map(c => c.getAttribute('data-column')));
  const heading = (id: string) =>
    table.locator(`[role="columnheader"][data-column="${id}"]`);
  const title = (id: string) =>
    heading(id).locator('.jp-Dotscience-table-sort');
  const box = async (id: string) => (await heading(id).boundingBox())!;
  const mark = table.getByTestId('ds-column-drop');
  // When loss's title is pressed and dragged onto Published's left edge
  const from = (await title('metric:loss:last').boundingBox())!;
  await page.mouse.move(from.x + 10, from.y + from.height / 2);
  await page.mouse.down();
  const published = await box('field:received');
  for (const f of [0.25, 0.5, 0.75, 1]) {
    await page.mouse.move(
      from.x + 10 + (published.x + 4 - from.x - 10) * f,
      from.y + from.height / 2
    );
  }
  // Then a mark shows the gap it will drop into, and loss is faded
  await expect(mark).toBeVisible();
  const at = (await mark.boundingBox())!;
  expect(Math.abs(at.x + at.width / 2 - published.x)).toBeLessThan(4);
  await expect(heading('metric:loss:last')).toHaveClass(/jp-mod-dragged/);
  // When it is released
  await page.mouse.up();
  // Then loss is between Status and Published, and the drag sorted nothing
  await expect
    .poll(headings)
    .toEqual([
      'field:name',
      'field:status',
      'metric:loss:last',
      'field:received',
      'param:alpha',
      'param:schedule'
    ]);
  await expect(mark).toHaveCount(0);
  await expect(
    table.locator('[aria-sort="ascending"], [aria-sort="descending"]')
  ).toHaveCount(0);
  // When alpha is dragged onto Published's left edge and Escape is pressed before the
  // release
  const alpha = (await title('param:alpha').boundingBox())!;
  await page.mouse.move(alpha.x + 10, alpha.y + alpha.height / 2);
  await page.mouse.down();
  const before = await box('field:received');
  await page.mouse.move(before.x + 4, alpha.y + alpha.height / 2, {
    steps: 4
  });
  await expect(mark).toBeVisible();
  await page.keyboard.press('Escape');
  await page.mouse.up();
  // Then nothing moved
  await expect(mark).toHaveCount(0);
  expect((await headings())[4]).toBe('param:alpha');
});

test('a heading dragged to the edge of a wide Runs table scrolls it to its end, and lands there', async ({
  page,
  request
}) => {
  // Given 2 runs with 60 parameters each, all shown in the Runs table
  const tag = `edge${randomUUID().slice(0, 8)}`;
  for (const i of [0, 1]) {
    const record = run(tag, i);
    for (let k = 0; k < 60; k++) {
      (record.parameters as Record<string, unknown>)[`p${k}`] = {
        value: k,
        text: String(k)
      };
    }
    const answer = await request.post('/dotscience/api/runs', { data: record });
    expect(answer.status()).toBe(201);
  }
  const table = await openTable(page, tag);
  await expect(table.getByTestId('ds-table-count')).toHaveText('2 runs');
  await table.getByRole('button', { name: /^Columns/ }).click();
  await table.getByRole('button', { name: /^Show (all )?\d+$/ }).click();
  await table.getByRole('button', { name: /^Columns/ }).click();
  const grid = table.getByRole('grid');
  const headings = () =>
    table
      .locator('[role="columnheader"][data-column]')
      .evaluateAll(cells => cells.map(c => c.getAttribute('data-column')));
  await expect.poll(async () => (await headings()).length).toBeGreaterThan(3);
  // When Status is dragged to the grid's right edge and held there (its heading is
  // scrolled out of the page's drawn columns on the way)
  expect(await grid.evaluate(g => g.scrollLeft)).toBe(0);
  const status = (await table
    .locator(
      '[role="columnheader"][data-column="field:status"] .jp-Dotscience-table-sort'
    )
    .boundingBox())!;
  const edge = (await grid.boundingBox())!;
  await page.mouse.move(status.x + 10, status.y + status.height / 2);
  await page.mouse.down();
  await page.mouse.move(edge.x + edge.width - 6, status.y + status.height / 2, {
    steps: 6
  });
  // Then the table scrolls right as far as it goes
  await expect
    .poll(
      () => grid.evaluate(g => g.scrollLeft + g.clientWidth - g.scrollWidth),
      {
        timeout: 15000
      }
    )
    .toBeGreaterThan(-2);
  expect(
    await table
      .locator('[role="columnheader"][data-column="field:status"]')
      .count()
  ).toBe(0);
  // And released there, Status is the last column, and the mark is gone
  await page.mouse.up();
  await expect.poll(async () => (await headings()).at(-1)).toBe('field:status');
  await expect(table.getByTestId('ds-column-drop')).toHaveCount(0);
  await expect(grid).not.toHaveClass(/jp-mod-dragColumn/);
});

test('the Runs table shows 2,500 parameters in one click and downloads them all as CSV', async ({
  page,
  request
}) => {
  // Given 2 runs with 2,500 parameters each (wide_0000 = i, wide_0001 = i + 1, ...)
  const tag = `wide${randomUUID().slice(0, 8)}`;
  const keys = Array.from(
    { length: 2500 },
    (_, k) => `wide_${String(k).padStart(4, '0')}`
  );
  for (const i of [0, 1]) {
    const record = run(tag, i);
    for (const [k, key] of keys.entries()) {
      (record.parameters as Record<string, unknown>)[key] = {
        value: i * 10000 + k,
        text: String(i * 10000 + k)
      };
    }
    const answer = await request.post('/dotscience/api/runs', { data: record });
    expect(answer.status()).toBe(201);
  }
  const table = await openTable(page, tag);
  await expect(table.getByTestId('ds-table-count')).toHaveText('2 runs');
  // When the column picker's search for "wide_" shows every column it finds
  await table.getByRole('button', { name: /^Columns/ }).click();
  await table.getByLabel('Find a column').fill('wide_');
  // (the table's default columns show the first few already)
  await table.getByRole('button', { name: /^Show (all )?2,\d\d\d$/ }).click();
  // Then the table has them all (the columns the address of a download cannot hold)
  await expect(
    table.getByRole('button', { name: /^Columns \(\d+\)$/ })
  ).toHaveText(/^Columns \((25\d\d)\)$/);
  await expect(
    table.getByRole('button', { name: 'Hide all 2,500' })
  ).toBeEnabled();
  // When Export CSV is clicked
  // Then the browser downloads an export's one-use address (the columns were posted),
  // and runs.csv has every parameter, in order, with each run's values
  const lines = await exportedCsv(
    page,
    table,
    /\/dotscience\/api\/runs\/csv\/exports\/[\w-]{24}$/
  );
  expect(lines).toHaveLength(3);
  const at = lines[0].indexOf('wide_0000');
  expect(lines[0].slice(at, at + 2500)).toEqual(keys);
  const byName = new Map(
    lines.slice(1).map(l => [l[lines[0].indexOf('Run')], l])
  );
  expect(byName.get(`${tag} trial 1`)!.slice(at, at + 3)).toEqual([
    '10000',
    '10001',
    '10002'
  ]);
  expect(byName.get(`${tag} trial 0`)![at + 2499]).toBe('2499');
  // And no error was shown
  await expect(table.getByRole('alert')).toHaveCount(0);
});

test('a reloaded Runs table is scrolled where it was left, its runs loaded down to there', async ({
  page,
  request
}) => {
  // Given the Runs table on 260 runs (it loads 200 at a time), narrower than its columns
  await page.setViewportSize({ width: 900, height: 900 });
  const table = await tableOfRuns(page, request, 'deep', 260);
  const grid = table.getByRole('grid');
  const rowHeight = await rowHeightOf(grid);
  // When the user scrolls to the end (the rest of the runs load), then up to line 230
  // and 150 px sideways
  await expect
    .poll(() =>
      grid.evaluate((g, rows) => {
        g.scrollTop = g.scrollHeight;
        return g.scrollHeight - g.clientHeight >= rows;
      }, 230 * rowHeight)
    )
    .toBe(true);
  const saved = workspaceSaved(
    page,
    body => body.includes('"top":230,') && body.includes('"left":150')
  );
  await grid.evaluate((g, top) => {
    g.scrollTop = top;
    g.scrollLeft = 150;
  }, 230 * rowHeight);
  // (the rows at the new place are drawn a frame after the scroll)
  await expect.poll(() => topRun(grid)).not.toBeNull();
  const run = await topRun(grid);
  await saved;
  // When the page is reloaded
  await reloadKeepingTabs(page);
  // Then the table is back scrolled to line 230 and 150 px sideways, the same run at
  // the top of its rows
  const back = page
    .locator('.jp-Dotscience-runsTable:visible')
    .getByRole('grid');
  await expect
    .poll(() => back.evaluate(g => [g.scrollTop, g.scrollLeft]))
    .toEqual([230 * rowHeight, 150]);
  await expect.poll(() => topRun(back)).toBe(run);
});

test('compare and diff tabs come back after a reload, the compare view as the user left it', async ({
  page,
  request
}) => {
  // Given a compare tab of three runs (alpha 0, 1 and 2) and a diff tab of two
  const table = await tableOfRuns(page, request, 'tabs', 3);
  const ids = await table
    .locator('[role="row"][data-run-id]')
    .evaluateAll(rows => rows.map(r => r.getAttribute('data-run-id')!));
  expect(ids).toHaveLength(3);
  await page.evaluate(async ids => {
    const { commands } = (window as any).jupyterapp;
    await commands.execute('dotscience:diff-runs', { a: ids[0], b: ids[1] });
    await commands.execute('dotscience:compare-runs', { ids });
  }, ids);
  const compareTab = page.locator('.lm-TabBar-tab', {
    hasText: 'Compare 3 runs'
  });
  const diffTab = page.locator('.lm-TabBar-tab', { hasText: /^Diff / });
  await expect(compareTab).toHaveCount(1);
  await expect(diffTab).toHaveCount(1);
  // And in the compare view, the top of the alpha axis brushed (it keeps alpha 2) and
  // the scatter plot coloured by loss
  const view = page.locator('.jp-Dotscience-compareContent:visible');
  await brushTopOf(page, view, 'param:alpha');
  const kept = view.getByText('1 of 3 runs kept by the brushes');
  await expect(kept).toBeVisible();
  const saved = workspaceSaved(
    page,
    body =>
      body.includes('dotscience-diff:') &&
      body.includes('"colour":"metric:loss"') &&
      body.includes('"param:alpha":{"lo"')
  );
  await view.getByLabel('colour').selectOption('metric:loss');
  await saved;
  // When the page is reloaded
  await reloadKeepingTabs(page);
  // Then both tabs are back (once each), showing their runs
  await expect(compareTab).toHaveCount(1);
  await expect(diffTab).toHaveCount(1);
  await diffTab.click();
  await expect(
    page.locator('.jp-Dotscience-diffContent:visible')
  ).toContainText('tabs');
  await compareTab.click();
  await expect(view).toContainText('trial 2');
  // And the compare view is as it was left: the brush drawn, keeping the same run, and
  // the scatter plot coloured by loss
  await expect(kept).toBeVisible();
  await expect(view.locator('.jp-Dotscience-parallel-brush')).toHaveCount(1);
  await expect(view.locator('tbody tr[data-run]')).toHaveCount(1);
  await expect(view.locator('tbody tr[data-run]')).toContainText('trial 2');
  await expect(view.getByLabel('colour')).toHaveValue('metric:loss');
  // And closing them forgets them: the workspace JupyterLab saves next holds neither
  // (what a reload would bring back; Galata's stand-in for the server merges the saves
  // into the old workspace, so a reload here would bring back what a server would not)
  const forgotten = workspaceSaved(
    page,
    body =>
      !body.includes('dotscience-compare:') &&
      !body.includes('dotscience-diff:') &&
      !body.includes('dotscience-runs-table:')
  );
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('application:close-all');
  });
  await expect(compareTab).toHaveCount(0);
  await forgotten;
});

test('a scrolled Runs table keeps its rows in view across a theme switch', async ({
  page,
  request
}) => {
  // Given 250 runs of this test in the Runs table (a page of 200 loaded)
  const table = await tableOfRuns(page, request, 'thm', 250);
  const grid = table.getByRole('grid');
  // When it is scrolled down near the end of the loaded runs (the next page is fetched)
  // and right, and the theme is switched to dark at once (the shell is hidden and shown
  // again while the page arrives)
  await grid.evaluate(g => {
    g.scrollTop = 200 * 28 - g.clientHeight;
    g.scrollLeft = 200;
  });
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('apputils:change-theme', {
      theme: 'JupyterLab Dark'
    });
  });
  await page.waitForFunction(
    () => document.body.dataset.jpThemeName === 'JupyterLab Dark'
  );
  // (the splash screen the theme switch shows is gone: it covers the page meanwhile)
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0);
  // Then, wherever the table is scrolled, its rows cover the view
  const covered = () =>
    grid.evaluate(g => {
      const view = g.getBoundingClientRect();
      const rows = Array.from(
        g.querySelectorAll('[role="row"][data-run-id]:not([aria-hidden])')
      ).map(r => r.getBoundingClientRect());
      const top = Math.min(...rows.map(r => r.top));
      const bottom = Math.max(...rows.map(r => r.bottom));
      return top <= view.top + 56 + 1 && bottom >= view.bottom - 1;
    });
  await expect.poll(covered, { timeout: 10000 }).toBe(true);
  // And a row in the middle of the view has its checkbox at the view's left edge, on its
  // line and uncovered by the cells scrolled under it
  const middle = await grid.evaluate(g => {
    const view = g.getBoundingClientRect();
    const y = (view.top + view.bottom) / 2;
    const row = Array.from(
      g.querySelectorAll('[role="row"][data-run-id]:not([aria-hidden])')
    ).find(r => {
      const box = r.getBoundingClientRect();
      return box.top <= y && box.bottom > y;
    })!;
    const box = row.getBoundingClientRect();
    return {
      id: row.getAttribute('data-run-id')!,
      top: box.top,
      bottom: box.bottom,
      left: view.left
    };
  });
  const box = grid.getByRole('checkbox', { name: `Select run ${middle.id}` });
  const where = (await box.boundingBox())!;
  expect(where.x).toBeGreaterThanOrEqual(middle.left);
  expect(where.x + where.width).toBeLessThanOrEqual(middle.left + 32);
  expect(where.y).toBeGreaterThanOrEqual(middle.top);
  expect(where.y + where.height).toBeLessThanOrEqual(middle.bottom);
  expect(await topmostAtCentre(box)).toBe(true);
  // And its name beside the checkbox, pinned there while the other columns scrolled
  // 200 px under it, on its line and uncovered
  const name = grid.locator(
    `.jp-Dotscience-table-rowCheck[data-run-id="${middle.id}"] .jp-Dotscience-link`
  );
  await expect(name).toContainText(/^thm\w+ trial \d+$/);
  const named = (await name.boundingBox())!;
  expect(named.x).toBeGreaterThanOrEqual(middle.left + 32);
  expect(named.x).toBeLessThan(middle.left + 32 + 16);
  expect(named.y).toBeGreaterThanOrEqual(middle.top);
  expect(named.y + named.height).toBeLessThanOrEqual(middle.bottom);
  expect(await topmostAtCentre(name)).toBe(true);
  // When it is ticked there
  await box.click();
  // Then that run is selected
  await expect(table.getByTestId('ds-table-count')).toHaveText(
    '250 runs · 1 selected'
  );
  await expect(
    grid.locator(`[role="row"][data-run-id="${middle.id}"]`)
  ).toHaveAttribute('aria-selected', 'true');
  await grid.evaluate(g => {
    g.scrollTop = 0;
    g.scrollLeft = 0;
  });
  await expect.poll(covered, { timeout: 10000 }).toBe(true);
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('apputils:change-theme', {
      theme: 'JupyterLab Light'
    });
  });
});

test('the Runs table body and header are one tab stop each, walked with the arrow keys; the run under the pointer is tinted whole', async ({
  page,
  request
}) => {
  // Given 40 runs of this test in the Runs table
  const table = await tableOfRuns(page, request, 'key', 40);
  const grid = table.getByRole('grid');
  const lines = await grid.evaluate(g =>
    Array.from(
      g.querySelectorAll('[role="row"][data-run-id]:not([aria-hidden])')
    )
      .sort(
        (a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top
      )
      .map(r => r.getAttribute('data-run-id')!)
  );
  // the focused control: its run, whether it is a checkbox, wholly in the body's view
  const focused = () =>
    grid.evaluate(g => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || !g.contains(el)) {
        return null;
      }
      const id =
        (el.closest('.jp-Dotscience-table-rowCheck') as HTMLElement | null)
          ?.dataset.runId ??
        el.closest('[role="row"]')?.getAttribute('data-run-id');
      const view = g.getBoundingClientRect();
      const box = el.getBoundingClientRect();
      return {
        id,
        checkbox: el instanceof HTMLInputElement,
        inView: box.top >= view.top + 56 - 1 && box.bottom <= view.bottom + 1
      };
    });
  // what `focused` says of a control of run `id` wholly in view
  const shownAt = (id: string, checkbox: boolean) => ({
    id,
    checkbox,
    inView: true
  });
  // When the search box has the focus and Tab is pressed until the focus is in the grid
  await tabFromSearch(page, table, async () => (await focused()) !== null);
  // Then it is on the first run's checkbox
  expect(await focused()).toEqual(shownAt(lines[0], true));
  // the header control that has the focus: its column's title and kind of control
  const inHead = () =>
    page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      const cell = el?.closest(
        '.jp-Dotscience-runsTable [role="columnheader"]'
      );
      return cell
        ? {
            column: cell.getAttribute('aria-colindex'),
            control: el!.tagName === 'INPUT' ? 'filter' : 'sort'
          }
        : null;
    });
  // When the up arrow is pressed on the first run: the first column's sort button
  await page.keyboard.press('ArrowUp');
  expect(await inHead()).toEqual({ column: '2', control: 'sort' });
  // When right, then down: the second column's filter box; down again: back to the run
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  expect(await inHead()).toEqual({ column: '3', control: 'filter' });
  await page.keyboard.press('ArrowDown');
  expect(await focused()).toEqual(shownAt(lines[0], true));
  // When the down arrow is pressed three times and Space
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('ArrowDown');
  }
  expect(await focused()).toEqual(shownAt(lines[3], true));
  await page.keyboard.press('Space');
  // Then the fourth run is selected
  await expect(table.getByTestId('ds-table-count')).toHaveText(
    '40 runs · 1 selected'
  );
  await expect(
    grid.locator(`[role="row"][data-run-id="${lines[3]}"]`)
  ).toHaveAttribute('aria-selected', 'true');
  // When down twice and Shift+Space: the runs from the fourth to the sixth are ticked
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Shift+Space');
  await expect(table.getByTestId('ds-table-count')).toHaveText(
    '40 runs · 3 selected'
  );
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  // When the right arrow is pressed: the focus is on that run's name
  await page.keyboard.press('ArrowRight');
  expect(await focused()).toEqual(shownAt(lines[3], false));
  // the background of a run's row and of its selection cell
  const tints = (id: string) =>
    grid.evaluate((g, id) => {
      const row = g.querySelector(`[role="row"][data-run-id="${id}"]`)!;
      const check = g.querySelector(
        `.jp-Dotscience-table-rowCheck[data-run-id="${id}"]`
      )!;
      return [row, check].map(el => getComputedStyle(el).backgroundColor);
    }, id);
  const plain = await tints(lines[8]);
  // When the pointer rests on the third run's second cell (the focus on the fourth's name)
  const cell = grid
    .locator(`[role="row"][data-run-id="${lines[2]}"] [role="cell"]`)
    .nth(1);
  await cell.hover();
  // Then its row and its selection cell take the same tint, unlike a run not under it
  await expect.poll(() => tints(lines[2])).not.toEqual(plain);
  const hovered = await tints(lines[2]);
  expect(hovered[1]).toBe(hovered[0]);
  // When the wheel scrolls three lines under the still pointer
  const box = (await cell.boundingBox())!;
  await page.mouse.wheel(0, 3 * 28);
  await expect.poll(() => grid.evaluate(g => g.scrollTop)).toBe(3 * 28);
  // Then the tint follows: the run now under the pointer has it, the third run not
  const under = await page.evaluate(
    ([x, y]) =>
      document
        .elementFromPoint(x, y)
        ?.closest('[role="row"]')
        ?.getAttribute('data-run-id'),
    [box.x + box.width / 2, box.y + box.height / 2]
  );
  expect(under).toBe(lines[5]);
  await expect.poll(() => tints(lines[5])).toEqual(hovered);
  expect(await tints(lines[2])).toEqual(plain);
  await page.mouse.move(0, 0);
  // When Ctrl+End is pressed: the last run's checkbox, scrolled into view
  await page.keyboard.press('Home');
  await page.keyboard.press('Control+End');
  const last = await focused();
  expect(last?.checkbox).toBe(true);
  expect(last?.inView).toBe(true);
  expect(await grid.evaluate(g => g.scrollTop)).toBeGreaterThan(0);
  expect(
    await grid
      .locator(`[role="row"][data-run-id="${last!.id}"]`)
      .evaluate(r => (r as HTMLElement).style.top)
  ).toBe(`${56 + 39 * 28}px`);
  // And a screen reader meets the header row first, then the runs in the order of their
  // lines (the rows' elements wrapped around in the document: 40 lines, fewer slots)
  const inOrder = await grid.evaluate(g =>
    Array.from(
      g.querySelectorAll('[role="row"][data-run-id]:not([aria-hidden])')
    )
      .sort(
        (a, b) =>
          parseFloat((a as HTMLElement).style.top) -
          parseFloat((b as HTMLElement).style.top)
      )
      .map(r => r.getAttribute('data-run-id')!)
  );
  // (the browser brings its accessibility tree up to date after the page's changes)
  await expect.poll(() => readingOrder(page)).toEqual(['header', ...inOrder]);
  // When Tab is pressed: the focus leaves the body (one stop) for the header's stop, the
  // filter box last used there, not another checkbox
  await page.keyboard.press('Tab');
  expect(await inHead()).toEqual({ column: '3', control: 'filter' });
  // And Tab again leaves the grid: the header is one stop too
  await page.keyboard.press('Tab');
  expect(
    await page.evaluate(
      () => document.activeElement?.closest('[role="grid"]') ?? null
    )
  ).toBeNull();
  // And Shift+Tab twice comes back to the same checkbox
  await page.keyboard.press('Shift+Tab');
  expect(await inHead()).toEqual({ column: '3', control: 'filter' });
  await page.keyboard.press('Shift+Tab');
  expect((await focused())?.id).toBe(last!.id);
  // When the right arrow and Enter are pressed: that run opens in a tab
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await expect(
    page.locator(`.lm-TabBar-tab[title="Dotscience run ${last!.id}"]`)
  ).toBeVisible();
});

test('the launcher opens the Runs table', async ({ page }) => {
  // Given JupyterLab's launcher
  // (the command's result is the launcher widget, which the page cannot send back)
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('launcher:create');
  });
  // When its Dotscience card "Runs Table" is clicked
  const card = page
    .locator('.jp-LauncherCard:visible', { hasText: 'Runs Table' })
    .first();
  await expect(card).toBeVisible();
  await card.click();
  // Then the Runs table opens in the main area, counting the runs
  const table = page.locator('.jp-Dotscience-runsTable:visible');
  await expect(table).toBeVisible();
  await expect(table.getByTestId('ds-table-count')).toContainText('runs', {
    timeout: 30000
  });
});

test('a run published elsewhere appears in the Runs table without reload', async ({
  page,
  request
}) => {
  // Given the Runs table open on this test's runs (two of them)
  const { table, tag } = await taggedTable(page, request, 'live', 2);
  const count = table.getByTestId('ds-table-count');
  // And the keyboard on the second run's checkbox (tabbed into from the search box)
  const focusedRun = () =>
    page.evaluate(
      () =>
        (
          document.activeElement?.closest(
            '.jp-Dotscience-table-rowCheck'
          ) as HTMLElement | null
        )?.dataset.runId ?? null
    );
  await tabFromSearch(page, table, async () => (await focusedRun()) !== null);
  await page.keyboard.press('ArrowDown');
  const second = await focusedRun();
  expect(second).not.toBeNull();
  // When a run is published from elsewhere (another tab, a script with an API key)
  await publish(request, tag, 2, 1);
  // Then the table shows it without a reload, pushed by the server's event
  await expect(count).toHaveText('3 runs', { timeout: 10000 });
  await expect(table.getByText(`${tag} trial 2`)).toBeVisible();
  // And the focus stayed on the same run, now a line lower (its row shows the new run
  // above it): Space ticks the run the user chose
  expect(await focusedRun()).toBe(second);
  await page.keyboard.press('Space');
  await expect(count).toHaveText('3 runs · 1 selected');
  await expect(
    table.locator(`[role="row"][data-run-id="${second}"]`)
  ).toHaveAttribute('aria-selected', 'true');
});

test('a scrolled Runs table keeps the run the user reads at its top while runs are published above it', async ({
  page,
  request
}) => {
  // Given the Runs table on this test's 60 runs, newest first, scrolled down to line 30
  const { table, tag, grid, rowHeight, reading } = await readingLine30(
    page,
    request,
    'keep'
  );
  const count = table.getByTestId('ds-table-count');
  // When 3 runs are published from elsewhere, one after another
  for (const i of [60, 61, 62]) {
    await publish(request, tag, i, 1);
  }
  // Then the table counts them, on top of it
  await expect(count).toHaveText('63 runs', { timeout: 10000 });
  // And the run the user was reading is still at the top: the view moved 3 lines down
  await expect.poll(() => grid.evaluate(g => g.scrollTop)).toBe(33 * rowHeight);
  await expect.poll(() => topRun(grid)).toBe(reading);
  // And scrolled back to the top, the new runs are there, the newest first
  await grid.evaluate(g => {
    g.scrollTop = 0;
  });
  const newest = table.getByText(`${tag} trial 62`, { exact: true });
  await expect(newest).toBeVisible();
  const newestRun = await newest.evaluate(
    el => el.closest('[data-run-id]')?.getAttribute('data-run-id') ?? null
  );
  expect(newestRun).not.toBeNull();
  await expect.poll(() => topRun(grid)).toBe(newestRun);
});

test('a Runs table in a background tab keeps the run the user read at its top when runs are published meanwhile', async ({
  page,
  request
}) => {
  // Given the Runs table on this test's 60 runs, scrolled down to line 30
  const { table, tag, grid, rowHeight, reading } = await readingLine30(
    page,
    request,
    'hide'
  );
  const tab = page.locator('.lm-TabBar-tab.lm-mod-current', {
    hasText: 'Runs'
  });
  const title = await tab.getAttribute('data-id');
  // And another tab brought to the front (the table hidden behind it)
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('launcher:create');
  });
  await expect(table).toBeHidden();
  // When 3 runs are published from elsewhere meanwhile
  for (const i of [60, 61, 62]) {
    await publish(request, tag, i, 1);
  }
  const hidden = page.locator('.jp-Dotscience-runsTable');
  await expect(hidden.getByTestId('ds-table-count')).toHaveText('63 runs', {
    timeout: 10000
  });
  // And the user comes back to the table's tab
  await page.locator(`.lm-TabBar-tab[data-id="${title}"]`).click();
  await expect(table).toBeVisible();
  // Then the run they were reading is still at the top: the view is 3 lines lower
  await expect.poll(() => topRun(grid)).toBe(reading);
  expect(await grid.evaluate(g => g.scrollTop)).toBe(33 * rowHeight);
});

test('the sidebar Runs list shows whole runs, the total and an uncovered footer with every section open', async ({
  page,
  request
}) => {
  // Given at least 20 published runs
  const tag = `side${randomUUID().slice(0, 8)}`;
  await publish(request, tag, 0, 20);
  // When the Dotscience sidebar is open with every section expanded, in a 1280 x 900 window
  await page.locator('.jp-SideBar [title="Dotscience"]').click();
  const sidebar = page.locator('#jp-Dotscience-sidebar');
  const headings = sidebar.locator('.lm-AccordionPanel-title');
  expect(await headings.count()).toBeGreaterThanOrEqual(5);
  for (let i = 0; i < (await headings.count()); i++) {
    if ((await headings.nth(i).getAttribute('aria-expanded')) !== 'true') {
      await headings.nth(i).click();
    }
  }
  const list = sidebar.locator('.jp-Dotscience-runList');
  await expect(list.locator('[role="listitem"]').first()).toBeVisible();
  for (const theme of ['light', 'dark']) {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
      // (headless Chromium can keep painting the side panels in the old theme: a resize
      // repaints the whole page)
      await page.setViewportSize({ width: 1280, height: 899 });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    // Then at least five whole runs are in view, or, when the Runs section's own filters
    // leave less (a shared server shows the project filter too), every other section has
    // given up its room down to one line and at least three whole runs show (the sidebar
    // settles within a few frames)
    const othersAtFloor = async () => {
      const heights = await sidebar
        .locator('.jp-Dotscience-section:not(.jp-Dotscience-runsSection)')
        .evaluateAll(nodes =>
          nodes
            .filter(n => (n as HTMLElement).offsetParent !== null)
            .map(n => n.getBoundingClientRect().height)
        );
      return heights.every(h => h <= 30);
    };
    await expect
      .poll(
        async () => {
          const whole = await wholeRuns(list);
          return whole >= 5 || (whole >= 3 && (await othersAtFloor()));
        },
        { timeout: 10000 }
      )
      .toBe(true);
    // And the footer says the total, not "100+"
    const footer = sidebar.getByTestId('ds-run-count');
    await expect(footer).toHaveText(/^[\d,]+ runs?$/);
    // And the footer's total and Compare button are in view without scrolling, and
    // nothing is drawn over them (each is the topmost element at its centre)
    for (const target of [
      footer,
      sidebar.getByRole('button', { name: /^Compare \(/ })
    ]) {
      expect(await topmostAtCentre(target)).toBe(true);
    }
    // And no open section reaches under the next section's heading, and a section with
    // more content than room scrolls rather than cutting it off
    expect(await sectionProblems(sidebar)).toEqual([]);
    await page.screenshot({
      path: `${SHOTS}/sidebar-all-sections-${theme}.png`
    });
  }
  await page.theme.setLightTheme();
});

test('the sidebar gives small sections the height of their content and keeps what the user drags', async ({
  page,
  request
}) => {
  // Given a few runs and a tall window with the Current run (no notebook open), Runs and
  // Models (no models) sections open and the others closed
  const tag = `drag${randomUUID().slice(0, 8)}`;
  await publish(request, tag, 0, 3);
  await page.setViewportSize({ width: 1280, height: 1200 });
  await page.locator('.jp-SideBar [title="Dotscience"]').click();
  const sidebar = page.locator('#jp-Dotscience-sidebar');
  const open = ['Current run', 'Runs', 'Models'];
  const headings = sidebar.locator('.lm-AccordionPanel-title');
  for (let i = 0; i < (await headings.count()); i++) {
    const heading = headings.nth(i);
    const label = ((await heading.getAttribute('aria-label')) ?? '').replace(
      / Section$/,
      ''
    );
    const expanded = (await heading.getAttribute('aria-expanded')) === 'true';
    if (expanded !== open.includes(label)) {
      await heading.click();
    }
  }
  const current = sidebar.locator('.jp-Dotscience-currentRunSection');
  const models = sidebar.locator('.jp-Dotscience-modelsSection');
  const runsSection = sidebar.locator('.jp-Dotscience-runsSection');
  // Then the two small sections are as tall as their content, no taller
  for (const section of [current, models]) {
    await expect.poll(() => spareHeight(section), { timeout: 10000 }).toBe(0);
  }
  // And the Runs list has the rest: at least five runs' worth (the share follows the
  // list's loading within a few frames)
  const list = sidebar.locator('.jp-Dotscience-runList');
  await expect
    .poll(async () => (await list.boundingBox())!.height, { timeout: 10000 })
    .toBeGreaterThanOrEqual(5 * 54);
  // When the user drags the edge under the Current run 120 px down (once the sections
  // have stopped moving: the lists load on their own)
  await expect.poll(() => settled(sidebar), { timeout: 10000 }).toBe(true);
  const before = (await current.boundingBox())!.height;
  const handle = (await current.evaluate(node => {
    const r = node.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.bottom + 2 };
  })) as { x: number; y: number };
  await page.mouse.move(handle.x, handle.y);
  await page.mouse.down();
  await page.mouse.move(handle.x, handle.y + 120, { steps: 6 });
  await page.mouse.up();
  await expect
    .poll(async () => (await current.boundingBox())!.height)
    .toBeGreaterThan(before + 100);
  const dragged = (await current.boundingBox())!.height;
  // And the window is then made 60 px shorter (which would share the height again)
  const runsBefore = (await runsSection.boundingBox())!.height;
  await page.setViewportSize({ width: 1280, height: 1140 });
  await expect
    .poll(async () => (await runsSection.boundingBox())!.height)
    .toBeLessThan(runsBefore - 30);
  await page.evaluate(
    () =>
      new Promise(resolve =>
        requestAnimationFrame(() => requestAnimationFrame(resolve))
      )
  );
  // Then the size the user chose stays: the Runs list gave up the height
  expect((await current.boundingBox())!.height).toBeCloseTo(dragged, 0);
  // When another section opens
  await sidebar
    .locator('.lm-AccordionPanel-title[aria-label="Server Section"]')
    .click();
  // Then the height is shared again: the Current run is back to its content's height
  await expect.poll(() => spareHeight(current), { timeout: 10000 }).toBe(0);
});

/**
 * Whether the sidebar's sections are where they were two animation frames earlier.
 */
function settled(sidebar: Locator): Promise<boolean> {
  return sidebar.evaluate(async node => {
    const boxes = () =>
      Array.from(node.querySelectorAll('.lm-SplitPanel-child'))
        .map(child => {
          const r = child.getBoundingClientRect();
          return `${r.top},${r.height}`;
        })
        .join(' ');
    const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
    const first = boxes();
    await frame();
    await frame();
    return boxes() === first;
  });
}

/**
 * How many px a sidebar section has beyond its content (0 when it is exactly as tall as
 * its content, or shorter and scrolling), rounded.
 */
function spareHeight(section: Locator): Promise<number> {
  return section.evaluate(node => {
    let bottom = 0;
    for (const child of Array.from(node.children) as HTMLElement[]) {
      const margin = parseFloat(getComputedStyle(child).marginBottom) || 0;
      bottom = Math.max(bottom, child.offsetTop + child.offsetHeight + margin);
    }
    return Math.max(0, Math.round(node.clientHeight - bottom));
  });
}

/**
 * How many rows of a virtualised list lie wholly inside its box.
 */
function wholeRuns(list: Locator): Promise<number> {
  return list.evaluate(node => {
    const box = node.getBoundingClientRect();
    return Array.from(node.querySelectorAll('[role="listitem"]')).filter(
      row => {
        const r = row.getBoundingClientRect();
        return r.top >= box.top && r.bottom <= box.bottom + 1;
      }
    ).length;
  });
}

/**
 * Whether an element is inside the window and is (or contains) the topmost element at
 * its centre, so a click there reaches it.
 */
function topmostAtCentre(target: Locator): Promise<boolean> {
  return target.evaluate(node => {
    const r = node.getBoundingClientRect();
    if (
      r.top < 0 ||
      r.left < 0 ||
      r.bottom > window.innerHeight ||
      r.right > window.innerWidth
    ) {
      return false;
    }
    const hit = document.elementFromPoint(
      r.left + r.width / 2,
      r.top + r.height / 2
    );
    return hit !== null && (hit === node || node.contains(hit));
  });
}

/**
 * Each open sidebar section that overlaps the heading after it, or whose content is
 * taller than its box without a way to scroll to the rest, described in one line.
 */
function sectionProblems(sidebar: Locator): Promise<string[]> {
  return sidebar.evaluate(node => {
    const problems: string[] = [];
    const titles = Array.from(
      node.querySelectorAll<HTMLElement>('.lm-AccordionPanel-title')
    );
    const tops = titles
      .map(t => t.getBoundingClientRect().top)
      .sort((a, b) => a - b);
    for (const title of titles) {
      const section = document.getElementById(
        title.getAttribute('aria-controls') ?? ''
      );
      if (!section || title.getAttribute('aria-expanded') !== 'true') {
        continue;
      }
      const label = title.textContent ?? '?';
      const r = section.getBoundingClientRect();
      const next = tops.find(t => t > r.top);
      if (next !== undefined && r.bottom > next + 0.5) {
        problems.push(
          `${label} reaches ${r.bottom - next}px under the next heading`
        );
      }
      if (r.height < 20) {
        problems.push(`${label} is ${r.height}px high`);
      }
      const overflow = getComputedStyle(section).overflowY;
      if (
        section.scrollHeight > section.clientHeight + 1 &&
        overflow !== 'auto' &&
        overflow !== 'scroll'
      ) {
        problems.push(`${label} cuts off its content (overflow ${overflow})`);
      }
    }
    return problems;
  });
}

test.describe('time filters, read in the reader’s time zone', () => {
  test.use({ timezoneId: 'Europe/Berlin' });

  test('filter the Runs table by the day a run started, when it was published and its name', async ({
    page,
    request
  }) => {
    // Given three runs started on 27, 28 and 29 November at 23:30 UTC (00:30 the next day
    // in Berlin, where the reader is)
    const tag = `day${randomUUID().slice(0, 8)}`;
    for (const [i, day] of [27, 28, 29].entries()) {
      const r = await request.post('/dotscience/api/runs', {
        data: run(tag, i, `2026-11-${day}T23:30:00.000000Z`)
      });
      expect(r.status()).toBe(201);
    }
    const table = await openTable(page, tag);
    const count = table.getByTestId('ds-table-count');
    await expect(count).toHaveText('3 runs');
    // When the Started column is added
    await table.getByRole('button', { name: /^Columns/ }).click();
    await table.getByLabel('Find a column').fill('Started');
    await table.getByRole('checkbox', { name: 'Started' }).check();
    await table.getByRole('button', { name: /^Columns/ }).click();
    // Then it comes in beside Published (in view however many parameters and metrics
    // other runs bring) and shows each start in Berlin's time, whole
    const grid = table.getByRole('grid');
    await expect(
      grid.getByRole('cell', { name: '2026-11-30 00:30:00' })
    ).toBeVisible();
    // When its filter asks for 29 November (Berlin): the run started 28 Nov 23:30 UTC
    const started = table.getByLabel('Filter Started');
    await started.fill('2026-11-29');
    await started.press('Enter');
    // Then that one run matches
    await expect(count).toHaveText('1 run');
    await expect(grid.locator('[role="row"][data-run-id]')).toHaveCount(1);
    await expect(
      grid.getByRole('cell', { name: `${tag} trial 1` })
    ).toBeVisible();
    // When it asks for a range of days, both included
    await started.fill('2026-11-28..2026-11-29');
    await started.press('Enter');
    await expect(count).toHaveText('2 runs');
    // When it holds what does not read as a time
    await started.fill('tomorrow');
    await started.press('Enter');
    // Then the box says what it reads, and filters nothing
    await expect(started).toHaveAttribute(
      'title',
      /^Filter Started with a date or time/
    );
    await expect(count).toHaveText('3 runs');
    // When it is cleared and Published asks for runs before today
    await started.fill('');
    await started.press('Enter');
    const published = table.getByLabel('Filter Published');
    await published.fill('<today');
    await published.press('Enter');
    // Then none match: each was published just now
    await expect(table.getByText('No runs match these filters.')).toBeVisible();
    // And all three in the last ten minutes, and before now
    await published.fill('last 10 minutes');
    await published.press('Enter');
    await expect(count).toHaveText('3 runs');
    await published.fill('..now');
    await published.press('Enter');
    await expect(count).toHaveText('3 runs');
    await published.fill('<10 minutes ago');
    await published.press('Enter');
    await expect(table.getByText('No runs match these filters.')).toBeVisible();
    await published.fill('');
    await published.press('Enter');
    await expect(count).toHaveText('3 runs');
    // And the Run column filters by part of the name
    const name = table.getByLabel('Filter Run');
    await name.fill('TRIAL 2');
    await name.press('Enter');
    await expect(count).toHaveText('1 run');
    await expect(
      grid.getByRole('cell', { name: `${tag} trial 2` })
    ).toBeVisible();
  });
});
