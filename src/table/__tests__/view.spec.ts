import { availableColumns, Column, columnId } from '../columns';
import { columnFromId, EMPTY_VIEW, layoutOf, readView } from '../view';

describe('columnFromId', () => {
  it('reads back the id of every kind of column, keys with colons included', () => {
    const columns = availableColumns({
      params: ['alpha', 'opt:lr', ''],
      metrics: ['loss', 'val:loss'],
      labels: ['team']
    }).filter(c => c.key !== '');
    for (const column of columns) {
      expect(columnFromId(columnId(column))).toEqual(column);
    }
    expect(columnFromId('metric:val:loss:min')).toEqual({
      kind: 'metric',
      key: 'val:loss',
      stat: 'min'
    });
  });

  it('names no column for an id that is not one', () => {
    for (const id of [
      '',
      'alpha',
      'param:',
      'field:secret',
      'metric:loss',
      'metric:loss:median',
      'script:x',
      '__proto__'
    ]) {
      expect(columnFromId(id)).toBeNull();
    }
  });
});

describe('readView', () => {
  const alpha: Column = { kind: 'param', key: 'alpha' };

  it('reads back a view kept as JSON', () => {
    const view = {
      columns: [{ kind: 'field', key: 'name' }, alpha] as Column[],
      widths: { 'param:alpha': 300 },
      sort: { column: alpha, desc: true },
      filters: { 'param:alpha': '<0.5' },
      search: 'resnet',
      groupBy: 'opt',
      top: 1200,
      left: 340
    };
    expect(readView(JSON.parse(JSON.stringify(view)))).toEqual(view);
  });

  it('keeps what reads as a view from a broken one and drops the rest', () => {
    // Given a kept view edited by hand: columns of unknown kinds, repeated, a width out
    // of range or not a number, filters that are not text, a sort on no column
    const read = readView({
      columns: [
        alpha,
        { kind: 'script', key: 'rm -rf /' },
        { kind: 'metric', key: 'loss', stat: 'median' },
        { kind: 'metric', key: 'loss', stat: 'max' },
        alpha,
        'param:beta',
        null
      ],
      widths: {
        'param:alpha': 99999,
        'param:beta': 1,
        'param:gamma': 'wide',
        nonsense: 100
      },
      sort: { column: { kind: 'label' }, desc: 'yes' },
      filters: { 'param:alpha': 5, 'param:beta': '  ', 'param:c': '>1' },
      search: 42,
      groupBy: ['opt'],
      top: -5,
      left: 'far'
    });
    // Then the columns that read are kept once, the widths are clamped, and the rest is
    // as a new table has it
    expect(read).toEqual({
      columns: [alpha, { kind: 'metric', key: 'loss', stat: 'max' }],
      widths: { 'param:alpha': 2000, 'param:beta': 40 },
      sort: null,
      filters: { 'param:c': '>1' },
      search: '',
      groupBy: null,
      top: 0,
      left: 0
    });
    expect(readView({ top: 1e300, left: 12.6 })).toMatchObject({
      top: 10_000_000,
      left: 13
    });
    // And what is not an object at all is a new table's view
    for (const junk of [null, undefined, 'view', 7, [alpha]]) {
      expect(readView(junk)).toEqual(EMPTY_VIEW);
    }
  });

  it('starts a new table with the layout, not the filters nor the scroll', () => {
    const view = readView({
      columns: [alpha],
      widths: { 'param:alpha': 200 },
      sort: { column: alpha, desc: false },
      filters: { 'param:alpha': '<1' },
      search: 'x',
      groupBy: 'opt',
      top: 500,
      left: 90
    });
    expect(layoutOf(view)).toEqual({
      ...view,
      filters: {},
      search: '',
      top: 0,
      left: 0
    });
  });
});
