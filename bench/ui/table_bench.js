/**
 * Browser half of bench/bench_table.py: drives a real JupyterLab (started by the Python
 * bench on its own port, its store holding RUNS runs of many columns) in Debian's
 * Chromium and prints one JSON object on stdout.
 *
 * 1. Open: `dotscience:open-runs-table {allColumns: true}`, time until the first rows
 *    are drawn and until every column is there.
 * 2. Scroll: a fling down (400 px a frame, to the end of the loaded runs and back) and
 *    then one to the right (120 px a frame, to the last column and back), each for
 *    SCROLL_MS, one step per animation frame. Every frame's time (requestAnimationFrame to
 *    the next) is recorded, and whether the frame shows blank where rows or cells should
 *    be, and the CPU time every browser process used per frame (the compositor and
 *    raster threads included). Then a shorter traced fling each way gives the renderer
 *    main thread's CPU time per frame (thread time: what the table costs, whatever else
 *    loads the machine) and the major garbage collections on that thread.
 * 3. The peer, in the same browser and page: what the pool drew, copied once into a static
 *    table (no script runs while it scrolls; see `showStaticCopy`) and flung each way as
 *    the table was, untraced and traced: the browser's own cost of scrolling those rows
 *    on this machine.
 * 4. Live: two tabs (pages) of the same JupyterLab; tab B shows the Runs table (every run,
 *    newest first), tab A publishes a run (POST dotscience/api/runs) and records the time;
 *    a MutationObserver in tab B records when the run's row appears. LIVE_SAMPLES times.
 *
 * Usage: node table_bench.js BASE_URL  (env: SCROLL_MS, LIVE_SAMPLES, CHROMIUM_PATH,
 * PLAYWRIGHT_CORE)
 */
'use strict';

const { launchChromium, logger } = require('./browser');
const crypto = require('crypto');
const fs = require('fs');

const BASE = (process.argv[2] || '').replace(/\/$/, '');
const SCROLL_MS = Number(process.env.SCROLL_MS || 8000);
const LIVE_SAMPLES = Number(process.env.LIVE_SAMPLES || 40);

const log = logger('table_bench');
const TABLE_GRID = '.jp-Dotscience-runsTable [role="grid"]';
const STATIC_COPY = '[data-static-copy]';

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

/**
 * Open the Runs table with its command; resolves to the milliseconds until its first rows
 * are drawn (`rows`) and, with `allColumns`, until every column is (`all`).
 */
async function openTable(page, allColumns) {
  const start = Date.now();
  // (the page function returns nothing: returned, the command's promise of the table's
  // widget made Playwright copy the widget's whole object graph out of the page, 1.2-1.5 s
  // counted as the table's opening)
  await page.evaluate(
    args => {
      void window.jupyterapp.commands.execute('dotscience:open-runs-table', args);
    },
    // (a new table starts with the layout of the last one changed: the live table asks
    // for a new table's default view, not the 308 columns of the fling)
    allColumns ? { allColumns } : { view: {} }
  );
  await page.waitForSelector(
    '.jp-Dotscience-runsTable [role="row"][data-run-id]:not([aria-hidden])',
    {
      timeout: 120000
    }
  );
  const rows = Date.now() - start;
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
  return { rows, all: Date.now() - start };
}

/**
 * Fling the grid for SCROLL_MS: `down` 400 px a frame (to the end of the loaded runs and
 * back), or `right` 120 px a frame (to the last column and back), one step in each
 * animation frame. Records every frame's time (requestAnimationFrame to the next), and
 * whether the frame shows blank where rows or cells should be: right after the step
 * moves the view (the browser paints this frame next), the rows (or the cells of a row)
 * in the DOM must cover the view.
 */
async function fling(page, direction, ms, grid = TABLE_GRID) {
  return page.evaluate(
    async ({ ms, direction, selector, pool }) => {
      const grid = document.querySelector(selector);
      const head = grid.querySelector('.jp-Dotscience-table-head');
      const spacer = grid.firstElementChild;
      grid.scrollTop = 0;
      grid.scrollLeft = 0;
      const lead = head.querySelector('.jp-Dotscience-table-lead')?.offsetWidth ?? 32;
      const blankNow = () => {
        const g = grid.getBoundingClientRect();
        const top = g.top + grid.clientTop + head.offsetHeight;
        const left = g.left + grid.clientLeft;
        const s = spacer.getBoundingClientRect();
        // the rows shown (not those parked out of sight, above the body)
        const rows = grid.querySelectorAll(
          '[role="row"][data-run-id]:not([aria-hidden])'
        );
        if (!rows.length) {
          return true;
        }
        if (direction === 'down') {
          const bottom = Math.min(
            g.top + grid.clientTop + grid.clientHeight,
            s.bottom
          );
          let low = Infinity;
          let high = -Infinity;
          for (const row of rows) {
            const r = row.getBoundingClientRect();
            low = Math.min(low, r.top);
            high = Math.max(high, r.bottom);
          }
          return low > top + 0.5 || high < bottom - 0.5;
        }
        const row = rows[Math.floor(rows.length / 2)];
        const right = Math.min(left + grid.clientWidth, s.right);
        let low = Infinity;
        let high = -Infinity;
        for (const cell of row.querySelectorAll('[role="cell"]')) {
          const r = cell.getBoundingClientRect();
          low = Math.min(low, r.left);
          high = Math.max(high, r.right);
        }
        // (right of what stays at the left edge: the checkboxes and the pinned name)
        return low > left + lead + 0.5 || high < right - 0.5;
      };
      await new Promise(r => requestAnimationFrame(() => r()));
      const frames = [];
      let blank = 0;
      let last = performance.now();
      const end = last + ms;
      let forward = true;
      await new Promise(resolve => {
        const step = now => {
          frames.push(now - last);
          last = now;
          if (direction === 'down') {
            const max = grid.scrollHeight - grid.clientHeight;
            grid.scrollTop = forward
              ? Math.min(max, grid.scrollTop + 400)
              : Math.max(0, grid.scrollTop - 400);
            forward = forward ? grid.scrollTop < max : grid.scrollTop === 0;
          } else {
            const max = grid.scrollWidth - grid.clientWidth;
            grid.scrollLeft = forward
              ? Math.min(max, grid.scrollLeft + 120)
              : Math.max(0, grid.scrollLeft - 120);
            forward = forward ? grid.scrollLeft < max : grid.scrollLeft === 0;
          }
          if (pool && blankNow()) {
            blank++;
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
        frames: frames.slice(1), // the first is the time before the fling
        blank,
        cells: grid.querySelectorAll('[role="cell"]').length
      };
    },
    // a static copy (the peer) is never blank: `pool` says whether to look
    { ms, direction, selector: grid, pool: grid === TABLE_GRID }
  );
}

/**
 * The peer: what the pool drew, drawn once into a static copy of the table (no script
 * runs while it scrolls), shown in the live table's place with its sticky header and
 * selection column. For a fling `down`: `runs` rows (the runs the table had loaded, so
 * the fling turns where the table's did), each a copy of one of the rows drawn at the top
 * left (cycled: the same cells, texts and widths). For a fling `right`: the rows in view,
 * each with every column's cell, gathered from the pool by scrolling the table across.
 * What the browser alone costs to scroll these rows here: raster, compositing and garbage
 * collection, without the table's code.
 */
async function showStaticCopy(page, direction, runs) {
  const frame = () =>
    page.evaluate(
      () =>
        new Promise(r =>
          requestAnimationFrame(() => requestAnimationFrame(() => r()))
        )
    );
  const scrollTo = async left => {
    await page.evaluate(
      ({ left, selector }) => {
        const grid = document.querySelector(selector);
        grid.scrollTop = 0;
        grid.scrollLeft = left;
      },
      { left, selector: TABLE_GRID }
    );
    await frame();
  };
  await scrollTo(0);
  await page.waitForTimeout(500);
  // every column's cell of the rows in view (and of the header), keyed by its left edge
  await page.evaluate(() => {
    window.__dsCells = new Map();
  });
  if (direction === 'right') {
    const [width, view] = await page.evaluate(selector => {
      const grid = document.querySelector(selector);
      return [grid.scrollWidth, grid.clientWidth];
    }, TABLE_GRID);
    for (let left = 0; ; left = Math.min(left + view / 2, width - view)) {
      await scrollTo(left);
      await page.evaluate(selector => {
        const grid = document.querySelector(selector);
        const lines = [
          grid.querySelector('.jp-Dotscience-table-head'),
          ...grid.querySelectorAll(
            '.jp-Dotscience-table-row[data-run-id]:not([aria-hidden])'
          )
        ];
        for (const line of lines) {
          const strip = line.querySelector('.jp-Dotscience-table-cells');
          const cells = window.__dsCells.get(line) || new Map();
          window.__dsCells.set(line, cells);
          for (const cell of strip.children) {
            const x = strip.offsetLeft + cell.offsetLeft;
            if (!cells.has(x)) {
              cells.set(x, cell.cloneNode(true));
            }
          }
        }
      }, TABLE_GRID);
      if (left >= width - view) {
        break;
      }
    }
    await scrollTo(0);
  }
  const cells = await page.evaluate(
    ({ runs, direction, selector }) => {
      const grid = document.querySelector(selector);
      const spacer = grid.firstElementChild;
      const head = grid.querySelector('.jp-Dotscience-table-head');
      const rows = [
        ...grid.querySelectorAll(
          '.jp-Dotscience-table-row[data-run-id]:not([aria-hidden])'
        )
      ].sort((a, b) => a.offsetTop - b.offsetTop);
      // each row's part at the left edge: its checkbox and its pinned name
      const checks = rows.map(row =>
        document
          .getElementById(row.getAttribute('aria-owns').split(' ')[0])
          .closest('.jp-Dotscience-table-rowCheck')
      );
      const count = direction === 'down' ? runs : rows.length;
      const height = rows[0].offsetHeight;
      const noIds = el => {
        el.removeAttribute('id');
        el.removeAttribute('aria-owns');
        for (const inner of el.querySelectorAll('[id]')) {
          inner.removeAttribute('id');
        }
        return el;
      };
      // a line (row or header) of the copy: every cell gathered, or those drawn
      const copyLine = line => {
        const copy = noIds(line.cloneNode(true));
        const cells = window.__dsCells.get(line);
        if (cells) {
          const strip = copy.querySelector('.jp-Dotscience-table-cells');
          const xs = [...cells.keys()].sort((a, b) => a - b);
          strip.style.left = `${xs[0]}px`;
          strip.replaceChildren(...xs.map(x => cells.get(x)));
        }
        return copy;
      };
      const copy = grid.cloneNode(false);
      copy.setAttribute('data-static-copy', '');
      const copySpacer = spacer.cloneNode(false);
      copySpacer.style.height = `${head.offsetHeight + count * height}px`;
      const body = grid
        .querySelector('.jp-Dotscience-table-body')
        .cloneNode(false);
      const column = grid
        .querySelector('.jp-Dotscience-table-checks')
        .cloneNode(false);
      body.appendChild(column);
      for (let j = 0; j < count; j++) {
        const top = `${head.offsetHeight + j * height}px`;
        const row = copyLine(rows[j % rows.length]);
        row.classList.toggle('jp-mod-odd', j % 2 === 1);
        row.style.top = top;
        body.appendChild(row);
        const check = noIds(checks[j % rows.length].cloneNode(true));
        check.style.top = top;
        column.appendChild(check);
      }
      copySpacer.append(body, copyLine(head));
      copy.appendChild(copySpacer);
      delete window.__dsCells;
      grid.style.display = 'none';
      grid.after(copy);
      return copy.querySelectorAll('[role="cell"]').length;
    },
    { runs, direction, selector: TABLE_GRID }
  );
  await page.waitForTimeout(1000);
  return cells;
}

async function removeStaticCopy(page) {
  await page.evaluate(
    ({ copy, grid }) => {
      document.querySelector(copy).remove();
      document.querySelector(grid).style.display = '';
    },
    { copy: STATIC_COPY, grid: TABLE_GRID }
  );
}

/**
 * The CPU time (ms) every process this script started has used so far: the browser's
 * processes (renderer, GPU/compositor, raster, network) are its descendants. Linux only.
 */
function browserCpuMs() {
  const parent = {};
  const ticks = {};
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) {
      continue;
    }
    try {
      // fields after the command's closing parenthesis: state, ppid, ... utime, stime
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent[pid] = f[1];
      ticks[pid] = Number(f[11]) + Number(f[12]);
    } catch {
      // the process ended while listed
    }
  }
  const mine = pid => {
    for (let p = pid; p && p !== '0' && p !== '1'; p = parent[p]) {
      if (p === String(process.pid)) {
        return pid !== String(process.pid);
      }
    }
    return false;
  };
  const hz = 100; // USER_HZ on Linux
  return Object.keys(ticks)
    .filter(mine)
    .reduce((sum, pid) => sum + (ticks[pid] * 1000) / hz, 0);
}

/**
 * Fling as `fling` does, also measuring the CPU time every process of the browser used
 * per frame: what the fling costs the machine, the compositor's and raster threads' work
 * included, which the main thread's time leaves out.
 */
async function flingWithCpu(page, direction, ms, grid = TABLE_GRID) {
  const before = browserCpuMs();
  const result = await fling(page, direction, ms, grid);
  result.allCpu = (browserCpuMs() - before) / Math.max(1, result.frames.length);
  return result;
}

/**
 * The renderer main thread's CPU time (thread time, so other processes on a loaded
 * machine do not count) per frame of a fling, and the major garbage collections on that
 * thread during it (count and longest pause), from a Chromium trace.
 */
async function cpuPerFrame(browser, page, direction, ms, grid = TABLE_GRID) {
  await browser.startTracing(page, {
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline']
  });
  const { frames } = await fling(page, direction, ms, grid);
  const trace = (await browser.stopTracing()).toString();
  if (process.env.BENCH_TABLE_TRACE && grid === TABLE_GRID) {
    // the table's traced fling, for a look in Chromium's performance panel
    fs.writeFileSync(
      `${process.env.BENCH_TABLE_TRACE}-${direction}.json`,
      trace
    );
  }
  const events = JSON.parse(trace).traceEvents;
  const names = {};
  const counts = {};
  for (const e of events) {
    if (e.name === 'thread_name') {
      names[`${e.pid}:${e.tid}`] = e.args.name;
    }
  }
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (names[key] === 'CrRendererMain') {
      counts[key] = (counts[key] || 0) + 1;
    }
  }
  const main = Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0];
  const tasks = events
    .filter(e => `${e.pid}:${e.tid}` === main && e.ph === 'X' && e.dur)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  let cpu = 0;
  let until = -Infinity;
  for (const e of tasks) {
    if (e.ts >= until) {
      cpu += (e.tdur || 0) / 1000; // a top-level event: its nested ones are inside it
      until = e.ts + e.dur;
    }
  }
  const majors = tasks.filter(e => e.name === 'MajorGC').map(e => e.dur / 1000);
  return {
    cpu: cpu / Math.max(1, frames.length + 1),
    majorGCs: majors.length,
    longestGC: majors.length ? Math.max(...majors) : 0
  };
}

/**
 * The page's JavaScript heap in use after a full garbage collection (bytes).
 */
async function heapUsed(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

/**
 * How many runs the table holds: its scrolled body's height over a row's.
 */
async function loadedRuns(page) {
  return page.evaluate(() => {
    const grid = document.querySelector(
      '.jp-Dotscience-runsTable [role="grid"]'
    );
    const head = grid.querySelector('.jp-Dotscience-table-head');
    const row = grid.querySelector('[role="row"][data-run-id]');
    return Math.round(
      (grid.scrollHeight - head.offsetHeight) / row.offsetHeight
    );
  });
}

function frameStats(result) {
  const f = result.frames;
  return {
    frames: f.length,
    p50: pct(f, 50),
    p99: pct(f, 99),
    max: Math.max(...f),
    over50: f.filter(t => t >= 50).length,
    blank: result.blank
  };
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
    // (the table's row pool shows a new run in a row element it already has: the run's
    // id attribute changes, no element is added)
    new MutationObserver(record).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ['data-run-id']
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
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({
      viewport: { width: 1600, height: 1000 }
    });
    const page = await openLab(context);
    log('lab open');
    const cdp = await context.newCDPSession(page);
    const heapBefore = await heapUsed(cdp);
    const open = await openTable(page, true);
    log(`table open: rows in ${open.rows} ms, every column in ${open.all} ms`);
    // let the opening finish (its last frames are the open's, not the scroll's)
    await page.evaluate(
      () =>
        new Promise(r =>
          requestAnimationFrame(() => requestAnimationFrame(() => r()))
        )
    );
    await page.waitForTimeout(1000);
    const down = await flingWithCpu(page, 'down', SCROLL_MS);
    log(`down: ${down.frames.length} frames, ${down.blank} with blank rows`);
    const loaded = await loadedRuns(page);
    const heapPerRun = Math.round(
      ((await heapUsed(cdp)) - heapBefore) / loaded
    );
    log(`heap: ${heapPerRun} bytes per loaded run, ${loaded} runs loaded`);
    const right = await flingWithCpu(page, 'right', SCROLL_MS);
    log(
      `right: ${right.frames.length} frames, ${right.blank} with blank cells`
    );
    const cpuDown = await cpuPerFrame(browser, page, 'down', SCROLL_MS / 2);
    const cpuRight = await cpuPerFrame(browser, page, 'right', SCROLL_MS / 2);
    log(
      `main-thread CPU per frame: ${cpuDown.cpu} down, ${cpuRight.cpu} right;` +
        ` major GCs down: ${cpuDown.majorGCs}`
    );
    const peer = {};
    for (const direction of ['down', 'right']) {
      const cells = await showStaticCopy(page, direction, loaded);
      const untraced = await flingWithCpu(
        page,
        direction,
        SCROLL_MS,
        STATIC_COPY
      );
      const traced = await cpuPerFrame(
        browser,
        page,
        direction,
        SCROLL_MS / 2,
        STATIC_COPY
      );
      await removeStaticCopy(page);
      peer[direction] = {
        ...frameStats(untraced),
        ...traced,
        all_cpu: untraced.allCpu
      };
      log(
        `static copy ${direction} (${cells} cells): ` +
          `${untraced.frames.length} frames, ` +
          `${peer[direction].over50} of 50 ms or more`
      );
    }
    const shape = await page.evaluate(() => {
      const grid = document.querySelector(
        '.jp-Dotscience-runsTable [role="grid"]'
      );
      return {
        columns: Number(grid.getAttribute('aria-colcount')),
        rows: Number(grid.getAttribute('aria-rowcount'))
      };
    });
    await page.close();
    const liveResult = await live(context);
    process.stdout.write(
      JSON.stringify({
        open_ms: open.rows,
        open_all_ms: open.all,
        down: { ...frameStats(down), ...cpuDown, all_cpu: down.allCpu },
        right: { ...frameStats(right), ...cpuRight, all_cpu: right.allCpu },
        static_down: peer.down,
        static_right: peer.right,
        columns: shape.columns,
        loaded,
        heap_per_run: heapPerRun,
        rows: shape.rows,
        cells: Math.max(down.cells, right.cells),
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
