import { assignLayers, layoutLineage } from '../layout';
import { RestWire } from '../../api/rest';

const run = (id: string): RestWire.ILineageNode => ({
  id,
  kind: 'run',
  status: 'succeeded'
});
const file = (id: string): RestWire.ILineageNode => ({
  id,
  kind: 'file',
  sha256: id,
  path: `${id}.csv`
});
const input = (f: string, r: string): RestWire.ILineageEdge => ({
  from: f,
  to: r,
  kind: 'input'
});
const output = (r: string, f: string): RestWire.ILineageEdge => ({
  from: r,
  to: f,
  kind: 'output'
});

function overlaps(layout: ReturnType<typeof layoutLineage>): boolean {
  const n = layout.nodes;
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
        return true;
      }
    }
  }
  return false;
}

describe('lineage layout', () => {
  // up -> raw -> prep(up) ... : upstream run U wrote f1, root R read f1 and raw, wrote f2,
  // downstream D read f2 and wrote f3.
  const graph: RestWire.ILineage = {
    root: 'R',
    nodes: [
      run('R'),
      file('f1'),
      file('raw'),
      run('U'),
      file('f2'),
      run('D'),
      file('f3')
    ],
    edges: [
      input('f1', 'R'),
      input('raw', 'R'),
      output('U', 'f1'),
      output('R', 'f2'),
      input('f2', 'D'),
      output('D', 'f3')
    ],
    truncated: false
  };

  it('puts upstream runs, files, the run, files and downstream runs left to right', () => {
    // Given the graph above
    // When its nodes are put in layers
    const layers = assignLayers(graph);
    // Then they go from the upstream run to the downstream run's output
    expect(layers.get('U')).toBe(0);
    expect(layers.get('f1')).toBe(1);
    expect(layers.get('R')).toBe(2);
    expect(layers.get('f2')).toBe(3);
    expect(layers.get('D')).toBe(4);
    expect(layers.get('f3')).toBe(5);
    // And an input nobody produced sits right before the run that read it
    expect(layers.get('raw')).toBe(1);
  });

  it('gives every edge a left-to-right direction and no two nodes overlap', () => {
    // Given the graph above
    // When it is laid out
    const layout = layoutLineage(graph);
    // Then it has six columns, nodes apart and inside the drawing, edges pointing right
    expect(layout.layers).toBe(6);
    expect(overlaps(layout)).toBe(false);
    for (const e of layout.edges) {
      expect(e.x2).toBeGreaterThan(e.x1);
    }
    for (const n of layout.nodes) {
      expect(n.x + n.width).toBeLessThanOrEqual(layout.width);
      expect(n.y + n.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it('survives a cycle (a run that rewrote the file it read)', () => {
    // Given a run that read and wrote the same content
    const cyclic: RestWire.ILineage = {
      root: 'R',
      nodes: [run('R'), file('h')],
      edges: [input('h', 'R'), output('R', 'h')],
      truncated: false
    };
    // When it is laid out
    const layout = layoutLineage(cyclic);
    // Then both nodes are drawn in two columns, apart
    expect(layout.nodes).toHaveLength(2);
    expect(new Set(layout.nodes.map(n => n.layer)).size).toBe(2);
    expect(overlaps(layout)).toBe(false);
  });

  it('does not overlap nodes in a wide random graph', () => {
    // Given 40 runs each reading two random earlier outputs
    let seed = 7;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const nodes: RestWire.ILineageNode[] = [];
    const edges: RestWire.ILineageEdge[] = [];
    for (let i = 0; i < 40; i++) {
      nodes.push(run(`r${i}`), file(`o${i}`));
      edges.push(output(`r${i}`, `o${i}`));
      for (let k = 0; k < 2 && i > 0; k++) {
        edges.push(input(`o${Math.floor(rand() * i)}`, `r${i}`));
      }
    }
    // When it is laid out
    const layout = layoutLineage({
      root: 'r20',
      nodes,
      edges,
      truncated: false
    });
    // Then nodes are all placed, apart, and edges point right
    expect(layout.nodes).toHaveLength(80);
    expect(overlaps(layout)).toBe(false);
    expect(layout.edges.every(e => e.x2 > e.x1)).toBe(true);
  });
});
