import { LoadingModel } from '../api/loading';
import { compareAPI, Direction, ICompareAPI, ICompareRun } from '../diff/api';

/**
 * Up to 500 runs for the compare view, fetched in one request (`POST runs/compare`), the
 * metrics' directions (settable), and which runs the brushes keep.
 */
export class CompareModel extends LoadingModel {
  /**
   * @param ids the runs, in order
   * @param api the REST calls (tests pass fakes)
   */
  constructor(
    readonly ids: string[],
    api: ICompareAPI = compareAPI
  ) {
    super();
    this._api = api;
  }

  /** The runs, once loaded, in the order asked. */
  get runs(): ICompareRun[] {
    return this._runs;
  }

  /** The ids that name no run this user may see. */
  get missing(): string[] {
    return this._missing;
  }

  /** Whether the runs were loaded. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** The stored direction of each metric of the runs. */
  get directions(): Record<string, Direction> {
    return this._directions;
  }

  /** The ids of the runs inside every brush, or null when nothing is brushed. */
  get kept(): ReadonlySet<string> | null {
    return this._kept;
  }

  /**
   * Keep only some runs (the parallel-coordinates brushes), or all (null).
   *
   * @param ids the runs kept
   */
  keep(ids: string[] | null): void {
    const kept = ids ? new Set(ids) : null;
    const same =
      kept === null
        ? this._kept === null
        : this._kept !== null &&
          this._kept.size === kept.size &&
          ids!.every(id => this._kept!.has(id));
    if (same) {
      return; // nothing to draw again (a view that reports the same brushes)
    }
    this._kept = kept;
    this.changedSignal();
  }

  /**
   * Fetch the runs, in one request.
   *
   * @returns a promise that settles when loaded (never rejected)
   */
  load(): Promise<void> {
    return this._fetch(async () => {
      const answer = await this._api.compareRuns(this.ids);
      this._runs = answer.runs;
      this._missing = answer.missing;
      this._directions = { ...answer.directions } as Record<string, Direction>;
      this._loaded = true;
    });
  }

  /**
   * Store whether a higher or lower value of a metric is better (on the server, for every
   * view), then show it.
   *
   * @param key the metric
   * @param direction the direction
   * @returns a promise that settles when stored (never rejected; the error is kept)
   */
  async setDirection(key: string, direction: Direction): Promise<void> {
    try {
      await this._api.setDirection(key, direction);
      this._directions = { ...this._directions, [key]: direction };
    } catch (e) {
      this._fail(e);
    }
    this.changedSignal();
  }

  private changedSignal(): void {
    this._changed.emit();
  }

  private _api: ICompareAPI;
  private _runs: ICompareRun[] = [];
  private _missing: string[] = [];
  private _loaded = false;
  private _directions: Record<string, Direction> = {};
  private _kept: ReadonlySet<string> | null = null;
}
