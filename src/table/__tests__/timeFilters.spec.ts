// The reader is in Berlin (jest.config.js sets TZ; UTC+1 in November): typed dates are
// theirs, not UTC's.

import { parseColumnFilter, queryFromFilters } from '../filters';
import { cellText, Column, defaultWidth, TableRun } from '../columns';
import { DEFAULT_QUERY, isFiltered, toSearchParams } from '../../runs/query';
import { summary } from '../../__tests__/runFixtures';
import { formatStamp, typedTimeSpan } from '../../time';

const published: Column = { kind: 'field', key: 'received' };
const started: Column = { kind: 'field', key: 'start' };

describe('the Published and Started filters', () => {
  it('read a day in the reader’s time zone as that whole day, to the microsecond', () => {
    expect(parseColumnFilter(published, '2026-11-30')).toEqual({
      time: {
        field: 'received',
        from: '2026-11-29T23:00:00.000Z',
        to: '2026-11-30T22:59:59.999999Z'
      }
    });
  });

  it('read bounds before and after a day, a minute or a second', () => {
    const range = (column: Column, text: string) =>
      (parseColumnFilter(column, text) as { time: unknown }).time;
    expect(range(published, '>=2026-11-30')).toEqual({
      field: 'received',
      from: '2026-11-29T23:00:00.000Z',
      to: null
    });
    // after the day: from the next midnight
    expect(range(published, '> 2026-11-30')).toEqual({
      field: 'received',
      from: '2026-11-30T23:00:00.000Z',
      to: null
    });
    // before the minute: up to its first microsecond, not included
    expect(range(started, '<2026-11-30 08:15')).toEqual({
      field: 'start',
      from: null,
      to: '2026-11-30T07:14:59.999999Z'
    });
    // up to and with the second
    expect(range(started, '<= 2026-11-30T08:15:30')).toEqual({
      field: 'start',
      from: null,
      to: '2026-11-30T07:15:30.999999Z'
    });
    // an instant with its zone means that instant, wherever the reader is
    expect(range(started, '>=2026-11-30T08:15:00Z')).toEqual({
      field: 'start',
      from: '2026-11-30T08:15:00.000Z',
      to: null
    });
  });

  it('read a range of days with both days included, and open ranges', () => {
    const range = (text: string) =>
      (parseColumnFilter(published, text) as { time: unknown }).time;
    expect(range('2026-11-29..2026-11-30')).toEqual({
      field: 'received',
      from: '2026-11-28T23:00:00.000Z',
      to: '2026-11-30T22:59:59.999999Z'
    });
    expect(range('2026-11-29 ..')).toEqual({
      field: 'received',
      from: '2026-11-28T23:00:00.000Z',
      to: null
    });
    expect(range('..2026-11-29 12:00')).toEqual({
      field: 'received',
      from: null,
      to: '2026-11-29T11:00:59.999999Z'
    });
  });

  it('say in one sentence what does not read as a time, and do not roll dates over', () => {
    for (const text of [
      'tomorrow',
      '3 months ago',
      'last 0 days',
      '2 hours',
      '9999999 days ago',
      '110000 weeks ago', // before the year 1
      'last 7 days..',
      '2026-02-30',
      '2026-11-30 25:00',
      '30/11/2026',
      '..',
      '2026-12-01..2026-11-30',
      '>=2026-11-30..'
    ]) {
      const got = parseColumnFilter(published, text) as { error: string };
      expect(got.error).toMatch(/^Filter Published with a date or time .*\.$/);
    }
    expect(typedTimeSpan('2026-02-29')).toBeNull(); // 2026 is no leap year
    expect(typedTimeSpan('2028-02-29')).not.toBeNull();
  });

  it('become the query of GET runs beside the other filters', () => {
    const { query, errors } = queryFromFilters(
      DEFAULT_QUERY,
      [published, started, { kind: 'param', key: 'alpha' }],
      {
        'field:received': '>=2026-11-30',
        'field:start': '2026-11-29..2026-11-30',
        'param:alpha': '<200'
      }
    );
    expect(errors).toEqual({});
    expect(isFiltered(query)).toBe(true);
    const params = toSearchParams(query, 50);
    expect(params.getAll('received')).toEqual(['2026-11-29T23:00:00.000Z..']);
    expect(params.getAll('start')).toEqual([
      '2026-11-28T23:00:00.000Z..2026-11-30T22:59:59.999999Z'
    ]);
    expect(params.getAll('param')).toEqual(['alpha<200']);
    // and clearing the boxes clears the times
    const cleared = queryFromFilters(query, [published, started], {}).query;
    expect(cleared.times).toEqual([]);
    expect(isFiltered(cleared)).toBe(false);
  });
});

describe('relative times in the Published and Started filters', () => {
  // Wednesday 2026-10-28 12:00 in Berlin (UTC+1): summer time (UTC+2) ended on the 25th
  const NOW = new Date('2026-10-28T11:00:00.000Z');
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  /** Each typed filter, in either column, and the range the server is asked for. */
  const reads = (cases: [Column, string, string | null, string | null][]) => {
    for (const [column, text, from, to] of cases) {
      expect([text, parseColumnFilter(column, text)]).toEqual([
        text,
        { time: { field: column.key, from, to } }
      ]);
    }
  };

  it('read today and yesterday as the reader’s whole days', () => {
    reads([
      [
        published,
        'today',
        '2026-10-27T23:00:00.000Z',
        '2026-10-28T22:59:59.999999Z'
      ],
      [
        started,
        ' Yesterday ',
        '2026-10-26T23:00:00.000Z',
        '2026-10-27T22:59:59.999999Z'
      ],
      // both days of a range, and the bound before a day
      [
        published,
        'yesterday..today',
        '2026-10-26T23:00:00.000Z',
        '2026-10-28T22:59:59.999999Z'
      ],
      [published, '<today', null, '2026-10-27T22:59:59.999999Z']
    ]);
  });

  it('read a trailing period from then on, with runs that arrive later', () => {
    reads([
      [published, 'last 24 hours', '2026-10-27T11:00:00.000Z', null],
      [started, 'past 30 min', '2026-10-28T10:30:00.000Z', null],
      // days are the reader's calendar days: a week back is 12:00 on the 21st, summer time
      [published, 'last 7 days', '2026-10-21T10:00:00.000Z', null],
      [published, 'LAST WEEK', '2026-10-21T10:00:00.000Z', null]
    ]);
  });

  it('read "ago" as an instant, before or after which runs are filtered', () => {
    reads([
      [started, '<3 hours ago', null, '2026-10-28T07:59:59.999999Z'],
      [started, '>= 2d ago', '2026-10-26T11:00:00.000Z', null],
      // now included
      [
        started,
        '2 weeks ago..now',
        '2026-10-14T10:00:00.000Z',
        '2026-10-28T11:00:00.000999Z'
      ],
      // far back, to the year 1: 12:00 at Berlin's local mean time (UTC+0:53:28)
      [started, '>100000 weeks ago', '0110-04-16T11:06:32.001Z', null]
    ]);
    // counted from when the box is read
    jest.setSystemTime(new Date('2026-10-28T11:30:00.000Z'));
    reads([[started, '>=2d ago', '2026-10-26T11:30:00.000Z', null]]);
  });

  it('become the query of GET runs', () => {
    const { query, errors } = queryFromFilters(DEFAULT_QUERY, [published], {
      'field:received': 'last 24 hours'
    });
    expect(errors).toEqual({});
    expect(toSearchParams(query, 50).getAll('received')).toEqual([
      '2026-10-27T11:00:00.000Z..'
    ]);
  });
});

describe('time cells', () => {
  it('show the time in the reader’s zone as the filter reads it back', () => {
    const run = {
      ...summary(1),
      received: '2026-11-30T07:15:30.123456Z',
      start: null
    } as unknown as TableRun;
    expect(cellText(run, published)).toBe('2026-11-30 08:15:30');
    expect(cellText(run, started)).toBe('—');
    expect(parseColumnFilter(published, cellText(run, published))).toEqual({
      time: {
        field: 'received',
        from: '2026-11-30T07:15:30.000Z',
        to: '2026-11-30T07:15:30.999999Z'
      }
    });
    expect(formatStamp('not a time')).toBe('not a time');
  });

  it('are wide enough for the whole time', () => {
    expect(defaultWidth(published)).toBeGreaterThan(
      defaultWidth({ kind: 'field', key: 'status' })
    );
  });
});
