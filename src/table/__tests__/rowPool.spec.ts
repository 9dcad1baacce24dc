import { summary } from '../../__tests__/runFixtures';
import { Column, columnId, TableRun } from '../columns';
import { BodyRow, groupRows } from '../grouping';
import {
  cellMoves,
  fitText,
  focusMove,
  IPoolFrame,
  IPoolLayout,
  poolCapacity,
  RowPool,
  slotOf
} from '../rowPool';
import { columnOffsets } from '../windowing';

const runs = Array.from(
  { length: 300 },
  (_, i) =>
    summary(i, {
      description: `run ${i}`,
      parameters: Object.fromEntries(
        Array.from({ length: 30 }, (_, k) => [`p${k}`, `${i}/${k}`])
      )
    }) as TableRun
);

function layoutOf(columns: Column[]): IPoolLayout {
  const widths = columns.map(c =>
    c.kind === 'field' && c.key === 'name' ? 240 : 120
  );
  return {
    columns,
    widths,
    offsets: columnOffsets(widths),
    ids: columns.map(columnId),
    pin: null
  };
}

const LAYOUT = layoutOf([
  { kind: 'field', key: 'name' },
  ...Array.from({ length: 30 }, (_, k) => ({
    kind: 'param' as const,
    key: `p${k}`
  }))
]);

function frameOf(
  rows: readonly BodyRow[],
  first: number,
  end: number,
  firstCol: number,
  endCol: number,
  selected: Set<string> = new Set()
): IPoolFrame {
  return {
    rows,
    first,
    end,
    firstCol,
    endCol,
    layout: LAYOUT,
    top: 56,
    rowHeight: 28,
    viewWidth: 800,
    check: 32,
    groupBy: null,
    isSelected: id => selected.has(id)
  };
}

/**
 * The rows shown, by run id (not those parked out of sight).
 */
function rowElements(host: HTMLElement): Map<string, Element> {
  return new Map(
    Array.from(
      host.querySelectorAll('[role="row"][data-run-id]:not([aria-hidden])')
    ).map(r => [r.getAttribute('data-run-id')!, r])
  );
}

/**
 * The rows parked out of sight, by the index of their run.
 */
function parkedRows(host: HTMLElement): Map<number, HTMLElement> {
  return new Map(
    Array.from(
      host.querySelectorAll<HTMLElement>('[role="row"][aria-hidden="true"]')
    ).map(r => [runs.findIndex(run => run.id === r.dataset.runId), r])
  );
}

/**
 * A row's selection cell: the first element the row owns (in the pool's sticky selection
 * column, not inside the row), as assistive technology finds it.
 */
function checkCellOf(row: Element): HTMLElement {
  const [id] = (row.getAttribute('aria-owns') ?? '').split(' ');
  const cell = id ? document.getElementById(id) : null;
  expect(cell).not.toBeNull();
  return cell!;
}

/**
 * A row's part at the left edge: its selection cell's (and pinned cell's) element in the
 * pool's sticky column, placed at the row's line.
 */
function leadOf(row: Element): HTMLElement {
  return checkCellOf(row).closest('.jp-Dotscience-table-rowCheck')!;
}

/**
 * A row's checkbox.
 */
function checkboxOf(row: Element): HTMLInputElement {
  return checkCellOf(row).querySelector('input')!;
}

/**
 * The rows in the host (shown or parked).
 */
function rowCount(host: HTMLElement): number {
  return host.querySelectorAll('[role="row"]').length;
}

function textNodes(row: Element): Node[] {
  const walker = document.createTreeWalker(
    row.querySelector('.jp-Dotscience-table-cells') ?? row,
    NodeFilter.SHOW_TEXT
  );
  const found: Node[] = [];
  while (walker.nextNode()) {
    found.push(walker.currentNode);
  }
  return found;
}

function cellTexts(row: Element): string[] {
  return Array.from(row.querySelectorAll('[role="cell"]')).map(
    c => c.textContent ?? ''
  );
}

describe('row pool slots', () => {
  it('gives every line of a window its own slot, the same while it stays in view', () => {
    // Given a pool of 48 slots
    const capacity = poolCapacity(0, 40);
    expect(capacity).toBe(48);
    // When the window [100, 140) moves down 14 lines to [114, 154)
    const before = new Map<number, number>();
    for (let i = 100; i < 140; i++) {
      before.set(i, slotOf(i, capacity));
    }
    const after = new Map<number, number>();
    for (let i = 114; i < 154; i++) {
      after.set(i, slotOf(i, capacity));
    }
    // Then no two lines of a window share a slot
    expect(new Set(before.values()).size).toBe(40);
    expect(new Set(after.values()).size).toBe(40);
    // And the lines in both windows keep their slots
    for (let i = 114; i < 140; i++) {
      expect(after.get(i)).toBe(before.get(i));
    }
    // And a pool only grows
    expect(poolCapacity(48, 20)).toBe(48);
    expect(poolCapacity(48, 49)).toBe(64);
  });

  it('moves only the cells of the columns that leave to the columns that come', () => {
    // When the columns move right by two
    expect(cellMoves([3, 10], [5, 12])).toEqual({
      rewrite: false,
      dropFront: 2,
      dropBack: 0,
      addFront: 0,
      addBack: 2
    });
    // When they move left by one and the window narrows
    expect(cellMoves([3, 10], [2, 8])).toEqual({
      rewrite: false,
      dropFront: 0,
      dropBack: 2,
      addFront: 1,
      addBack: 0
    });
    // When none is in common every cell is rewritten
    expect(cellMoves([3, 10], [20, 26]).rewrite).toBe(true);
  });
});

describe('fitText', () => {
  it('cuts plain text to the characters that fit and leaves other text to the clip', () => {
    // Given cells of a font whose characters are 8 px wide
    // When a text fits in the room, it is shown whole
    expect(fitText('0.25', 107, 8)).toBe('0.25');
    expect(fitText('x'.repeat(13), 104, 8)).toBe('x'.repeat(13));
    // When it does not, it ends with an ellipsis at the width of the room
    const cut = fitText('sweep run 09999 of the table bench', 107, 8)!;
    expect(cut).toBe('sweep run 09\u2026');
    expect(cut.length * 8).toBeLessThanOrEqual(107);
    // When the text is not plain ASCII (wide characters) or the font's width is not
    // known, nothing is cut: the cell clips it
    expect(fitText('学習率 0.1', 107, 8)).toBeNull();
    expect(fitText('abc', 107, 0)).toBeNull();
  });
});

/**
 * A pool drawing into a host element in the document.
 */
function newPool(): { host: HTMLElement; pool: RowPool } {
  const host = document.createElement('div');
  document.body.appendChild(host);
  const pool = new RowPool(host, {
    openRun: jest.fn(),
    check: jest.fn(),
    toggleGroup: jest.fn(),
    reveal: jest.fn()
  });
  return { host, pool };
}

/**
 * The run of a control of the pool (its checkbox or name).
 */
function runOf(el: Element | null): string | null | undefined {
  return (
    (el?.closest('.jp-Dotscience-table-rowCheck') as HTMLElement | null)
      ?.dataset.runId ??
    el?.closest('[role="row"]')?.getAttribute('data-run-id')
  );
}

/**
 * Press key `k` (with Ctrl when `ctrl`) on whatever has the focus.
 *
 * @returns whether the pool took the key (its default was prevented)
 */
function key(k: string, ctrl = false): boolean {
  const event = new KeyboardEvent('keydown', {
    key: k,
    ctrlKey: ctrl,
    bubbles: true,
    cancelable: true
  });
  document.activeElement!.dispatchEvent(event);
  return event.defaultPrevented;
}

describe('RowPool', () => {
  it('draws the lines and columns of the window and reuses elements as it moves', () => {
    // Given a pool drawing runs 0..30 with columns 0..8
    const { host, pool } = newPool();
    const rows = groupRows(runs, null);
    pool.draw(frameOf(rows, 0, 30, 0, 8));
    let drawn = rowElements(host);
    // Then exactly those rows are in the DOM, each with the cells of those columns
    expect(drawn.size).toBe(30);
    const row5 = drawn.get(runs[5].id)!;
    expect(cellTexts(row5)).toEqual([
      'run 5',
      ...Array.from({ length: 7 }, (_, k) => `5/${k}`)
    ]);
    expect((row5 as HTMLElement).style.top).toBe(`${56 + 5 * 28}px`);
    // And its checkbox, named after its run, at its line in the selection column
    const box5 = checkboxOf(row5);
    expect(box5.getAttribute('aria-label')).toBe(`Select run ${runs[5].id}`);
    expect(leadOf(row5).style.top).toBe(`${56 + 5 * 28}px`);
    const row20Before = drawn.get(runs[20].id);
    const texts5 = textNodes(row5);
    box5.focus();
    expect(document.activeElement).toBe(box5);
    // When the window moves down 14 rows
    pool.draw(frameOf(rows, 14, 44, 0, 8));
    drawn = rowElements(host);
    // Then the rows still in view keep their elements, and the new ones are drawn
    expect(drawn.size).toBe(30);
    expect(drawn.has(runs[5].id)).toBe(false);
    expect(drawn.get(runs[20].id)).toBe(row20Before);
    const row40 = drawn.get(runs[40].id)!;
    expect(cellTexts(row40)[3]).toBe('40/2');
    expect((row40 as HTMLElement).style.top).toBe(`${56 + 40 * 28}px`);
    expect(leadOf(row40).style.top).toBe(`${56 + 40 * 28}px`);
    expect(checkboxOf(row40).getAttribute('aria-label')).toBe(
      `Select run ${runs[40].id}`
    );
    expect(row40.className).not.toContain('jp-mod-odd');
    // And the checkbox that had the focus lost it when its element took another run (run
    // 37 holds run 5's slot), so a key press does not tick a run the user did not choose
    expect(rowElements(host).get(runs[37].id)).toBe(row5);
    expect(document.activeElement).not.toBe(box5);
    // And that row shows run 37 through the same text nodes (scrolling makes no new nodes
    // for the garbage collector)
    expect(cellTexts(row5)).toEqual([
      'run 37',
      ...Array.from({ length: 7 }, (_, k) => `37/${k}`)
    ]);
    const texts37 = textNodes(row5);
    expect(texts37).toHaveLength(texts5.length);
    texts37.forEach((node, k) => expect(node).toBe(texts5[k]));
    expect(drawn.get(runs[41].id)!.className).toContain('jp-mod-odd');
    // When the columns move right by three
    const cell = drawn.get(runs[20].id)!.querySelectorAll('[role="cell"]')[5];
    pool.draw(frameOf(rows, 14, 44, 3, 11));
    // Then each row shows columns 3..10, keeping the cells of the columns still in view
    const row20 = rowElements(host).get(runs[20].id)!;
    expect(cellTexts(row20)).toEqual(
      Array.from({ length: 8 }, (_, k) => `20/${k + 2}`)
    );
    expect(row20.querySelectorAll('[role="cell"]')[2]).toBe(cell);
    // (the name's cell, moved to a parameter's column, lost its link button)
    expect(row20.querySelector('.jp-Dotscience-link')).toBeNull();
    expect(textNodes(row20)).toHaveLength(8);
    expect(
      (row20.querySelector('.jp-Dotscience-table-cells') as HTMLElement).style
        .left
    ).toBe(`${32 + 240 + 2 * 120}px`);
    pool.dispose();
    expect(host.children).toHaveLength(0); // the rows and the selection column
    host.remove();
  });

  it('keeps the rows that leave the window in the document, out of sight, while a fling goes on', () => {
    // Given a pool whose 32 slots draw rows 0..32
    const { host, pool } = newPool();
    const rows = groupRows(runs, null);
    pool.draw(frameOf(rows, 0, 32, 0, 8));
    expect(pool.capacity).toBe(32);
    const row3 = rowElements(host).get(runs[3].id)!;
    checkboxOf(row3).focus();
    const changes = new MutationObserver(() => undefined);
    changes.observe(host, { childList: true, subtree: true });
    // When it is flung down 14 rows a step to row 184, and back up to row 2
    const windows: [number, number][] = [];
    for (let first = 14; first <= 184; first += 14) {
      windows.push([first, first + 30]);
    }
    for (let first = 170; first >= 2; first -= 14) {
      windows.push([first, first + 30]);
    }
    for (const [first, end] of windows) {
      pool.draw(frameOf(rows, first, end, 0, 8));
      // Then each step shows exactly the rows of its window, at their places
      const shown = rowElements(host);
      expect(shown.size).toBe(30);
      for (let i = first; i < end; i++) {
        const row = shown.get(runs[i].id) as HTMLElement;
        expect(row.style.top).toBe(`${56 + i * 28}px`);
        // with its own checkbox at its line, beside it
        expect(leadOf(row).style.top).toBe(`${56 + i * 28}px`);
        expect(checkboxOf(row).getAttribute('aria-label')).toBe(
          `Select run ${runs[i].id}`
        );
        expect(leadOf(row).hasAttribute('aria-hidden')).toBe(false);
      }
      // And the rows that left, while their slots are not taken, wait far above the body
      // (where the browser neither paints them nor grows the scrolled area), hidden from
      // screen readers, with the focus taken from them
      for (const [i, row] of parkedRows(host)) {
        expect(i < first || i >= end).toBe(true);
        expect(row.style.top).toBe('-100000px');
        expect(row.contains(document.activeElement)).toBe(false);
        expect(checkboxOf(row)).not.toBe(document.activeElement);
        expect(leadOf(row).getAttribute('aria-hidden')).toBe('true');
      }
      expect(rowCount(host)).toBe(32);
    }
    // And no element was taken out of the document or put in during the fling (each one
    // put back would be a new tree of layout objects for the garbage collector)
    const moves = changes.takeRecords();
    expect(
      moves.reduce((n, m) => n + m.addedNodes.length + m.removedNodes.length, 0)
    ).toBe(0);
    changes.disconnect();
    // When the window moves back over a parked row (the fling ended at rows 2..32)
    const [[p, parked]] = Array.from(parkedRows(host));
    expect(p).toBeGreaterThanOrEqual(32);
    const texts = textNodes(parked);
    pool.draw(frameOf(rows, p - 20, p + 10, 0, 8));
    // Then it is shown again at its place by the same element and text nodes
    expect(rowElements(host).get(runs[p].id)).toBe(parked);
    expect(parked.style.top).toBe(`${56 + p * 28}px`);
    expect(parked.hasAttribute('aria-hidden')).toBe(false);
    expect(cellTexts(parked)[1]).toBe(`${p}/0`);
    textNodes(parked).forEach((node, k) => expect(node).toBe(texts[k]));
    // When the table jumps to row 200
    pool.draw(frameOf(rows, 200, 230, 0, 8));
    // Then no row of the old window waits in the document
    expect(parkedRows(host).size).toBe(0);
    expect(rowCount(host)).toBe(30);
    expect(host.querySelectorAll('.jp-Dotscience-table-rowCheck')).toHaveLength(
      30
    );
    // When the rows change (a filter leaves runs 0..9) and rows 0..10 are drawn, with rows
    // 26 and 27 parked
    pool.draw(frameOf(rows, 14, 44, 0, 8));
    pool.draw(frameOf(rows, 28, 58, 0, 8));
    expect(Array.from(parkedRows(host).keys()).sort()).toEqual([26, 27]);
    pool.draw(frameOf(groupRows(runs.slice(0, 10), null), 0, 10, 0, 8));
    // Then a parked row whose line now holds another run (or none) is taken out
    expect(parkedRows(host).size).toBe(0);
    expect(rowCount(host)).toBe(10);
    expect(host.querySelectorAll('.jp-Dotscience-table-rowCheck')).toHaveLength(
      10
    );
    pool.dispose();
    host.remove();
  });

  it('shows the selection and hands clicks on checkboxes, names and groups over', () => {
    // Given a pool drawing grouped runs with run 1 selected
    const host = document.createElement('div');
    document.body.appendChild(host);
    const handlers = {
      openRun: jest.fn(),
      check: jest.fn(),
      toggleGroup: jest.fn(),
      reveal: jest.fn()
    };
    const pool = new RowPool(host, handlers);
    const small = runs.slice(0, 4).map((run, i) => ({
      ...run,
      parameters: { ...run.parameters, opt: i % 2 ? 'sgd' : 'adam' }
    }));
    const rows = groupRows(small, 'opt');
    const selected = new Set([small[1].id]);
    pool.draw({
      ...frameOf(rows, 0, rows.length, 0, 3, selected),
      groupBy: 'opt'
    });
    // Then the groups' headings say their value and count
    const headings = Array.from(
      host.querySelectorAll('.jp-Dotscience-table-group button')
    ).map(b => b.textContent);
    expect(headings).toEqual(['▼ opt = adam (2)', '▼ opt = sgd (2)']);
    // each in one cell across the row, its button open, its arrow not read out
    const heading = (k: number) =>
      host.querySelectorAll('.jp-Dotscience-table-group')[k];
    const cell = heading(0).firstElementChild!;
    expect(cell.getAttribute('role')).toBe('gridcell');
    expect(cell.getAttribute('aria-colspan')).toBe(
      String(LAYOUT.columns.length + 1)
    );
    expect(cell.querySelector('button')!.getAttribute('aria-expanded')).toBe(
      'true'
    );
    expect(cell.querySelector('button [aria-hidden="true"]')!.textContent).toBe(
      '▼'
    );
    // And run 1's row is selected and its checkbox ticked, run 0's not
    const drawn = rowElements(host);
    const box = (id: string) => checkboxOf(drawn.get(id)!);
    expect(drawn.get(small[1].id)!.getAttribute('aria-selected')).toBe('true');
    expect(box(small[1].id).checked).toBe(true);
    expect(box(small[0].id).checked).toBe(false);
    // When run 0's checkbox is shift-clicked, its name clicked and a heading clicked
    box(small[0].id).dispatchEvent(
      new MouseEvent('click', { bubbles: true, shiftKey: true })
    );
    (
      drawn
        .get(small[2].id)!
        .querySelector('.jp-Dotscience-link') as HTMLElement
    ).click();
    (
      host.querySelectorAll(
        '.jp-Dotscience-table-group button'
      )[1] as HTMLElement
    ).click();
    // Then each is handed over with its run or group
    expect(handlers.check).toHaveBeenCalledWith(small[0].id, true);
    expect(handlers.openRun).toHaveBeenCalledWith(small[2].id);
    expect(handlers.toggleGroup).toHaveBeenCalledWith('sgd');
    // When the selection changes and the pool draws again
    pool.draw({
      ...frameOf(rows, 0, rows.length, 0, 3, new Set([small[0].id])),
      groupBy: 'opt'
    });
    // When the sgd group is collapsed
    pool.draw({
      ...frameOf(groupRows(small, 'opt', new Set(['sgd'])), 0, 4, 0, 3),
      groupBy: 'opt'
    });
    // Then its heading says so
    const sgd = host.querySelector('[data-group="sgd"] button')!;
    expect(sgd.textContent).toBe('▶ opt = sgd (2)');
    expect(sgd.getAttribute('aria-expanded')).toBe('false');
    pool.draw({
      ...frameOf(rows, 0, rows.length, 0, 3, new Set([small[0].id])),
      groupBy: 'opt'
    });
    // Then the ticks follow it
    expect(box(small[0].id).checked).toBe(true);
    expect(box(small[1].id).checked).toBe(false);
    expect(drawn.get(small[1].id)!.className).not.toContain('jp-mod-selected');
    pool.dispose();
    host.remove();
  });

  it('pins the run’s name beside its checkbox, however far the columns scroll', () => {
    // Given a layout pinning the name column, the 30 parameters scrolling
    const params = LAYOUT.columns.slice(1);
    const pinned: IPoolLayout = {
      ...layoutOf(params),
      pin: { column: LAYOUT.columns[0], id: 'field:name', width: 240 }
    };
    const openRun = jest.fn();
    const host = document.createElement('div');
    document.body.appendChild(host);
    const pool = new RowPool(host, {
      openRun,
      check: jest.fn(),
      toggleGroup: jest.fn(),
      reveal: jest.fn()
    });
    const rows = groupRows(runs, null);
    const frame = (firstCol: number, endCol: number): IPoolFrame => ({
      ...frameOf(rows, 0, 10, firstCol, endCol),
      layout: pinned
    });
    // When the first 10 runs are drawn with parameters 0..5
    pool.draw(frame(0, 5));
    const row = rowElements(host).get(runs[3].id)!;
    const lead = leadOf(row);
    const name = () => lead.querySelector('.jp-Dotscience-link')!;
    // Then each row's name is in its part at the left edge (240 px beside the checkbox),
    // column 2 of the grid, read after the checkbox and before the parameters
    expect(name().textContent).toBe('run 3');
    const pin = name().closest('[role="cell"]') as HTMLElement;
    expect(pin.getAttribute('aria-colindex')).toBe('2');
    expect(pin.style.width).toBe('240px');
    expect(
      (host.querySelector('.jp-Dotscience-table-checks') as HTMLElement).style
        .width
    ).toBe('272px');
    const owned = row.getAttribute('aria-owns')!.split(' ');
    expect(owned).toHaveLength(3);
    expect(owned[1]).toBe(pin.id);
    expect(cellTexts(row)).toEqual(['3/0', '3/1', '3/2', '3/3', '3/4']);
    expect(
      Array.from(row.querySelectorAll('[role="cell"]')).map(c =>
        c.getAttribute('aria-colindex')
      )
    ).toEqual(['3', '4', '5', '6', '7']);
    // (the parameters start after the pinned name)
    expect(
      (row.querySelector('.jp-Dotscience-table-cells') as HTMLElement).style
        .left
    ).toBe('272px');
    // When the table scrolls to parameters 20..25
    const text = name().firstChild;
    pool.draw(frame(20, 25));
    // Then the row shows those, and its name is still there, not written again
    expect(cellTexts(row)).toEqual(['3/20', '3/21', '3/22', '3/23', '3/24']);
    expect(name().textContent).toBe('run 3');
    expect(name().firstChild).toBe(text);
    // And a click on the name opens the run; the right arrow from the checkbox reaches it
    (name() as HTMLElement).click();
    expect(openRun).toHaveBeenCalledWith(runs[3].id);
    checkboxOf(row).focus();
    expect(key('ArrowRight')).toBe(true);
    expect(document.activeElement).toBe(name());
    pool.dispose();
    host.remove();
  });

  it('gives assistive technology the rows in the order of their lines, and their places', () => {
    // Given a pool drawing runs 0..30 with columns 0..8
    const { host, pool } = newPool();
    const rows = groupRows(runs, null);
    pool.draw(frameOf(rows, 0, 30, 0, 8));
    // the runs of the rows the body owns, in order, with each row's place and its
    // cells' columns
    const read = () =>
      host
        .getAttribute('aria-owns')!
        .split(' ')
        .map(id => {
          const row = document.getElementById(id)!;
          const check = document.getElementById(
            row.getAttribute('aria-owns')!.split(' ')[0]
          )!;
          return {
            run: runs.findIndex(r => r.id === row.getAttribute('data-run-id')),
            place: Number(row.getAttribute('aria-rowindex')),
            columns: [
              check,
              ...Array.from(row.querySelectorAll('[role="cell"]'))
            ]
              .filter(cell => cell.getAttribute('role') === 'cell')
              .map(cell => Number(cell.getAttribute('aria-colindex')))
          };
        });
    const expected = (first: number, end: number, firstCol: number) =>
      Array.from({ length: end - first }, (_, k) => ({
        run: first + k,
        place: first + k + 2, // the header is row 1
        columns: [1, ...Array.from({ length: 8 }, (_, c) => firstCol + c + 2)]
      }));
    expect(read()).toEqual(expected(0, 30, 0));
    // When it scrolls down 14 lines (slots wrap around: the document's order is now lines
    // 32..43, then 14..31) and 3 columns right
    pool.draw(frameOf(rows, 14, 44, 0, 8));
    const order = Array.from(
      host.querySelectorAll('.jp-Dotscience-table-row:not([aria-hidden])')
    ).map(row => runs.findIndex(r => r.id === row.getAttribute('data-run-id')));
    expect(order.slice(0, 2)).toEqual([32, 33]);
    pool.draw(frameOf(rows, 14, 44, 3, 11));
    // Then the rows are still given in the order of their lines, with their places and
    // columns
    expect(read()).toEqual(expected(14, 44, 3));
    // When the pool is disposed: the body owns nothing
    pool.dispose();
    expect(host.hasAttribute('aria-owns')).toBe(false);
    host.remove();
  });

  it('tints the run under the pointer, its selection cell with its row', () => {
    // Given a pool drawing runs 0..30 with run 4 selected
    const { host, pool } = newPool();
    const rows = groupRows(runs, null);
    const draw = (first: number, selected: string[] = [runs[4].id]) =>
      pool.draw(frameOf(rows, first, first + 30, 0, 8, new Set(selected)));
    draw(0);
    const hovered = () =>
      Array.from(host.querySelectorAll('.jp-mod-hover')).map(el =>
        el.classList.contains('jp-Dotscience-table-rowCheck')
          ? `check ${(el as HTMLElement).dataset.runId}`
          : `row ${el.getAttribute('data-run-id')}`
      );
    const over = (el: Element) =>
      el.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    const row = (i: number) => rowElements(host).get(runs[i].id)!;
    // When the pointer comes onto a cell of run 3
    over(row(3).querySelectorAll('[role="cell"]')[2]);
    // Then run 3's row and its selection cell are tinted, nothing else
    expect(hovered()).toEqual([`check ${runs[3].id}`, `row ${runs[3].id}`]);
    // When it moves onto run 4's selection cell, and run 4 is unselected under it
    over(checkboxOf(row(4)));
    draw(0, []);
    // Then the tint moved with it and stays as the selection changes
    expect(hovered()).toEqual([`check ${runs[4].id}`, `row ${runs[4].id}`]);
    expect(row(4).className).not.toContain('jp-mod-selected');
    // When the window moves on and run 4's row leaves it
    draw(28);
    // Then no row is tinted (the pointer's next move tints the run now under it)
    expect(hovered()).toEqual([]);
    // When the pointer comes onto run 40, then leaves the table
    over(row(40));
    expect(hovered()).toEqual([`check ${runs[40].id}`, `row ${runs[40].id}`]);
    host.dispatchEvent(new MouseEvent('mouseleave'));
    // Then nothing is tinted
    expect(hovered()).toEqual([]);
    pool.dispose();
    host.remove();
  });

  it('is one stop in the tab order, moved through lines and controls by the keys', () => {
    // Given a pool drawing lines 0-19 of 300 runs, lines 0-14 wholly in view, whose
    // `reveal` scrolls as the grid does (a view of 15 lines; 5 more drawn below)
    const host = document.createElement('div');
    document.body.appendChild(host);
    let view = 0;
    const draw = () =>
      pool.draw({
        ...frameOf(groupRows(runs, null), view, Math.min(300, view + 20), 0, 3),
        shown: [view, view + 15]
      });
    const handlers = {
      openRun: jest.fn(),
      check: jest.fn(),
      toggleGroup: jest.fn(),
      reveal: jest.fn((line: number) => {
        view = line < view ? line : Math.max(view, line - 14);
        draw();
      })
    };
    const pool = new RowPool(host, handlers);
    draw();
    const tabbable = () =>
      Array.from(host.querySelectorAll<HTMLElement>('input, button')).filter(
        el => el.tabIndex === 0
      );
    // Then one control of the body is in the tab order: the first run's checkbox
    expect(tabbable()).toHaveLength(1);
    expect(tabbable()[0]).toBeInstanceOf(HTMLInputElement);
    expect(runOf(tabbable()[0])).toBe(runs[0].id);
    // When it has the focus and the down arrow is pressed twice
    tabbable()[0].focus();
    expect(key('ArrowDown')).toBe(true); // the grid does not scroll itself
    key('ArrowDown');
    // Then run 2's checkbox has the focus, and is the one tab stop
    expect(runOf(document.activeElement)).toBe(runs[2].id);
    expect(document.activeElement).toBeInstanceOf(HTMLInputElement);
    expect(tabbable()).toEqual([document.activeElement]);
    // When the right arrow is pressed: its name; down again: the next run's name
    key('ArrowRight');
    expect(document.activeElement!.className).toBe('jp-Dotscience-link');
    expect(runOf(document.activeElement)).toBe(runs[2].id);
    key('ArrowDown');
    expect(document.activeElement!.className).toBe('jp-Dotscience-link');
    expect(runOf(document.activeElement)).toBe(runs[3].id);
    expect(handlers.reveal).not.toHaveBeenCalled();
    // When Page Down is pressed: 14 lines on (a view less one), scrolled into view
    key('Home');
    key('PageDown');
    expect(handlers.reveal).toHaveBeenLastCalledWith(17);
    expect(runOf(document.activeElement)).toBe(runs[17].id);
    expect(document.activeElement).toBeInstanceOf(HTMLInputElement);
    expect(view).toBe(3);
    // When Ctrl+End, then Ctrl+Home
    key('End', true);
    expect(handlers.reveal).toHaveBeenLastCalledWith(299);
    expect(runOf(document.activeElement)).toBe(runs[299].id);
    key('Home', true);
    expect(runOf(document.activeElement)).toBe(runs[0].id);
    expect(view).toBe(0);
    // And up from the first line stays there; other keys are left to the browser
    key('ArrowUp');
    expect(runOf(document.activeElement)).toBe(runs[0].id);
    expect(key('a')).toBe(false);
    expect(tabbable()).toHaveLength(1);
    // When the view moves a little without drawing (lines 2-16 in view) while line 0
    // has the focus: the tab stop stays with the focus
    pool.show([2, 17]);
    expect(runOf(tabbable()[0])).toBe(runs[0].id);
    expect(tabbable()).toEqual([document.activeElement]);
    // and once the focus has left the table, it goes to the first line in view
    (document.activeElement as HTMLElement).blur();
    pool.show([2, 17]);
    expect(tabbable()).toHaveLength(1);
    expect(runOf(tabbable()[0])).toBe(runs[2].id);
    // When the view is scrolled away (by the pointer), the same
    view = 100;
    draw();
    // Then the tab stop is on the first line in view
    expect(tabbable()).toHaveLength(1);
    expect(runOf(tabbable()[0])).toBe(runs[100].id);
    // When a checkbox is clicked into (focused), it is where the keys start from
    checkboxOf(rowElements(host).get(runs[105].id)!).focus();
    key('ArrowDown');
    expect(runOf(document.activeElement)).toBe(runs[106].id);
    pool.dispose();
    host.remove();
  });

  it('keeps the focus on its run when runs arrive above it or it leaves the lines', () => {
    // Given a pool drawing lines 0-19 of 300 runs, 0-14 in view, with the focus on run
    // 5's name, reached from its checkbox with the right arrow
    const host = document.createElement('div');
    document.body.appendChild(host);
    const toHead = jest.fn();
    const pool = new RowPool(host, {
      openRun: jest.fn(),
      check: jest.fn(),
      toggleGroup: jest.fn(),
      reveal: jest.fn(),
      toHead
    });
    const draw = (list: TableRun[]) =>
      pool.draw({
        ...frameOf(groupRows(list, null), 0, 20, 0, 3),
        shown: [0, 15]
      });
    draw(runs);
    checkboxOf(rowElements(host).get(runs[5].id)!).focus();
    key('ArrowRight');
    expect(document.activeElement!.className).toBe('jp-Dotscience-link');
    // When two runs published elsewhere arrive at the top (a live table sorted newest
    // first): run 5 is on line 7 now, its old row shows run 3
    const arrived = [summary(900), summary(901)] as TableRun[];
    draw([...arrived, ...runs]);
    // Then the focus is still on run 5's name, and the down arrow goes to run 6
    expect(runOf(document.activeElement)).toBe(runs[5].id);
    expect(document.activeElement!.className).toBe('jp-Dotscience-link');
    key('ArrowDown');
    expect(runOf(document.activeElement)).toBe(runs[6].id);
    // When the runs are drawn again without run 6 (filtered out, say)
    draw([...arrived, ...runs.filter((_, i) => i !== 6)]);
    // Then no run's control has the focus: a key press acts on nothing unchosen
    expect(host.contains(document.activeElement)).toBe(false);
    // When the focus is put on the first run and the up arrow pressed: the header is asked
    // to take it
    checkboxOf(rowElements(host).get(arrived[0].id)!).focus();
    key('ArrowUp');
    expect(toHead).toHaveBeenCalledTimes(1);
    pool.dispose();
    host.remove();
  });

  it('reads the keys that move the focus', () => {
    expect(focusMove('PageDown', false, 15)).toEqual({ lines: 14 });
    expect(focusMove('PageUp', false, 1)).toEqual({ lines: -1 });
    expect(focusMove('Home', false, 15)).toEqual({ part: 'check' });
    expect(focusMove('End', true, 15)).toEqual({ lines: Infinity });
    expect(focusMove('Enter', false, 15)).toBeNull();
  });
});
