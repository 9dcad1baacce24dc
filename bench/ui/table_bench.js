/**
 * Browser half of bench/bench_table.py: drives a real JupyterLab (started by the Python
 * bench on its own port, its store holding RUNS runs of many columns) in Debian's
 * Chromium and prints one JSON object on stdout.
 *
 * 1. Open: `dotscience:open-runs-table {allColumns: true}`, time until the first rows
 *    and every column are there.
 * 2. Scroll: for SCROLL_MS the page scrolls the grid down and right a step every animation
 *    frame (400 px down, 120 px right: a fast fling; to the end and back) while requestAnimationFrame records each frame's time.
 * 3. Live: two tabs (pages) of the same JupyterLab; tab B shows the Runs table (every run,
 *    newest first), tab A publishes a run (POST dotscience/api/runs) and records the time;
 *    a MutationObserver in tab B records when the run's row appears. LIVE_SAMPLES times.
 *
 * Usage: node table_bench.js BASE_URL  (env: SCROLL_MS, LIVE_SAMPLES, CHROMIUM_PATH,
 * PLAYWRIGHT_CORE)
 */
'use strict';

const path = require('path');
const crypto = require('crypto');

const BASE = (process.argv[2] || '').replace(/\/$/, '');
const SCROLL_MS = Number(process.env.SCROLL_MS || 8000);
const LIVE_SAMPLES = Number(process.env.LIVE_SAMPLES || 40);

const { chromium } = require(
  process.env.PLAYWRIGHT_CORE ||
    path.join(
      __dirname,
      '..',
      '..',
      'ui-tests',
      'node_modules',
      'playwright-core'
    )
);

function log(...args) {
  console.error('[table_bench]', ...args);
}

function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) {
    return null;
  }
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function openLab(context) {
  const page = await context.newPage();
  await page.goto(`${BASE}/lab`);
  await page.waitForFunction(
    () => window.jupyterapp && window.jupyterapp.started,
    null,
    {
      timeout: 120000
    }
  );
  await page.evaluate(() => window.jupyterapp.started);
  await page.waitForFunction(
    () => window.jupyterapp.commands.hasCommand('dotscience:open-runs-table'),
    null,
    { timeout: 60000 }
  );
  return page;
}

async function openTable(page, allColumns) {
  const start = Date.now();
  await page.evaluate(
    args =>
      window.jupyterapp.commands.execute('dotscience:open-runs-table', args),
    { allColumns }
  );
  await page.waitForSelector(
    '.jp-Dotscience-runsTable [role="row"][data-run-id]',
    {
      timeout: 120000
    }
  );
  if (allColumns) {
    await page.waitForFunction(
      () => {
        const grid = document.querySelector(
          '.jp-Dotscience-runsTable [role="grid"]'
        );
        return grid && Number(grid.getAttribute('aria-colcount')) > 100;
      },
      null,
      { timeout: 120000 }
    );
  }
  return Date.now() - start;
}

async function scrollFrames(page) {
  return page.evaluate(async ms => {
    const grid = document.querySelector(
      '.jp-Dotscience-runsTable [role="grid"]'
    );
    const frames = [];
    let last = performance.now();
    const end = last + ms;
    let down = true;
    const cols = Number(grid.getAttribute('aria-colcount'));
    const rows = Number(grid.getAttribute('aria-rowcount'));
    await new Promise(resolve => {
      const step = now => {
        frames.push(now - last);
        last = now;
        const maxTop = grid.scrollHeight - grid.clientHeight;
        const maxLeft = grid.scrollWidth - grid.clientWidth;
        if (down) {
          grid.scrollTop = Math.min(maxTop, grid.scrollTop + 400);
          grid.scrollLeft = Math.min(maxLeft, grid.scrollLeft + 120);
          down = grid.scrollTop < maxTop;
        } else {
          grid.scrollTop = Math.max(0, grid.scrollTop - 400);
          grid.scrollLeft = Math.max(0, grid.scrollLeft - 120);
          down = grid.scrollTop === 0;
        }
        if (now < end) {
          requestAnimationFrame(step);
        } else {
          resolve();
        }
      };
      requestAnimationFrame(step);
    });
    return {
      frames: frames.slice(1),
      cols,
      rows,
      cells: document.querySelectorAll('.jp-Dotscience-runsTable [role="cell"]')
        .length
    };
  }, SCROLL_MS);
}

async function live(context) {
  const tag = `live${crypto.randomUUID().slice(0, 8)}`;
  const a = await openLab(context);
  const b = await openLab(context);
  await openTable(b, false); // every run, newest first (no filter)
  await b.evaluate(() => {
    window.__seen = {};
    const record = () => {
      for (const row of document.querySelectorAll(
        '.jp-Dotscience-runsTable [role="row"][data-run-id]'
      )) {
        const id = row.getAttribute('data-run-id');
        if (!(id in window.__seen)) {
          window.__seen[id] = Date.now();
        }
      }
    };
    record();
    new MutationObserver(record).observe(document.body, {
      childList: true,
      subtree: true
    });
  });
  const latencies = [];
  let missing = 0;
  for (let i = 0; i < LIVE_SAMPLES; i++) {
    const id = crypto.randomUUID();
    const sent = await a.evaluate(
      async ({ id, tag, i }) => {
        const t = Date.now();
        const r = await fetch('/dotscience/api/runs', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            schema: 'dotscience.run/2',
            id,
            project: 'default',
            description: `${tag} ${i}`,
            mode: 'script',
            workload_file: 'train.py',
            inputs: [],
            outputs: [],
            parameters: { i: { value: i, text: String(i) } },
            labels: {},
            metrics: {}
          })
        });
        if (r.status !== 201) {
          throw new Error(`publish: ${r.status}`);
        }
        return t;
      },
      { id, tag, i }
    );
    try {
      await b.waitForFunction(runId => runId in window.__seen, id, {
        timeout: 10000
      });
      const seen = await b.evaluate(runId => window.__seen[runId], id);
      latencies.push(seen - sent);
    } catch {
      missing++;
    }
    await a.waitForTimeout(100);
  }
  return { latencies, missing, samples: LIVE_SAMPLES };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run']
  });
  try {
    const context = await browser.newContext({
      viewport: { width: 1600, height: 1000 }
    });
    const page = await openLab(context);
    log('lab open');
    const openMs = await openTable(page, true);
    log(`table open in ${openMs} ms`);
    const scroll = await scrollFrames(page);
    log(`${scroll.frames.length} frames`);
    await page.close();
    const liveResult = await live(context);
    process.stdout.write(
      JSON.stringify({
        open_ms: openMs,
        frames: scroll.frames.length,
        frame_max: Math.max(...scroll.frames),
        frame_p99: pct(scroll.frames, 99),
        frame_p50: pct(scroll.frames, 50),
        columns: scroll.cols,
        rows: scroll.rows,
        cells: scroll.cells,
        live_p50: pct(liveResult.latencies, 50),
        live_p99: pct(liveResult.latencies, 99),
        live_missing: liveResult.missing,
        live_samples: liveResult.samples
      }) + '\n'
    );
  } finally {
    await browser.close();
  }
})().catch(e => {
  console.error(e);
  process.exit(1);
});
