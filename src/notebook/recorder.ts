import { Wire } from '../tokens';
import { sha256Hex } from './sha256';
import { isoTime, parseTime } from '../time';

/**
 * The part of a notebook cell the recorder reads.
 */
export interface IRecordedCell {
  readonly model: {
    readonly id: string;
    readonly type: string;
    readonly sharedModel: { getSource(): string };
    readonly executionCount?: number | null;
  };
}

/**
 * Executions kept per notebook (older ones are dropped).
 */
export const MAX_EXECUTIONS = 2000;

interface IScheduled {
  start: string;
  countBefore: number | null;
  sha: string;
}

/**
 * Records the cell executions and saves of one notebook (per-cell provenance).
 *
 * Fed by `NotebookActions.executionScheduled` / `executed` and `context.saveState`; when a
 * run is published, `cellsSince(start)` gives the cells that ran for it, in notebook order.
 */
export class CellRecorder {
  /**
   * @param cellIndex the current index of a cell id in the notebook (-1 if deleted)
   * @param storageKey where to keep executions across page reloads (null: nowhere)
   */
  constructor(
    private readonly cellIndex: (cellId: string) => number,
    private readonly storageKey: string | null = null
  ) {
    this._executions = this._load();
  }

  /**
   * Executions recorded so far, oldest first.
   */
  get executions(): readonly Wire.ICellExecution[] {
    return this._executions;
  }

  /**
   * Times of the completed saves.
   */
  get saves(): readonly string[] {
    return this._saves;
  }

  /**
   * Whether some scheduled cell has not finished yet.
   */
  get running(): boolean {
    return this._scheduled.size > 0;
  }

  /**
   * A cell was scheduled for execution.
   *
   * @param cell the cell
   */
  scheduled(cell: IRecordedCell): void {
    if (cell.model.type !== 'code') {
      return;
    }
    this._scheduled.set(cell.model.id, {
      start: isoTime(),
      countBefore: cell.model.executionCount ?? null,
      sha: sha256Hex(cell.model.sharedModel.getSource())
    });
  }

  /**
   * A cell finished. `executed` also fires when nothing ran (no kernel, empty cell): only a
   * new execution count proves the kernel executed it.
   *
   * @param cell the cell
   * @param success whether it ran without error
   * @returns the recorded execution, or null when nothing ran
   */
  executed(cell: IRecordedCell, success: boolean): Wire.ICellExecution | null {
    const id = cell.model.id;
    const entry = this._scheduled.get(id);
    this._scheduled.delete(id);
    const count = cell.model.executionCount ?? null;
    if (!entry || count === null || count === entry.countBefore) {
      return null;
    }
    const execution: Wire.ICellExecution = {
      cell_id: id,
      index: this.cellIndex(id),
      execution_count: count,
      source_sha256: entry.sha,
      start: entry.start,
      end: isoTime(),
      success
    };
    this._executions.push(execution);
    if (this._executions.length > MAX_EXECUTIONS) {
      this._executions.splice(0, this._executions.length - MAX_EXECUTIONS);
    }
    this._store();
    return execution;
  }

  /**
   * The notebook was saved.
   */
  saved(): void {
    this._saves.push(isoTime());
  }

  /**
   * The cells that ran since `since` (a run's start), the last execution of each, in
   * notebook order; cells deleted since are left out.
   *
   * @param since ISO time, or null for every recorded execution
   * @returns the executions to store with the run
   */
  cellsSince(since: string | null): Wire.ICellExecution[] {
    const from = since ? parseTime(since) : -Infinity;
    const last = new Map<string, Wire.ICellExecution>();
    for (const e of this._executions) {
      if (parseTime(e.end) >= from) {
        last.set(e.cell_id, e);
      }
    }
    const cells: Wire.ICellExecution[] = [];
    for (const e of last.values()) {
      const index = this.cellIndex(e.cell_id);
      if (index >= 0) {
        cells.push({ ...e, index });
      }
    }
    return cells.sort((a, b) => a.index - b.index);
  }

  private _load(): Wire.ICellExecution[] {
    if (!this.storageKey) {
      return [];
    }
    try {
      const raw = window.sessionStorage.getItem(this.storageKey);
      const data = raw ? JSON.parse(raw) : [];
      return Array.isArray(data) ? data : [];
    } catch {
      return [];
    }
  }

  private _store(): void {
    if (!this.storageKey) {
      return;
    }
    try {
      window.sessionStorage.setItem(
        this.storageKey,
        JSON.stringify(this._executions.slice(-500))
      );
    } catch {
      // storage full or disabled: the recording is only lost on reload
    }
  }

  private _executions: Wire.ICellExecution[];
  private _saves: string[] = [];
  private _scheduled = new Map<string, IScheduled>();
}
