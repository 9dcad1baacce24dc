/**
 * Layered left-to-right layout of a lineage graph: upstream runs, the files they wrote,
 * the run, the files it wrote, the runs that read them.
 */
import { RestWire } from '../api/rest';

/**
 * A placed node.
 */
export interface IPlacedNode {
  node: RestWire.ILineageNode;
  layer: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * A placed edge, from the right side of one node to the left side of another.
 */
export interface IPlacedEdge {
  edge: RestWire.ILineageEdge;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** bend points between the ends, left to right (an edge that spans layers) */
  points?: [number, number][];
}

/**
 * A laid out graph.
 */
export interface ILineageLayout {
  nodes: IPlacedNode[];
  edges: IPlacedEdge[];
  width: number;
  height: number;
  layers: number;
  /** edge crossings between neighbouring layers left after crossing reduction */
  crossings: number;
}

/**
 * Sizes used by the layout.
 */
export const LAYOUT = {
  nodeWidth: 176,
  runHeight: 44,
  fileHeight: 32,
  columnGap: 56,
  rowGap: 14,
  margin: 8
};

/**
 * The layer of every node: each edge goes from a lower layer to a higher one (edges that
 * close a cycle are ignored), and nodes without predecessors sit just before their first
 * successor so an input file is drawn next to the run that read it.
 *
 * @param graph nodes and edges
 * @returns node id to layer (0 is leftmost)
 */
export function assignLayers(graph: RestWire.ILineage): Map<string, number> {
  const ids = graph.nodes.map(n => n.id);
  const known = new Set(ids);
  const succ = new Map<string, string[]>(ids.map(id => [id, []]));
  const pred = new Map<string, string[]>(ids.map(id => [id, []]));
  // Break cycles: keep only edges that are not back edges of a depth-first search.
  const state = new Map<string, 1 | 2>();
  const out = new Map<string, string[]>(ids.map(id => [id, []]));
  for (const e of graph.edges) {
    if (known.has(e.from) && known.has(e.to) && e.from !== e.to) {
      out.get(e.from)!.push(e.to);
    }
  }
  const visit = (start: string) => {
    const stack: [string, number][] = [[start, 0]];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [id, i] = top;
      const next = out.get(id)!;
      if (i >= next.length) {
        state.set(id, 2);
        stack.pop();
        continue;
      }
      top[1] = i + 1;
      const to = next[i];
      if (state.get(to) === 1) {
        continue; // back edge
      }
      succ.get(id)!.push(to);
      pred.get(to)!.push(id);
      if (!state.has(to)) {
        state.set(to, 1);
        stack.push([to, 0]);
      }
    }
  };
  // Start from the root so its own edges are kept when a cycle must be broken.
  const order = [graph.root, ...ids.filter(id => id !== graph.root)];
  order.filter(id => known.has(id)).forEach(id => state.has(id) || visit(id));

  // Longest path from the sources, in topological order (Kahn).
  const layer = new Map<string, number>();
  const indegree = new Map(ids.map(id => [id, pred.get(id)!.length]));
  const queue = ids.filter(id => indegree.get(id) === 0);
  const topo: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    topo.push(id);
    const l = Math.max(-1, ...pred.get(id)!.map(p => layer.get(p)!)) + 1;
    layer.set(id, l);
    for (const s of succ.get(id)!) {
      indegree.set(s, indegree.get(s)! - 1);
      if (indegree.get(s) === 0) {
        queue.push(s);
      }
    }
  }
  // Pull sources right, next to their nearest successor.
  for (const id of [...topo].reverse()) {
    const next = succ.get(id)!;
    if (pred.get(id)!.length === 0 && next.length) {
      layer.set(id, Math.min(...next.map(s => layer.get(s)!)) - 1);
    }
  }
  // Drop empty layers.
  const used = [...new Set(layer.values())].sort((a, b) => a - b);
  const rank = new Map(used.map((l, i) => [l, i]));
  layer.forEach((l, id) => layer.set(id, rank.get(l)!));
  return layer;
}

/**
 * Proper crossings between edges of neighbouring layers for an order of every layer.
 *
 * @param order the ids of each layer, top to bottom
 * @param down for each id, the ids it links to in the next layer
 * @returns how many pairs of edges cross
 */
export function countCrossings(
  order: string[][],
  down: Map<string, string[]>
): number {
  let total = 0;
  for (let l = 0; l + 1 < order.length; l++) {
    const below = new Map(order[l + 1].map((id, i) => [id, i]));
    const ends: [number, number][] = [];
    order[l].forEach((id, i) =>
      (down.get(id) ?? []).forEach(t => {
        const j = below.get(t);
        if (j !== undefined) {
          ends.push([i, j]);
        }
      })
    );
    ends.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    // inversions of the lower ends (a Fenwick tree over the next layer's positions)
    const tree = new Array(order[l + 1].length + 1).fill(0);
    let seen = 0;
    for (const [, j] of ends) {
      let le = 0;
      for (let k = j + 1; k > 0; k -= k & -k) {
        le += tree[k];
      }
      total += seen - le;
      for (let k = j + 1; k < tree.length; k += k & -k) {
        tree[k]++;
      }
      seen++;
    }
  }
  return total;
}

/**
 * Place items of one layer as near their wanted centres as their order and gaps allow
 * (least squares, by pooling adjacent violators).
 *
 * @param want the wanted centre of each item, in order
 * @param gap the least distance between the centres of item i and item i + 1
 * @returns the centres
 */
function placeInOrder(want: number[], gap: number[]): number[] {
  const shift = [0];
  for (let i = 1; i < want.length; i++) {
    shift.push(shift[i - 1] + gap[i - 1]);
  }
  const blocks: { sum: number; count: number }[] = [];
  want.forEach((w, i) => {
    blocks.push({ sum: w - shift[i], count: 1 });
    while (
      blocks.length > 1 &&
      blocks[blocks.length - 2].sum / blocks[blocks.length - 2].count >=
        blocks[blocks.length - 1].sum / blocks[blocks.length - 1].count
    ) {
      const last = blocks.pop()!;
      blocks[blocks.length - 1].sum += last.sum;
      blocks[blocks.length - 1].count += last.count;
    }
  });
  const out: number[] = [];
  for (const b of blocks) {
    for (let k = 0; k < b.count; k++) {
      out.push(b.sum / b.count + shift[out.length]);
    }
  }
  return out;
}

/**
 * Swap neighbours in a layer while that removes crossings with both adjacent layers.
 *
 * @param order the ids of each layer, top to bottom (changed in place)
 * @param position each id's index in its layer (kept in step)
 * @param up for each id, the ids it links to in the previous layer
 * @param down for each id, the ids it links to in the next layer
 */
function transpose(
  order: string[][],
  position: Map<string, number>,
  up: Map<string, string[]>,
  down: Map<string, string[]>
): void {
  // crossings between the edges of u and of v (u above v) on one side
  const pair = (u: string, v: string, side: Map<string, string[]>) => {
    let c = 0;
    for (const a of side.get(u) ?? []) {
      const pa = position.get(a)!;
      for (const b of side.get(v) ?? []) {
        if (pa > position.get(b)!) {
          c++;
        }
      }
    }
    return c;
  };
  for (let round = 0; round < 4; round++) {
    let improved = false;
    for (const ids of order) {
      for (let i = 0; i + 1 < ids.length; i++) {
        const u = ids[i];
        const v = ids[i + 1];
        const now = pair(u, v, up) + pair(u, v, down);
        const swapped = pair(v, u, up) + pair(v, u, down);
        if (swapped < now) {
          ids[i] = v;
          ids[i + 1] = u;
          position.set(v, i);
          position.set(u, i + 1);
          improved = true;
        }
      }
    }
    if (!improved) {
      break;
    }
  }
}

/** Gap between an edge passing through a layer and its neighbours. */
const LANE = 10;
/** Sweeps of the crossing reduction (the best order seen is kept). */
const SWEEPS = 24;

/**
 * Lay out a lineage graph left to right (layered, Sugiyama style): layers by longest path,
 * a bend point in every layer an edge passes, crossings reduced by barycentre sweeps (the
 * order with the fewest crossings is kept), and each node placed near the mean height of
 * its neighbours without overlapping.
 *
 * @param graph nodes and edges from the server
 * @returns positions of nodes and edges, and the drawing's size
 */
export function layoutLineage(graph: RestWire.ILineage): ILineageLayout {
  const layerOf = assignLayers(graph);
  const count = graph.nodes.length
    ? Math.max(...graph.nodes.map(n => layerOf.get(n.id) ?? 0)) + 1
    : 0;
  const byId = new Map(graph.nodes.map(n => [n.id, n]));
  const order: string[][] = Array.from({ length: count }, () => []);
  graph.nodes.forEach(n => order[layerOf.get(n.id) ?? 0].push(n.id));

  // Edges that span layers pass through a bend point in each layer between their ends.
  const down = new Map<string, string[]>();
  const up = new Map<string, string[]>();
  const link = (a: string, b: string) => {
    (down.get(a) ?? down.set(a, []).get(a)!).push(b);
    (up.get(b) ?? up.set(b, []).get(b)!).push(a);
  };
  const bends = new Map<number, string[]>();
  graph.edges.forEach((e, i) => {
    const la = layerOf.get(e.from);
    const lb = layerOf.get(e.to);
    if (la === undefined || lb === undefined || lb <= la) {
      return; // an unknown end, or an edge closing a cycle: drawn straight
    }
    let prev = e.from;
    const ids: string[] = [];
    for (let l = la + 1; l < lb; l++) {
      const id = `\u0000bend:${i}:${l}`;
      order[l].push(id);
      ids.push(id);
      link(prev, id);
      prev = id;
    }
    link(prev, e.to);
    bends.set(i, ids);
  });

  // Crossing reduction: barycentre sweeps down and up, keeping the best order.
  const position = new Map<string, number>();
  const place = (l: number) => order[l].forEach((id, i) => position.set(id, i));
  order.forEach((_, l) => place(l));
  const copy = () => order.map(o => [...o]);
  let best = copy();
  let fewest = countCrossings(order, down);
  for (let s = 0; s < SWEEPS && fewest > 0; s++) {
    const downward = s % 2 === 0;
    const start = downward ? 1 : count - 2;
    for (let l = start; l >= 0 && l < count; l += downward ? 1 : -1) {
      const near = downward ? up : down;
      const scored = order[l].map(id => {
        const ps = (near.get(id) ?? []).map(m => position.get(m)!);
        return {
          id,
          s: ps.length
            ? ps.reduce((a, b) => a + b, 0) / ps.length
            : position.get(id)!
        };
      });
      scored.sort((a, b) => a.s - b.s);
      order[l] = scored.map(e => e.id);
      place(l);
    }
    transpose(order, position, up, down);
    const now = countCrossings(order, down);
    if (now < fewest) {
      fewest = now;
      best = copy();
    }
  }
  best.forEach((o, l) => (order[l] = o));

  // Heights: each node near the mean of its neighbours, in order, without overlaps.
  const heightOf = (id: string) => {
    const n = byId.get(id);
    return !n ? 0 : n.kind === 'run' ? LAYOUT.runHeight : LAYOUT.fileHeight;
  };
  const centre = new Map<string, number>();
  const stack = (l: number, want: number[]) => {
    const ids = order[l];
    const gap = ids.slice(1).map((id, i) => {
      const a = ids[i];
      const both = byId.has(a) && byId.has(id);
      return (heightOf(a) + heightOf(id)) / 2 + (both ? LAYOUT.rowGap : LANE);
    });
    placeInOrder(want, gap).forEach((y, i) => centre.set(ids[i], y));
  };
  order.forEach((ids, l) =>
    stack(
      l,
      ids.map(() => 0)
    )
  );
  for (let pass = 0; pass < 8; pass++) {
    const downward = pass % 2 === 0;
    for (
      let l = downward ? 1 : count - 2;
      l >= 0 && l < count;
      l += downward ? 1 : -1
    ) {
      const near = downward ? up : down;
      stack(
        l,
        order[l].map(id => {
          const ys = [
            ...(near.get(id) ?? []),
            ...(pass > 3 ? ((downward ? down : up).get(id) ?? []) : [])
          ].map(m => centre.get(m)!);
          return ys.length
            ? ys.reduce((a, b) => a + b, 0) / ys.length
            : centre.get(id)!;
        })
      );
    }
  }
  let top = Infinity;
  let bottom = -Infinity;
  centre.forEach((y, id) => {
    top = Math.min(top, y - heightOf(id) / 2);
    bottom = Math.max(bottom, y + heightOf(id) / 2);
  });
  const offset = count ? LAYOUT.margin - top : 0;
  const xOf = (l: number) =>
    LAYOUT.margin + l * (LAYOUT.nodeWidth + LAYOUT.columnGap);

  const placed = new Map<string, IPlacedNode>();
  order.forEach((ids, l) => {
    for (const id of ids) {
      const node = byId.get(id);
      if (node) {
        const height = heightOf(id);
        placed.set(id, {
          node,
          layer: l,
          x: xOf(l),
          y: centre.get(id)! + offset - height / 2,
          width: LAYOUT.nodeWidth,
          height
        });
      }
    }
  });
  const edges: IPlacedEdge[] = [];
  graph.edges.forEach((edge, i) => {
    const a = placed.get(edge.from);
    const b = placed.get(edge.to);
    if (!a || !b) {
      return;
    }
    const points: [number, number][] = [];
    for (const id of bends.get(i) ?? []) {
      const l = layerOf.get(edge.from)! + points.length / 2 + 1;
      const y = centre.get(id)! + offset;
      points.push([xOf(l), y], [xOf(l) + LAYOUT.nodeWidth, y]);
    }
    edges.push({
      edge,
      x1: a.x + a.width,
      y1: a.y + a.height / 2,
      x2: b.x,
      y2: b.y + b.height / 2,
      ...(points.length ? { points } : {})
    });
  });
  return {
    nodes: graph.nodes.map(n => placed.get(n.id)!),
    edges,
    width:
      count * LAYOUT.nodeWidth +
      Math.max(0, count - 1) * LAYOUT.columnGap +
      2 * LAYOUT.margin,
    height: count ? bottom - top + 2 * LAYOUT.margin : 0,
    layers: count,
    crossings: fewest
  };
}
