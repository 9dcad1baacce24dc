import { RunListModel } from '../listModel';
import { DEFAULT_QUERY, parseParamFilter, toSearchParams } from '../query';
import { FakeServer, summary } from '../../__tests__/runFixtures';

const many = (n: number) => Array.from({ length: n }, (_, i) => summary(i));

describe('RunListModel paging', () => {
  it('pages through every run with the cursor, each run once', async () => {
    // Given a server with 250 runs and a page size of 100
    const server = new FakeServer(many(250));
    const model = new RunListModel({ api: server, pageSize: 100 });
    // When the list loads and the user scrolls to the end twice
    await model.refresh();
    expect(model.runs).toHaveLength(100);
    expect(model.hasMore).toBe(true);
    await model.loadMore();
    await model.loadMore();
    // Then all 250 are shown in order, and there is nothing more to fetch
    expect(model.runs.map(r => r.description)).toEqual(
      many(250).map(r => r.description)
    );
    expect(model.hasMore).toBe(false);
    const cursors = server.calls
      .filter(c => c.limit === 100)
      .map(c => c.cursor);
    expect(cursors).toEqual([null, '100', '200']);
    // And asking for more at the end fetches nothing
    await model.loadMore();
    expect(server.calls.filter(c => c.limit === 100)).toHaveLength(3);
    model.dispose();
  });

  it('never shows a run twice when a page repeats runs', async () => {
    // Given a listing that shifted between two pages (a run was published meanwhile)
    const server = new FakeServer(many(10));
    const model = new RunListModel({ api: server, pageSize: 5 });
    await model.refresh();
    server.runs = [summary(100), ...many(10)];
    // When the next page is fetched
    await model.loadMore();
    // Then the repeated run appears once
    const ids = model.runs.map(r => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(9);
    model.dispose();
  });

  it('ignores a page that arrives after the query changed', async () => {
    // Given a slow first request
    const server = new FakeServer(many(3));
    let release: () => void = () => undefined;
    const slow = new Promise<void>(r => (release = r));
    const original = server.listRuns.bind(server);
    let first = true;
    server.listRuns = async (q, limit, cursor) => {
      if (first && limit > 1) {
        first = false;
        await slow;
        return { runs: many(50), next_cursor: null, total: 50 };
      }
      return original(q, limit, cursor);
    };
    const model = new RunListModel({ api: server, pageSize: 100 });
    const stale = model.refresh();
    // When the user filters before it answers
    await model.setQuery({ status: 'failed' });
    release();
    await stale;
    // Then the list shows the filtered answer only
    expect(model.runs).toHaveLength(3);
    expect(model.query.status).toBe('failed');
    model.dispose();
  });
});

describe('RunListModel filters', () => {
  it('sends filters, search and sort as query parameters', async () => {
    // Given a model
    const server = new FakeServer(many(1));
    const model = new RunListModel({ api: server, pageSize: 50 });
    // When the user filters by label, parameter, metric range, status and text, sorted
    // by accuracy ascending
    await model.setQuery({
      labels: [{ key: 'team', value: 'ml' }],
      params: ['alpha>=0.1'],
      metrics: [{ key: 'accuracy', min: 0.8, max: null }],
      status: 'succeeded',
      text: ' iris ',
      sort: 'metric:accuracy',
      desc: false
    });
    // Then the request carries each of them
    const call = server.calls.find(c => c.limit === 50)!;
    const params = toSearchParams(call.query, call.limit, call.cursor);
    expect(params.getAll('label')).toEqual(['team:ml']);
    expect(params.getAll('param')).toEqual(['alpha>=0.1']);
    expect(params.getAll('metric')).toEqual(['accuracy:0.8:']);
    expect(params.get('status')).toBe('succeeded');
    expect(params.get('q')).toBe('iris');
    expect(params.get('sort')).toBe('metric:accuracy');
    expect(params.get('limit')).toBe('50');
    expect(params.has('cursor')).toBe(false);
    model.dispose();
  });

  it('writes the default query as newest first with no filters', () => {
    // Given the default query and a cursor / Then the request asks for the newest first
    expect(toSearchParams(DEFAULT_QUERY, 100, 'abc').toString()).toBe(
      'sort=-received&limit=100&cursor=abc'
    );
  });

  it('reads parameter filters the way the server does', () => {
    // Given conditions as people type them / Then they are written as the server reads
    // them, and text without an operator or name is refused
    expect(parseParamFilter(' alpha >= 0.1 ')).toBe('alpha>=0.1');
    expect(parseParamFilter('optimizer==adam')).toBe('optimizer=adam');
    expect(parseParamFilter('no operator')).toBeNull();
    expect(parseParamFilter('=3')).toBeNull();
  });
});

describe('RunListModel selection and new runs', () => {
  it('keeps the compare selection in the order runs were ticked', async () => {
    // Given a list of five runs
    const model = new RunListModel({ api: new FakeServer(many(5)) });
    await model.refresh();
    const [a, b, c] = model.runs.map(r => r.id);
    let changes = 0;
    model.changed.connect(() => changes++);
    // When the user ticks c, a and b, then unticks a
    model.toggleSelected(c);
    model.toggleSelected(a);
    model.toggleSelected(b);
    model.toggleSelected(a);
    // Then c and b are selected in that order, each change announced
    expect(model.selected).toEqual([c, b]);
    expect(model.isSelected(a)).toBe(false);
    expect(changes).toBe(4);
    // And clearing the selection empties it
    model.clearSelection();
    expect(model.selected).toEqual([]);
    model.dispose();
  });

  it('reloads on a new run while on the first page', async () => {
    // Given a list showing the first page
    const server = new FakeServer(many(3));
    const model = new RunListModel({ api: server, pageSize: 10 });
    await model.refresh();
    // When a run is published and the model checks
    server.runs = [summary(99), ...server.runs];
    await model.checkForNew();
    // Then it shows up at the top
    expect(model.runs[0].id).toBe(summary(99).id);
    expect(model.newRunsAvailable).toBe(false);
    model.dispose();
  });

  it('offers new runs instead of reloading once the user scrolled past page one', async () => {
    // Given a list scrolled to its second page
    const server = new FakeServer(many(30));
    const model = new RunListModel({ api: server, pageSize: 10 });
    await model.refresh();
    await model.loadMore();
    // When a run is published and the model checks
    server.runs = [summary(99), ...server.runs];
    await model.checkForNew();
    // Then it offers the new runs and keeps what the user is looking at
    expect(model.newRunsAvailable).toBe(true);
    expect(model.runs).toHaveLength(20);
    model.dispose();
  });

  it('puts new runs on top past page one in a view that keeps its place, and offers more than a few', async () => {
    // Given a list whose view keeps its place (the Runs table), scrolled to page two
    const server = new FakeServer(many(30));
    const model = new RunListModel({
      api: server,
      pageSize: 10,
      keepsPlace: true
    });
    await model.refresh();
    await model.loadMore();
    // When a run is published and the model checks
    server.runs = [summary(99), ...server.runs];
    await model.checkForNew();
    // Then it is on top, the pages loaded kept
    expect(model.runs[0].id).toBe(summary(99).id);
    expect(model.runs).toHaveLength(21);
    expect(model.newRunsAvailable).toBe(false);
    // When more runs are published than one small request brings
    server.runs = [
      ...Array.from({ length: 25 }, (_, i) => summary(200 + i)),
      ...server.runs
    ];
    await model.checkForNew();
    // Then they are offered, and what the user is looking at stays
    expect(model.newRunsAvailable).toBe(true);
    expect(model.runs).toHaveLength(21);
    model.dispose();
  });

  it('reports a failed request as a sentence and recovers', async () => {
    // Given a server that cannot be reached
    const server = new FakeServer(many(2));
    const original = server.listRuns.bind(server);
    server.listRuns = async () => {
      throw new Error('The server is unreachable.');
    };
    const model = new RunListModel({ api: server });
    // When the list loads
    await model.refresh();
    // Then the error is one sentence
    expect(model.error).toBe('The server is unreachable.');
    // And when the server is back, a refresh shows the runs
    server.listRuns = original;
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.runs).toHaveLength(2);
    model.dispose();
  });
});
