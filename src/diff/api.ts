/**
 * The REST calls of the compare and diff views, typed from openapi.yaml.
 */
import type { components, paths } from '../api/openapi';
import { requestAPI } from '../api/request';

type JSONOf<R> = R extends { content: { 'application/json': infer T } }
  ? T
  : never;

/** `GET runs/{a}/diff/{b}`. */
export type IRunDiff = JSONOf<
  paths['/runs/{run_id}/diff/{other_id}']['get']['responses'][200]
>;
/** `POST runs/compare`. */
export type ICompareAnswer = JSONOf<
  paths['/runs/compare']['post']['responses'][200]
>;
/** One run of a compare answer. */
export type ICompareRun = ICompareAnswer['runs'][number];
/** Which way a metric is better. */
export type Direction = 'higher' | 'lower';
/** The status of one item of a diff. */
export type DiffStatus = components['schemas']['DiffStatus'];

/**
 * The REST calls (tests pass fakes).
 */
export interface ICompareAPI {
  compareRuns(ids: string[]): Promise<ICompareAnswer>;
  diffRuns(a: string, b: string): Promise<IRunDiff>;
  setDirection(key: string, direction: Direction | null): Promise<void>;
  previousRun(runId: string, notebook: string): Promise<string | null>;
}

/**
 * `POST runs/compare`: up to 500 runs in one request.
 *
 * @param ids the runs
 * @returns the runs found, the ids not found and the metrics' directions
 */
export function compareRuns(ids: string[]): Promise<ICompareAnswer> {
  return requestAPI<ICompareAnswer>('runs/compare', {
    method: 'POST',
    body: JSON.stringify({ ids })
  });
}

/**
 * `GET runs/{a}/diff/{b}`.
 *
 * @param a the first run
 * @param b the second run
 * @returns what changed from a to b
 */
export function diffRuns(a: string, b: string): Promise<IRunDiff> {
  return requestAPI<IRunDiff>(
    `runs/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`
  );
}

/**
 * `PUT metrics/{key}/direction`.
 *
 * @param key the metric
 * @param direction higher or lower is better, or null to forget it
 */
export async function setDirection(
  key: string,
  direction: Direction | null
): Promise<void> {
  await requestAPI(`metrics/${encodeURIComponent(key)}/direction`, {
    method: 'PUT',
    body: JSON.stringify({ direction })
  });
}

/**
 * The run of the same notebook published just before a run (`GET runs?notebook=...`,
 * newest first by start time).
 *
 * @param runId the run
 * @param notebook its notebook
 * @returns the previous run's id, or null when there is none
 */
export async function previousRun(
  runId: string,
  notebook: string
): Promise<string | null> {
  let cursor: string | null = null;
  let seen = false;
  for (let page = 0; page < 20; page++) {
    const query = new URLSearchParams({
      notebook,
      sort: '-start',
      limit: '200'
    });
    if (cursor) {
      query.set('cursor', cursor);
    }
    const body: { runs: { id: string }[]; next_cursor: string | null } =
      await requestAPI(`runs?${query}`);
    for (const r of body.runs) {
      if (seen) {
        return r.id;
      }
      seen = r.id === runId;
    }
    cursor = body.next_cursor;
    if (!cursor) {
      return null;
    }
  }
  return null;
}

/** The REST calls themselves. */
export const compareAPI: ICompareAPI = {
  compareRuns,
  diffRuns,
  setDirection,
  previousRun
};
