import type { components, paths } from '../api/openapi';
import { requestAPI } from '../api/request';
import type { ISweepSpec } from './spec';

type Sweep = components['schemas']['Sweep'];

/**
 * The sweeps API's wire types: those generated from `openapi.yaml` (`src/api/openapi.ts`).
 */
export namespace SweepWire {
  /** running; done (every trial finished or the budget ran out); cancelled; stopped (its
   * server stopped while it ran) */
  export type State = Sweep['state'];
  /** a sweep; `trials` is given by `GET sweeps/{id}` */
  export type ISweep = Sweep;
  /** one trial of a sweep */
  export type ITrial = NonNullable<Sweep['trials']>[number];
  export type TrialState = ITrial['state'];
  /** the body of `POST sweeps` */
  export type IStartRequest = Omit<
    paths['/sweeps']['post']['requestBody']['content']['application/json'],
    'spec'
  > & { spec: ISweepSpec | string };
}

/**
 * The sweeps REST calls (an interface so tests can replace them).
 */
export interface ISweepsAPI {
  startSweep(request: SweepWire.IStartRequest): Promise<SweepWire.ISweep>;
  getSweep(id: string): Promise<SweepWire.ISweep>;
  listSweeps(notebook?: string): Promise<SweepWire.ISweep[]>;
  cancelSweep(id: string): Promise<SweepWire.ISweep>;
}

/**
 * `POST sweeps`: start a sweep of a notebook.
 *
 * @param request the notebook (workspace-relative), the spec and the backend
 * @returns the sweep as it starts
 */
export function startSweep(
  request: SweepWire.IStartRequest
): Promise<SweepWire.ISweep> {
  return requestAPI<SweepWire.ISweep>('sweeps', {
    method: 'POST',
    body: JSON.stringify(request)
  });
}

/**
 * `GET sweeps/{id}`.
 *
 * @param id sweep id
 * @returns the sweep with its trials
 */
export function getSweep(id: string): Promise<SweepWire.ISweep> {
  return requestAPI<SweepWire.ISweep>(`sweeps/${encodeURIComponent(id)}`);
}

/**
 * `GET sweeps`.
 *
 * @param notebook only this notebook's sweeps
 * @returns the sweeps, newest first, without their trials
 */
export async function listSweeps(
  notebook?: string
): Promise<SweepWire.ISweep[]> {
  const query = notebook ? `?notebook=${encodeURIComponent(notebook)}` : '';
  const body = await requestAPI<{ sweeps: SweepWire.ISweep[] }>(
    `sweeps${query}`
  );
  return body.sweeps;
}

/**
 * `POST sweeps/{id}/cancel`: stop the running trials; finished ones are kept.
 *
 * @param id sweep id
 * @returns the sweep
 */
export function cancelSweep(id: string): Promise<SweepWire.ISweep> {
  return requestAPI<SweepWire.ISweep>(
    `sweeps/${encodeURIComponent(id)}/cancel`,
    { method: 'POST' }
  );
}

/**
 * The real REST calls.
 */
export const sweepsAPI: ISweepsAPI = {
  startSweep,
  getSweep,
  listSweeps,
  cancelSweep
};
