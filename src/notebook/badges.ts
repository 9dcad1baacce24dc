/**
 * The class of a code cell that declared Dotscience provenance (the badge is drawn by CSS
 * next to the cell's input prompt).
 */
export const DECLARING_CLASS = 'jp-Dotscience-declaringCell';

const MAGIC = /^\s*%%?ds\b/m;

/**
 * Whether a cell's source uses the `%ds` or `%%ds` magic.
 *
 * @param source the cell source
 * @returns true when a line starts with the magic
 */
export function usesMagic(source: string): boolean {
  return MAGIC.test(source);
}

/**
 * The part of a cell widget the badges need.
 */
export interface IBadgedCell {
  readonly node: HTMLElement;
  readonly model: {
    readonly id: string;
    readonly type: string;
    readonly sharedModel: { getSource(): string };
    readonly executionCount?: number | null;
  };
}

/**
 * Which cells of a notebook declared something, from the kernel's reports.
 */
export class DeclaringCells {
  /**
   * Note cells the kernel reported (by cell id, else by execution count).
   *
   * @param cells the kernel's cell references
   */
  add(cells: readonly { cell_id: string | null; count: number | null }[]) {
    for (const c of cells) {
      if (c.cell_id) {
        this._ids.add(c.cell_id);
      } else if (c.count !== null) {
        this._counts.add(c.count);
      }
    }
  }

  /**
   * Whether `cell` declared something (or uses the magic).
   *
   * @param cell the cell
   * @returns true if it gets a badge
   */
  has(cell: IBadgedCell): boolean {
    if (cell.model.type !== 'code') {
      return false;
    }
    const count = cell.model.executionCount ?? null;
    return (
      this._ids.has(cell.model.id) ||
      (count !== null && this._counts.has(count)) ||
      usesMagic(cell.model.sharedModel.getSource())
    );
  }

  /**
   * Put the badge class on the declaring cells and take it off the others.
   *
   * @param cells the notebook's cells
   */
  apply(cells: readonly IBadgedCell[]): void {
    for (const cell of cells) {
      const on = this.has(cell);
      if (cell.node.classList.contains(DECLARING_CLASS) !== on) {
        cell.node.classList.toggle(DECLARING_CLASS, on);
        if (on) {
          cell.node.setAttribute('data-dotscience', 'declared');
        } else {
          cell.node.removeAttribute('data-dotscience');
        }
      }
    }
  }

  private _ids = new Set<string>();
  private _counts = new Set<number>();
}
