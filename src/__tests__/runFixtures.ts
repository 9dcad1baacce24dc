import { IRunsAPI } from '../api/runs';
import { IRunQuery } from '../runs/query';
import { RestWire } from '../api/rest';

/**
 * A run summary for tests.
 *
 * @param i a number making the run unique
 * @param extra fields to override
 * @returns the summary
 */
export function summary(
  i: number,
  extra: Partial<RestWire.IRunSummary> = {}
): RestWire.IRunSummary {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    project: 'default',
    author: 'ana',
    description: `run ${i}`,
    status: 'succeeded',
    error: null,
    mode: 'interactive',
    notebook: 'train.ipynb',
    workload_file: null,
    start: '2026-11-27T06:30:00.000000Z',
    end: '2026-11-27T06:31:00.000000Z',
    received: '2026-11-27T06:31:01.000000Z',
    imported: false,
    parameters: { alpha: String(i) },
    metrics: { accuracy: i / 1000 },
    labels: {},
    warnings: [],
    verdict: null,
    reproduces: null,
    ...extra
  };
}

/**
 * A whole run for tests.
 *
 * @param i a number making the run unique
 * @param extra fields to override
 * @returns the run
 */
export function fullRun(
  i: number,
  extra: Partial<RestWire.IRun> = {}
): RestWire.IRun {
  const s = summary(i);
  return {
    schema: 'dotscience.run/2',
    id: s.id,
    project: 'default',
    description: s.description,
    error: null,
    mode: 'interactive',
    workload_file: null,
    notebook: 'train.ipynb',
    argv: null,
    start: s.start,
    end: s.end,
    published: s.received,
    inputs: [],
    outputs: [],
    parameters: {},
    labels: {},
    metrics: {},
    models: [],
    environment: null,
    cells: [],
    kernel: null,
    published_from: null,
    reproduces: null,
    git: null,
    warnings: [],
    verdict: null,
    kernel_id: null,
    build: false,
    deploy: false,
    author: 'ana',
    imported: false,
    status: 'succeeded',
    received: s.received,
    ...extra
  };
}

/**
 * A fake server holding `runs`, paging them like the real one (cursor = offset).
 */
export class FakeServer implements IRunsAPI {
  constructor(public runs: RestWire.IRunSummary[]) {}

  calls: { query: IRunQuery; limit: number; cursor: string | null }[] = [];

  async listRuns(
    query: IRunQuery,
    limit: number,
    cursor: string | null
  ): Promise<RestWire.IRunPage> {
    this.calls.push({ query, limit, cursor });
    const start = cursor ? Number(cursor) : 0;
    const page = this.runs.slice(start, start + limit);
    const next =
      start + limit < this.runs.length ? String(start + limit) : null;
    return { runs: page, next_cursor: next, total: this.runs.length };
  }

  async listRunIds(
    query: IRunQuery,
    limit = 100000
  ): Promise<{ ids: string[]; total: number }> {
    this.idCalls.push({ query, limit });
    return {
      ids: this.runs.slice(0, limit).map(r => r.id),
      total: this.runs.length
    };
  }

  idCalls: { query: IRunQuery; limit: number }[] = [];

  async getRun(id: string): Promise<RestWire.IRun> {
    return fullRun(0, { id });
  }
  async getRunFiles(): Promise<RestWire.IRunFile[]> {
    return [];
  }
  async getRunNotebook(): Promise<null> {
    return null;
  }
  async getRunLineage(id: string): Promise<RestWire.ILineage> {
    return { root: id, nodes: [], edges: [], truncated: false };
  }
  async getFileLineage(sha: string): Promise<RestWire.ILineage> {
    return { root: `sha256:${sha}`, nodes: [], edges: [], truncated: false };
  }
  async exportRun(): Promise<string> {
    return '{}';
  }
  async importV1(): Promise<RestWire.IImportResult> {
    return { found: 0, imported: 0, runs: [] };
  }
  async listProjects(): Promise<RestWire.IProject[]> {
    return [];
  }
}
