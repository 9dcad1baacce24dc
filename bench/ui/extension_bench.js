/**
 * Browser half of bench/bench_extension.py: drives a real JupyterLab (started by the Python
 * bench on its own port) in Debian's Chromium and prints one JSON object on stdout.
 *
 * 1. Latency: a cell calls `ds.add_metric('lat', time.time() * 1000)` every SPACING_MS; a
 *    MutationObserver in the page records when the sidebar's `ds-metric-lat` element shows
 *    a new value (its title holds the full text). Sample i is visible at the first
 *    observation showing a value >= its own (coalesced values are superseded, not lost).
 *    Peer, in the same loop: a bare comm message `{t: time.time() * 1000}` to a comm
 *    target this script registers on the same kernel; latency = `Date.now()` on receipt - t.
 * 2. Kernel cost: LOOP_CALLS x `ds.add_metric` timed in the kernel with the bridge attached
 *    (page open, sidebar showing the run) and after `dotscience.jupyter.detach()`
 *    (library alone), ROUNDS times each, alternating which goes first.
 *
 * Usage: node extension_bench.js BASE_URL  (env: SAMPLES, SPACING_MS, LOOP_CALLS, ROUNDS,
 * CHROMIUM_PATH, PLAYWRIGHT_CORE)
 */
'use strict';

const { launchChromium, logger } = require('./browser');

const BASE = (process.argv[2] || '').replace(/\/$/, '');
const SAMPLES = Number(process.env.SAMPLES || 200);
const SPACING_MS = Number(process.env.SPACING_MS || 20);
const LOOP_CALLS = Number(process.env.LOOP_CALLS || 1000000);
const ROUNDS = Number(process.env.ROUNDS || 3);
const WARMUP = 20;
const NOTEBOOK = 'bench-extension.ipynb';
const PEER_TARGET = 'ds-bench-peer';

const log = logger('extension_bench');

/** Run code in the active notebook's kernel (not through a cell); returns stdout text. */
async function execute(page, code, timeout = 120000) {
  const result = await page.evaluate(
    async ({ code, timeout }) => {
      const widget = window.jupyterapp.shell.currentWidget;
      const kernel = widget.sessionContext.session.kernel;
      const future = kernel.requestExecute({ code, store_history: false });
      let out = '';
      let error = null;
      future.onIOPub = msg => {
        if (msg.header.msg_type === 'stream') {
          out += msg.content.text;
        } else if (msg.header.msg_type === 'error') {
          error = `${msg.content.ename}: ${msg.content.evalue}`;
        }
      };
      const timer = new Promise((_, reject) =>
        setTimeout(() => reject(new Error('execute timed out')), timeout)
      );
      const reply = await Promise.race([future.done, timer]);
      return { status: reply.content.status, out, error };
    },
    { code, timeout }
  );
  if (result.status !== 'ok') {
    throw new Error(`kernel error: ${result.error}\n${code}`);
  }
  return result.out;
}

function lastJson(text) {
  const lines = text.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function percentile(sorted, p) {
  if (sorted.length === 0) {
    return null;
  }
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: sorted.length ? sorted[0] : null,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : null,
    mean: sorted.length
      ? sorted.reduce((a, b) => a + b, 0) / sorted.length
      : null,
    worst: sorted.slice(-5)
  };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2
    ? s[(s.length - 1) / 2]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function openNotebook(page) {
  const response = await page.request.put(`${BASE}/api/contents/${NOTEBOOK}`, {
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
  if (!response.ok()) {
    throw new Error(`cannot create the notebook: ${response.status()}`);
  }
  await page.goto(`${BASE}/lab?reset`);
  await page.waitForFunction(
    () => window.jupyterapp && window.jupyterapp.shell,
    null,
    {
      timeout: 60000
    }
  );
  await page.evaluate(async name => {
    await window.jupyterapp.started;
    await window.jupyterapp.restored;
    await window.jupyterapp.commands.execute('docmanager:open', { path: name });
  }, NOTEBOOK);
  await page.waitForFunction(
    () => {
      const w = window.jupyterapp.shell.currentWidget;
      const k =
        w &&
        w.sessionContext &&
        w.sessionContext.session &&
        w.sessionContext.session.kernel;
      return k && k.connectionStatus === 'connected' && k.status === 'idle';
    },
    null,
    { timeout: 60000 }
  );
  await page
    .locator('#jp-main-statusbar')
    .getByText('| Idle')
    .waitFor({ timeout: 60000 });
  const panel = page.locator('#jp-Dotscience-sidebar');
  if (!(await panel.isVisible())) {
    await page.locator('.jp-SideBar [title="Dotscience"]').click();
  }
  await page
    .locator(
      '#jp-Dotscience-sidebar .jp-Dotscience-currentRun[data-bridge="attached"]'
    )
    .waitFor({ timeout: 60000 });
}

async function latency(page) {
  // The peer's comm target, and the observer on the sidebar (page clock: Date.now()).
  await page.evaluate(target => {
    const kernel =
      window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    window.__dsPeer = [];
    kernel.registerCommTarget(target, comm => {
      comm.onMsg = msg => {
        window.__dsPeer.push([Date.now(), msg.content.data.t]);
      };
    });
    window.__dsSeen = [];
    let last = null;
    const root = document.getElementById('jp-Dotscience-sidebar');
    const observer = new MutationObserver(() => {
      const now = Date.now();
      const el = root.querySelector('[data-testid="ds-metric-lat"]');
      const text = el && el.getAttribute('title');
      if (text && text !== last) {
        last = text;
        window.__dsSeen.push([now, parseFloat(text)]);
      }
    });
    observer.observe(root, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['title']
    });
    window.__dsObserver = observer;
  }, PEER_TARGET);
  await execute(
    page,
    [
      'import json as _json, time as _time',
      'import dotscience as ds',
      'import dotscience.jupyter as _b',
      'from comm import create_comm as _create_comm',
      'assert _b._bridge is not None, "the bridge is not attached"',
      `_peer = _create_comm(target_name=${JSON.stringify(PEER_TARGET)}, data={})`,
      "ds.start('extension bench')",
      'def _ds_bench_loop(n, spacing):',
      '    sent = []',
      '    for _ in range(n):',
      '        t = _time.time() * 1000',
      "        ds.add_metric('lat', t)",
      "        _peer.send({'t': t})",
      '        sent.append(t)',
      '        _time.sleep(spacing)',
      '    return sent',
      `_ds_bench_loop(${WARMUP}, ${SPACING_MS / 1000})`,
      '_time.sleep(0.3)'
    ].join('\n')
  );
  await page.evaluate(() => {
    window.__dsSeen.length = 0;
    window.__dsPeer.length = 0;
  });
  const sent = lastJson(
    await execute(
      page,
      `print(_json.dumps(_ds_bench_loop(${SAMPLES}, ${SPACING_MS / 1000})))\n_time.sleep(0.5)`
    )
  );
  await page.waitForTimeout(300);
  const { seen, peer } = await page.evaluate(() => {
    window.__dsObserver.disconnect();
    return { seen: window.__dsSeen, peer: window.__dsPeer };
  });
  await execute(page, '_peer.close()');
  const ours = [];
  let j = 0;
  let missing = 0;
  for (const t of sent) {
    while (j < seen.length && seen[j][1] < t) {
      j++;
    }
    if (j < seen.length) {
      ours.push(seen[j][0] - t);
    } else {
      missing++;
    }
  }
  const sentSet = new Set(sent);
  const theirs = peer
    .filter(([, t]) => sentSet.has(t))
    .map(([now, t]) => now - t);
  return {
    ours: summary(ours),
    peer: summary(theirs),
    missing,
    peer_missing: sent.length - theirs.length,
    renders: seen.length,
    samples: sent.length,
    spacing_ms: SPACING_MS
  };
}

async function cost(page) {
  await execute(
    page,
    [
      'import gc as _gc, time as _time',
      'import dotscience as ds',
      'import dotscience.jupyter as _b',
      'def _ds_bench_cost(n):',
      '    ds.start()',
      '    _gc.collect()',
      '    t0 = _time.perf_counter()',
      '    for _ in range(n):',
      "        ds.add_metric('x', 0.5)",
      '    dt = _time.perf_counter() - t0',
      '    _time.sleep(0.2)', // let the flusher send the tail while the page is open
      '    return dt'
    ].join('\n')
  );
  const attached = [];
  const alone = [];
  const measureAttached = async () => {
    attached.push(
      lastJson(
        await execute(
          page,
          `assert _b._bridge is not None\nprint(_json.dumps(_ds_bench_cost(${LOOP_CALLS})))`
        )
      )
    );
  };
  const measureAlone = async () => {
    alone.push(
      lastJson(
        await execute(
          page,
          `_b.detach()\nassert _b._bridge is None\nprint(_json.dumps(_ds_bench_cost(${LOOP_CALLS})))\n_b.attach()`
        )
      )
    );
    // The page adopts the new comm (the sidebar shows attached again).
    await page
      .locator(
        '#jp-Dotscience-sidebar .jp-Dotscience-currentRun[data-bridge="attached"]'
      )
      .waitFor({ timeout: 30000 });
    await page.waitForTimeout(200);
  };
  // Alternate which goes first so neither always follows the other.
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      await measureAttached();
      await measureAlone();
    } else {
      await measureAlone();
      await measureAttached();
    }
  }
  await execute(page, 'ds.start()\n_gc.collect()');
  return {
    calls: LOOP_CALLS,
    attached,
    alone,
    attached_min: Math.min(...attached),
    alone_min: Math.min(...alone),
    attached_median: median(attached),
    alone_median: median(alone)
  };
}

async function main() {
  if (!BASE) {
    throw new Error('usage: node extension_bench.js BASE_URL');
  }
  const browser = await launchChromium();
  const out = { ok: true };
  try {
    const page = await browser.newPage({
      viewport: { width: 1400, height: 900 }
    });
    const t0 = Date.now();
    await openNotebook(page);
    log(`notebook open and bridge attached in ${Date.now() - t0} ms`);
    out.latency = await latency(page);
    log('latency done');
    out.cost = await cost(page);
    log('cost done');
    const versions = await page.evaluate(() => window.jupyterapp.version);
    out.jupyterlab = versions;
    out.chromium = browser.version();
    await page.close();
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch(err => {
  process.stdout.write(
    JSON.stringify({
      ok: false,
      error: String(err && err.stack ? err.stack : err)
    }) + '\n'
  );
  process.exitCode = 1;
});
