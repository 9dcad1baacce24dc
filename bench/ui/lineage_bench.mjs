// Lineage layout benchmark (bench/bench_lineage.py runs this): the layout of src/lineage
// (compiled to lib/ by `npm run build:lib`) on lineages of about 500 and 2,000 nodes, and
// elkjs's layered layout (the library JupyterLab's mermaid already ships) on the same graphs.
// Prints one JSON line: {"<nodes>": {"ours_ms", "crossings", "elk_ms"}}, medians of ROUNDS.
import { readFileSync } from 'fs';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import path from 'path';

const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..'
);
const ROUNDS = Number(process.env.ROUNDS || 5);
// lib/ is an ES module without "type": "module" in package.json: load its text as one
const source = readFileSync(
  path.join(root, 'lib', 'lineage', 'layout.js'),
  'utf8'
);
const { layoutLineage } = await import(
  'data:text/javascript;base64,' + Buffer.from(source).toString('base64')
);

/** The Jest test's lineage: runs in pipelines of 8, fan-in and fan-out, 3 outputs each. */
function bigLineage(runs, seed = 11) {
  let s = seed;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const nodes = [];
  const edges = [];
  const raws = Math.max(2, Math.round((runs * 20) / 120));
  for (let k = 0; k < raws; k++) {
    nodes.push({
      id: `raw${k}`,
      kind: 'file',
      sha256: `raw${k}`,
      path: `raw${k}.csv`
    });
  }
  for (let i = 0; i < runs; i++) {
    nodes.push({ id: `r${i}`, kind: 'run', status: 'succeeded' });
    for (const out of ['model', 'metrics', 'data']) {
      nodes.push({ id: `${out}${i}`, kind: 'file', sha256: `${out}${i}` });
      edges.push({ from: `r${i}`, to: `${out}${i}`, kind: 'output' });
    }
    if (i % 8 === 0 || rand() < 0.15) {
      edges.push({
        from: `raw${Math.floor(rand() * raws)}`,
        to: `r${i}`,
        kind: 'input'
      });
    }
    if (i % 8 !== 0) {
      edges.push({ from: `data${i - 1}`, to: `r${i}`, kind: 'input' });
    }
    if (i > 8 && rand() < 0.3) {
      edges.push({
        from: `data${Math.floor(rand() * (i - 1))}`,
        to: `r${i}`,
        kind: 'input'
      });
    }
  }
  return { root: `r${runs >> 1}`, nodes, edges, truncated: false };
}

const median = xs => [...xs].sort((a, b) => a - b)[xs.length >> 1];

let ELK = null;
try {
  const require = createRequire(path.join(root, 'package.json'));
  ELK = require('elkjs/lib/elk.bundled.js');
} catch {
  ELK = null;
}

const out = {};
for (const runs of [120, 480]) {
  const graph = bigLineage(runs);
  const ours = [];
  let layout = null;
  layoutLineage(graph); // warm-up
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    layout = layoutLineage(graph);
    ours.push(performance.now() - t0);
  }
  let elkMs = null;
  if (ELK) {
    const elk = new ELK();
    const elkGraph = () => ({
      id: 'g',
      layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT' },
      children: graph.nodes.map(n => ({
        id: n.id,
        width: 176,
        height: n.kind === 'run' ? 44 : 32
      })),
      edges: graph.edges.map((e, i) => ({
        id: `e${i}`,
        sources: [e.from],
        targets: [e.to]
      }))
    });
    await elk.layout(elkGraph()); // warm-up
    const times = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      await elk.layout(elkGraph());
      times.push(performance.now() - t0);
    }
    elkMs = median(times);
  }
  out[graph.nodes.length] = {
    ours_ms: median(ours),
    crossings: layout.crossings,
    width: layout.width,
    height: layout.height,
    elk_ms: elkMs
  };
}
console.log(JSON.stringify(out));
