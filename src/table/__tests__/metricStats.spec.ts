import { IRunsAPI } from '../../api/runs';
import { RestWire } from '../../api/rest';
import { IRunQuery, toSearchParams } from '../../runs/query';
import { summary } from '../../__tests__/runFixtures';
import { cellText, Column, columnTitle, serverSort } from '../columns';
import { RunsTableModel } from '../tableModel';

/**
 * A server that answers every page with the given runs and keeps the query string each
 * page was asked with (as `GET runs` would receive it).
 */
class RecordingServer implements Partial<IRunsAPI> {
  constructor(public runs: RestWire.IRunSummary[]) {}
  asked: URLSearchParams[] = [];

  /**
   * The query string of the last page of the listing asked for (not the one-run look for
   * the newest run).
   */
  lastPage(): URLSearchParams {
    return this.asked.filter(p => p.get('limit') !== '1').pop()!;
  }

  async listRuns(
    query: IRunQuery,
    limit: number,
    cursor: string | null
  ): Promise<RestWire.IRunPage> {
    this.asked.push(toSearchParams(query, limit, cursor));
    return { runs: this.runs, next_cursor: null, total: this.runs.length };
  }

  async listProjects(): Promise<RestWire.IProject[]> {
    return [];
  }
}

const loss = (stat: 'last' | 'min' | 'max'): Column => ({
  kind: 'metric',
  key: 'loss',
  stat
});

const runs = [
  summary(1, {
    metrics: { loss: 3 },
    metric_min: { loss: 0.1 },
    metric_max: { loss: { $float: 'inf' } }
  }),
  summary(2, {
    metrics: { loss: { $float: 'nan' } },
    metric_min: { loss: null },
    metric_max: { loss: null }
  })
];

function table(server: RecordingServer): RunsTableModel {
  return new RunsTableModel({ api: server as unknown as IRunsAPI });
}

describe('loss (min) and loss (max) columns', () => {
  it('are offered in the column picker right after loss', async () => {
    // Given a table whose runs logged a loss
    const server = new RecordingServer(runs);
    const model = table(server);
    // When its first page is loaded
    await model.list.refresh();
    // Then the picker offers the last value, the smallest and the largest, side by side
    const titles = model.available
      .filter(c => c.kind === 'metric')
      .map(columnTitle);
    expect(titles).toEqual(['loss', 'loss (min)', 'loss (max)']);
    model.dispose();
  });

  it('show each run its smallest and largest value, asked of the server with stats', async () => {
    // Given the table open
    const server = new RecordingServer(runs);
    const model = table(server);
    await model.list.refresh();
    // When "loss (min)" and "loss (max)" are chosen
    model.toggleColumn(loss('min'), true);
    model.toggleColumn(loss('max'), true);
    // Then every page was asked with stats=true
    expect(server.asked.length).toBeGreaterThan(0);
    expect(server.asked.every(p => p.get('stats') === 'true')).toBe(true);
    // And the cells show the values the server sent (an infinity as inf; a series
    // without a number as a dash)
    const [first, second] = model.list.runs;
    const shown = model.columns.slice(-2).map(c => cellText(first, c));
    expect(shown).toEqual(['0.1', 'inf']);
    expect(cellText(second, loss('min'))).toBe('—');
    expect(cellText(second, loss('last'))).toBe('nan');
    model.dispose();
  });

  it('come in beside the columns of their kind, a field beside the fields', async () => {
    // Given the table open with its default columns (fields, parameters, metrics)
    const server = new RecordingServer(runs);
    const model = table(server);
    await model.list.refresh();
    // When "loss (min)", a label and the Started field are chosen
    model.toggleColumn(loss('min'), true);
    model.toggleColumn({ kind: 'label', key: 'team' }, true);
    model.toggleColumn({ kind: 'field', key: 'start' }, true);
    // Then Started follows Published (in view, not after every metric), loss (min)
    // follows loss, and the label comes last
    const titles = model.columns.map(columnTitle);
    expect(titles.indexOf('Started')).toBe(titles.indexOf('Published') + 1);
    expect(titles.indexOf('loss (min)')).toBe(titles.indexOf('loss') + 1);
    expect(titles[titles.length - 1]).toBe('team');
    const order = ['field', 'param', 'metric', 'label'];
    const kinds = model.columns.map(c => c.kind);
    expect(kinds).toEqual(
      [...kinds].sort((a, b) => order.indexOf(a) - order.indexOf(b))
    );
    model.dispose();
  });

  it('sort on the server by the smallest or largest value', async () => {
    // Given the table open
    const server = new RecordingServer(runs);
    const model = table(server);
    await model.list.refresh();
    // When sorted by "loss (min)", then by "loss (max)" twice
    expect(model.sortBy(loss('min'))).toBeNull();
    await new Promise(r => setTimeout(r, 0));
    const byMin = server.lastPage().get('sort');
    model.sortBy(loss('max'));
    await new Promise(r => setTimeout(r, 0));
    const byMax = server.lastPage().get('sort');
    model.sortBy(loss('max'));
    await new Promise(r => setTimeout(r, 0));
    const byMaxUp = server.lastPage().get('sort');
    // Then the server is asked for that statistic's order, largest first, then reversed
    expect([byMin, byMax, byMaxUp]).toEqual([
      '-metric.min:loss',
      '-metric.max:loss',
      'metric.max:loss'
    ]);
    expect(serverSort(loss('last'))).toBe('metric:loss');
    model.dispose();
  });

  it('filter on the server by the smallest or largest value', async () => {
    // Given the table open
    const server = new RecordingServer(runs);
    const model = table(server);
    await model.list.refresh();
    // When "loss (min)" and "loss (max)" are shown, "loss (max)" must be at least 4 and
    // "loss (min)" between 0.1 and 0.2
    model.toggleColumn(loss('min'), true);
    model.toggleColumn(loss('max'), true);
    await model.setFilter(loss('max'), '>=4');
    await model.setFilter(loss('min'), '0.1..0.2');
    // Then both boxes read as filters and the server gets each on its statistic
    expect(model.filterErrors).toEqual({});
    const asked = server.lastPage();
    expect(asked.getAll('metric.max')).toEqual(['loss:4:']);
    expect(asked.getAll('metric.min')).toEqual(['loss:0.1:0.2']);
    expect(asked.getAll('metric')).toEqual([]);
    // And a box that does not read as a range says so in one sentence
    await model.setFilter(loss('min'), 'low');
    expect(model.filterErrors['metric:loss:min']).toMatch(/^Write|^Filter/);
    model.dispose();
  });
});
