import { ISignal, Signal } from '@lumino/signaling';
import { LoadingModel } from '../api/loading';
import { compareAPI, Direction, ICompareAPI, ICompareRun } from '../diff/api';
import { EMPTY_COMPARE_VIEW, ICompareView } from './view';

/**
 * Up to 500 runs for the compare view, fetched in one request (`POST runs/compare`), the
 * metrics' directions (settable), which runs the brushes keep, and what the view shows
 * (kept with the tab across page loads).
 */
export class CompareModel extends LoadingModel {
  /**
   * @param ids the runs, in order
   * @param api the REST calls (tests pass fakes)
   * @param view what the view shows at first (a restored tab's)
   */
  constructor(
    readonly ids: string[],
    api: ICompareAPI = compareAPI,
    view: ICompareView = EMPTY_COMPARE_VIEW
  ) {
    super();
    this._api = api;
    this._view = view;
  }

  /** What the view shows: fields, axes, brushes, scatter fields, series, picked runs. */
  get view(): ICompareView {
    return this._view;
  }

  /** The view changed (a choice of the user's, to keep with the tab). */
  get viewChanged(): ISignal<this, void> {
    return this._viewChanged;
  }

  /**
   * Note what the view shows now. It does not draw again: the view already shows it.
   *
   * @param view the view
   */
  setView(view: ICompareView): void {
    if (JSON.stringify(view) !== JSON.stringify(this._view)) {
      this._view = view;
      this._viewChanged.emit();
    }
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
  private _view: ICompareView;
  private _viewChanged = new Signal<this, void>(this);
}
