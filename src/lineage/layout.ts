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
 * Lay out a lineage graph left to right.
 *
 * @param graph nodes and edges from the server
 * @returns positions of nodes and edges, and the drawing's size
 */
export function layoutLineage(graph: RestWire.ILineage): ILineageLayout {
  const layerOf = assignLayers(graph);
  const count = graph.nodes.length
    ? Math.max(...graph.nodes.map(n => layerOf.get(n.id) ?? 0)) + 1
    : 0;
  const columns: RestWire.ILineageNode[][] = Array.from(
    { length: count },
    () => []
  );
  graph.nodes.forEach(n => columns[layerOf.get(n.id) ?? 0].push(n));

  // Order each column by the mean position of its neighbours in the previous column
  // (two sweeps), which removes most crossings in these mostly tree-like graphs.
  const position = new Map<string, number>();
  const neighbours = new Map<string, string[]>(
    graph.nodes.map(n => [n.id, []])
  );
  for (const e of graph.edges) {
    neighbours.get(e.from)?.push(e.to);
    neighbours.get(e.to)?.push(e.from);
  }
  const place = (column: RestWire.ILineageNode[]) =>
    column.forEach((n, i) => position.set(n.id, i));
  const sweep = (from: number, to: number, step: number) => {
    for (let c = from; c !== to; c += step) {
      const prev = c - step;
      const score = (n: RestWire.ILineageNode) => {
        const ps = neighbours
          .get(n.id)!
          .filter(m => layerOf.get(m) === prev)
          .map(m => position.get(m)!);
        return ps.length
          ? ps.reduce((a, b) => a + b, 0) / ps.length
          : position.get(n.id)!;
      };
      const scored = columns[c].map(n => ({ n, s: score(n) }));
      scored.sort((a, b) => a.s - b.s);
      columns[c] = scored.map(e => e.n);
      place(columns[c]);
    }
  };
  columns.forEach(place);
  if (count > 1) {
    // (a graph of no nodes, e.g. one whose root the server left out, has no columns)
    sweep(1, count, 1);
    sweep(count - 2, -1, -1);
  }

  const heightOf = (n: RestWire.ILineageNode) =>
    n.kind === 'run' ? LAYOUT.runHeight : LAYOUT.fileHeight;
  const columnHeight = (column: RestWire.ILineageNode[]) =>
    column.reduce((h, n) => h + heightOf(n), 0) +
    Math.max(0, column.length - 1) * LAYOUT.rowGap;
  const tallest = Math.max(0, ...columns.map(columnHeight));
  const placed = new Map<string, IPlacedNode>();
  columns.forEach((column, c) => {
    let y = LAYOUT.margin + (tallest - columnHeight(column)) / 2;
    const x = LAYOUT.margin + c * (LAYOUT.nodeWidth + LAYOUT.columnGap);
    for (const node of column) {
      const height = heightOf(node);
      placed.set(node.id, {
        node,
        layer: c,
        x,
        y,
        width: LAYOUT.nodeWidth,
        height
      });
      y += height + LAYOUT.rowGap;
    }
  });
  const edges: IPlacedEdge[] = [];
  for (const edge of graph.edges) {
    const a = placed.get(edge.from);
    const b = placed.get(edge.to);
    if (!a || !b) {
      continue;
    }
    edges.push({
      edge,
      x1: a.x + a.width,
      y1: a.y + a.height / 2,
      x2: b.x,
      y2: b.y + b.height / 2
    });
  }
  return {
    nodes: graph.nodes.map(n => placed.get(n.id)!),
    edges,
    width:
      count * LAYOUT.nodeWidth +
      Math.max(0, count - 1) * LAYOUT.columnGap +
      2 * LAYOUT.margin,
    height: tallest + 2 * LAYOUT.margin,
    layers: count
  };
}
