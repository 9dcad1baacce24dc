import { act, fireEvent, render } from '@testing-library/react';
import React from 'react';
import { ServerConnection } from '@jupyterlab/services';
import { IRunsAPI } from '../../api/runs';
import { RestWire } from '../../api/rest';
import { IRunQuery } from '../../runs/query';
import { summary } from '../../__tests__/runFixtures';
import { RunsTable } from '../RunsTable';
import { RunsTableModel } from '../tableModel';
import { columnId } from '../columns';
import { EMPTY_VIEW } from '../view';

/**
 * A server holding runs that filters by parameter (`key<op>number`) and sorts by a
 * parameter, the way GET runs does, and pages with a cursor.
 */
class FilteringServer implements Partial<IRunsAPI> {
  constructor(public runs: RestWire.IRunSummary[]) {}
  pages: { query: IRunQuery; limit: number; cursor: string | null }[] = [];
  idRequests: IRunQuery[] = [];

  private _match(query: IRunQuery): RestWire.IRunSummary[] {
    let out = this.runs.filter(run =>
      query.params.every(f => {
        const m = /^(\w+)(<=|>=|!=|<|>|=)(.*)$/.exec(f)!;
        const v = Number(run.parameters[m[1]]);
        const x = Number(m[3]);
        return {
          '<': v < x,
          '<=': v <= x,
          '>': v > x,
          '>=': v >= x,
          '=': v === x,
          '!=': v !== x
        }[m[2]];
      })
    );
    if (query.sort.startsWith('param:')) {
      const key = query.sort.slice(6);
      out = [...out].sort(
        (a, b) =>
          (Number(a.parameters[key]) - Number(b.parameters[key])) *
          (query.desc ? -1 : 1)
      );
    }
    return out;
  }

  async listRuns(
    query: IRunQuery,
    limit: number,
    cursor: string | null
  ): Promise<RestWire.IRunPage> {
    this.pages.push({ query, limit, cursor });
    const all = this._match(query);
    const start = cursor ? Number(cursor) : 0;
    return {
      runs: all.slice(start, start + limit),
      next_cursor: start + limit < all.length ? String(start + limit) : null,
      total: all.length
    };
  }

  async listRunIds(
    query: IRunQuery
  ): Promise<{ ids: string[]; total: number }> {
    this.idRequests.push(query);
    const all = this._match(query);
    return { ids: all.map(r => r.id), total: all.length };
  }

  async listProjects(): Promise<RestWire.IProject[]> {
    return [];
  }
}

const runs = Array.from({ length: 2500 }, (_, i) =>
  summary(i, { parameters: { alpha: String(i), opt: i % 2 ? 'sgd' : 'adam' } })
);

/**
 * 250 runs whose last 50 have a parameter the others lack (beta).
 */
function betaAfter200(): RestWire.IRunSummary[] {
  return runs
    .slice(0, 250)
    .map((run, i) =>
      i < 200
        ? run
        : { ...run, parameters: { ...run.parameters, beta: String(i) } }
    );
}

function table(server: FilteringServer, pageSize = 500): RunsTableModel {
  return new RunsTableModel({
    api: server as unknown as IRunsAPI,
    pageSize
  });
}

describe('RunsTableModel', () => {
  it('loads one page, not every run, and knows the total', async () => {
    // Given 2,500 runs on the server
    const server = new FilteringServer(runs);
    const model = table(server);
    // When the table opens
    await model.list.refresh();
    // Then it holds one page of 500 and says 2,500 match
    expect(model.list.runs).toHaveLength(500);
    expect(model.list.total).toBe(2500);
    expect(server.pages.filter(p => p.limit === 500)).toHaveLength(1);
    model.dispose();
  });

  it('filters on the server through a column filter, and selects all that match', async () => {
    // Given the table of 2,500 runs
    const server = new FilteringServer(runs);
    const model = table(server, 100);
    await model.list.refresh();
    // When alpha's filter box says < 200
    await model.setFilter({ kind: 'param', key: 'alpha' }, '<200');
    // Then the server was asked for alpha<200 and says 200 match; 100 are loaded
    expect(server.pages[server.pages.length - 1].query.params).toEqual([
      'alpha<200'
    ]);
    expect(model.list.total).toBe(200);
    expect(model.list.runs).toHaveLength(100);
    // When every match is selected
    await model.list.selectAllMatching();
    // Then all 200 ids (from the server, not only the 100 loaded) are selected
    expect(model.list.selected).toHaveLength(200);
    expect(new Set(model.list.selected)).toEqual(
      new Set(runs.slice(0, 200).map(r => r.id))
    );
    expect(server.idRequests[0].params).toEqual(['alpha<200']);
    model.dispose();
  });

  it('reports a filter that does not read as one and keeps the others', async () => {
    const server = new FilteringServer(runs);
    const model = table(server);
    await model.list.refresh();
    await model.setFilter({ kind: 'param', key: 'alpha' }, '>=2400');
    await model.setFilter({ kind: 'param', key: 'opt' }, '<adam');
    expect(model.filterErrors['param:opt']).toBe(
      '< needs a number to filter opt.'
    );
    expect(model.list.total).toBe(100);
    model.dispose();
  });

  it('sorts by a column on the server, reversing on the second click', async () => {
    const server = new FilteringServer(runs);
    const model = table(server);
    await model.list.refresh();
    const alpha = { kind: 'param' as const, key: 'alpha' };
    expect(model.sortBy(alpha)).toBeNull();
    await new Promise(r => setTimeout(r, 0));
    expect(model.list.query.sort).toBe('param:alpha');
    expect(model.list.runs[0].parameters.alpha).toBe('0');
    model.sortBy(alpha);
    await new Promise(r => setTimeout(r, 0));
    expect(model.list.runs[0].parameters.alpha).toBe('2499');
    // And a column the server cannot sort by says so
    expect(model.sortBy({ kind: 'label', key: 'team' })).toMatch(
      /cannot be sorted/
    );
    model.dispose();
  });

  it('groups rows by a parameter and collapses a group', async () => {
    const server = new FilteringServer(runs.slice(0, 6));
    const model = table(server);
    await model.list.refresh();
    model.setGroupBy('opt');
    await new Promise(r => setTimeout(r, 0));
    const headings = model.rows.filter(r => r.kind === 'group');
    expect(headings.map(h => h.kind === 'group' && h.value)).toEqual([
      'adam',
      'sgd'
    ]);
    model.toggleGroup('adam');
    expect(model.rows).toHaveLength(2 + 3);
    model.dispose();
  });

  it('shows and offers the columns of the runs a search finds, not of runs it no longer matches', async () => {
    // Given 500 loaded runs with alpha and opt, and one more run with its own parameter
    const odd = summary(9999, {
      description: 'the odd one',
      parameters: { beta: '1' }
    });
    const server = new FilteringServer([...runs.slice(0, 500), odd]);
    const model = table(server);
    await model.list.refresh();
    const params = () =>
      model.available.filter(c => c.kind === 'param').map(c => c.key);
    const shown = () =>
      model.columns.filter(c => c.kind === 'param').map(c => c.key);
    expect(params()).toEqual(['alpha', 'opt']);
    expect(shown()).toEqual(['alpha', 'opt']);
    // When a search finds only that run
    const all = server.runs;
    server.runs = [odd];
    await model.setFilter(null, 'odd');
    // Then its parameter is shown and offered, and the others' (empty in it) are not
    expect(model.list.runs).toHaveLength(1);
    expect(params()).toEqual(['beta']);
    expect(shown()).toEqual(['beta']);
    // When the search is cleared
    server.runs = all;
    await model.setFilter(null, '');
    // Then the first 500 runs' columns are back
    expect(shown()).toEqual(['alpha', 'opt']);
    model.dispose();
  });

  it('keeps the columns of every page loaded when the same runs are sorted another way', async () => {
    // Given 250 runs whose last 50 have beta, all loaded (100 a page)
    const server = new FilteringServer(betaAfter200());
    const model = table(server, 100);
    await model.list.refresh();
    await model.ensureRows(240);
    expect(model.columns.map(c => c.key)).toContain('beta');
    // When they are sorted by alpha, smallest first (the first page has no beta)
    model.sortBy({ kind: 'param', key: 'alpha' });
    await new Promise(r => setTimeout(r, 0));
    expect(model.list.runs).toHaveLength(100);
    expect(model.list.runs.some(r => 'beta' in r.parameters)).toBe(false);
    // Then beta is still a column: the runs matched are the same
    expect(model.columns.map(c => c.key)).toContain('beta');
    model.dispose();
  });

  it('keeps a column filtered or chosen when the runs found lack its key', async () => {
    // Given the table on runs with alpha and opt
    const odd = summary(9999, { parameters: { beta: '1' } });
    const server = new FilteringServer(runs.slice(0, 100));
    const model = table(server);
    await model.list.refresh();
    // When alpha's filter matches no run
    await model.setFilter({ kind: 'param', key: 'alpha' }, '>100000');
    // Then alpha's column (and so its filter box) is still shown, and opt's is not
    expect(model.list.total).toBe(0);
    expect(model.columns.map(columnId)).toContain('param:alpha');
    expect(model.columns.map(columnId)).not.toContain('param:opt');
    await model.setFilter({ kind: 'param', key: 'alpha' }, '');
    // When opt is chosen as a column and a search finds only a run without it
    model.setColumns([...model.columns]);
    server.runs = [odd];
    await model.setFilter(null, 'odd');
    // Then opt is still shown, and the picker lists it beside beta, to be unticked
    expect(model.columns.map(columnId)).toContain('param:opt');
    expect(
      model.available.filter(c => c.kind === 'param').map(c => c.key)
    ).toEqual(['alpha', 'beta', 'opt']);
    model.dispose();
  });

  it('gives the same default columns while pages bring no new keys, and new ones when they do', async () => {
    // Given 250 runs whose last 50 have a parameter the others lack
    const server = new FilteringServer(betaAfter200());
    const model = table(server, 100);
    await model.list.refresh();
    const first = model.columns;
    // When the next page arrives with the same keys
    await model.ensureRows(150);
    expect(model.list.runs).toHaveLength(200);
    // Then the columns are the same array (the table keeps its layout and drawn cells)
    expect(model.columns).toBe(first);
    // When a page brings the new parameter
    await model.ensureRows(220);
    // Then the columns are new, with it
    expect(model.columns).not.toBe(first);
    expect(model.columns.map(c => c.key)).toContain('beta');
    model.dispose();
  });

  it('has one line per loaded run, in order, through more pages, groups and a new filter', async () => {
    const server = new FilteringServer(runs);
    const model = table(server, 100);
    await model.list.refresh();
    const lines = () =>
      model.rows.map(r =>
        r.kind === 'run' ? `${r.index}:${r.run.id}` : `group ${r.value}`
      );
    const expected = (n: number) =>
      model.list.runs.slice(0, n).map((run, i) => `${i}:${run.id}`);
    const first = model.rows[0];
    // When the user scrolls to the 250th run, then the 420th
    await model.ensureRows(250);
    expect(lines()).toEqual(expected(300));
    await model.ensureRows(420);
    expect(lines()).toEqual(expected(500));
    expect(model.list.runs[499].id).toBe(runs[499].id);
    // (a page's arrival keeps the lines already made)
    expect(model.rows[0]).toBe(first);
    // When grouped by opt, then not
    model.setGroupBy('opt');
    await new Promise(r => setTimeout(r, 0));
    expect(lines()[0]).toBe('group adam');
    model.setGroupBy(null);
    expect(lines()).toEqual(expected(model.list.runs.length));
    // When a filter loads other runs, the lines are theirs
    await model.setFilter({ kind: 'param', key: 'alpha' }, '>=2450');
    expect(lines()).toEqual(expected(50));
    expect(
      model.rows.map(r => r.kind === 'run' && r.run.parameters.alpha)
    ).toEqual(runs.slice(2450).map(r => r.parameters.alpha));
    model.dispose();
  });

  it('moves a column to the start, a place left or right, or the end, the name staying pinned', async () => {
    // Given a table showing the name, then alpha, opt and a metric
    const model = table(new FilteringServer(runs));
    await model.list.refresh();
    const name = { kind: 'field' as const, key: 'name' as const };
    const alpha = { kind: 'param' as const, key: 'alpha' };
    const opt = { kind: 'param' as const, key: 'opt' };
    const loss = {
      kind: 'metric' as const,
      key: 'loss',
      stat: 'last' as const
    };
    model.setColumns([name, alpha, opt, loss]);
    let kept = 0;
    model.viewChanged.connect(() => kept++);
    const order = () => model.columns.map(c => c.key);
    // When the metric goes to the start
    expect(model.moveColumn('metric:loss:last', 'start')).toBe(true);
    // Then it is the first column after the name, and the view keeps the order
    expect(order()).toEqual(['name', 'loss', 'alpha', 'opt']);
    expect(model.view.columns).toEqual([name, loss, alpha, opt]);
    expect(model.columnPlace('metric:loss:last')).toEqual({ at: 0, count: 3 });
    // When alpha moves right, then to the end, then opt left
    model.moveColumn('param:alpha', 'right');
    expect(order()).toEqual(['name', 'loss', 'opt', 'alpha']);
    expect(model.moveColumn('param:alpha', 'end')).toBe(false); // (there already)
    model.moveColumn('param:opt', 'left');
    expect(order()).toEqual(['name', 'opt', 'loss', 'alpha']);
    expect(kept).toBe(3);
    // When alpha is dropped at place 0 (a dragged heading), then loss past the end
    expect(model.moveColumn('param:alpha', 0)).toBe(true);
    expect(order()).toEqual(['name', 'alpha', 'opt', 'loss']);
    expect(model.moveColumn('param:alpha', 99)).toBe(true);
    expect(order()).toEqual(['name', 'opt', 'loss', 'alpha']);
    expect(model.moveColumn('metric:loss:last', 1)).toBe(false); // (there already)
    expect(kept).toBe(5);
    // And the name, or a column not shown, does not move
    expect(model.columnPlace('field:name')).toBeNull();
    expect(model.moveColumn('field:name', 'end')).toBe(false);
    expect(model.moveColumn('param:nope', 'start')).toBe(false);
    // When a column is hidden by its id
    model.hideColumn('metric:loss:last');
    expect(order()).toEqual(['name', 'opt', 'alpha']);
    model.dispose();
  });

  describe('its kept view', () => {
    const alpha = { kind: 'param' as const, key: 'alpha' };
    const opt = { kind: 'param' as const, key: 'opt' };
    const loss = { kind: 'metric' as const, key: 'loss', stat: 'min' as const };

    it('gives back what the user changed, and opens a new table on it', async () => {
      // Given a table where the user chose columns, widened one, sorted, filtered,
      // searched and grouped
      const server = new FilteringServer(runs);
      const model = table(server);
      await model.list.refresh();
      const changes: string[] = [];
      model.viewChanged.connect(() =>
        changes.push(JSON.stringify(model.view.columns?.length ?? null))
      );
      model.setColumns([{ kind: 'field', key: 'name' }, alpha, opt]);
      model.toggleColumn(loss);
      model.setWidth(alpha, 300);
      model.sortBy(alpha);
      model.sortBy(alpha);
      await model.setFilter(alpha, '<200');
      await model.setFilter(opt, '<adam'); // does not read as a filter
      await model.setFilter(null, 'sweep');
      model.setScroll(150, 80);
      model.setScroll(150, 80); // (the same place: no change)
      const view = model.view;
      // Then the view holds each of those
      expect(view).toEqual({
        columns: [{ kind: 'field', key: 'name' }, alpha, opt, loss],
        widths: { 'param:alpha': 300 },
        sort: { column: alpha, desc: true },
        filters: { 'param:alpha': '<200', 'param:opt': '<adam' },
        search: 'sweep',
        groupBy: null,
        top: 150,
        left: 80
      });
      // And each change was announced as a change of the view, and pages arriving are not
      expect(changes).toHaveLength(9);
      await model.ensureRows(400);
      expect(changes).toHaveLength(9);
      model.dispose();

      // When a table opens on that view (a reload)
      const again = new FilteringServer(runs);
      const restored = new RunsTableModel({
        api: again as unknown as IRunsAPI,
        pageSize: 100,
        view: JSON.parse(JSON.stringify(view))
      });
      await restored.list.refresh();
      // Then its first page was asked with the same sort, filter and search, and it shows
      // the same columns, width, boxes (the one that does not read, reported) and runs
      expect(again.pages[0].query).toMatchObject({
        sort: 'param:alpha',
        desc: true,
        params: ['alpha<200'],
        text: 'sweep'
      });
      expect(restored.columns).toEqual(view.columns);
      expect(restored.width(alpha)).toBe(300);
      expect(restored.sort).toEqual({ column: alpha, desc: true });
      expect(restored.filters['param:alpha']).toBe('<200');
      expect(restored.filterErrors['param:opt']).toBe(
        '< needs a number to filter opt.'
      );
      expect(restored.list.runs[0].parameters.alpha).toBe('199');
      expect(restored.scroll).toEqual({ top: 150, left: 80 });
      expect(restored.view).toEqual(view);
      restored.dispose();
    });

    it('goes back to the default columns, which follow the keys seen', async () => {
      // Given a table whose user chose one column
      const server = new FilteringServer(runs.slice(0, 20));
      const model = table(server);
      await model.list.refresh();
      const defaults = model.columns;
      expect(model.hasDefaultColumns).toBe(true);
      model.setColumns([alpha]);
      expect(model.hasDefaultColumns).toBe(false);
      let changes = 0;
      model.viewChanged.connect(() => changes++);
      // When the default columns are asked for
      model.resetColumns();
      // Then the table shows them again, and keeps no columns of its own
      expect(model.columns).toEqual(defaults);
      expect(model.view.columns).toBeNull();
      expect(model.hasDefaultColumns).toBe(true);
      expect(changes).toBe(1);
      model.dispose();
    });

    it('keeps the filters of a view in the default columns before any run is loaded', async () => {
      // Given a view with no columns chosen, filtered on a parameter and grouped
      const server = new FilteringServer(runs);
      const model = new RunsTableModel({
        api: server as unknown as IRunsAPI,
        pageSize: 100,
        view: {
          ...EMPTY_VIEW,
          filters: { 'param:alpha': '>=2490' },
          groupBy: 'opt'
        }
      });
      // When it opens
      await model.list.refresh();
      // Then the first page asked was filtered, and the rows are grouped
      expect(server.pages[0].query.params).toEqual(['alpha>=2490']);
      expect(model.list.total).toBe(10);
      expect(model.rows[0]).toMatchObject({ kind: 'group' });
      expect(model.view.filters).toEqual({ 'param:alpha': '>=2490' });
      model.dispose();
    });
  });

  describe('left open overnight (the reader is in Berlin, UTC+1)', () => {
    afterEach(() => {
      jest.useRealTimers();
    });
    const published = { kind: 'field', key: 'received' } as const;
    const started = { kind: 'field', key: 'start' } as const;
    /** the pages asked for (not the one-run look for the newest id) */
    const pages = (server: FilteringServer) =>
      server.pages.filter(p => p.limit === 500);
    const lastTimes = (server: FilteringServer) =>
      pages(server)[pages(server).length - 1].query.times;

    it('reads its relative time boxes again at the reader’s midnight', async () => {
      // Given the table filtered on runs published today and started in the last 24
      // hours, at 23:59 on 28 October
      jest.useFakeTimers({ now: new Date('2026-10-28T22:59:00.000Z') });
      const server = new FilteringServer(runs);
      const model = table(server);
      await model.list.refresh();
      model.setColumns([published, started]);
      await model.setFilter(published, 'today');
      await model.setFilter(started, 'last 24 hours');
      expect(lastTimes(server)).toEqual([
        {
          field: 'received',
          from: '2026-10-27T23:00:00.000Z',
          to: '2026-10-28T22:59:59.999999Z'
        },
        { field: 'start', from: '2026-10-27T22:59:00.000Z', to: null }
      ]);
      const asked = pages(server).length;
      // When the clock passes 23:59:59
      await jest.advanceTimersByTimeAsync(59_000);
      // Then nothing was asked again
      expect(pages(server)).toHaveLength(asked);
      // When it passes midnight
      await jest.advanceTimersByTimeAsync(1_000);
      // Then the table reloaded once with the new day as today, and the 24 hours back
      // from midnight
      expect(pages(server)).toHaveLength(asked + 1);
      expect(lastTimes(server)).toEqual([
        {
          field: 'received',
          from: '2026-10-28T23:00:00.000Z',
          to: '2026-10-29T22:59:59.999999Z'
        },
        { field: 'start', from: '2026-10-27T23:00:00.000Z', to: null }
      ]);
      // And it does again at the next midnight
      await jest.advanceTimersByTimeAsync(24 * 3600_000);
      expect(pages(server)).toHaveLength(asked + 2);
      expect(lastTimes(server)?.[0].from).toBe('2026-10-29T23:00:00.000Z');
      // And a disposed table asks nothing more
      model.dispose();
      await jest.advanceTimersByTimeAsync(24 * 3600_000);
      expect(pages(server)).toHaveLength(asked + 2);
    });

    it('reloads nothing at midnight when its time boxes hold dates', async () => {
      // Given the table filtered on runs published on 28 October, at 23:59 that day
      jest.useFakeTimers({ now: new Date('2026-10-28T22:59:00.000Z') });
      const server = new FilteringServer(runs);
      const model = table(server);
      await model.list.refresh();
      await model.setFilter(published, '2026-10-28');
      const asked = pages(server).length;
      // When two midnights pass
      await jest.advanceTimersByTimeAsync(2 * 24 * 3600_000);
      // Then the server was not asked again
      expect(pages(server)).toHaveLength(asked);
      model.dispose();
    });
  });
});

describe('RunsTable', () => {
  it('exports as CSV: a download link, or one to an export whose columns were posted when an address cannot hold them', async () => {
    // Given a browser whose downloads the test sees, and a server that answers POST
    // runs/csv/exports with an export's address (then with a refusal)
    const saved: { href: string; name: string }[] = [];
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function (this: HTMLAnchorElement) {
        saved.push({ href: this.getAttribute('href')!, name: this.download });
      });
    const posted: { url: string; init: RequestInit }[] = [];
    let answer = () =>
      new Response(
        JSON.stringify({
          id: 'x7Kq',
          url: '/dotscience/api/runs/csv/exports/x7Kq',
          expires_in: 120
        }),
        { status: 201 }
      );
    const request = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockImplementation(async (url, init) => {
        posted.push({ url, init });
        return answer();
      });
    try {
      // And a table of 10 runs with a few columns, filtered by a search
      const server = new FilteringServer(runs.slice(0, 10));
      const model = table(server);
      await model.list.refresh();
      await model.setFilter(null, 'run');
      const actions = { openRun: jest.fn(), compare: jest.fn(), diff: null };
      const draw = () => (
        <RunsTable
          model={model}
          actions={actions}
          initialSize={{ width: 800, height: 560 }}
        />
      );
      const { getByRole, rerender, findByRole } = render(draw());
      const button = () =>
        getByRole('button', { name: 'Export CSV' }) as HTMLButtonElement;
      expect(button().disabled).toBe(false);
      expect(button().title).toBe(
        'Download the 10 runs the filters match, in this order, with these columns, as CSV'
      );
      // When Export CSV is clicked
      await act(async () => fireEvent.click(button()));
      // Then the browser downloads GET runs/csv with the search and the columns itself
      expect(saved).toHaveLength(1);
      const link = new URL(saved[0].href);
      expect(link.pathname).toMatch(/\/dotscience\/api\/runs\/csv$/);
      expect(link.searchParams.get('q')).toBe('run');
      expect(link.searchParams.getAll('column')).toEqual(
        model.columns.map(c =>
          c.kind === 'metric'
            ? `metric:${c.key}:${c.stat}`
            : `${c.kind}:${c.key}`
        )
      );
      expect(posted).toHaveLength(0);
      // When it shows 3,000 columns (an address would pass the server's 64 KiB head)
      const wide = Array.from({ length: 3000 }, (_, i) => ({
        kind: 'param' as const,
        key: `a_rather_long_parameter_name_${i}`
      }));
      act(() => model.setColumns(wide));
      rerender(draw());
      // Then Export CSV is still there to click
      expect(button().disabled).toBe(false);
      await act(async () => fireEvent.click(button()));
      // And the columns went in a POST body, the search in its address, and the browser
      // downloads the export's address itself (the file streams to disk)
      expect(posted).toHaveLength(1);
      expect(posted[0].init.method).toBe('POST');
      expect(JSON.parse(posted[0].init.body as string)).toEqual({
        columns: wide.map(c => `param:${c.key}`)
      });
      const address = new URL(posted[0].url);
      expect(address.pathname).toMatch(
        /\/dotscience\/api\/runs\/csv\/exports$/
      );
      expect(address.searchParams.get('q')).toBe('run');
      expect(address.searchParams.getAll('column')).toEqual([]);
      expect(saved[1]).toEqual({
        href: new URL(
          '/dotscience/api/runs/csv/exports/x7Kq',
          ServerConnection.makeSettings().baseUrl
        ).href,
        name: ''
      });
      // When the server refuses the next one
      answer = () =>
        new Response('{"error": "at most 5000 columns"}', { status: 400 });
      await act(async () => fireEvent.click(button()));
      // Then nothing is saved, and the table says why
      expect(saved).toHaveLength(2);
      expect((await findByRole('alert')).textContent).toBe(
        'The CSV export failed: at most 5000 columns'
      );
      expect(button().disabled).toBe(false);
      model.dispose();
    } finally {
      click.mockRestore();
      request.mockRestore();
    }
  });

  it('shows or hides every column a search in the column picker finds, in one click', async () => {
    // Given runs with 600 parameters (lr_0..lr_299 and wd_0..wd_299) and a metric
    const many = Array.from({ length: 3 }, (_, i) =>
      summary(i, {
        parameters: Object.fromEntries(
          Array.from({ length: 300 }, (_, k) => [
            [`lr_${k}`, String(k)],
            [`wd_${k}`, String(k)]
          ]).flat()
        )
      })
    );
    const model = table(new FilteringServer(many));
    await model.list.refresh();
    const shownBefore = model.columns.length;
    // (drawn again when the model changes, as its tab does)
    function Tab(): JSX.Element {
      const [, redraw] = React.useState(0);
      React.useEffect(() => {
        const again = () => redraw(n => n + 1);
        model.changed.connect(again);
        return () => void model.changed.disconnect(again);
      }, []);
      return (
        <RunsTable
          model={model}
          actions={{ openRun: jest.fn(), compare: jest.fn(), diff: null }}
          initialSize={{ width: 800, height: 560 }}
        />
      );
    }
    const { getByRole, getByLabelText } = render(<Tab />);
    // When the column picker is opened and searched for "lr_"
    fireEvent.click(getByRole('button', { name: /^Columns/ }));
    fireEvent.change(getByLabelText('Find a column'), {
      target: { value: 'lr_' }
    });
    // Then it lists 200 of them, and offers to show all 300 (some are shown already)
    const shownLr = model.columns.filter(c => c.key.startsWith('lr_')).length;
    const show = getByRole('button', { name: /^Show / });
    expect(show.textContent).toBe(`Show ${300 - shownLr}`);
    expect(show.title).toBe(
      `Show every column the search finds (${300 - shownLr} more)`
    );
    // When it is clicked
    act(() => fireEvent.click(show));
    // Then every lr_ parameter is a column, once, among the parameters (before the
    // metrics), and no wd_ parameter was added
    const ids = model.columns.map(c => `${c.kind}:${c.key}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(model.columns.filter(c => c.key.startsWith('lr_'))).toHaveLength(
      300
    );
    expect(model.columns).toHaveLength(shownBefore + 300 - shownLr);
    const lastParam = ids.map(i => i.startsWith('param:')).lastIndexOf(true);
    const firstMetric = ids.findIndex(i => i.startsWith('metric:'));
    expect(firstMetric).toBeGreaterThan(lastParam);
    expect(getByRole('button', { name: /^Show / })).toHaveProperty(
      'disabled',
      true
    );
    // And the table offers them all to export (the header counts the columns)
    expect(getByRole('button', { name: /^Columns/ }).textContent).toBe(
      `Columns (${model.columns.length})`
    );
    // When "Hide all 300" is clicked
    const hide = getByRole('button', { name: /^Hide / });
    expect(hide.textContent).toBe('Hide all 300');
    act(() => fireEvent.click(hide));
    // Then no lr_ column is left, and the others are as they were
    expect(model.columns.some(c => c.key.startsWith('lr_'))).toBe(false);
    expect(model.columns).toHaveLength(shownBefore - shownLr);
    model.dispose();
  });

  it('puts only the cells in view of 2,500 runs and 1,000 columns in the DOM', async () => {
    // Given 2,500 runs loaded and 1,000 parameter columns
    const server = new FilteringServer(runs);
    const model = table(server, 1000);
    await model.list.refresh();
    model.setColumns(
      Array.from({ length: 1000 }, (_, i) => ({
        kind: 'param' as const,
        key: i === 0 ? 'alpha' : `p${i}`
      }))
    );
    const actions = { openRun: jest.fn(), compare: jest.fn(), diff: null };
    // When the table is drawn in an 800 x 560 viewport
    const { container, rerender } = render(
      <RunsTable
        model={model}
        actions={actions}
        initialSize={{ width: 800, height: 560 }}
        overscan={2}
      />
    );
    // Then a few rows of a few cells are in the DOM, not 2.5 million
    const rows = container.querySelectorAll('[role="row"][data-run-id]');
    const cells = container.querySelectorAll('[role="cell"]');
    expect(rows.length).toBeLessThanOrEqual(24);
    expect(cells.length).toBeLessThanOrEqual(24 * 10);
    expect(rows[0].textContent).toContain('0');
    // When it is scrolled to row 900 and column 500
    const grid = container.querySelector('[role="grid"]') as HTMLElement;
    act(() => {
      grid.scrollTop = 56 + 900 * 28;
      grid.scrollLeft = 500 * 120;
      fireEvent.scroll(grid);
    });
    // Then the rows from 902 (the first below the header: rows 900 and 901 lie under it)
    // are drawn, with at most a row above, and the cells of columns near 500
    const drawn = Array.from(
      container.querySelectorAll('[role="row"][data-run-id]')
    ).map(r => runs.findIndex(run => run.id === r.getAttribute('data-run-id')));
    expect(drawn).toContain(902);
    expect(Math.min(...drawn)).toBeGreaterThanOrEqual(901);
    const headers = [
      ...Array.from(
        container.querySelectorAll('[role="columnheader"][data-column]')
      )
    ].map(h => h.getAttribute('data-column'));
    expect(headers[0]).toBe('param:p499');
    // And Compare acts on the selection
    const redraw = () =>
      rerender(
        <RunsTable
          model={model}
          actions={actions}
          initialSize={{ width: 800, height: 560 }}
          overscan={2}
        />
      );
    await act(async () => {
      await model.list.selectAllMatching();
    });
    redraw();
    const compare = () =>
      Array.from(container.querySelectorAll('button')).find(b =>
        b.textContent?.startsWith('Compare')
      )!;
    // (2,500 runs are more than the compare view takes at once: it says so)
    expect(compare().textContent).toBe('Compare (2,500)');
    expect(compare().disabled).toBe(true);
    expect(compare().title).toBe(
      'At most 500 runs can be compared at once: 2,500 are ticked'
    );
    fireEvent.click(compare());
    expect(actions.compare).not.toHaveBeenCalled();
    // When 500 of them are ticked
    act(() => {
      model.list.clearSelection();
      runs.slice(0, 500).forEach(r => model.list.toggleSelected(r.id));
    });
    redraw();
    fireEvent.click(compare());
    expect(actions.compare).toHaveBeenCalledWith(
      runs.slice(0, 500).map(r => r.id)
    );
    model.dispose();
  });
});
