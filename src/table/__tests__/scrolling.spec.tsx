import { act, fireEvent, render } from '@testing-library/react';
import { UseSignal } from '@jupyterlab/ui-components';
import React from 'react';
import { IRunsAPI } from '../../api/runs';
import { RestWire } from '../../api/rest';
import { summary } from '../../__tests__/runFixtures';
import { headMove, keptLine, RunsTable } from '../RunsTable';
import { BodyRow } from '../grouping';
import { RunsTableModel } from '../tableModel';
import { followWindow } from '../windowing';
import { EMPTY_VIEW } from '../view';

const HEADER = 56; // the header row's height (two lines: titles and filter boxes)
const ROW = 28;
const VIEW = { width: 800, height: 560 };

const runs = Array.from({ length: 2000 }, (_, i) =>
  summary(i, {
    description: `run ${i} ${'with a long description '.repeat(3)}`,
    parameters: Object.fromEntries(
      Array.from({ length: 60 }, (_, k) => [`p${k}`, String(i + k)])
    )
  })
);

/**
 * A server holding `held` (as they are when asked), paged with a cursor.
 */
function servedBy(held: RestWire.IRunSummary[]): IRunsAPI {
  return {
    async listRuns(
      _query: unknown,
      limit: number,
      cursor: string | null
    ): Promise<RestWire.IRunPage> {
      const start = cursor ? Number(cursor) : 0;
      return {
        runs: held.slice(start, start + limit),
        next_cursor: start + limit < held.length ? String(start + limit) : null,
        total: held.length
      };
    },
    async listProjects(): Promise<RestWire.IProject[]> {
      return [];
    }
  } as unknown as IRunsAPI;
}

/**
 * A server holding the runs above.
 */
const api = servedBy(runs);

/**
 * The Runs table on every run (one page) with 60 parameter columns, drawn in an
 * 800 x 560 viewport; with `pageSize`, on a page of that many runs at a time, with the
 * default columns.
 */
async function drawTable(pageSize?: number): Promise<{
  grid: HTMLElement;
  container: HTMLElement;
  model: RunsTableModel;
}> {
  const model = new RunsTableModel({
    api,
    pageSize: pageSize ?? runs.length
  });
  await model.list.refresh();
  if (pageSize === undefined) {
    model.setColumns([
      { kind: 'field', key: 'name' },
      ...Array.from({ length: 60 }, (_, k) => ({
        kind: 'param' as const,
        key: `p${k}`
      }))
    ]);
  }
  const { container } = render(
    <RunsTable
      model={model}
      actions={{ openRun: jest.fn(), compare: null, diff: null }}
      initialSize={VIEW}
    />
  );
  const grid = container.querySelector('[role="grid"]') as HTMLElement;
  return { grid, container, model };
}

/**
 * The indexes of the runs whose rows are in the DOM.
 */
function drawnRows(container: HTMLElement): number[] {
  return Array.from(
    container.querySelectorAll('[role="row"][data-run-id]:not([aria-hidden])')
  )
    .map(row => Number(row.getAttribute('data-run-id')!.slice(-12)))
    .sort((a, b) => a - b);
}

/**
 * The rows a viewport scrolled to `top` shows below the header.
 */
function rowsInView(top: number): number[] {
  const first = Math.floor(top / ROW);
  const end = Math.ceil((top + VIEW.height - HEADER) / ROW);
  return Array.from({ length: end - first }, (_, i) => first + i);
}

/**
 * The columns whose headers are in the DOM, by id.
 */
function headerColumns(container: HTMLElement): (string | null)[] {
  return Array.from(
    container.querySelectorAll('[role="columnheader"][data-column]')
  ).map(h => h.getAttribute('data-column'));
}

/**
 * The parameters (by number) a viewport scrolled sideways to `left` shows: the name
 * column is 240 px wide, the parameters 120 px; the selection column takes 32 px.
 */
function paramsInView(left: number): number[] {
  const first = Math.max(0, Math.floor((left - 240) / 120));
  const last = Math.min(
    59,
    Math.floor((left + VIEW.width - 32 - 1 - 240) / 120)
  );
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/**
 * Scroll the grid as the browser does: the position changes, then a native scroll event
 * is dispatched (outside React's act, as in a real frame).
 */
function scrollTo(grid: HTMLElement, top: number, left = 0): void {
  grid.scrollTop = top;
  grid.scrollLeft = left;
  grid.dispatchEvent(new Event('scroll'));
}

/**
 * Replace the browser's ResizeObserver with one the test tells of a resize (each callback
 * given to it goes into `observers`).
 *
 * @returns the real one, to put back
 */
function fakeResizeObserver(observers: (() => void)[]): unknown {
  const real = (globalThis as any).ResizeObserver;
  (globalThis as any).ResizeObserver = class {
    constructor(callback: () => void) {
      observers.push(callback);
    }
    observe(): void {
      /* told by the test */
    }
    disconnect(): void {
      /* nothing held */
    }
  };
  return real;
}

/**
 * Silence React's "not wrapped in act" notice in a describe block: its tests scroll and
 * resize as a browser frame does, outside act.
 */
function quietActNotices(): void {
  let errors: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => errors.mockRestore());
}

describe('scrolling the Runs table', () => {
  quietActNotices();

  it('draws the rows at a new scroll position in the scroll event itself', async () => {
    // Given the table of 2,000 runs at the top
    const { grid, container, model } = await drawTable();
    expect(drawnRows(container)).toContain(0);
    // When the browser scrolls it to row 1,000 and fires the scroll event
    scrollTo(grid, 1000 * ROW);
    // Then, before anything else runs (the frame that shows this position is painted
    // next), every row in view is in the DOM
    const drawn = drawnRows(container);
    for (const row of rowsInView(1000 * ROW)) {
      expect(drawn).toContain(row);
    }
    // And rows far from the view are not
    expect(drawn.every(i => i >= 990 && i < 1060)).toBe(true);
    model.dispose();
  });

  it('draws the rows a steady fling reaches next before the frame shows them', async () => {
    // Given the table at the top
    const { grid, container, model } = await drawTable();
    // When it is flung down 400 px a frame (14 rows a step), then sideways 250 px a frame
    let top = 0;
    for (let step = 1; step <= 12; step++) {
      top = step * 400;
      scrollTo(grid, top);
      // Then after each step's scroll event the rows of the next step's view are already
      // drawn (the browser moves the view before the next scroll event is handled)
      const drawn = drawnRows(container);
      const missing = rowsInView(top + 400).filter(r => !drawn.includes(r));
      expect({ step, missing }).toEqual({ step, missing: [] });
    }
    for (let step = 1; step <= 8; step++) {
      const left = step * 250;
      scrollTo(grid, top, left);
      // Then the columns of the next step's view are drawn too
      const headers = headerColumns(container);
      for (const k of paramsInView(left + 250)) {
        expect({ step, has: headers.includes(`param:p${k}`) }).toEqual({
          step,
          has: true
        });
      }
      // And each row has a cell under each heading: the run's name pinned at the left
      // edge (beside its checkbox, however far the table is scrolled) and the others
      const firstRow = container.querySelector(
        '[role="row"][data-run-id]'
      ) as HTMLElement;
      const id = firstRow.getAttribute('data-run-id');
      const lead = container.querySelector(
        `.jp-Dotscience-table-rowCheck[data-run-id="${id}"]`
      ) as HTMLElement;
      expect(headers[0]).toBe('field:name');
      expect(grid.getAttribute('aria-colcount')).toBe(
        String(model.columns.length + 1)
      );
      expect(lead.querySelector('.jp-Dotscience-link')?.textContent).toMatch(
        /^run \d+/
      );
      expect(
        firstRow.querySelectorAll('[role="cell"]').length +
          lead.querySelectorAll('.jp-Dotscience-table-td').length
      ).toBe(headers.length);
    }
    model.dispose();
  });

  it('shows no blank frame when a fling turns back', async () => {
    // Given the table flung down 400 px a frame to 4,000 px
    const { grid, container, model } = await drawTable();
    for (let step = 1; step <= 10; step++) {
      scrollTo(grid, step * 400);
    }
    // When the fling turns back (the browser shows 3,600 px before its scroll event)
    // Then the rows of that view are already drawn: the last view's rows were kept
    let drawn = drawnRows(container);
    expect(rowsInView(3600).filter(r => !drawn.includes(r))).toEqual([]);
    // And so on up: each step back finds the rows of the next one drawn
    for (let top = 3600; top > 2000; top -= 400) {
      scrollTo(grid, top);
      drawn = drawnRows(container);
      expect({
        top,
        missing: rowsInView(top - 400).filter(r => !drawn.includes(r))
      }).toEqual({ top, missing: [] });
    }
    // And sideways the same: flung right 250 px a frame, then turning back left
    for (let step = 1; step <= 8; step++) {
      scrollTo(grid, 2000, step * 250);
    }
    const headers = headerColumns(container);
    for (const k of paramsInView(7 * 250)) {
      expect({ k, has: headers.includes(`param:p${k}`) }).toEqual({
        k,
        has: true
      });
    }
    model.dispose();
  });

  it('keeps its row elements while flung down through pages arriving and a run ticked, with the default columns', async () => {
    // Given the table with its default columns, loaded a page of 100 runs at a time
    const { grid, container, model } = await drawTable(100);
    const body = container.querySelector(
      '[role="row"][data-run-id]'
    )!.parentElement!;
    let moved = 0;
    const count = (records: MutationRecord[]) => {
      for (const m of records) {
        moved += m.addedNodes.length + m.removedNodes.length;
      }
    };
    const changes = new MutationObserver(count);
    // When it is flung down 400 px a step (no further than the runs loaded, as a browser
    // scrolls), each step's pages arriving before the next, and a run in view is ticked
    // on the way
    let top = 0;
    for (let step = 1; step <= 20; step++) {
      if (step === 3) {
        changes.observe(body, { childList: true }); // the pool is full by now
      }
      const end = HEADER + model.rows.length * ROW - VIEW.height;
      top = Math.min(top + 400, end);
      scrollTo(grid, top);
      await act(async () => {
        await new Promise(r => setTimeout(r, 0));
      });
      if (step === 10) {
        const box = body.querySelector(
          '.jp-Dotscience-table-rowCheck:not([aria-hidden]) input'
        ) as HTMLInputElement;
        act(() => box.click());
        expect(model.list.selected).toHaveLength(1);
      }
      // Then each step shows the rows of its view
      const drawn = drawnRows(container);
      expect(rowsInView(top).filter(r => !drawn.includes(r))).toEqual([]);
    }
    // And pages did arrive
    expect(model.list.runs.length).toBeGreaterThan(200);
    // And no row element left the document or came into it: rows that left the view
    // wait parked while their runs stay where they were
    count(changes.takeRecords());
    changes.disconnect();
    expect(moved).toBe(0);
    model.dispose();
  });

  it('shows a cell’s whole text as its tooltip on hover', async () => {
    // Given the table with long run names cut to the column's width
    const { container, model } = await drawTable();
    const cell = container.querySelector(
      '.jp-Dotscience-table-rowCheck .jp-Dotscience-table-td'
    ) as HTMLElement;
    // When the pointer moves onto the first run's name
    act(() => {
      fireEvent.mouseOver(cell.querySelector('button') ?? cell);
    });
    // Then its tooltip is the whole name
    expect(cell.getAttribute('title')).toBe(cell.textContent);
    expect(cell.getAttribute('title')).toContain('with a long description');
    model.dispose();
  });
});

describe('the pinned name in a narrow table', () => {
  quietActNotices();

  it('takes at most half of a narrow table, and its own width where there is room', async () => {
    const model = new RunsTableModel({ api, pageSize: 100 });
    await model.list.refresh();
    const pinned = (container: HTMLElement) =>
      container.querySelector(
        '.jp-Dotscience-table-rowCheck .jp-Dotscience-table-td'
      ) as HTMLElement;
    const lead = (container: HTMLElement) =>
      (container.querySelector('.jp-Dotscience-table-lead') as HTMLElement)
        .style.width;
    const draw = (width: number) =>
      render(
        <RunsTable
          model={model}
          actions={{ openRun: jest.fn(), compare: null, diff: null }}
          initialSize={{ width, height: 560 }}
        />
      );
    // Given the name column 240 px wide (its default)
    // When the table is 300 px wide
    const narrow = draw(300);
    // Then the name takes half the room beside the checkboxes (134 of 268 px), and the
    // header's lead is as wide
    expect(pinned(narrow.container).style.width).toBe('134px');
    expect(lead(narrow.container)).toBe(`${32 + 134}px`);
    narrow.unmount();
    // When it is 800 px wide, the name has its whole 240 px
    const wide = draw(800);
    expect(pinned(wide.container).style.width).toBe('240px');
    wide.unmount();
    model.dispose();
  });
});

describe('a Runs table drawn while hidden', () => {
  quietActNotices();

  it('cuts its cells to fit once it is shown, not clipping them', async () => {
    // Given a browser where the table is hidden (a tab in the background: nothing is laid
    // out) until shown, then drawn in a fixed-width font of 8 px a character
    let shown = false;
    const observers: (() => void)[] = [];
    const spies = [
      jest
        .spyOn(HTMLElement.prototype, 'clientHeight', 'get')
        .mockImplementation(() => (shown ? VIEW.height : 0)),
      jest
        .spyOn(HTMLElement.prototype, 'clientWidth', 'get')
        .mockImplementation(() => (shown ? VIEW.width : 0)),
      jest
        .spyOn(HTMLElement.prototype, 'getBoundingClientRect')
        .mockImplementation(function (this: HTMLElement) {
          const width = shown ? (this.textContent ?? '').length * 8 : 0;
          return { width, height: 0, top: 0, left: 0 } as DOMRect;
        })
    ];
    const real = fakeResizeObserver(observers);
    try {
      const model = new RunsTableModel({ api, pageSize: 100 });
      await model.list.refresh();
      const { container } = render(
        <RunsTable
          model={model}
          actions={{ openRun: jest.fn(), compare: null, diff: null }}
          initialSize={VIEW}
        />
      );
      const name = () =>
        container.querySelector(
          '.jp-Dotscience-table-rowCheck .jp-Dotscience-table-td'
        ) as HTMLElement;
      // (drawn hidden, the font could not be measured: the long name is clipped)
      expect(name().classList.contains('jp-mod-clip')).toBe(true);
      // When the table is shown (its size is observed)
      shown = true;
      act(() => observers.forEach(observe => observe()));
      // Then the long name is cut to its 240 px (30 characters), ending in "…"
      expect(name().classList.contains('jp-mod-clip')).toBe(false);
      expect(name().textContent).toHaveLength(30);
      expect(name().textContent!.endsWith('\u2026')).toBe(true);
      model.dispose();
    } finally {
      (globalThis as any).ResizeObserver = real;
      spies.forEach(s => s.mockRestore());
    }
  });
});

/**
 * The Runs table as its tab draws it: again whenever the model changes (from the first
 * draw on: the table's own effects, which run before its parent's, change it).
 */
function drawTab(model: RunsTableModel): {
  container: HTMLElement;
  grid: HTMLElement;
} {
  let again = () => undefined as void;
  model.changed.connect(() => again());
  function Tab(): JSX.Element {
    const [, redraw] = React.useState(0);
    again = () => redraw(n => n + 1);
    return (
      <RunsTable
        model={model}
        actions={{ openRun: jest.fn(), compare: null, diff: null }}
        initialSize={VIEW}
      />
    );
  }
  const { container } = render(<Tab />);
  const grid = container.querySelector('[role="grid"]') as HTMLElement;
  return { container, grid };
}

/**
 * Show a grid in an 800 x 560 viewport for the tests of a describe block (jsdom lays
 * nothing out: every element is 0 x 0).
 */
function shownInView(): void {
  let sizes: jest.SpyInstance[];
  beforeEach(() => {
    sizes = [
      jest
        .spyOn(HTMLElement.prototype, 'clientHeight', 'get')
        .mockReturnValue(VIEW.height),
      jest
        .spyOn(HTMLElement.prototype, 'clientWidth', 'get')
        .mockReturnValue(VIEW.width)
    ];
  });
  afterEach(() => sizes.forEach(s => s.mockRestore()));
}

/** Let the pages asked for arrive, one after another, until no more are asked. */
async function settle(model: RunsTableModel): Promise<void> {
  let still = 0;
  for (let i = 0; i < 200 && still < 5; i++) {
    const loaded = model.list.runs.length;
    await act(async () => {
      await new Promise(r => setTimeout(r, 20));
    });
    still =
      model.list.loading || model.list.runs.length !== loaded ? 0 : still + 1;
  }
}

describe('a Runs table restored where it was left', () => {
  quietActNotices();
  shownInView();

  /**
   * A table (pages of 100 runs) opened on a kept view scrolled to `top` and `left`.
   */
  async function restored(top: number, left: number) {
    const model = new RunsTableModel({
      api,
      pageSize: 100,
      view: { ...EMPTY_VIEW, top, left }
    });
    await model.list.refresh();
    return { model, ...drawTab(model) };
  }

  it('loads the runs down to its place, goes there, and keeps where the user scrolls next', async () => {
    // Given a kept view scrolled down to line 700 and 90 px sideways
    const { model, container, grid } = await restored(700, 90);
    // When the table opens on it and its pages arrive
    await settle(model);
    // Then the runs down to line 700 and a view below were loaded (not all 2,000), and
    // the table shows line 700 at the top, scrolled 90 px sideways
    expect(model.list.runs.length).toBeGreaterThanOrEqual(700 + 18);
    expect(model.list.runs.length).toBeLessThan(runs.length);
    expect(grid.scrollTop).toBe(700 * ROW);
    expect(grid.scrollLeft).toBe(90);
    const drawn = drawnRows(container);
    expect(rowsInView(700 * ROW).filter(r => !drawn.includes(r))).toEqual([]);
    // When the user scrolls up to line 300 and the scroll ends
    let kept = 0;
    model.viewChanged.connect(() => kept++);
    scrollTo(grid, 300 * ROW + 10, 0);
    grid.dispatchEvent(new Event('scrollend'));
    // Then the view keeps line 300 (the one at the top) and no sideways scroll
    expect(model.scroll).toEqual({ top: 300, left: 0 });
    expect(model.view).toMatchObject({ top: 300, left: 0 });
    expect(kept).toBe(1);
    model.dispose();
  });

  it('stays where the user goes when they scroll before it got to its place', async () => {
    // Given a kept view scrolled down to line 1,500
    const { model, grid } = await restored(1500, 0);
    // When the user turns the wheel over the grid before the pages down there arrived
    grid.dispatchEvent(new Event('wheel'));
    await settle(model);
    // Then the table does not jump: it stays at the top, without loading 1,500 runs
    expect(grid.scrollTop).toBe(0);
    expect(model.list.runs.length).toBeLessThan(1500);
    model.dispose();
  });

  it('stays at the top of a new search made before it got to its place', async () => {
    // Given a kept view scrolled down to line 1,500
    const { model, grid } = await restored(1500, 0);
    // When the user searches before the pages down there arrived
    await act(() => model.setFilter(null, 'run 1'));
    await settle(model);
    // Then the new runs are shown from the top: the old place is not looked for in them
    expect(model.list.query.text).toBe('run 1');
    expect(grid.scrollTop).toBe(0);
    expect(model.list.runs.length).toBeLessThan(1500);
    model.dispose();
  });
});

describe('runs published while the Runs table is open', () => {
  quietActNotices();
  shownInView();

  /**
   * A server whose runs (newest first) the test publishes to, paged with a cursor.
   */
  function publishing(count: number) {
    const served = runs.slice(0, count);
    const server = servedBy(served);
    /** Publish `n` runs on top (numbered from 5,000 on), and tell the table. */
    let next = 5000;
    const publish = async (model: RunsTableModel, n: number) => {
      const fresh = Array.from({ length: n }, () => summary(next++));
      served.unshift(...fresh.reverse());
      await act(() => model.checkForNew());
    };
    return { server, publish };
  }

  /** Load the runs down to `end` (the table may be loading a page of its own). */
  async function loadTo(model: RunsTableModel, end: number): Promise<void> {
    for (let i = 0; i < 50 && model.list.runs.length < end; i++) {
      await act(async () => {
        await model.ensureRows(end);
        await new Promise(r => setTimeout(r, 10));
      });
    }
    expect(model.list.runs.length).toBeGreaterThanOrEqual(end);
  }

  /** A table of `count` runs (pages of 100), its runs loaded down to line `line`,
   * scrolled there (10 px into that line). */
  async function scrolledTo(count: number, line: number) {
    const { server, publish } = publishing(count);
    const model = new RunsTableModel({ api: server, pageSize: 100 });
    await model.list.refresh();
    const drawn = drawTab(model);
    await loadTo(model, line + 40);
    scrollTo(drawn.grid, line * ROW + 10);
    return { model, publish, ...drawn };
  }

  /** The id of the run drawn on the line at the top of the view. */
  function topRun(container: HTMLElement, grid: HTMLElement): string | null {
    const line = Math.floor(grid.scrollTop / ROW);
    const row = Array.from(
      container.querySelectorAll('[role="row"][data-run-id]:not([aria-hidden])')
    ).find(r => Number(r.getAttribute('aria-rowindex')) - 2 === line);
    return row?.getAttribute('data-run-id') ?? null;
  }

  it('keeps the run the user reads at the top while runs are published above it, past the first page too', async () => {
    // Given a table of 1,000 runs scrolled to line 300 (past its first page of 100)
    const { model, publish, container, grid } = await scrolledTo(1000, 300);
    const reading = topRun(container, grid);
    expect(reading).toBe(runs[300].id);
    // When 3 runs are published, then 2 more
    await publish(model, 3);
    await publish(model, 2);
    // Then they are on top of the table and counted, not offered in a banner
    expect(model.list.runs[0].id).toBe(summary(5004).id);
    expect(model.list.total).toBe(1005);
    expect(model.list.newRunsAvailable).toBe(false);
    expect(container.querySelector('.jp-Dotscience-banner')).toBeNull();
    // And the run the user was reading is still at the top, as far into its line
    expect(grid.scrollTop).toBe(305 * ROW + 10);
    expect(topRun(container, grid)).toBe(reading);
    const drawn = drawnRows(container);
    expect(drawn).toContain(300);
    model.dispose();
  });

  it('keeps the run the user read at the top when runs are published while its tab is in the background', async () => {
    // Given a browser that tells the table of its size (a ResizeObserver), and lays out
    // nothing of a hidden element: 0 x 0, its scroll position kept, a new one ignored
    let hidden = false;
    const observers: (() => void)[] = [];
    const real = fakeResizeObserver(observers);
    jest
      .spyOn(HTMLElement.prototype, 'clientHeight', 'get')
      .mockImplementation(() => (hidden ? 0 : VIEW.height));
    jest
      .spyOn(HTMLElement.prototype, 'clientWidth', 'get')
      .mockImplementation(() => (hidden ? 0 : VIEW.width));
    try {
      // And a table of 1,000 runs scrolled to line 300, 10 px into it
      const { model, publish, container, grid } = await scrolledTo(1000, 300);
      let top = grid.scrollTop;
      Object.defineProperty(grid, 'scrollTop', {
        configurable: true,
        get: () => top,
        set: (value: number) => {
          top = hidden ? top : value;
        }
      });
      const reading = topRun(container, grid);
      expect(reading).toBe(runs[300].id);
      // When another tab hides it, 5 runs are published meanwhile, and it is shown again
      hidden = true;
      act(() => observers.forEach(observe => observe()));
      await publish(model, 3);
      await publish(model, 2);
      await settle(model);
      expect(model.list.total).toBe(1005);
      hidden = false;
      act(() => observers.forEach(observe => observe()));
      await settle(model);
      // Then the run the user was reading is at the top, as far into its line
      expect(grid.scrollTop).toBe(305 * ROW + 10);
      expect(topRun(container, grid)).toBe(reading);
      expect(drawnRows(container)).toContain(300);
      // And where the user scrolls next is kept, as before
      scrollTo(grid, 310 * ROW);
      grid.dispatchEvent(new Event('scrollend'));
      expect(model.scroll).toEqual({ top: 310, left: 0 });
      model.dispose();
    } finally {
      (globalThis as any).ResizeObserver = real;
    }
  });

  it('shows runs published at the top to a user at the top', async () => {
    // Given a table at its top
    const { model, publish, container, grid } = await scrolledTo(300, 0);
    scrollTo(grid, 0);
    // When a run is published
    await publish(model, 1);
    // Then the table stays at the top, the new run on its first line
    expect(grid.scrollTop).toBe(0);
    expect(topRun(container, grid)).toBe(summary(5000).id);
    model.dispose();
  });

  it('keeps the run at the top in grouped rows when the first page is loaded again', async () => {
    // Given 80 runs grouped by a parameter (a heading and a run each), on one page,
    // scrolled down to run 40
    const { model, publish, container, grid } = await scrolledTo(80, 0);
    await act(async () => {
      model.setGroupBy('alpha');
      await settle(model);
    });
    const lineOf = (i: number) =>
      model.rows.findIndex(r => r.kind === 'run' && r.run.id === runs[i].id);
    const before = lineOf(40);
    scrollTo(grid, before * ROW);
    // When 2 runs are published (the list, in another order than newest first, loads
    // its first page again: their groups come first)
    await publish(model, 2);
    await settle(model);
    // Then run 40 moved 4 lines down the table, and is still at the top of the view
    expect(lineOf(40)).toBe(before + 4);
    expect(topRun(container, grid)).toBe(runs[40].id);
    expect(grid.scrollTop).toBe((before + 4) * ROW);
    model.dispose();
  });

  it('starts a new search at the top', async () => {
    // Given a table scrolled to line 300
    const { model, container, grid } = await scrolledTo(1000, 300);
    // When the user searches for runs, and the first page of them arrives
    await act(() => model.setFilter(null, 'run 1'));
    await settle(model);
    // Then the table shows them from the top
    expect(grid.scrollTop).toBe(0);
    expect(drawnRows(container)).toContain(0);
    model.dispose();
  });

  it('offers runs published in another order in a banner that shows them from the top', async () => {
    // Given a table sorted by a parameter, scrolled past its first page
    const { model, publish, container, grid } = await scrolledTo(1000, 0);
    await act(async () => {
      model.sortBy({ kind: 'param', key: 'alpha' });
      await settle(model);
    });
    await loadTo(model, 340);
    scrollTo(grid, 300 * ROW);
    const reading = topRun(container, grid);
    // When a run is published
    await publish(model, 1);
    // Then the user stays where they were, told that new runs were published
    expect(topRun(container, grid)).toBe(reading);
    const banner = container.querySelector(
      '.jp-Dotscience-banner'
    ) as HTMLElement;
    expect(banner.textContent).toBe('New runs were published. Show them');
    // When they click it
    fireEvent.click(banner);
    await settle(model);
    // Then the runs are loaded again, shown from the top, the banner gone
    expect(model.list.total).toBe(1001);
    expect(grid.scrollTop).toBe(0);
    expect(container.querySelector('.jp-Dotscience-banner')).toBeNull();
    model.dispose();
  });
});

describe('keptLine', () => {
  const run = (i: number): BodyRow => ({
    kind: 'run',
    run: summary(i),
    index: i
  });
  const group = (value: string): BodyRow => ({
    kind: 'group',
    value,
    count: 1,
    collapsed: false
  });

  it('follows the first run at or below the top line, keeping a heading above it', () => {
    const before = [group('a'), run(1), run(2), group('b'), run(3)];
    const after = [group('z'), run(9), group('a'), run(1), run(2)];
    expect(keptLine(before, after, 0)).toBe(2);
    expect(keptLine(before, after, 2)).toBe(4);
  });

  it('stays on the line when the run is gone or nothing moved', () => {
    const before = [run(1), run(2), run(3)];
    expect(keptLine(before, [run(1), run(3)], 1)).toBe(1);
    expect(keptLine(before, [run(1), run(2), run(3), run(4)], 2)).toBe(2);
    expect(keptLine(before, [run(0), run(1), run(2), run(3)], 2)).toBe(3);
  });
});

describe('the header from the keyboard', () => {
  quietActNotices();

  /**
   * A control of the grid as these tests name it: `column:part` for the header's, `body`
   * for the runs'.
   */
  function nameOf(el: Element): string {
    const cell = el.closest('[role="columnheader"]');
    return cell
      ? `${cell.getAttribute('aria-colindex')}:${el.tagName === 'INPUT' ? 'filter' : 'sort'}`
      : 'body';
  }

  /** The grid's controls in the tab order (tab index 0), by name. */
  function tabStops(grid: HTMLElement): string[] {
    return Array.from(grid.querySelectorAll<HTMLElement>('button, input, a'))
      .filter(el => el.tabIndex === 0)
      .map(nameOf);
  }

  /** What has the focus, by name. */
  function focused(grid: HTMLElement): string | null {
    const el = document.activeElement;
    return el && grid.contains(el) ? nameOf(el) : null;
  }

  /** Press `key` on whatever has the focus. */
  function press(key: string): void {
    act(() => {
      fireEvent.keyDown(document.activeElement!, { key });
    });
  }

  it('walks the columns with the arrows, Home and End, and leaves a filter box’s caret alone', () => {
    expect(headMove('ArrowRight', false, 3, 10)).toEqual({
      col: 4,
      part: 'sort'
    });
    expect(headMove('ArrowRight', false, 9, 10)).toEqual({
      col: 9,
      part: 'sort'
    });
    expect(headMove('ArrowLeft', false, 0, 10)).toEqual({
      col: 0,
      part: 'sort'
    });
    expect(headMove('End', false, 2, 10)).toEqual({ col: 9, part: 'sort' });
    expect(headMove('Home', false, 7, 10)).toEqual({ col: 0, part: 'sort' });
    expect(headMove('ArrowDown', false, 7, 10)).toEqual({
      col: 7,
      part: 'filter'
    });
    expect(headMove('ArrowDown', true, 7, 10)).toBe('body');
    expect(headMove('ArrowUp', true, 7, 10)).toEqual({ col: 7, part: 'sort' });
    expect(headMove('ArrowUp', false, 7, 10)).toBeNull();
    for (const key of ['ArrowLeft', 'ArrowRight', 'Home', 'End']) {
      expect(headMove(key, true, 7, 10)).toBeNull();
    }
    expect(headMove('a', false, 7, 10)).toBeNull();
  });

  it('moves a focused heading’s column a place with Ctrl+Shift+Left or Right, the focus going with it', async () => {
    // Given the table of 61 columns, redrawn when its model changes (as in its tab)
    const model = new RunsTableModel({ api, pageSize: runs.length });
    await model.list.refresh();
    const names = [
      { kind: 'field' as const, key: 'name' as const },
      ...Array.from({ length: 60 }, (_, k) => ({
        kind: 'param' as const,
        key: `p${k}`
      }))
    ];
    model.setColumns(names);
    const { container } = render(
      <UseSignal signal={model.changed}>
        {() => (
          <RunsTable
            model={model}
            actions={{ openRun: jest.fn(), compare: null, diff: null }}
            initialSize={VIEW}
          />
        )}
      </UseSignal>
    );
    document.body.appendChild(container);
    const grid = container.querySelector('[role="grid"]') as HTMLElement;
    const order = () => model.columns.slice(1, 4).map(c => c.key);
    const sortOf = (key: string) =>
      grid.querySelector<HTMLElement>(
        `[data-column="param:${key}"] .jp-Dotscience-table-sort`
      )!;
    // When p1's heading has the focus and Ctrl+Shift+Right is pressed twice
    act(() => sortOf('p1').focus());
    const move = (key: string, more: object = { ctrlKey: true }) =>
      act(() => {
        fireEvent.keyDown(document.activeElement!, {
          key,
          shiftKey: true,
          ...more
        });
      });
    move('ArrowRight');
    move('ArrowRight', { metaKey: true });
    // Then p1 is two places right, and its heading still has the focus
    expect(model.columns.slice(1, 5).map(c => c.key)).toEqual([
      'p0',
      'p2',
      'p3',
      'p1'
    ]);
    expect(document.activeElement).toBe(sortOf('p1'));
    // When Ctrl+Shift+Left is pressed four times (the fourth goes nowhere)
    move('ArrowLeft');
    move('ArrowLeft');
    move('ArrowLeft');
    move('ArrowLeft');
    expect(order()).toEqual(['p1', 'p0', 'p2']);
    expect(document.activeElement).toBe(sortOf('p1'));
    // And the name's heading does not move, nor does Shift alone move a column
    act(() =>
      grid
        .querySelector<HTMLElement>(
          '[data-column="field:name"] .jp-Dotscience-table-sort'
        )!
        .focus()
    );
    move('ArrowRight');
    act(() => sortOf('p2').focus());
    move('ArrowLeft', {});
    expect(model.columns[0].key).toBe('name');
    expect(order()).toEqual(['p1', 'p0', 'p2']);
    container.remove();
    model.dispose();
  });

  it('is one stop in the tab order, reached from the first run with the up arrow and walked with the keys', async () => {
    // Given the table of 2,000 runs and 61 columns, wider than its view
    const { grid, container, model } = await drawTable();
    document.body.appendChild(container);
    // Then the tab order holds two of its controls: the header's first sort button and
    // the first run's checkbox
    expect(tabStops(grid).sort()).toEqual(['2:sort', 'body']);
    // When the first run's checkbox has the focus and the up arrow is pressed
    act(() => {
      grid
        .querySelector<HTMLElement>('.jp-Dotscience-table-body [tabindex="0"]')!
        .focus();
    });
    press('ArrowUp');
    // Then the focus is on the first column's sort button
    expect(focused(grid)).toBe('2:sort');
    // When the right arrow is pressed twice: the third column's
    press('ArrowRight');
    press('ArrowRight');
    expect(focused(grid)).toBe('4:sort');
    expect(tabStops(grid).sort()).toEqual(['4:sort', 'body']);
    // When End is pressed: the last column's, scrolled into view and drawn
    press('End');
    expect(focused(grid)).toBe('62:sort');
    expect(grid.scrollLeft).toBeGreaterThan(0);
    expect(tabStops(grid).sort()).toEqual(['62:sort', 'body']);
    // When the down arrow is pressed: its filter box, and again: the runs
    press('ArrowDown');
    expect(focused(grid)).toBe('62:filter');
    expect(tabStops(grid).sort()).toEqual(['62:filter', 'body']);
    press('ArrowDown');
    expect(focused(grid)).toBe('body');
    // When the view is scrolled back to the left edge (down a little) with the focus on
    // a run: the header's stop moves to the nearest column wholly in view, the last one
    scrollTo(grid, 10 * ROW, 0);
    const widths = Array.from(
      grid.querySelectorAll<HTMLElement>('[role="columnheader"][data-column]')
    ).map(cell => parseFloat(cell.style.width));
    let lastInView = 0;
    for (let x = widths[0]; x + widths[lastInView + 1] <= VIEW.width - 32;) {
      lastInView++;
      x += widths[lastInView];
    }
    expect(lastInView).toBeGreaterThan(0);
    expect(lastInView).toBeLessThan(10);
    expect(tabStops(grid).sort()).toEqual([`${lastInView + 2}:filter`, 'body']);
    // When it is focused, up is pressed, then left, then Home
    act(() => {
      grid
        .querySelector<HTMLElement>(
          `[aria-colindex="${lastInView + 2}"] input`
        )!
        .focus();
    });
    press('ArrowUp');
    press('ArrowLeft');
    expect(focused(grid)).toBe(`${lastInView + 1}:sort`);
    press('Home');
    expect(focused(grid)).toBe('2:sort');
    document.body.removeChild(container);
    model.dispose();
  });

  it('drops an edit of a filter box with Escape, and applies one with Enter', async () => {
    // Given the table, and a filter box edited without applying it
    const { grid, model } = await drawTable();
    const box = grid.querySelector<HTMLInputElement>(
      '[aria-colindex="3"] input'
    )!;
    act(() => {
      box.focus();
      fireEvent.change(box, { target: { value: '>1990' } });
    });
    expect(box.value).toBe('>1990');
    // When Escape is pressed, and the box then loses the focus
    press('Escape');
    act(() => box.blur());
    // Then the box is empty again and no filter was applied
    expect(box.value).toBe('');
    expect(model.filters).toEqual({});
    // When it is edited again and Enter pressed: the filter applies
    act(() => {
      box.focus();
      fireEvent.change(box, { target: { value: '>1990' } });
    });
    press('Enter');
    await act(async () => {
      await new Promise(r => setTimeout(r, 0));
    });
    expect(Object.values(model.filters)).toEqual(['>1990']);
    model.dispose();
  });
});

describe('followWindow', () => {
  it('keeps the range drawn while it covers the view, else extends it ahead', () => {
    // Given rows 10..40 drawn
    // When the view moves within them, the same range is kept (no redraw)
    expect(followWindow([10, 40], [12, 30], 1000, true, 4, 1)).toEqual([
      10, 40
    ]);
    // When it leaves them downwards, 4 rows are added below and 1 above
    expect(followWindow([10, 40], [30, 50], 1000, true, 4, 1)).toEqual([
      29, 54
    ]);
    // And upwards, 4 above and 1 below
    expect(followWindow([10, 40], [5, 25], 1000, false, 4, 1)).toEqual([1, 26]);
    // And at the ends the range is clamped to the rows there are
    expect(followWindow([0, 0], [995, 1003], 1000, true, 4, 1)).toEqual([
      994, 1000
    ]);
    // And when rows are gone (a new filter), a range past the end is not kept
    expect(followWindow([10, 40], [12, 30], 20, true, 4, 1)).toEqual([11, 20]);
  });
});
