/**
 * Windowing of the Runs table in both directions: only the rows and columns in view (plus
 * an overscan) are drawn, whatever the number of runs and columns.
 */

/**
 * The rows to draw.
 *
 * @param scrollTop the body's scroll offset
 * @param height the viewport height
 * @param rowHeight the height of every row
 * @param count the number of rows
 * @param overscan rows drawn beyond each edge
 * @returns `[first, end)`
 */
export function rowWindow(
  scrollTop: number,
  height: number,
  rowHeight: number,
  count: number,
  overscan: number
): [number, number] {
  if (count <= 0 || rowHeight <= 0) {
    return [0, 0];
  }
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const end = Math.min(
    count,
    Math.ceil((Math.max(0, scrollTop) + height) / rowHeight) + overscan
  );
  return [Math.min(first, count), Math.max(Math.min(first, count), end)];
}

/**
 * The left edge of each column and the total width (`offsets[i]` is column i's left,
 * `offsets[n]` the width of all columns).
 *
 * @param widths the width of each column
 * @returns the offsets
 */
export function columnOffsets(widths: readonly number[]): number[] {
  const offsets = new Array<number>(widths.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < widths.length; i++) {
    offsets[i + 1] = offsets[i] + Math.max(0, widths[i]);
  }
  return offsets;
}

/**
 * The index of the column under a horizontal position (binary search of the offsets).
 *
 * @param offsets from `columnOffsets`
 * @param x a position from the left of the first column
 * @returns the column index, clamped to the columns
 */
export function columnAt(offsets: readonly number[], x: number): number {
  const n = offsets.length - 1;
  if (n <= 0) {
    return 0;
  }
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= x) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

/**
 * The columns to draw.
 *
 * @param offsets from `columnOffsets`
 * @param scrollLeft the body's horizontal scroll offset
 * @param width the viewport width
 * @param overscan columns drawn beyond each edge
 * @returns `[first, end)`
 */
export function columnWindow(
  offsets: readonly number[],
  scrollLeft: number,
  width: number,
  overscan: number
): [number, number] {
  const n = offsets.length - 1;
  if (n <= 0) {
    return [0, 0];
  }
  const first = Math.max(
    0,
    columnAt(offsets, Math.max(0, scrollLeft)) - overscan
  );
  const last = columnAt(offsets, Math.max(0, scrollLeft + width - 1));
  return [first, Math.min(n, last + 1 + overscan)];
}

/**
 * The range to draw next while scrolling (rows or columns). The range drawn is kept
 * while it still covers the range in view, so a slow scroll redraws only every few rows;
 * otherwise the range in view is extended by `ahead` beyond the edge the user scrolls
 * towards and by `behind` beyond the other edge.
 *
 * @param drawn the range drawn now, `[first, end)`
 * @param view the range in view, `[first, end)`
 * @param count the number of rows (or columns)
 * @param forward whether the user scrolls towards the end
 * @param ahead extra rows drawn in the direction of the scroll
 * @param behind extra rows drawn on the other side
 * @returns the range to draw, `drawn` itself when it still covers the view
 */
export function followWindow(
  drawn: readonly [number, number],
  view: readonly [number, number],
  count: number,
  forward: boolean,
  ahead: number,
  behind: number
): readonly [number, number] {
  const [first, end] = [
    Math.max(0, Math.min(view[0], count)),
    Math.max(0, Math.min(view[1], count))
  ];
  if (
    drawn[0] <= first &&
    drawn[1] >= end &&
    drawn[1] <= count &&
    drawn[0] < drawn[1]
  ) {
    return drawn;
  }
  const before = forward ? behind : ahead;
  const after = forward ? ahead : behind;
  return [Math.max(0, first - before), Math.min(count, end + after)];
}
