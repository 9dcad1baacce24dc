import type { RestWire } from '../api/rest';
import type { RunDetailModel } from '../run-detail/detailModel';

/**
 * Actions the run views (list, detail, compare, lineage) ask of the application.
 */
export interface IRunActions {
  /** open a run's detail */
  openRun(id: string): void;
  /** compare runs */
  compare(ids: string[]): void;
  /** open a workspace file */
  openFile(path: string): void;
  /** jump to a cell of a notebook */
  jumpToCell(cell: { cell_id: string }, notebook: string | null): void;
  /** download an export of a run */
  exportRun(model: RunDetailModel, format: RestWire.ExportFormat): void;
  /** open the diff of two runs (a the older) */
  diff?(a: string, b: string): void;
  /** open the Runs table in the main area */
  openTable?(): void;
  /** open the diff of a run with the previous run of its notebook */
  diffPrevious?(runId: string, notebook: string): void;
}
