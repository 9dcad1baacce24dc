import { RestWire } from '../../api/rest';

/**
 * A running local deployment of iris v1, with `extra` fields over it.
 *
 * @param extra fields to set
 * @returns the deployment as the server lists it
 */
export function deployment(
  extra: Partial<RestWire.IDeployment> = {}
): RestWire.IDeployment {
  return {
    id: 'd1',
    model: 'iris',
    version: 1,
    run_id: null,
    framework: 'sklearn',
    target: 'local',
    state: 'running',
    reason: null,
    url: 'http://127.0.0.1:8080/',
    created: '2026-11-30T00:00:00Z',
    updated: '2026-11-30T00:00:00Z',
    ...extra
  };
}
