/**
 * Browser half of bench/bench_compare.py: in a real JupyterLab (started by the Python
 * bench on its own port) in Debian's Chromium, publish RUNS runs, then for each size in
 * SIZES open the compare view of that many runs (the `dotscience:compare-runs` command)
 * and time, in the page, from the command to the view drawn: a parallel-coordinates line
 * per run, the table's rows and the series chart's canvas. ROUNDS times per size (the tab
 * closed between); prints one JSON object on stdout.
 *
 * Usage: node compare_bench.js BASE_URL  (env: RUNS, SIZES, ROUNDS, POINTS, CHROMIUM_PATH,
 * PLAYWRIGHT_CORE; WIDE_PARAMS and WIDE_METRICS add that many parameters and metrics to
 * each run, every one differing between runs, as in a sweep over many settings)
 */
'use strict';

const { launchChromium, logger } = require('./browser');
const crypto = require('crypto');

const BASE = (process.argv[2] || '').replace(/\/$/, '');
const RUNS = Number(process.env.RUNS || 500);
const SIZES = (process.env.SIZES || '200,500').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS || 5);
const POINTS = Number(process.env.POINTS || 100);
const WIDE_PARAMS = Number(process.env.WIDE_PARAMS || 0);
const WIDE_METRICS = Number(process.env.WIDE_METRICS || 0);

/**
 * `count` fields named `prefix000`... whose values differ from run to run.
 */
function wide(i, count, prefix, metric) {
  const out = {};
  for (let k = 0; k < count; k++) {
    const value = (i * 7 + k * 13) % 101;
    const name = `${prefix}${String(k).padStart(3, '0')}`;
    out[name] = metric
      ? [{ value, text: String(value), step: 0 }]
      : { value, text: String(value) };
  }
  return out;
}

const log = logger('compare_bench');

function run(i) {
  const loss = [];
  for (let step = 0; step < POINTS; step++) {
    const value = 1 / (1 + step / (5 + (i % 17)));
    loss.push({ value, text: String(value), step });
  }
  return {
    schema: 'dotscience.run/2',
    id: crypto.randomUUID(),
    project: 'bench-compare',
    description: `bench run ${i}`,
    notebook: 'train.ipynb',
    start: '2026-11-27T06:30:00.000000Z',
    end: '2026-11-27T06:31:00.000000Z',
    inputs: [
      {
        path: 'data/train.csv',
        sha256: crypto
          .createHash('sha256')
          .update(String(i % 4))
          .digest('hex'),
        size: 1
      }
    ],
    outputs: [],
    parameters: {
      alpha: { value: i / RUNS, text: String(i / RUNS) },
      depth: { value: 2 + (i % 8), text: String(2 + (i % 8)) },
      kind: { value: i % 2 ? 'rf' : 'gb', text: i % 2 ? 'rf' : 'gb' },
      seed: { value: 42, text: '42' },
      ...wide(i, WIDE_PARAMS, 'p', false)
    },
    labels: {},
    metrics: {
      loss,
      accuracy: [{ value: 0.5 + i / (2 * RUNS), text: '', step: 0 }],
      ...wide(i, WIDE_METRICS, 'm', true)
    }
  };
}

async function main() {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 }
    });
    await page.goto(`${BASE}/lab`);
    await page.waitForFunction(
      () =>
        window.jupyterapp &&
        window.jupyterapp.commands.hasCommand('dotscience:compare-runs'),
      null,
      { timeout: 60000 }
    );
    const ids = [];
    for (let i = 0; i < RUNS; i++) {
      const answer = await page.request.post(`${BASE}/dotscience/api/runs`, {
        data: run(i)
      });
      if (answer.status() !== 201) {
        throw new Error(`publish answered ${answer.status()}`);
      }
      ids.push((await answer.json()).id);
    }
    log(`published ${RUNS} runs`);
    const result = { ok: true, sizes: {} };
    for (const size of SIZES) {
      const times = [];
      for (let round = 0; round < ROUNDS + 1; round++) {
        const ms = await page.evaluate(
          async ({ which, rows }) => {
            const app = window.jupyterapp;
            const started = performance.now();
            const widget = app.commands.execute('dotscience:compare-runs', {
              ids: which
            });
            const drawn = () => {
              const view = document.querySelector(
                '.jp-Dotscience-compareContent:not(.lm-mod-hidden)'
              );
              return (
                view &&
                view.querySelectorAll('.jp-Dotscience-parallel-lines [data-id]')
                  .length === which.length &&
                // (the table's rows come in one draw: 100, fewer for wide runs)
                view.querySelectorAll('tbody tr[data-run]').length >= rows &&
                view.querySelector(
                  '.jp-Dotscience-chart canvas, .jp-Dotscience-chart'
                )
              );
            };
            await new Promise((resolve, reject) => {
              const deadline = started + 60000;
              const tick = () => {
                if (drawn()) {
                  resolve();
                } else if (performance.now() > deadline) {
                  reject(
                    new Error('the compare view was not drawn within 60 s')
                  );
                } else {
                  requestAnimationFrame(tick);
                }
              };
              tick();
            });
            const took = performance.now() - started;
            (await widget).dispose();
            return took;
          },
          { which: ids.slice(0, size), rows: Math.min(size, 10) }
        );
        if (round > 0) {
          times.push(ms); // the first round warms the lazily loaded code up
        }
      }
      times.sort((a, b) => a - b);
      result.sizes[size] = {
        median_ms: times[Math.floor(times.length / 2)],
        max_ms: times[times.length - 1],
        rounds: ROUNDS
      };
      log(size, result.sizes[size]);
    }
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
  }
}

main().catch(e => {
  console.log(
    JSON.stringify({ ok: false, error: String(e && e.stack ? e.stack : e) })
  );
  process.exitCode = 1;
});
