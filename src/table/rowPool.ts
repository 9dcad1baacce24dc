/**
 * The Runs table's body drawn without React: a pool of row elements, each row in view
 * held by the slot `index % capacity`, so a row that stays in view keeps its element and a
 * row that comes into view takes the element of one that left (its cells' text, width and
 * classes rewritten, no element made or reconciled per scroll frame). A row that leaves
 * the window stays in the document, moved out of sight, until its slot is taken: an
 * element taken out and put back gets a new tree of layout objects from the browser,
 * which made a fling allocate a row's layout objects for each row it drew and collect
 * them in a major garbage collection every few seconds. The cells of a row are a run of
 * the columns in view: a sideways scroll moves the cells of the columns that left to the
 * other end and writes only those. A row's checkbox is not in the row: it is in one
 * selection column at the body's left edge (see `_column`), at the row's line, and the
 * row owns it for assistive technology (`aria-owns`).
 *
 * The body is one stop in the tab order (a roving tab index): one control is tabbable, the
 * current line's checkbox or name (a group's heading button). The arrow keys move the focus
 * between lines (up, down; Page Up, Page Down; Ctrl+Home, Ctrl+End) and between a run's
 * checkbox and its name (left, right; Home, End), scrolling the line into view first.
 */
import { Column, cellText, TableRun } from './columns';
import { BodyRow } from './grouping';

/**
 * The columns as the grid draws them.
 */
export interface IPoolLayout {
  /** the columns that scroll sideways (the pinned one left out) */
  columns: readonly Column[];
  widths: readonly number[];
  offsets: readonly number[];
  ids: readonly string[];
  /** the column kept at the left edge beside the selection column (the run's name, so a
   * row says which run it is however far the table is scrolled sideways), if shown */
  pin: IPinned | null;
}

/**
 * The column pinned at the left edge.
 */
export interface IPinned {
  column: Column;
  id: string;
  width: number;
}

/**
 * The width of what stays at the left edge: the selection column and the pinned column.
 *
 * @param layout the columns
 * @param check the selection column's width
 * @returns the width in px
 */
export function leadWidth(layout: IPoolLayout, check: number): number {
  return check + (layout.pin?.width ?? 0);
}

/** the narrowest the pinned column is made to fit a narrow table (px) */
export const MIN_PIN = 80;

/**
 * The layout with the pinned column no wider than half the room beside the selection
 * column, so a narrow table still shows the columns it scrolls (the name is cut to fit,
 * whole in its tooltip). A wide enough table gets the layout as it is.
 *
 * @param layout the columns, the pinned one as wide as the user made it
 * @param viewWidth the table's width in px
 * @param check the selection column's width
 * @returns the layout drawn
 */
export function fitPin<L extends IPoolLayout>(
  layout: L,
  viewWidth: number,
  check: number
): L {
  const pin = layout.pin;
  const room = Math.max(MIN_PIN, Math.floor((viewWidth - check) / 2));
  return pin && pin.width > room
    ? { ...layout, pin: { ...pin, width: room } }
    : layout;
}

/**
 * What one draw of the body needs.
 */
export interface IPoolFrame {
  /** the body's lines */
  rows: readonly BodyRow[];
  /** the lines drawn, `[first, end)` */
  first: number;
  end: number;
  /** the columns drawn, `[firstCol, endCol)` */
  firstCol: number;
  endCol: number;
  layout: IPoolLayout;
  /** the top of line 0 (below the header) */
  top: number;
  rowHeight: number;
  /** the width of the view (a group's heading spans it) */
  viewWidth: number;
  /** the width of the selection column */
  check: number;
  /** the lines in view, `[first, end)` (within those drawn; by default all drawn) */
  shown?: readonly [number, number];
  /** the parameter the rows are grouped by */
  groupBy: string | null;
  isSelected: (id: string) => boolean;
}

/**
 * What the rows' controls do.
 */
export interface IPoolHandlers {
  /** open a run's detail (its name was clicked) */
  openRun: (id: string) => void;
  /** a run's checkbox was clicked (with shift: a range) */
  check: (id: string, shift: boolean) => void;
  /** a group's heading was clicked */
  toggleGroup: (value: string) => void;
  /**
   * Scroll line `line` into view, drawing the window that shows it before returning (the
   * keyboard moved the focus to it).
   */
  reveal: (line: number) => void;
  /** the up arrow was pressed on the first line: the focus goes to the header */
  toHead?: () => void;
}

/**
 * Which control of a line has the focus (or would, when the body is tabbed into): a
 * run's checkbox or its name, a group heading's button.
 */
type Part = 'check' | 'name';

/**
 * The keys that move the focus in the body, and where to.
 *
 * @param key the key (`KeyboardEvent.key`)
 * @param ctrl whether Ctrl (or Cmd) is held
 * @param page the lines in a view, for Page Up and Page Down
 * @returns lines to move by (`-Infinity`, `Infinity`: to the first, last) or the part to
 *   move to; null for any other key
 */
export function focusMove(
  key: string,
  ctrl: boolean,
  page: number
): { lines: number } | { part: Part } | null {
  switch (key) {
    case 'ArrowDown':
      return { lines: 1 };
    case 'ArrowUp':
      return { lines: -1 };
    case 'PageDown':
      return { lines: Math.max(1, page - 1) };
    case 'PageUp':
      return { lines: -Math.max(1, page - 1) };
    case 'Home':
      return ctrl ? { lines: -Infinity } : { part: 'check' };
    case 'End':
      return ctrl ? { lines: Infinity } : { part: 'name' };
    case 'ArrowLeft':
      return { part: 'check' };
    case 'ArrowRight':
      return { part: 'name' };
    default:
      return null;
  }
}

/**
 * The slot that holds a line while it is drawn.
 *
 * @param index the line's index
 * @param capacity the pool's size (at least the lines drawn at once)
 * @returns the slot, `0 <= slot < capacity`
 */
export function slotOf(index: number, capacity: number): number {
  return ((index % capacity) + capacity) % capacity;
}

/**
 * Where a row out of the window waits (px from the body's top): far above it, where
 * nothing is painted and no scrollable area grows.
 */
const PARKED = -100000;

/**
 * A row's width: every column and the selection column (a group's heading too).
 */
function rowWidth(frame: IPoolFrame): number {
  const { offsets, columns } = frame.layout;
  return offsets[columns.length] + leadWidth(frame.layout, frame.check);
}

/**
 * The pool's size for a window of `needed` lines: rounded up to a multiple of 16 and
 * never smaller than now (a pool that grows renumbers every slot, so it grows seldom).
 *
 * @param current the size now
 * @param needed the lines drawn at once
 * @returns the new size
 */
export function poolCapacity(current: number, needed: number): number {
  if (needed <= current) {
    return current;
  }
  return Math.ceil(needed / 16) * 16;
}

/**
 * How a row's run of cells goes from the columns `[from0, from1)` to `[to0, to1)`: the
 * cells of columns in both stay; `dropFront`/`dropBack` cells leave from each end and
 * `addFront`/`addBack` columns come in at each end. With no column in common every cell
 * is rewritten (`rewrite`).
 *
 * @param from the columns drawn now
 * @param to the columns to draw
 * @returns the moves
 */
export function cellMoves(
  from: readonly [number, number],
  to: readonly [number, number]
): {
  rewrite: boolean;
  dropFront: number;
  dropBack: number;
  addFront: number;
  addBack: number;
} {
  const lo = Math.max(from[0], to[0]);
  const hi = Math.min(from[1], to[1]);
  if (lo >= hi) {
    return {
      rewrite: true,
      dropFront: from[1] - from[0],
      dropBack: 0,
      addFront: 0,
      addBack: to[1] - to[0]
    };
  }
  return {
    rewrite: false,
    dropFront: lo - from[0],
    dropBack: from[1] - hi,
    addFront: lo - to[0],
    addBack: to[1] - hi
  };
}

/**
 * The text of each cell shown so far, by run and column id: a value is formatted once,
 * not on every draw of its row (the runs of a reload are new objects, so nothing stale is
 * kept).
 */
const TEXTS = new WeakMap<TableRun, Map<string, string>>();

/**
 * A cell's text, formatted once per run and column.
 *
 * @param run the row's run
 * @param column the column
 * @param id the column's id
 * @returns what the cell shows
 */
export function cachedText(run: TableRun, column: Column, id: string): string {
  let texts = TEXTS.get(run);
  if (!texts) {
    texts = new Map();
    TEXTS.set(run, texts);
  }
  let text = texts.get(id);
  if (text === undefined) {
    text = cellText(run, column);
    texts.set(id, text);
  }
  return text;
}

/**
 * The whole text of each cell whose text is cut to its width (for its tooltip).
 */
const WHOLE = new WeakMap<Element, string>();

/**
 * A cell's whole text (what its tooltip shows): the text it was given, also when it shows
 * only the start of it.
 *
 * @param cell a cell element of the table
 * @returns its whole text
 */
export function wholeText(cell: Element): string {
  return WHOLE.get(cell) ?? cell.textContent ?? '';
}

/**
 * Text that fits in a cell of a fixed-width font: cells are not clipped one by one (a
 * clip per cell costs the browser a third of each scroll frame), so a text of plain ASCII
 * is cut to the characters that fit, ending with an ellipsis. Other text (whose width is
 * not the characters' count), or any text when the font's character width is not known,
 * is returned as null: its cell clips it.
 *
 * @param text the cell's text
 * @param room the width for text, in px
 * @param charWidth the width of a character in px (0: unknown)
 * @returns the text to show, or null when the cell must clip it
 */
export function fitText(
  text: string,
  room: number,
  charWidth: number
): string | null {
  if (!(charWidth > 0) || !/^[\x20-\x7e]*$/.test(text)) {
    return null;
  }
  const fits = Math.max(0, Math.floor((room + 0.01) / charWidth));
  if (text.length <= fits) {
    return text;
  }
  return fits >= 1 ? text.slice(0, fits - 1) + '\u2026' : '';
}

/**
 * A cell element and what it shows.
 */
interface ICell {
  el: HTMLDivElement;
  /** the column it shows, or -1 */
  col: number;
  /** the run it shows */
  run: TableRun | null;
  width: number;
  /** the name's link button, when it shows the name column */
  link: HTMLButtonElement | null;
  /** the text node showing its text (in the cell, or in its link) */
  text: Text | null;
  /** whether the cell clips its text (text that is not plain ASCII) */
  clip: boolean;
}

/**
 * A slot: one row element and what it shows.
 */
interface ISlot {
  el: HTMLDivElement;
  kind: 'run' | 'group';
  index: number;
  attached: boolean;
  /** the top of its line (also while parked) */
  top: number;
  /** out of the window, kept in the document above the body, out of sight */
  parked: boolean;
  // a run's row
  run: TableRun | null;
  selected: boolean | null;
  odd: boolean | null;
  width: number;
  /** its part at the left edge, in the pool's selection column: its selection cell and
   * its pinned cell (the row owns both for assistive technology) */
  check: HTMLDivElement | null;
  box: HTMLDivElement | null;
  input: HTMLInputElement | null;
  /** its pinned cell (the run's name), while a column is pinned */
  pin: ICell | null;
  strip: HTMLDivElement | null;
  stripLeft: number;
  cells: ICell[];
  /** the columns the cells show, `[first, end)`, in the layout `layout` */
  cols: [number, number];
  layout: IPoolLayout | null;
  // a group's heading
  button: HTMLButtonElement | null;
  label: string;
  viewWidth: number;
}

/**
 * The pool of row elements in a host element (the grid's spacer body). Clicks on the
 * rows' checkboxes, names and group headings are handled once, on the host.
 */
export class RowPool {
  /**
   * @param host the element the rows are drawn in (positioned rows: the spacer is their
   *   containing block)
   * @param handlers what the rows' controls do
   */
  constructor(host: HTMLElement, handlers: IPoolHandlers) {
    this._host = host;
    this._handlers = handlers;
    this._doc = host.ownerDocument;
    host.addEventListener('click', this._onClick);
    host.addEventListener('keydown', this._onKey);
    host.addEventListener('focusin', this._onFocus);
    host.addEventListener('mouseover', this._onHover);
    host.addEventListener('mouseleave', this._onLeave);
    // a font loaded later changes the width of a character: measured again at next draw
    this._doc.fonts?.addEventListener?.('loadingdone', this._onFonts);
  }

  /**
   * Whether the cells' font was measured laid out, so cells are cut to fit rather than
   * clipped (a table drawn while hidden was not: see `remeasure`).
   */
  get measured(): boolean {
    return this._laidOut;
  }

  /**
   * Measure the font again at the next draw (a table drawn while hidden, now shown).
   */
  remeasure(): void {
    this._measuredFor = null;
  }

  /**
   * The pool's size.
   */
  get capacity(): number {
    return this._slots.length;
  }

  /**
   * Draw the lines `[first, end)` with the columns `[firstCol, endCol)`: only what differs
   * from the last draw is written; elements of lines no longer drawn are taken out of the
   * document (and kept for the lines that come next).
   *
   * @param frame what to draw
   */
  draw(frame: IPoolFrame): void {
    if (frame.layout !== this._measuredFor) {
      this._measuredFor = frame.layout;
      const [charWidth, chrome, laidOut] = this._measureCell();
      this._laidOut = laidOut;
      if (charWidth !== this._charWidth || chrome !== this._chrome) {
        this._charWidth = charWidth;
        this._chrome = chrome;
        for (const slot of this._slots) {
          slot.layout = null; // every cell is cut again
        }
      }
    }
    // the run the keyboard is at, followed to its line; the focus, if one of its controls
    // has it, follows it there (the row that showed it may now show another run)
    const focusedRun = this._focusedRun();
    const moved = this._follow(frame.rows);
    const first = Math.max(0, Math.min(frame.first, frame.rows.length));
    const end = Math.max(first, Math.min(frame.end, frame.rows.length));
    const capacity = poolCapacity(this._slots.length, end - first);
    while (this._slots.length < capacity) {
      this._slots.push(this._newSlot('run'));
    }
    if (capacity !== this._capacity) {
      // renumbered: every slot shows another line now
      this._capacity = capacity;
      for (const slot of this._slots) {
        slot.index = -1;
      }
    }
    const lead = `${leadWidth(frame.layout, frame.check)}px`;
    if (this._column().style.width !== lead) {
      this._column().style.width = lead;
    }
    for (let i = first; i < end; i++) {
      const at = slotOf(i, capacity);
      let slot = this._slots[at];
      const line = frame.rows[i];
      if (slot.kind !== line.kind) {
        this._detach(slot);
        slot = this._slots[at] = this._newSlot(line.kind);
      }
      if (slot.index !== i) {
        this._unhover(slot); // its row shows another line, no longer under the pointer
        // its place in the grid (the header is row 1)
        slot.el.setAttribute('aria-rowindex', String(i + 2));
      }
      slot.index = i;
      if (line.kind === 'group') {
        this._drawGroup(slot, frame, i, line);
      } else {
        this._drawRun(slot, frame, i, line.run, line.index);
      }
      if (!slot.attached) {
        this._host.appendChild(slot.el);
        if (slot.check) {
          this._column().appendChild(slot.check);
        }
        slot.attached = true;
      }
    }
    for (const slot of this._slots) {
      if (slot.attached && (slot.index < first || slot.index >= end)) {
        if (this._keeps(slot, frame, first, end, capacity)) {
          this._park(slot);
        } else {
          this._detach(slot);
        }
      }
    }
    this._window = {
      first,
      end,
      shown: [first, end],
      lines: frame.rows.length
    };
    this._rows = frame.rows;
    this._order(first, end, capacity);
    if (
      focusedRun !== null &&
      (moved || !this._host.contains(this._doc.activeElement))
    ) {
      const slot = this._slotAt(this._current.line);
      if (slot?.run?.id === focusedRun) {
        this._control(slot).focus({ preventScroll: true });
      }
    }
    this.show(frame.shown ?? [first, end]);
  }

  /**
   * The run whose checkbox or name has the focus, if one has.
   */
  private _focusedRun(): string | null {
    const focused = this._doc.activeElement;
    if (!focused || !this._host.contains(focused)) {
      return null;
    }
    const slot = this._slotOf(focused);
    return slot?.kind === 'run' ? (slot.run?.id ?? null) : null;
  }

  /**
   * Move the keyboard's line to the line now showing its run, when another shows it.
   *
   * @param rows the lines about to be drawn
   * @returns whether the line moved
   */
  private _follow(rows: readonly BodyRow[]): boolean {
    const { run, line } = this._current;
    if (run === null) {
      return false;
    }
    const at = rows[line];
    if (at?.kind === 'run' && at.run.id === run) {
      return false;
    }
    const found = rows.findIndex(r => r.kind === 'run' && r.run.id === run);
    if (found < 0) {
      return false; // gone (filtered out, deleted): the line stays
    }
    this._current.line = found;
    return true;
  }

  /**
   * The control of a slot's row the keyboard's part names: a run's checkbox or name, a
   * group heading's button.
   */
  private _control(slot: ISlot): HTMLElement {
    if (slot.kind === 'group') {
      return slot.button!;
    }
    return this._current.part === 'name'
      ? (slot.pin?.link ?? slot.cells.find(c => c.link)?.link ?? slot.input!)
      : slot.input!;
  }

  /**
   * Give assistive technology the rows drawn in the order of their lines: the host owns
   * them in that order (a slot's element stays where it was made in the document, so after
   * a scroll the document's order wraps around: lines 32-43, then 14-31).
   */
  private _order(first: number, end: number, capacity: number): void {
    const ids: string[] = [];
    for (let i = first; i < end; i++) {
      ids.push(this._slots[slotOf(i, capacity)].el.id);
    }
    const owned = ids.join(' ');
    if (owned !== this._owned) {
      this._owned = owned;
      if (owned) {
        this._host.setAttribute('aria-owns', owned);
      } else {
        this._host.removeAttribute('aria-owns');
      }
    }
  }

  /**
   * The lines now in view, `[first, end)`, after a scroll that drew nothing new: the tab
   * stop stays on a line in view (unless the focus is on it).
   *
   * @param shown the lines in view (within those drawn)
   */
  show(shown: readonly [number, number]): void {
    const { first, end } = this._window;
    const from = Math.max(first, Math.min(shown[0], end));
    this._window.shown = [from, Math.max(from, Math.min(shown[1], end))];
    this._setTabStop();
  }

  /**
   * The control that takes the focus when the body is tabbed into: the current line's (a
   * line out of view gives way to the nearest line in view, unless it has the focus).
   * Every other control of the body is out of the tab order.
   */
  private _setTabStop(): HTMLElement | null {
    const { first, end, shown } = this._window;
    let line = this._current.line;
    const away = line < shown[0] || line >= shown[1];
    if (
      line < first ||
      line >= end ||
      (away && !this._host.contains(this._doc.activeElement))
    ) {
      line = Math.max(shown[0], Math.min(line, shown[1] - 1));
      this._current.line = line;
    }
    const slot = this._slotAt(line);
    const target = slot ? this._control(slot) : null;
    this._current.run = slot?.kind === 'run' ? (slot.run?.id ?? null) : null;
    if (target !== this._tabStop) {
      if (this._tabStop) {
        this._tabStop.tabIndex = -1;
      }
      this._tabStop = target;
    }
    if (target && target.tabIndex !== 0) {
      target.tabIndex = 0; // (not written again each frame)
    }
    return target;
  }

  /**
   * The slot drawing line `line`, if one is.
   */
  private _slotAt(line: number): ISlot | null {
    const slot = this._slots[slotOf(line, this._slots.length || 1)];
    return slot && slot.attached && !slot.parked && slot.index === line
      ? slot
      : null;
  }

  /**
   * The slot whose row holds `el` (its checkbox, its name, a group's button).
   */
  private _slotOf(el: Element): ISlot | null {
    for (const slot of this._slots) {
      if (
        slot.attached &&
        !slot.parked &&
        (slot.el.contains(el) || slot.check?.contains(el))
      ) {
        return slot;
      }
    }
    return null;
  }

  private _onFocus = (event: FocusEvent): void => {
    const target = event.target as Element;
    const slot = this._slotOf(target);
    if (!slot) {
      return;
    }
    this._current = {
      line: slot.index,
      part: target.closest('.jp-Dotscience-link') ? 'name' : 'check',
      run: slot.kind === 'run' ? (slot.run?.id ?? null) : null
    };
    this._setTabStop();
  };

  /**
   * Tint the run under the pointer: its row and its selection cell, which is not in the
   * row (see `_column`), so the row's own `:hover` would leave it out.
   */
  private _onHover = (event: MouseEvent): void => {
    this._hover(this._slotOf(event.target as Element));
  };

  /**
   * Tint a slot's row and selection cell if it draws a run, and no other.
   */
  private _hover(slot: ISlot | null): void {
    const run = slot?.kind === 'run' ? slot : null;
    if (run === this._hovered) {
      return;
    }
    if (this._hovered) {
      this._unhover(this._hovered);
    }
    if (run) {
      run.el.classList.add('jp-mod-hover');
      run.check?.classList.add('jp-mod-hover');
      this._hovered = run;
    }
  }

  /**
   * Tint the run the browser now counts as under the pointer (after a scroll, which moves
   * rows under a still pointer without telling the page: the rows' own `:hover` follows,
   * their selection cells are tinted here).
   */
  hoverFromPointer(): void {
    const under = this._host.querySelector(
      '.jp-Dotscience-table-row:hover, .jp-Dotscience-table-rowCheck:hover'
    );
    this._hover(under && this._slotOf(under));
  }

  private _onLeave = (): void => {
    this._hover(null);
  };

  /**
   * Untint a slot's row if it is the one under the pointer (it leaves the window, or the
   * pointer left it).
   */
  private _unhover(slot: ISlot): void {
    if (slot === this._hovered) {
      slot.el.classList.remove('jp-mod-hover');
      slot.check?.classList.remove('jp-mod-hover');
      this._hovered = null;
    }
  }

  private _onKey = (event: KeyboardEvent): void => {
    const target = event.target as Element;
    if (event.altKey || !this._slotOf(target)) {
      return;
    }
    const { shown, lines } = this._window;
    const move = focusMove(
      event.key,
      event.ctrlKey || event.metaKey,
      shown[1] - shown[0]
    );
    if (!move || lines === 0) {
      return;
    }
    event.preventDefault(); // the grid would scroll, a checkbox would not move the focus
    if (
      event.key === 'ArrowUp' &&
      this._current.line === 0 &&
      this._handlers.toHead
    ) {
      this._handlers.toHead();
      return;
    }
    if ('part' in move) {
      this._current.part = move.part;
    } else {
      const line = this._current.line + move.lines;
      this._current.line = Math.max(0, Math.min(lines - 1, line));
      const at = this._current.line;
      const row = this._rows[at];
      this._current.run = row?.kind === 'run' ? row.run.id : null;
      if (at < shown[0] || at >= shown[1]) {
        // (the lines in view are drawn: a line out of them may not be)
        const wanted = { ...this._current };
        this._handlers.reveal(at);
        this._current = wanted; // drawing the new window does not move it
      }
    }
    this._setTabStop()?.focus();
  };

  /**
   * Give the focus to the body's tab stop (the current line's control, or the nearest
   * line in view's; none with no line drawn).
   */
  focus(): void {
    this._setTabStop()?.focus();
  }

  /**
   * Whether a row out of the window may stay in the document (parked): it still holds the
   * run of its line at its place (the same run, columns, widths and height), and lies
   * within a pool's size of the window (after a jump, rows far from the view are taken
   * out). A group's heading out of the window is always taken out. A row drawn again is
   * brought up to date (selection, stripe, cells) as any row is.
   */
  private _keeps(
    slot: ISlot,
    frame: IPoolFrame,
    first: number,
    end: number,
    capacity: number
  ): boolean {
    const i = slot.index;
    if (slot.kind !== 'run' || i < first - capacity || i >= end + capacity) {
      return false;
    }
    const line = i >= 0 && i < frame.rows.length ? frame.rows[i] : null;
    return (
      line?.kind === 'run' &&
      line.run === slot.run &&
      slot.layout === frame.layout &&
      slot.top === frame.top + i * frame.rowHeight &&
      slot.width === rowWidth(frame)
    );
  }

  /**
   * The width a column needs to show each of `texts` whole (what a double-click on its
   * edge gives it): the longest text in the cells' fixed-width font, with the cell's
   * padding and border.
   *
   * @param texts the column's texts (its cells', its title's)
   * @returns the width in px, or null when the font cannot be measured
   */
  fitWidth(texts: Iterable<string>): number | null {
    if (!this._measuredFor) {
      return null; // nothing drawn yet
    }
    const [charWidth, chrome] = this._measureCell();
    if (!(charWidth > 0)) {
      return null;
    }
    let longest = 0;
    for (const text of texts) {
      longest = Math.max(longest, text.length);
    }
    return Math.ceil(longest * charWidth + chrome + 1);
  }

  /**
   * Take every row out of the host and stop handling its clicks.
   */
  dispose(): void {
    this._host.removeEventListener('click', this._onClick);
    this._host.removeEventListener('keydown', this._onKey);
    this._host.removeEventListener('focusin', this._onFocus);
    this._host.removeEventListener('mouseover', this._onHover);
    this._host.removeEventListener('mouseleave', this._onLeave);
    this._tabStop = null;
    this._hovered = null;
    for (const slot of this._slots) {
      this._detach(slot);
    }
    this._slots = [];
    this._checks?.remove();
    this._checks = null;
    this._host.removeAttribute('aria-owns');
    this._owned = '';
  }

  /**
   * The selection column: one element at the body's left edge, kept there on a sideways
   * scroll (sticky), holding the rows' selection cells at their rows' heights. One sticky
   * element, not one per row: the browser gives each sticky element a compositing layer
   * of its own, and a layer per row drawn made each scroll frame lay out and composite
   * dozens of them (and kept the rows from being painted apart: `contain: strict`).
   */
  private _column(): HTMLDivElement {
    if (!this._checks) {
      this._checks = this._doc.createElement('div');
      this._checks.className = 'jp-Dotscience-table-checks';
      this._host.prepend(this._checks);
    }
    return this._checks;
  }

  private _newSlot(kind: 'run' | 'group'): ISlot {
    const doc = this._doc;
    const el = doc.createElement('div');
    el.setAttribute('role', 'row');
    const n = ++this._made;
    el.id = `${this._prefix}-row-${n}`;
    const slot: ISlot = {
      el,
      kind,
      index: -1,
      attached: false,
      top: NaN,
      parked: false,
      run: null,
      selected: null,
      odd: null,
      width: NaN,
      check: null,
      box: null,
      input: null,
      pin: null,
      strip: null,
      stripLeft: NaN,
      cells: [],
      cols: [0, 0],
      layout: null,
      button: null,
      label: '',
      viewWidth: NaN
    };
    if (kind === 'group') {
      el.className = 'jp-Dotscience-table-group';
      // one cell across the row, holding the heading's button (which says whether the
      // group is open; its arrow is not read out)
      const cell = doc.createElement('div');
      cell.className = 'jp-Dotscience-table-groupCell';
      cell.setAttribute('role', 'gridcell');
      cell.setAttribute('aria-colindex', '1');
      slot.button = doc.createElement('button');
      slot.button.tabIndex = -1; // see _setTabStop
      const arrow = doc.createElement('span');
      arrow.setAttribute('aria-hidden', 'true');
      slot.button.append(arrow, doc.createTextNode(''));
      cell.appendChild(slot.button);
      el.appendChild(cell);
      return slot;
    }
    el.className = 'jp-Dotscience-table-row';
    slot.check = doc.createElement('div');
    slot.check.className = 'jp-Dotscience-table-rowCheck';
    slot.box = doc.createElement('div');
    slot.box.className = 'jp-Dotscience-table-checkBox';
    // the grid's first column (the header's selection cell is column 1 too)
    slot.box.setAttribute('role', 'cell');
    slot.box.setAttribute('aria-colindex', '1');
    slot.box.id = `${this._prefix}-check-${n}`;
    slot.input = doc.createElement('input');
    slot.input.type = 'checkbox';
    slot.input.tabIndex = -1;
    slot.box.appendChild(slot.input);
    slot.check.appendChild(slot.box);
    slot.strip = doc.createElement('div');
    slot.strip.className = 'jp-Dotscience-table-cells';
    slot.strip.id = `${this._prefix}-cells-${n}`;
    el.appendChild(slot.strip);
    this._own(slot);
    return slot;
  }

  /**
   * Give a run's row its parts in reading order: the checkbox, the pinned cell (if any),
   * then the cells.
   */
  private _own(slot: ISlot): void {
    const ids = [slot.box!.id, slot.pin?.el.id, slot.strip!.id];
    slot.el.setAttribute('aria-owns', ids.filter(Boolean).join(' '));
  }

  /**
   * Give a run's row a pinned cell while the layout pins a column, and none otherwise.
   */
  private _pin(slot: ISlot, layout: IPoolLayout): void {
    if (layout.pin && !slot.pin) {
      slot.pin = this._newCell();
      slot.pin.el.id = `${slot.box!.id}-pin`;
      slot.pin.el.setAttribute('aria-colindex', '2');
      slot.check!.appendChild(slot.pin.el);
      this._own(slot);
    } else if (!layout.pin && slot.pin) {
      slot.pin.el.remove();
      slot.pin = null;
      this._own(slot);
    }
  }

  private _detach(slot: ISlot): void {
    this._unhover(slot);
    if (slot.attached) {
      slot.el.remove();
      slot.check?.remove();
      slot.attached = false;
    }
    if (slot.parked) {
      this._unpark(slot);
      slot.top = NaN; // placed again when drawn
    }
  }

  /**
   * Move a row out of the window above the body, out of sight (and out of the
   * accessibility tree): the browser then neither paints nor rasterises it, and drawing
   * it again at its place only moves it. A control of it that had the focus loses it, as
   * when the row was taken out.
   */
  private _park(slot: ISlot): void {
    if (slot.parked) {
      return;
    }
    this._blurIn(slot);
    this._unhover(slot);
    slot.parked = true;
    slot.el.style.top = `${PARKED}px`;
    slot.el.setAttribute('aria-hidden', 'true');
    // its selection cell stays at the line's place, out of view with it (one element
    // restyled a frame, not two)
    slot.check?.setAttribute('aria-hidden', 'true');
  }

  /**
   * Take the focus from a control of a slot's row (its checkbox, its name).
   */
  private _blurIn(slot: ISlot): void {
    const focused = this._doc.activeElement;
    if (
      focused &&
      (slot.el.contains(focused) || slot.check?.contains(focused))
    ) {
      (focused as HTMLElement).blur();
    }
  }

  /**
   * Count a parked row as shown again (the caller puts it at its place).
   */
  private _unpark(slot: ISlot): void {
    slot.parked = false;
    slot.el.removeAttribute('aria-hidden');
    slot.check?.removeAttribute('aria-hidden');
  }

  /**
   * Put a line's element at its place, as wide as every column (a group's heading too).
   */
  private _place(slot: ISlot, frame: IPoolFrame, i: number): void {
    const top = frame.top + i * frame.rowHeight;
    if (slot.top !== top || slot.parked) {
      slot.el.style.top = `${top}px`;
      slot.el.style.height = `${frame.rowHeight}px`;
      if (slot.check && slot.top !== top) {
        slot.check.style.top = `${top}px`;
        slot.check.style.height = `${frame.rowHeight}px`;
      }
      slot.top = top;
    }
    if (slot.parked) {
      this._unpark(slot);
    }
    const width = rowWidth(frame);
    if (slot.width !== width) {
      slot.width = width;
      slot.el.style.width = `${width}px`;
    }
  }

  private _drawGroup(
    slot: ISlot,
    frame: IPoolFrame,
    i: number,
    line: { value: string; count: number; collapsed: boolean }
  ): void {
    this._place(slot, frame, i);
    if (slot.viewWidth !== frame.viewWidth) {
      slot.viewWidth = frame.viewWidth;
      slot.button!.style.width = `${frame.viewWidth}px`;
    }
    const label = `${frame.groupBy} = ${line.value} (${line.count})`;
    const open = String(!line.collapsed);
    if (
      slot.label !== label ||
      slot.button!.getAttribute('aria-expanded') !== open
    ) {
      slot.label = label;
      const [arrow, text] = Array.from(slot.button!.childNodes);
      arrow.textContent = line.collapsed ? '▶' : '▼';
      (text as Text).data = ` ${label}`;
      slot.button!.setAttribute('aria-expanded', open);
    }
    // every column: the selection column, the pinned one and the others
    const span = String(
      frame.layout.columns.length + (frame.layout.pin ? 2 : 1)
    );
    const cell = slot.el.firstElementChild!;
    if (cell.getAttribute('aria-colspan') !== span) {
      cell.setAttribute('aria-colspan', span);
    }
    slot.el.dataset.group = line.value;
  }

  private _drawRun(
    slot: ISlot,
    frame: IPoolFrame,
    i: number,
    run: TableRun,
    index: number
  ): void {
    this._place(slot, frame, i);
    const { layout } = frame;
    const newRun = slot.run !== run;
    if (newRun) {
      if (slot.run) {
        this._blurIn(slot); // its row now shows another run
      }
      slot.run = run;
      slot.el.setAttribute('data-run-id', run.id);
      slot.check!.dataset.runId = run.id;
      slot.input!.setAttribute('aria-label', `Select run ${run.id}`);
    }
    const selected = frame.isSelected(run.id);
    const odd = index % 2 === 1;
    if (slot.selected !== selected || slot.odd !== odd) {
      slot.selected = selected;
      slot.odd = odd;
      slot.el.className =
        'jp-Dotscience-table-row' +
        (selected ? ' jp-mod-selected' : '') +
        (odd ? ' jp-mod-odd' : '') +
        (slot === this._hovered ? ' jp-mod-hover' : '');
      slot.el.setAttribute('aria-selected', String(selected));
      slot.check!.classList.toggle('jp-mod-selected', selected);
    }
    if (slot.input!.checked !== selected) {
      slot.input!.checked = selected;
    }
    const left =
      leadWidth(layout, frame.check) + layout.offsets[frame.firstCol];
    if (slot.stripLeft !== left) {
      slot.stripLeft = left;
      slot.strip!.style.left = `${left}px`;
    }
    const relaid = slot.layout !== layout;
    this._drawCells(slot, frame, run, newRun);
    this._pin(slot, layout);
    const pin = layout.pin;
    if (pin && (newRun || relaid || slot.pin!.run !== run)) {
      this._writeCell(slot.pin!, pin.column, pin.id, pin.width, run);
    }
  }

  private _drawCells(
    slot: ISlot,
    frame: IPoolFrame,
    run: TableRun,
    newRun: boolean
  ): void {
    const { layout, firstCol, endCol } = frame;
    const strip = slot.strip!;
    const cells = slot.cells;
    if (slot.layout !== layout) {
      // other columns or widths: every cell is written again (in place)
      slot.layout = layout;
      for (const cell of cells) {
        cell.col = -1;
      }
    }
    const moves = cellMoves(slot.cols, [firstCol, endCol]);
    if (moves.rewrite) {
      // no column in common: keep the elements, rewrite them in order
      while (cells.length > endCol - firstCol) {
        cells.pop()!.el.remove();
      }
      while (cells.length < endCol - firstCol) {
        const cell = this._newCell();
        cells.push(cell);
        strip.appendChild(cell.el);
      }
    } else {
      const spare: ICell[] = [];
      spare.push(...cells.splice(0, moves.dropFront));
      spare.push(
        ...cells.splice(cells.length - moves.dropBack, moves.dropBack)
      );
      // cells for the columns coming in: those that left first, then new ones
      const take = (n: number): ICell[] =>
        Array.from({ length: n }, () => {
          const cell = spare.pop() ?? this._newCell();
          cell.col = -1;
          return cell;
        });
      const front = take(moves.addFront);
      const back = take(moves.addBack);
      for (const cell of spare) {
        cell.el.remove();
      }
      if (front.length) {
        strip.prepend(...front.map(c => c.el));
        cells.unshift(...front);
      }
      if (back.length) {
        strip.append(...back.map(c => c.el));
        cells.push(...back);
      }
    }
    slot.cols = [firstCol, endCol];
    for (let k = 0; k < cells.length; k++) {
      const cell = cells[k];
      const c = firstCol + k;
      if (cell.col === c && cell.run === run && !newRun) {
        continue;
      }
      if (cell.col !== c) {
        // after the selection column (and the pinned one)
        cell.el.setAttribute('aria-colindex', String(c + (layout.pin ? 3 : 2)));
        cell.col = c;
      }
      this._writeCell(
        cell,
        layout.columns[c],
        layout.ids[c],
        layout.widths[c],
        run
      );
    }
  }

  private _newCell(): ICell {
    const el = this._doc.createElement('div');
    el.className = 'jp-Dotscience-table-td';
    el.setAttribute('role', 'cell');
    return {
      el,
      col: -1,
      run: null,
      width: NaN,
      link: null,
      text: null,
      clip: false
    };
  }

  private _writeCell(
    cell: ICell,
    column: Column,
    id: string,
    width: number,
    run: TableRun
  ): void {
    const text = cachedText(run, column, id);
    if (cell.width !== width) {
      cell.width = width;
      cell.el.style.width = `${width}px`;
    }
    if (cell.el.hasAttribute('title')) {
      cell.el.removeAttribute('title'); // set again on hover, for the new text
    }
    const fitted = fitText(text, width - this._chrome, this._charWidth);
    const clip = fitted === null;
    if (clip !== cell.clip) {
      cell.clip = clip;
      cell.el.className = clip
        ? 'jp-Dotscience-table-td jp-mod-clip'
        : 'jp-Dotscience-table-td';
    }
    if (fitted !== null && fitted !== text) {
      WHOLE.set(cell.el, text);
    } else {
      WHOLE.delete(cell.el);
    }
    const shown = fitted ?? text;
    const isName = column.kind === 'field' && column.key === 'name';
    if (isName && !cell.link) {
      cell.link = this._doc.createElement('button');
      cell.link.className = 'jp-Dotscience-link';
      cell.link.tabIndex = -1;
      cell.el.textContent = '';
      cell.el.appendChild(cell.link);
    } else if (!isName && cell.link) {
      cell.link = null;
      cell.el.textContent = '';
    }
    cell.text = this._setText(cell.link ?? cell.el, cell.text, shown);
    cell.run = run;
  }

  /**
   * Show `value` in `host` through its text node `node` (changing the node's data, so
   * scrolling makes no new DOM nodes for the garbage collector), or a new one when `node`
   * is not `host`'s.
   *
   * @returns the text node now showing `value`
   */
  private _setText(host: HTMLElement, node: Text | null, value: string): Text {
    if (node !== null && node.parentNode === host) {
      if (node.data !== value) {
        node.data = value;
      }
      return node;
    }
    host.textContent = '';
    const made = this._doc.createTextNode(value);
    host.appendChild(made);
    return made;
  }

  private _onFonts = (): void => {
    this._measuredFor = null;
  };

  private _onClick = (event: MouseEvent): void => {
    const target = event.target as Element | null;
    if (target instanceof HTMLInputElement && target.type === 'checkbox') {
      const id = (
        target.closest('.jp-Dotscience-table-rowCheck') as HTMLElement | null
      )?.dataset.runId;
      if (id && this._host.contains(target)) {
        this._handlers.check(id, event.shiftKey);
      }
      return;
    }
    const lead = target?.closest?.(
      '.jp-Dotscience-table-rowCheck'
    ) as HTMLElement | null;
    if (lead && this._host.contains(lead)) {
      // the pinned name, beside the checkbox
      const id = lead.dataset.runId;
      if (id && target!.closest('.jp-Dotscience-link')) {
        this._handlers.openRun(id);
      }
      return;
    }
    const row = target?.closest?.('[role="row"]');
    if (!row || !this._host.contains(row)) {
      return;
    }
    if (row.classList.contains('jp-Dotscience-table-group')) {
      const value = (row as HTMLElement).dataset.group;
      if (value !== undefined && target!.closest('button')) {
        this._handlers.toggleGroup(value);
      }
      return;
    }
    const id = row.getAttribute('data-run-id');
    if (!id) {
      return;
    }
    if (target!.closest('.jp-Dotscience-link')) {
      this._handlers.openRun(id);
    }
  };

  /**
   * Measure a hidden cell as the stylesheet draws it: the width of a character of its
   * (fixed-width) font, 0 when it cannot be measured (no layout, as in tests, or a font
   * whose characters differ in width: then every cell clips its text), and its horizontal
   * padding and borders.
   *
   * @returns `[character width, padding and borders]` in px, and whether the cell was
   *   laid out (a hidden table's is not)
   */
  private _measureCell(): [number, number, boolean] {
    const probe = this._doc.createElement('div');
    probe.className = 'jp-Dotscience-table-td';
    probe.style.position = 'absolute';
    probe.style.visibility = 'hidden';
    probe.style.width = 'auto';
    this._host.appendChild(probe);
    const style = getComputedStyle(probe);
    const chrome = [
      style.paddingLeft,
      style.paddingRight,
      style.borderLeftWidth,
      style.borderRightWidth
    ].reduce((sum, v) => sum + (parseFloat(v) || 0), 0);
    probe.style.padding = '0';
    probe.style.border = 'none';
    const sample = 'x'.repeat(40);
    probe.textContent = sample;
    const wide = probe.getBoundingClientRect().width;
    probe.textContent = 'W'.repeat(40);
    const wider = probe.getBoundingClientRect().width;
    probe.remove();
    const char =
      wide > 0 && Math.abs(wide - wider) < 0.5 ? wide / sample.length : 0;
    return [char, chrome, wide > 0];
  }

  private _measuredFor: IPoolLayout | null = null;
  private _laidOut = false;
  private _charWidth = 0;
  private _chrome = 0;
  private _host: HTMLElement;
  private _handlers: IPoolHandlers;
  private _doc: Document;
  private _slots: ISlot[] = [];
  private _capacity = 0;
  private _checks: HTMLDivElement | null = null;
  private _made = 0;
  /**
   * The line (and its control) the keyboard is at, and the run it shows (followed to its
   * new line when the lines change under it, as when a run arrives above it)
   */
  private _current: { line: number; part: Part; run: string | null } = {
    line: 0,
    part: 'check',
    run: null
  };
  /** the last draw's lines */
  private _rows: readonly BodyRow[] = [];
  /** the body's one control in the tab order */
  private _tabStop: HTMLElement | null = null;
  /** the rows the host owns, in the order of their lines (see `_order`) */
  private _owned = '';
  /** the run's row under the pointer */
  private _hovered: ISlot | null = null;
  /** the last draw's lines: drawn, in view, in all */
  private _window = {
    first: 0,
    end: 0,
    shown: [0, 0] as [number, number],
    lines: 0
  };
  private _prefix = `jp-Dotscience-table-${++pools}`;
}

/** the pools made, for the ids of their rows' parts */
let pools = 0;
