import { requestAPI } from './request';
import { RestWire } from './rest';

/**
 * The REST calls of reproducing a run and reading what it recorded: one typed function per
 * endpoint. The run detail's model takes this interface so tests can replace it.
 */
export interface IReproduceAPI {
  getRunExecutions(id: string): Promise<RestWire.IExecutions>;
  listReproductions(id: string): Promise<RestWire.IReproduction[]>;
  startReproduction(
    id: string,
    request: RestWire.IReproductionRequest
  ): Promise<RestWire.IReproduction>;
  getReproduction(id: string, rid: string): Promise<RestWire.IReproduction>;
  cancelReproduction(id: string, rid: string): Promise<void>;
}

function runPath(id: string): string {
  return `runs/${encodeURIComponent(id)}`;
}

/**
 * `GET runs/{id}/executions`: the executions the run depends on, in the order they ran,
 * with their source text.
 *
 * @param id run id
 * @returns the executions and the kernel session they ran in
 */
export function getRunExecutions(id: string): Promise<RestWire.IExecutions> {
  return requestAPI<RestWire.IExecutions>(`${runPath(id)}/executions`);
}

/**
 * `GET runs/{id}/reproductions`.
 *
 * @param id run id
 * @returns the run's reproductions, newest first
 */
export async function listReproductions(
  id: string
): Promise<RestWire.IReproduction[]> {
  const body = await requestAPI<{ reproductions: RestWire.IReproduction[] }>(
    `${runPath(id)}/reproductions`
  );
  return body.reproductions;
}

/**
 * `POST runs/{id}/reproductions`: start re-executing the run. A run authored by someone
 * else is refused with status 409 (an `APIError` whose `body` names the author) unless
 * `confirm` is true.
 *
 * @param id run id
 * @param request the relative tolerance of metrics and whether the user confirmed
 * @returns the queued reproduction
 */
export function startReproduction(
  id: string,
  request: RestWire.IReproductionRequest
): Promise<RestWire.IReproduction> {
  return requestAPI<RestWire.IReproduction>(`${runPath(id)}/reproductions`, {
    method: 'POST',
    body: JSON.stringify(request)
  });
}

/**
 * `GET runs/{id}/reproductions/{rid}`.
 *
 * @param id run id
 * @param rid reproduction id
 * @returns the reproduction: its progress, and its verdict once done
 */
export function getReproduction(
  id: string,
  rid: string
): Promise<RestWire.IReproduction> {
  return requestAPI<RestWire.IReproduction>(
    `${runPath(id)}/reproductions/${encodeURIComponent(rid)}`
  );
}

/**
 * `DELETE runs/{id}/reproductions/{rid}`: cancel a reproduction that is queued or running.
 *
 * @param id run id
 * @param rid reproduction id
 * @returns a promise that settles when the server has taken the request (the reproduction's
 *   state says when it stopped)
 */
export async function cancelReproduction(
  id: string,
  rid: string
): Promise<void> {
  await requestAPI<unknown>(
    `${runPath(id)}/reproductions/${encodeURIComponent(rid)}`,
    { method: 'DELETE' }
  );
}

/**
 * The real REST calls.
 */
export const reproduceAPI: IReproduceAPI = {
  getRunExecutions,
  listReproductions,
  startReproduction,
  getReproduction,
  cancelReproduction
};
