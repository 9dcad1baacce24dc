import { columnOffsets } from '../windowing';
import { nearestGap, placeOfGap } from '../columnDrag';

describe('dragging a heading', () => {
  // columns 100, 50 and 200 px wide: edges at 0, 100, 150, 350
  const offsets = [0, 100, 150, 350];

  it('drops into the gap nearest the pointer: the middle of a column divides its gaps', () => {
    expect(nearestGap(-30, offsets)).toBe(0);
    expect(nearestGap(49, offsets)).toBe(0);
    expect(nearestGap(50, offsets)).toBe(1);
    expect(nearestGap(124, offsets)).toBe(1);
    expect(nearestGap(125, offsets)).toBe(2);
    expect(nearestGap(249, offsets)).toBe(2);
    expect(nearestGap(250, offsets)).toBe(3);
    expect(nearestGap(10000, offsets)).toBe(3);
  });

  it('finds the gap among 5,000 columns as a walk over every column would', () => {
    const widths = Array.from(
      { length: 5000 },
      (_, i) => 40 + ((i * 37) % 211)
    );
    const edges = columnOffsets(widths);
    for (let x = -5; x < edges[5000] + 5; x += 97) {
      let walk = 0;
      while (walk < 5000 && (edges[walk] + edges[walk + 1]) / 2 <= x) {
        walk++;
      }
      expect(nearestGap(x, edges)).toBe(walk);
    }
  });

  it('moves a column to the place the gap gives once it has left its own', () => {
    // the second of four columns (place 1)
    expect(placeOfGap(1, 0)).toBe(0);
    expect(placeOfGap(1, 1)).toBe(1); // the gap at its left: nowhere
    expect(placeOfGap(1, 2)).toBe(1); // the gap at its right: nowhere
    expect(placeOfGap(1, 3)).toBe(2);
    expect(placeOfGap(1, 4)).toBe(3);
  });
});
