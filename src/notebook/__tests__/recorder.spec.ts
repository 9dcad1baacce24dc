import { DeclaringCells, usesMagic } from '../badges';
import { CellRecorder } from '../recorder';
import { sha256Hex } from '../sha256';

const cell = (id: string, source: string, count: number | null) => ({
  node: document.createElement('div'),
  model: {
    id,
    type: 'code',
    executionCount: count,
    sharedModel: { getSource: () => source }
  }
});

describe('sha256Hex', () => {
  it('matches known digests', () => {
    // Given the empty text, "abc" and non-ASCII text / Then the digests are SHA-256's
    expect(sha256Hex('')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    );
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    );
    expect(sha256Hex('é'.repeat(100))).toHaveLength(64);
  });
});

describe('CellRecorder', () => {
  it('records executions that ran, not the ones that did not', () => {
    // Given a notebook with two cells
    const order = ['a', 'b'];
    const rec = new CellRecorder(id => order.indexOf(id));
    const a = cell('a', 'x = 1', null);
    const b = cell('b', '', 3);
    // When both are run but only "a" gets a new execution count
    rec.scheduled(a);
    rec.scheduled(b);
    (a.model as any).executionCount = 4;
    rec.executed(a, true);
    rec.executed(b, true);
    // Then only "a" is recorded, with its source hash
    expect(rec.executions).toHaveLength(1);
    expect(rec.executions[0]).toMatchObject({
      cell_id: 'a',
      index: 0,
      execution_count: 4,
      success: true,
      source_sha256: sha256Hex('x = 1')
    });
  });

  it('gives the last run of each cell since a time, in notebook order', async () => {
    // Given a notebook of three cells and a clock the test moves
    const order = ['a', 'b', 'c'];
    const rec = new CellRecorder(id => order.indexOf(id));
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    const run = (c: any, n: number) => {
      rec.scheduled(c);
      c.model.executionCount = n;
      now += 10;
      rec.executed(c, true);
      now += 10;
    };
    const [a, b, c] = [
      cell('a', '1', null),
      cell('b', '2', null),
      cell('c', '3', null)
    ];
    // When c runs before a run starts, then b, a and b again after it
    run(c, 1);
    const since = new Date(now).toISOString();
    now += 10;
    run(b, 2);
    run(a, 3);
    run(b, 4);
    clock.mockRestore();
    // Then the run's cells are a and b's last execution, in notebook order
    const cells = rec.cellsSince(since);
    expect(cells.map(x => [x.cell_id, x.execution_count])).toEqual([
      ['a', 3],
      ['b', 4]
    ]);
  });
});

describe('DeclaringCells', () => {
  it('badges cells the kernel reported and cells using the magic', () => {
    // Given four cells, two reported by the kernel (one by execution count only), one
    // using the %ds magic
    const d = new DeclaringCells();
    const cells = [
      cell('a', 'ds.metric(1)', 1),
      cell('b', '%ds param k=1', 2),
      cell('c', 'print(1)', 3),
      cell('d', 'x', 7)
    ];
    d.add([
      { cell_id: 'a', count: 1 },
      { cell_id: null, count: 7 }
    ]);
    // When the badges are applied
    d.apply(cells);
    // Then the reported cells and the magic cell carry the badge, the other does not
    expect(
      cells.map(c => c.node.classList.contains('jp-Dotscience-declaringCell'))
    ).toEqual([true, true, false, true]);
    expect(usesMagic('%%ds run\nx')).toBe(true);
    expect(usesMagic('y = "%ds"')).toBe(false);
  });
});
