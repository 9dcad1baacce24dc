import { ILineageLayout, layoutLineage } from '../layout';
import { RestWire } from '../../api/rest';

/**
 * A lineage of about 500 nodes like a busy project's: 120 runs in pipelines, each run reading
 * the output of an earlier run (a chain), some reading a shared raw dataset (fan-out) or two
 * earlier outputs (fan-in), and each writing three files.
 */
export function bigLineage(runs = 120, seed = 11): RestWire.ILineage {
  let s = seed;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const nodes: RestWire.ILineageNode[] = [];
  const edges: RestWire.ILineageEdge[] = [];
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
    nodes.push({
      id: `r${i}`,
      kind: 'run',
      status: 'succeeded',
      description: `run ${i}`
    });
    for (const out of ['model', 'metrics', 'data']) {
      const id = `${out}${i}`;
      nodes.push({ id, kind: 'file', sha256: id, path: `${id}.bin` });
      edges.push({ from: `r${i}`, to: id, kind: 'output' });
    }
    if (i % 8 === 0 || rand() < 0.15) {
      edges.push({
        from: `raw${Math.floor(rand() * raws)}`,
        to: `r${i}`,
        kind: 'input'
      });
    }
    if (i % 8 !== 0) {
      // the previous stage of its pipeline
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
  return { root: 'r60', nodes, edges, truncated: false };
}

type Seg = [number, number, number, number];

/** The straight pieces every edge is drawn with (through its bend points, if any). */
export function segments(layout: ILineageLayout): Seg[][] {
  return layout.edges.map(e => {
    const pts: [number, number][] = [
      [e.x1, e.y1],
      ...(e.points ?? []),
      [e.x2, e.y2]
    ];
    const out: Seg[] = [];
    for (let i = 1; i < pts.length; i++) {
      out.push([pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1]]);
    }
    return out;
  });
}

function cross(a: Seg, b: Seg): boolean {
  const o = (
    ax: number,
    ay: number,
    bx: number,
    by: number,
    cx: number,
    cy: number
  ) => Math.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax));
  const [x1, y1, x2, y2] = a;
  const [x3, y3, x4, y4] = b;
  const d1 = o(x3, y3, x4, y4, x1, y1);
  const d2 = o(x3, y3, x4, y4, x2, y2);
  const d3 = o(x1, y1, x2, y2, x3, y3);
  const d4 = o(x1, y1, x2, y2, x4, y4);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

/** Proper crossings between the drawn pieces of different edges. */
export function crossings(layout: ILineageLayout): number {
  const segs = segments(layout);
  let count = 0;
  for (let i = 0; i < segs.length; i++) {
    for (let j = i + 1; j < segs.length; j++) {
      for (const a of segs[i]) {
        for (const b of segs[j]) {
          if (cross(a, b)) {
            count++;
          }
        }
      }
    }
  }
  return count;
}

/** Edges drawn through a node that is not one of their ends. */
export function edgesThroughNodes(layout: ILineageLayout): number {
  const segs = segments(layout);
  let count = 0;
  layout.edges.forEach((e, i) => {
    for (const n of layout.nodes) {
      if (n.node.id === e.edge.from || n.node.id === e.edge.to) {
        continue;
      }
      const box: Seg[] = [
        [n.x, n.y, n.x + n.width, n.y + n.height],
        [n.x, n.y + n.height, n.x + n.width, n.y]
      ];
      if (segs[i].some(s => box.some(d => cross(s, d)))) {
        count++;
      }
    }
  });
  return count;
}

function overlapping(layout: ILineageLayout): number {
  const n = layout.nodes;
  let count = 0;
  for (let i = 0; i < n.length; i++) {
    for (let j = i + 1; j < n.length; j++) {
      const a = n[i];
      const b = n[j];
      if (
        a.x < b.x + b.width &&
        b.x < a.x + a.width &&
        a.y < b.y + b.height &&
        b.y < a.y + a.height
      ) {
        count++;
      }
    }
  }
  return count;
}

describe('lineage layout at 500 nodes', () => {
  const graph = bigLineage();

  it('has the graph the numbers are about', () => {
    // Given the generated lineage
    // Then it has about 500 nodes with chains, fan-in and fan-out
    expect(graph.nodes.length).toBeGreaterThanOrEqual(490);
    expect(graph.nodes.length).toBeLessThanOrEqual(510);
    expect(graph.edges.length).toBeGreaterThan(480);
  });

  it('stays readable: few crossings, no edge through a node, no overlap, bounded size', () => {
    // Given the 500-node lineage
    // When it is laid out
    const layout = layoutLineage(graph);
    const numbers = {
      crossings: crossings(layout),
      throughNodes: edgesThroughNodes(layout),
      overlaps: overlapping(layout),
      width: layout.width,
      height: layout.height
    };
    // Then no two nodes overlap and no edge is drawn across a node it does not touch
    expect(numbers.overlaps).toBe(0);
    expect(numbers.throughNodes).toBe(0);
    // And edges cross less than once per two edges (the layered layout without crossing
    // reduction or bend points drew 2,071 crossings and 467 edges across nodes here)
    expect(numbers.crossings).toBeLessThan(graph.edges.length / 2);
    // And the drawing is no taller than its busiest layer needs and not a strip
    // 40,000 px long: at most 12,000 px on either side
    expect(numbers.height).toBeLessThan(12000);
    expect(numbers.width).toBeLessThan(12000);
  });
});
