/**
 * Dragging a Runs table column's heading to another place among the columns.
 */

import { columnAt } from './windowing';

/**
 * How far the pointer moves, in px, before a press on a heading becomes a drag (a shorter
 * move is a click: the sort).
 */
export const DRAG_START = 6;

/**
 * How near the grid's edge, in px, the pointer scrolls the table sideways while dragging.
 */
const EDGE = 40;

/**
 * The most the table scrolls sideways in a frame while dragging at its edge, in px, at
 * first and after a second held there (it speeds up: hundreds of columns go by in a few
 * seconds, the next few one by one).
 */
const FIRST_STEP = 24;
const FAST_STEP = 160;

/**
 * The gap between columns nearest a point: 0 before the first column, `i` between
 * columns `i - 1` and `i`, `offsets.length - 1` after the last.
 *
 * @param x the point, in px from the left edge of the first column
 * @param offsets each column's left edge (and the end of the last), in px
 * @returns the gap's index
 */
export function nearestGap(x: number, offsets: readonly number[]): number {
  if (offsets.length < 2) {
    return 0;
  }
  // the column under x; the gap at its right edge when x is past its middle
  const c = columnAt(offsets, x);
  return x >= (offsets[c] + offsets[c + 1]) / 2 ? c + 1 : c;
}

/**
 * The place a column dropped into a gap takes, once it has left its own place.
 *
 * @param at the column's place
 * @param gap the gap it is dropped into (`nearestGap`)
 * @returns its new place (`at` when the drop moves nothing: either gap beside it)
 */
export function placeOfGap(at: number, gap: number): number {
  return gap > at ? gap - 1 : gap;
}

/**
 * What a drag of a heading needs from the table.
 */
export interface IColumnDrag {
  /** the column's place among the columns that move */
  at: number;
  /** the grid that scrolls sideways */
  grid: HTMLElement;
  /** where a point on screen is, in px from the left edge of the first column */
  contentX: (clientX: number) => number;
  /** the left edge of each column that moves (and the end of the last), in px */
  offsets: readonly number[];
  /** the width of what stays at the grid's left edge (checkboxes, the pinned name) */
  lead: number;
  /** the press has become a drag (the click that ends it is no sort) */
  onStart: () => void;
  /** shows where the column would go (a gap), or nothing (null) */
  onGap: (gap: number | null) => void;
  /** moves the column to a place */
  onDrop: (place: number) => void;
}

/**
 * Follow a press on a heading: past `DRAG_START` px it becomes a drag that shows the gap
 * the column would drop into, scrolls the table sideways at its edges, and on release
 * moves the column there. Escape, or a cancelled pointer, drops nothing.
 *
 * @param event the press
 * @param drag what the drag needs from the table
 */
export function followColumnDrag(event: PointerEvent, drag: IColumnDrag): void {
  const handle = event.target as Element;
  const from = event.clientX;
  let x = from;
  let dragging = false;
  let gap: number | null = null;
  let frame = 0;
  let held = 0; // frames at an edge
  handle.setPointerCapture?.(event.pointerId);
  const doc = handle.ownerDocument;
  const place = () => {
    const next = nearestGap(drag.contentX(x), drag.offsets);
    // either gap beside the column leaves it where it is: no mark
    const shown = placeOfGap(drag.at, next) === drag.at ? null : next;
    if (shown !== gap) {
      gap = shown;
      drag.onGap(gap);
    }
  };
  // at the grid's edges, scroll sideways as far as the pointer is into the edge, a step
  // each frame, and keep the mark under the pointer
  const tick = () => {
    frame = 0;
    if (!dragging) {
      return;
    }
    const box = drag.grid.getBoundingClientRect();
    const left = box.left + drag.lead + EDGE - x;
    const right = x - (box.right - EDGE);
    const depth = Math.max(left, right);
    held = depth > 0 ? held + 1 : 0;
    const most =
      FIRST_STEP + ((FAST_STEP - FIRST_STEP) * Math.min(held, 60)) / 60;
    const step =
      depth > 0 ? Math.sign(right) * Math.min(most, depth / 2 + held) : 0;
    if (step) {
      const before = drag.grid.scrollLeft;
      drag.grid.scrollLeft = before + step;
      if (drag.grid.scrollLeft !== before) {
        frame = requestAnimationFrame(tick);
      }
    }
    place();
  };
  const move = (e: PointerEvent) => {
    if (e.pointerId !== event.pointerId) {
      return;
    }
    x = e.clientX;
    if (!dragging && Math.abs(x - from) < DRAG_START) {
      return;
    }
    if (!dragging) {
      dragging = true;
      drag.grid.classList.add('jp-mod-dragColumn');
      drag.onStart();
    }
    e.preventDefault(); // no text selected on the way
    frame ||= requestAnimationFrame(tick);
  };
  const finish = (drop: boolean) => {
    cancelAnimationFrame(frame);
    frame = 0;
    doc.removeEventListener('pointermove', move, true);
    doc.removeEventListener('pointerup', up, true);
    doc.removeEventListener('pointercancel', cancel, true);
    doc.removeEventListener('keydown', key, true);
    drag.grid.classList.remove('jp-mod-dragColumn');
    if (dragging) {
      if (drop) {
        place();
        if (gap !== null) {
          drag.onDrop(placeOfGap(drag.at, gap));
        }
      }
      drag.onGap(null);
    }
  };
  const up = (e: PointerEvent) => {
    if (e.pointerId === event.pointerId) {
      finish(true);
    }
  };
  const cancel = (e: PointerEvent) => {
    if (e.pointerId === event.pointerId) {
      finish(false);
    }
  };
  const key = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && dragging) {
      e.preventDefault();
      e.stopPropagation();
      finish(false);
    }
  };
  // on the document: the heading pressed leaves the page when the table scrolls it out
  // of the columns drawn, and its pointer capture with it
  doc.addEventListener('pointermove', move, true);
  doc.addEventListener('pointerup', up, true);
  doc.addEventListener('pointercancel', cancel, true);
  doc.addEventListener('keydown', key, true);
}
