import { requestAPI } from '../api/request';
import type { ISweepSpec } from './spec';

/**
 * The sweeps API's wire types (`jupyterlab_dotscience/routes/sweeps.py`).
 */
export namespace SweepWire {
  /** running; done (every trial finished or the budget ran out); cancelled; stopped (its
   * server stopped while it ran) */
  export type State = 'running' | 'done' | 'cancelled' | 'stopped';
  export type TrialState =
    'queued' | 'running' | 'done' | 'pruned' | 'failed' | 'cancelled';

  export interface ITrial {
    number: number;
    state: TrialState;
    run_id: string | null;
    values: Record<string, unknown>;
    objective: number | null;
    error: string | null;
    started: string | null;
    finished: string | null;
    best: boolean;
  }

  export interface ICounts {
    trials: number;
    done: number;
    running: number;
    pruned: number;
    failed: number;
    cancelled: number;
  }

  export interface ISweep {
    id: string;
    notebook: string;
    project: string;
    owner: string | null;
    state: State;
    backend: 'local' | 'dask';
    spec: {
      method: ISweepSpec['method'];
      metric: ISweepSpec['metric'] | null;
      parameters: Record<string, Record<string, unknown>>;
      run_cap: number;
      parallelism: number;
      max_duration_seconds: number | null;
    };
    spec_yaml?: string;
    best: { trial: number; run_id: string | null; value: number } | null;
    counts: ICounts;
    message: string | null;
    created?: string;
    finished: string | null;
    /** present on `GET sweeps/{id}` */
    trials?: ITrial[];
  }

  export interface IStartRequest {
    notebook: string;
    spec: ISweepSpec | string;
    backend?: 'local' | 'dask';
    project?: string;
  }
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
