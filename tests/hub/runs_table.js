/**
 * A user's browser on the hub (tests/hub/test_team.py): log in as USER through the hub's
 * login page, open the Runs table from JupyterLab's launcher, search for TAG, scroll to
 * the end so its second page loads, and print one JSON line: the count the table shows,
 * the smallest trial number drawn, the workers the page started and every `GET runs`
 * answer (its query and status).
 *
 * Usage: node runs_table.js <hub url> <user> <tag> <runs with the tag>
 */
'use strict';

// Debian's Chromium with the flags this machine needs, and ui-tests' playwright-core
const { launchChromium } = require('../../bench/ui/browser.js');

(async () => {
  const [base, user, tag, runs] = process.argv.slice(2);
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({
      viewport: { width: 1400, height: 900 }
    });
    const page = await context.newPage();
    const answers = [];
    context.on('response', r => {
      const url = r.url();
      if (url.includes('/dotscience/api/runs?')) {
        answers.push({ query: url.split('?')[1], status: r.status() });
      }
    });
    const workers = [];
    page.on('worker', w => workers.push(w.url()));
    await page.goto(`${base}hub/login`);
    await page.fill('input[name=username]', user);
    await page.fill('input[name=password]', 'any');
    await page.click('[type=submit]');
    await page.waitForURL(new RegExp(`/user/${user}/`), { timeout: 90000 });
    await page.goto(`${base}user/${user}/lab`);
    const card = page
      .locator('.jp-LauncherCard:visible', { hasText: 'Runs Table' })
      .first();
    await card.waitFor({ timeout: 90000 });
    await card.click();
    const table = page.locator('.jp-Dotscience-runsTable:visible');
    await table.waitFor();
    const search = table.getByLabel('Search runs');
    await search.fill(tag);
    await search.press('Enter');
    const count = table.getByTestId('ds-table-count');
    await page.waitForFunction(
      ([el, want]) => el.textContent.startsWith(want),
      [await count.elementHandle(), `${runs} runs`],
      { timeout: 30000 }
    );
    const grid = table.getByRole('grid');
    const lowest = () =>
      grid.evaluate(g =>
        Math.min(
          // (a run's name is pinned beside its checkbox, not in its row's element)
          ...Array.from(
            g.querySelectorAll('.jp-Dotscience-table-rowCheck[data-run-id]')
          ).map(r => Number((/trial (\d+)/.exec(r.textContent) || [])[1]))
        )
      );
    // scroll to the end until the last run (trial 0) is drawn
    const deadline = Date.now() + 30000;
    while ((await lowest()) !== 0 && Date.now() < deadline) {
      await grid.evaluate(g => {
        g.scrollTop = g.scrollHeight;
      });
      await page.waitForTimeout(200);
    }
    process.stdout.write(
      JSON.stringify({
        count: await count.textContent(),
        lowest: await lowest(),
        workers,
        answers
      }) + '\n'
    );
  } finally {
    await browser.close();
  }
})().catch(e => {
  console.error(e);
  process.exit(1);
});
