import { summary } from '../../__tests__/runFixtures';
import { RestWire } from '../../api/rest';
import { cellText, Column } from '../../table/columns';
import { groupRows } from '../../table/grouping';
import {
  compactRuns,
  CompactRun,
  KeyCollector,
  keysSeen,
  summaryValue
} from '../compact';

/**
 * A page of runs whose maps differ from run to run: keys some runs lack, a parameter
 * named like an Object method, metric values of every kind, statistics on some runs.
 */
function page(): RestWire.IRunSummary[] {
  return [
    summary(1, {
      parameters: { alpha: '0.1', opt: 'adam', constructor: 'x' },
      metrics: { loss: 0.5, note: 'text', ok: true, bad: { $float: 'nan' } },
      metric_min: { loss: 0.25 },
      metric_max: { loss: 0.75 },
      labels: { team: 'red' }
    }),
    summary(2, {
      parameters: { alpha: '0.2', depth: '3' },
      metrics: { loss: 0.4, acc: 0.9 },
      labels: {}
    }),
    summary(3, { parameters: {}, metrics: {}, labels: { team: 'blue' } })
  ];
}

describe('compact run summaries', () => {
  it('are the same summaries: every field and map as the server sent it', () => {
    const runs = page();
    const compact = compactRuns(runs);
    compact.forEach((run, i) => {
      // the maps made again, and every other field, equal the parsed run's
      expect(run.parameters).toEqual(runs[i].parameters);
      expect(run.metrics).toEqual(runs[i].metrics);
      expect(run.labels).toEqual(runs[i].labels);
      expect(run.metric_min).toEqual(runs[i].metric_min);
      expect(run.metric_max).toEqual(runs[i].metric_max);
      const { parameters, metrics, labels, metric_min, metric_max, ...rest } =
        runs[i];
      for (const [key, value] of Object.entries(rest)) {
        expect((run as unknown as Record<string, unknown>)[key]).toEqual(value);
      }
      void [parameters, metrics, labels, metric_min, metric_max];
    });
    // a run with no statistics has none
    expect(compact[1].metric_min).toBeUndefined();
  });

  it('read one value without making the map, a missing key is none', () => {
    const [a, b, c] = compactRuns(page());
    expect(summaryValue(a, 'parameters', 'opt')).toBe('adam');
    expect(summaryValue(a, 'metric_min', 'loss')).toBe(0.25);
    expect(summaryValue(a, 'metrics', 'bad')).toEqual({ $float: 'nan' });
    expect(summaryValue(b, 'parameters', 'opt')).toBeUndefined();
    expect(summaryValue(b, 'metric_max', 'loss')).toBeUndefined();
    expect(summaryValue(c, 'labels', 'team')).toBe('blue');
  });

  it('never answer with something inherited, compact or not', () => {
    // a run that lacks a parameter named like an Object member has no value for it
    for (const run of [page()[1], compactRuns(page())[1]]) {
      for (const key of [
        'constructor',
        'toString',
        '__proto__',
        'hasOwnProperty'
      ]) {
        expect(summaryValue(run, 'parameters', key)).toBeUndefined();
        const column: Column = { kind: 'param', key };
        expect(cellText(run, column)).toBe('—');
      }
    }
    // and a run that has one shows it
    expect(
      summaryValue(compactRuns(page())[0], 'parameters', 'constructor')
    ).toBe('x');
  });

  it('show the same cells and groups as the parsed runs', () => {
    const runs = page();
    const compact = compactRuns(runs);
    const columns: Column[] = [
      { kind: 'field', key: 'name' },
      { kind: 'field', key: 'status' },
      { kind: 'param', key: 'alpha' },
      { kind: 'param', key: 'depth' },
      { kind: 'metric', key: 'loss', stat: 'last' },
      { kind: 'metric', key: 'loss', stat: 'min' },
      { kind: 'metric', key: 'loss', stat: 'max' },
      { kind: 'metric', key: 'note', stat: 'last' },
      { kind: 'metric', key: 'ok', stat: 'last' },
      { kind: 'label', key: 'team' }
    ];
    const texts = (rs: RestWire.IRunSummary[]) =>
      rs.map(run => columns.map(column => cellText(run, column)));
    expect(texts(compact)).toEqual(texts(runs));
    expect(texts(compact)[0].slice(2, 7)).toEqual([
      '0.1',
      '—',
      '0.5',
      '0.25',
      '0.75'
    ]);
    const groups = (rs: RestWire.IRunSummary[]) =>
      groupRows(rs, 'alpha').map(r =>
        r.kind === 'group' ? `${r.value}:${r.count}` : r.run.id
      );
    expect(groups(compact)).toEqual(groups(runs));
  });

  it('share one key list per page, and collecting keys adds each page once', () => {
    const first = compactRuns(page());
    const second = compactRuns([summary(4, { parameters: { lr: '1' } })]);
    expect(first[0]).toBeInstanceOf(CompactRun);
    // every run of a page answers with the page's keys (a superset of its own)
    expect(keysSeen(first[2], 'parameters')).toBe(
      keysSeen(first[0], 'parameters')
    );
    expect([...keysSeen(first[2], 'parameters')].sort()).toEqual([
      'alpha',
      'constructor',
      'depth',
      'opt'
    ]);
    // a plain run answers with its own keys
    expect(keysSeen(page()[1], 'parameters')).toEqual(['alpha', 'depth']);
    const seen = new KeyCollector('parameters');
    [...first, ...second, page()[2]].forEach(run => seen.add(run));
    expect([...seen.keys].sort()).toEqual([
      'alpha',
      'constructor',
      'depth',
      'lr',
      'opt'
    ]);
  });

  it('keep a field named like one of their own members as data, not code', () => {
    // a summary with an unexpected field named like a method is not taken as one
    const odd = {
      ...summary(5),
      value: 'not a method',
      pageKeys: 1,
      _page: null,
      _row: 9
    } as unknown as RestWire.IRunSummary;
    const [run] = compactRuns([odd]);
    expect(summaryValue(run, 'parameters', 'alpha')).toBe('5');
    expect(keysSeen(run, 'parameters')).toEqual(['alpha']);
  });
});
