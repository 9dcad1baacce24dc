import { LoadingModel } from '../api/loading';
import { RestWire } from '../api/rest';
import { IRunsAPI, runsAPI } from '../api/runs';

/**
 * Several whole runs, for the compare view.
 */
export class CompareModel extends LoadingModel {
  /**
   * @param ids the runs, in column order
   * @param api the REST calls (tests pass fakes)
   */
  constructor(
    readonly ids: string[],
    api: IRunsAPI = runsAPI
  ) {
    super();
    this._api = api;
  }

  /** The runs, once loaded, in column order. */
  get runs(): RestWire.IRun[] {
    return this._runs;
  }

  /**
   * Fetch the runs.
   *
   * @returns a promise that settles when loaded
   */
  load(): Promise<void> {
    return this._fetch(async () => {
      this._runs = await Promise.all(this.ids.map(id => this._api.getRun(id)));
    });
  }

  private _api: IRunsAPI;
  private _runs: RestWire.IRun[] = [];
}
