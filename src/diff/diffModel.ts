import { LoadingModel } from '../api/loading';
import { compareAPI, ICompareAPI, IRunDiff } from './api';

/**
 * The diff of two runs, for the diff tab.
 */
export class DiffModel extends LoadingModel {
  /**
   * @param a the first (older) run
   * @param b the second run
   * @param api the REST calls (tests pass fakes)
   */
  constructor(
    readonly a: string,
    readonly b: string,
    private readonly _api: ICompareAPI = compareAPI
  ) {
    super();
  }

  /** The diff, once loaded. */
  get diff(): IRunDiff | null {
    return this._diff;
  }

  /**
   * Fetch the diff.
   *
   * @returns a promise that settles when loaded (never rejected)
   */
  load(): Promise<void> {
    return this._fetch(async () => {
      this._diff = await this._api.diffRuns(this.a, this.b);
    });
  }

  private _diff: IRunDiff | null = null;
}
