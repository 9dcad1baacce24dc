import type { ICompareRun } from '../../diff/api';

/**
 * A run as `POST runs/compare` answers it; fields override the defaults.
 *
 * @param n a number making the id and name unique
 * @param fields overrides
 * @returns the run
 */
export function compareRun(
  n: number,
  fields: Partial<ICompareRun> = {}
): ICompareRun {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    project: 'default',
    author: 'alice',
    description: `run ${n}`,
    status: 'succeeded',
    notebook: 'quickstart.ipynb',
    workload_file: null,
    start: '2026-11-27T06:30:00.000000Z',
    end: '2026-11-27T06:31:00.000000Z',
    received: '2026-11-27T06:31:01.000000Z',
    parameters: {},
    metrics: {},
    labels: {},
    inputs: [],
    environment: {
      python: '3.11.7',
      implementation: 'CPython',
      platform: 'Linux',
      packages: 3,
      packages_sha256: 'ab'.repeat(32),
      git_commit: null,
      git_dirty: null
    },
    ...fields
  };
}

/** A metric's last point as the compare answer has it. */
export function last(value: number, min = value, max = value) {
  return { value, text: String(value), step: 0, count: 1, min, max };
}
