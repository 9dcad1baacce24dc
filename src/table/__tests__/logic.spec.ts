import { columnAt, columnOffsets, columnWindow, rowWindow } from '../windowing';
import { groupRows } from '../grouping';
import { parseColumnFilter, queryFromFilters } from '../filters';
import {
  availableColumns,
  cellText,
  Column,
  serverSort,
  TableRun
} from '../columns';
import { DEFAULT_QUERY, isFiltered, toSearchParams } from '../../runs/query';
import { summary } from '../../__tests__/runFixtures';

describe('windowing both ways', () => {
  it('draws only the rows in view of 10,000, plus the overscan', () => {
    // Given 10,000 rows of 28 px in a 560 px viewport scrolled to row 5,000
    const [first, end] = rowWindow(5000 * 28, 560, 28, 10000, 4);
    // Then 20 rows in view and 4 on each side are drawn
    expect([first, end]).toEqual([4996, 5024]);
    // And at the very end the window stops at the last row
    expect(rowWindow(10000 * 28, 560, 28, 10000, 4)).toEqual([9996, 10000]);
    // And an empty table draws nothing
    expect(rowWindow(0, 560, 28, 0, 4)).toEqual([0, 0]);
  });

  it('finds the columns in view among 1,000 of different widths', () => {
    // Given 1,000 columns alternately 100 and 200 px wide
    const widths = Array.from({ length: 1000 }, (_, i) => (i % 2 ? 200 : 100));
    const offsets = columnOffsets(widths);
    expect(offsets[1000]).toBe(150000);
    // When the view is 900 px wide and scrolled to 75,000 px (column 500's left)
    expect(columnAt(offsets, 75000)).toBe(500);
    expect(columnAt(offsets, 75099)).toBe(500);
    expect(columnAt(offsets, 75100)).toBe(501);
    const [first, end] = columnWindow(offsets, 75000, 900, 2);
    // Then columns 500..505 are in view (900 px = 100+200+100+200+100+200) and two more
    // on each side are drawn: a few, never the thousand
    expect([first, end]).toEqual([498, 508]);
    // And past the right edge the window is clamped
    expect(columnWindow(offsets, 149950, 900, 2)[1]).toBe(1000);
  });
});

describe('grouping by a parameter', () => {
  const runs = [
    summary(0, { parameters: { opt: 'adam' } }),
    summary(1, { parameters: { opt: 'sgd' } }),
    summary(2, { parameters: { opt: 'adam' } }),
    summary(3, { parameters: {} })
  ] as TableRun[];

  it('puts a heading with its count before each group, in first-seen order', () => {
    const rows = groupRows(runs, 'opt');
    expect(
      rows.map(r => (r.kind === 'group' ? `# ${r.value} ${r.count}` : r.index))
    ).toEqual(['# adam 2', 0, 2, '# sgd 1', 1, '# — 1', 3]);
  });

  it('keeps only the heading of a collapsed group, and no headings without grouping', () => {
    const rows = groupRows(runs, 'opt', new Set(['adam']));
    expect(
      rows.map(r => (r.kind === 'group' ? `# ${r.value}` : r.index))
    ).toEqual(['# adam', '# sgd', 1, '# —', 3]);
    expect(groupRows(runs, null).map(r => r.kind)).toEqual([
      'run',
      'run',
      'run',
      'run'
    ]);
  });
});

describe('column filters become the server query', () => {
  const alpha: Column = { kind: 'param', key: 'alpha' };
  const loss: Column = { kind: 'metric', key: 'loss', stat: 'last' };
  const lossMin: Column = { kind: 'metric', key: 'loss', stat: 'min' };
  const team: Column = { kind: 'label', key: 'team' };
  const status: Column = { kind: 'field', key: 'status' };

  it('reads parameter, metric, label and status filters', () => {
    expect(parseColumnFilter(alpha, '0.1')).toEqual({ param: 'alpha=0.1' });
    expect(parseColumnFilter(alpha, '>= 3')).toEqual({ param: 'alpha>=3' });
    expect(parseColumnFilter(alpha, '!=adam')).toEqual({
      param: 'alpha!=adam'
    });
    expect(parseColumnFilter(loss, '<0.5')).toEqual({
      metric: { key: 'loss', min: null, max: 0.5 }
    });
    expect(parseColumnFilter(loss, '0.1..0.5')).toEqual({
      metric: { key: 'loss', min: 0.1, max: 0.5 }
    });
    expect(parseColumnFilter(team, 'ml')).toEqual({
      label: { key: 'team', value: 'ml' }
    });
    expect(parseColumnFilter(status, 'failed')).toEqual({
      field: 'status',
      value: 'failed'
    });
    expect(parseColumnFilter(alpha, '  ')).toBeNull();
  });

  it('filters every field column, the run by part of its name', () => {
    const name: Column = { kind: 'field', key: 'name' };
    expect(parseColumnFilter(name, ' sweep 3 ')).toEqual({ name: 'sweep 3' });
    const { query } = queryFromFilters(DEFAULT_QUERY, [name], {
      'field:name': 'sweep 3'
    });
    expect(toSearchParams(query, 50).get('name')).toBe('sweep 3');
    expect(isFiltered(query)).toBe(true);
    // every field a column can show (the picker's fields) reads as a filter of its own
    const fields = availableColumns({ params: [], metrics: [], labels: [] });
    expect(fields.length).toBe(7);
    for (const column of fields) {
      const key = column.key;
      const typed =
        key === 'status'
          ? 'failed'
          : key === 'received' || key === 'start'
            ? '2026-11-30'
            : 'x';
      const got = parseColumnFilter(column, typed);
      expect(got && 'error' in got ? got.error : null).toBeNull();
    }
  });

  it('says in one sentence what does not read as a filter', () => {
    for (const [column, text] of [
      [alpha, '<'],
      [alpha, '<adam'],
      [loss, 'low'],
      [loss, '!=3'],
      [lossMin, 'low'],
      [status, 'maybe']
    ] as [Column, string][]) {
      const got = parseColumnFilter(column, text) as { error: string };
      expect(got.error).toMatch(/^[A-Z<>=!].*\.$/);
    }
  });

  it('combines every column filter, leaving out the bad ones', () => {
    const { query, errors } = queryFromFilters(
      { ...DEFAULT_QUERY, sort: 'param:alpha', desc: false, params: ['old=1'] },
      [alpha, loss, team, status, lossMin],
      {
        'param:alpha': '<200',
        'metric:loss:last': '<=0.5',
        'label:team': 'ml',
        'field:status': 'succeeded',
        'metric:loss:min': '3'
      }
    );
    expect(query.params).toEqual(['alpha<200']);
    expect(query.metrics).toEqual([{ key: 'loss', min: null, max: 0.5 }]);
    expect(query.labels).toEqual([{ key: 'team', value: 'ml' }]);
    expect(query.status).toBe('succeeded');
    expect(query.sort).toBe('param:alpha');
    expect(Object.keys(errors)).toEqual(['metric:loss:min']);
  });
});

describe('cells and sorts', () => {
  it('shows a run value per column, a dash for none', () => {
    const run = {
      ...summary(7, { labels: { team: 'ml' } }),
      metric_min: { accuracy: 0.001 }
    } as TableRun;
    expect(cellText(run, { kind: 'field', key: 'name' })).toBe('run 7');
    expect(cellText(run, { kind: 'param', key: 'alpha' })).toBe('7');
    expect(cellText(run, { kind: 'param', key: 'beta' })).toBe('—');
    expect(cellText(run, { kind: 'label', key: 'team' })).toBe('ml');
    expect(
      cellText(run, { kind: 'metric', key: 'accuracy', stat: 'last' })
    ).toBe('0.007');
    expect(
      cellText(run, { kind: 'metric', key: 'accuracy', stat: 'max' })
    ).toBe('—');
  });

  it('sorts on the server by fields, parameters and metric values, not labels', () => {
    expect(serverSort({ kind: 'param', key: 'alpha' })).toBe('param:alpha');
    expect(serverSort({ kind: 'metric', key: 'loss', stat: 'last' })).toBe(
      'metric:loss'
    );
    expect(serverSort({ kind: 'field', key: 'received' })).toBe('received');
    expect(serverSort({ kind: 'metric', key: 'loss', stat: 'max' })).toBe(
      'metric.max:loss'
    );
    expect(serverSort({ kind: 'label', key: 'team' })).toBeNull();
  });
});
