import { fireEvent, render } from '@testing-library/react';
import React from 'react';
import { MIN_GAP, ParallelCoordinates } from '../ParallelCoordinates';
import {
  IParallelRow,
  brushText,
  brushed,
  buildAxes,
  position,
  ticks
} from '../parallel';

const rows: IParallelRow[] = [
  { id: 'a', label: 'trial 0', values: { lr: 0.001, opt: 'sgd', acc: 0.7 } },
  { id: 'b', label: 'trial 1', values: { lr: 0.01, opt: 'adam', acc: 0.9 } },
  { id: 'c', label: 'trial 2', values: { lr: 0.1, opt: 'adam', acc: null } },
  {
    id: 'd',
    label: 'trial 3',
    values: { lr: 1, opt: 5, acc: { $float: 'nan' } }
  }
];

describe('parallel-coordinates scales', () => {
  it('places numbers linearly or logarithmically and text as evenly spaced categories', () => {
    // Given rows with a numeric, a text-and-number and a partly missing dimension
    // When their axes are built, lr on a log scale
    const [lr, opt, acc] = buildAxes(
      rows,
      ['lr', 'opt', 'acc'],
      new Set(['lr'])
    );
    // Then lr spans 0.001 to 1 in decades, opt is categories, acc (with a NaN) is categories too
    expect(lr).toEqual({ kind: 'log', name: 'lr', min: 0.001, max: 1 });
    expect(position(lr, 0.01)).toBeCloseTo(1 / 3);
    expect(position(lr, 0.1)).toBeCloseTo(2 / 3);
    expect(ticks(lr).map(t => t.text)).toEqual(['0.001', '0.01', '0.1', '1']);
    expect(opt).toEqual({
      kind: 'category',
      name: 'opt',
      categories: ['5', 'adam', 'sgd']
    });
    expect(position(opt, 'adam')).toBe(0.5);
    expect(position(opt, 'rmsprop')).toBeNull();
    expect(acc.kind).toBe('category');
    // And a missing value has no place
    expect(position(acc, null)).toBeNull();
  });

  it('scales a linear axis between its extremes with round ticks, and a constant in the middle', () => {
    // Given a linear dimension and a constant one
    const [acc, k] = buildAxes(
      [
        { id: 'x', label: 'x', values: { acc: 0.62, k: 3 } },
        { id: 'y', label: 'y', values: { acc: 0.97, k: 3 } }
      ],
      ['acc', 'k']
    );
    // When values are placed
    // Then the extremes are the ends, ticks are round numbers inside, the constant sits at 0.5
    expect(position(acc, 0.62)).toBe(0);
    expect(position(acc, 0.97)).toBe(1);
    expect(ticks(acc).map(t => t.text)).toEqual(['0.7', '0.8', '0.9']);
    expect(position(k, 3)).toBe(0.5);
    expect(ticks(k)).toEqual([{ at: 0.5, text: '3' }]);
  });

  it('keeps the rows inside every brush; a row missing a brushed value is outside', () => {
    // Given log-scaled lr and categorical opt
    const axes = buildAxes(rows, ['lr', 'opt', 'acc'], new Set(['lr']));
    // When lr is brushed over its lower half
    const lower = { lr: { lo: 0, hi: 0.5 } };
    // Then the two smallest learning rates are kept
    expect(brushed(rows, axes, lower)).toEqual(['a', 'b']);
    expect(brushText(axes[0], lower.lr)).toBe('0.001 – 0.03162');
    // When opt is brushed too, at adam's place only (a brush drawn upside down counts)
    const both = { ...lower, opt: { lo: 0.6, hi: 0.4 } };
    // Then only the row inside both brushes is kept
    expect(brushed(rows, axes, both)).toEqual(['b']);
    expect(brushText(axes[1], both.opt)).toBe('adam');
    // When acc is brushed over all of it, the row with no acc is left out
    expect(brushed(rows, axes, { acc: { lo: 0, hi: 1 } })).toEqual([
      'a',
      'b',
      'd'
    ]);
    // And no brush keeps every row
    expect(brushed(rows, axes, {})).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('ParallelCoordinates', () => {
  it('draws one line per row and filters them by dragging along an axis', () => {
    // Given a plot of four rows (axes 200 px high from y=30) that reports its filter
    const onFilter = jest.fn();
    const onOpen = jest.fn();
    const { container, getByText } = render(
      <ParallelCoordinates
        title="Trials"
        rows={rows}
        dimensions={['lr', 'opt']}
        log={new Set(['lr'])}
        highlight="b"
        width={400}
        height={252}
        onFilter={onFilter}
        onOpen={onOpen}
      />
    );
    const lines = () =>
      Array.from(
        container.querySelectorAll('path.jp-Dotscience-parallel-line')
      );
    expect(lines()).toHaveLength(4);
    expect(onFilter).toHaveBeenLastCalledWith(null);
    // the highlighted line is drawn last, on top
    expect(lines()[3].getAttribute('data-id')).toBe('b');
    // When lr is dragged from its bottom to its middle
    const hit = container.querySelector('rect[data-brush="lr"]')!;
    fireEvent.mouseDown(hit, { clientY: 230 });
    fireEvent.mouseMove(document, { clientY: 180 });
    fireEvent.mouseUp(document, { clientY: 130 });
    // Then the two rows inside are kept, the others greyed, and the status says so
    expect(onFilter).toHaveBeenLastCalledWith(['a', 'b']);
    const filtered = lines()
      .filter(l => l.classList.contains('jp-mod-filtered'))
      .map(l => l.getAttribute('data-id'));
    expect(filtered.sort()).toEqual(['c', 'd']);
    expect(getByText(/2 of 4 shown: lr 0.001 – 0.03162/)).toBeTruthy();
    // When the axis is clicked without a drag
    fireEvent.mouseDown(hit, { clientY: 150 });
    fireEvent.mouseUp(document, { clientY: 151 });
    // Then the brush is gone and every row is back
    expect(onFilter).toHaveBeenLastCalledWith(null);
    expect(container.querySelectorAll('.jp-mod-filtered')).toHaveLength(0);
    // When a drag starts above the top of the axis (its brushable area reaches past it)
    expect(Number(hit.getAttribute('y'))).toBeLessThan(30);
    fireEvent.mouseDown(hit, { clientY: 24 });
    fireEvent.mouseUp(document, { clientY: 60 });
    // Then the brush starts at the top: the row at the top of lr is kept
    expect(onFilter).toHaveBeenLastCalledWith(['d']);
    fireEvent.click(getByText('Clear brushes'));
    expect(onFilter).toHaveBeenLastCalledWith(null);
    // When a line is clicked, it is opened
    fireEvent.click(lines()[0]);
    expect(onOpen).toHaveBeenCalledWith(lines()[0].getAttribute('data-id'));
  });
});

describe('a plot of many axes', () => {
  it('keeps room between them, scrolls sideways, and cuts long names to it', () => {
    // Given 150 parameters that differ, drawn in a 600 px wide container
    const dims = Array.from(
      { length: 150 },
      (_, k) => `learning_rate_schedule_${k}`
    );
    const many: IParallelRow[] = [0, 1, 2].map(i => ({
      id: `r${i}`,
      label: `run ${i}`,
      values: Object.fromEntries(dims.map((d, k) => [d, i * k]))
    }));
    const { container } = render(
      <ParallelCoordinates
        title="runs"
        rows={many}
        dimensions={dims}
        width={600}
      />
    );
    // Then the axes are at least MIN_GAP apart (not 3.4 px), in a plot wider than the
    // container that scrolls sideways
    const xs = Array.from(
      container.querySelectorAll('.jp-Dotscience-parallel-axis > line')
    ).map(l => Number(l.getAttribute('x1')));
    expect(xs).toHaveLength(150);
    for (let k = 1; k < xs.length; k++) {
      expect(xs[k] - xs[k - 1]).toBeGreaterThanOrEqual(MIN_GAP - 0.001);
    }
    const svg = container.querySelector('svg')!;
    expect(Number(svg.getAttribute('width'))).toBeGreaterThanOrEqual(
      149 * MIN_GAP
    );
    expect(svg.parentElement!.className).toBe('jp-Dotscience-parallel-scroll');
    // And a name longer than that room is cut, whole in its tooltip
    const name = container.querySelector('.jp-Dotscience-parallel-name')!;
    const shown = name.firstChild!.textContent!;
    expect(shown).toMatch(/^learning_r\w*…$/);
    expect(shown.length * 7).toBeLessThanOrEqual(MIN_GAP);
    expect(name.querySelector('title')!.textContent).toBe(
      'learning_rate_schedule_0'
    );
  });

  it('spreads a few axes over the whole width, names whole', () => {
    // Given two axes in 600 px: Then the plot is as wide as its container, names whole
    const { container } = render(
      <ParallelCoordinates
        title="runs"
        rows={rows}
        dimensions={['lr', 'opt']}
        width={600}
      />
    );
    expect(container.querySelector('svg')!.getAttribute('width')).toBe('600');
    expect(
      Array.from(
        container.querySelectorAll('.jp-Dotscience-parallel-name')
      ).map(n => n.textContent)
    ).toEqual(['lr', 'opt']);
  });
});

describe('line colours', () => {
  const two: IParallelRow[] = [
    { id: 'low', label: 'run 1', values: { alpha: 0.1, accuracy: 0.6 } },
    { id: 'high', label: 'run 2', values: { alpha: 0.2, accuracy: 0.9 } },
    { id: 'none', label: 'run 3', values: { alpha: 0.3, accuracy: null } }
  ];

  it('colours each line by its value on the last axis, low to high, with a legend', () => {
    // Given two runs with different accuracies (the last axis) and one without
    const { container } = render(
      <ParallelCoordinates
        title="runs"
        rows={two}
        dimensions={['alpha', 'accuracy']}
        width={400}
      />
    );
    const stroke = (id: string) =>
      (
        container.querySelector(
          `.jp-Dotscience-parallel-lines [data-id="${id}"]`
        ) as SVGPathElement
      ).style.stroke;
    // Then the two lines are told apart by colour (not both the same blue)
    expect(stroke('low')).not.toBe('');
    expect(stroke('high')).not.toBe('');
    expect(stroke('low')).not.toBe(stroke('high'));
    // And the line without a value keeps the theme's colour
    expect(stroke('none')).toBe('');
    // And a legend says what the colour means
    expect(
      container.querySelector('.jp-Dotscience-parallel-legend')?.textContent
    ).toContain('colour: accuracy');
  });

  it('greys the lines the brushes leave out, whatever their value', () => {
    // Given a brush on accuracy keeping only the high run
    const { container } = render(
      <ParallelCoordinates
        title="runs"
        rows={two}
        dimensions={['alpha', 'accuracy']}
        width={400}
        height={260}
      />
    );
    const hit = container.querySelectorAll('.jp-Dotscience-parallel-hit')[1];
    const svg = container.querySelector('svg')!;
    svg.getBoundingClientRect = () =>
      ({ top: 0, left: 0, width: 400, height: 260 }) as DOMRect;
    fireEvent.mouseDown(hit, { button: 0, clientY: 20 });
    fireEvent.mouseMove(document, { clientY: 60 });
    fireEvent.mouseUp(document, { clientY: 60 });
    // Then the low run's line is filtered and has no colour of its own
    const low = container.querySelector(
      '.jp-Dotscience-parallel-lines [data-id="low"]'
    ) as SVGPathElement;
    expect(low.classList.contains('jp-mod-filtered')).toBe(true);
    expect(low.style.stroke).toBe('');
  });
});
