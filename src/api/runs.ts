import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { requestAPI } from './request';
import { IRunQuery, toSearchParams } from '../runs/query';
import { RestWire } from './rest';
import { PageFetcher } from './pageWorker';
import { IPackedPage } from '../runs/packing';

/**
 * The REST calls the history views need: one typed function per endpoint. Models take
 * this interface so tests can replace it.
 */
export interface IRunsAPI {
  listRuns(
    query: IRunQuery,
    limit: number,
    cursor: string | null
  ): Promise<RestWire.IRunPage>;
  listRunIds?(query: IRunQuery, limit?: number): Promise<IRunIds>;
  listRunsPacked?(
    query: IRunQuery,
    limit: number,
    cursor: string | null
  ): Promise<IPackedPage>;
  getRun(id: string): Promise<RestWire.IRun>;
  getRunFiles(id: string): Promise<RestWire.IRunFile[]>;
  getRunNotebook(id: string): Promise<RestWire.INotebookSnapshot | null>;
  getRunLineage(id: string, depth?: number): Promise<RestWire.ILineage>;
  getFileLineage(sha256: string, depth?: number): Promise<RestWire.ILineage>;
  exportRun(id: string, format: RestWire.ExportFormat): Promise<string>;
  importV1(path: string): Promise<RestWire.IImportResult>;
  listProjects(): Promise<RestWire.IProject[]>;
}

/**
 * `GET runs`: one page of the listing.
 *
 * @param query filters and sort
 * @param limit page size (1..1000)
 * @param cursor the previous page's `next_cursor`
 * @returns the runs and the next cursor
 */
export function listRuns(
  query: IRunQuery,
  limit: number,
  cursor: string | null = null
): Promise<RestWire.IRunPage> {
  return requestAPI<RestWire.IRunPage>(
    `runs?${toSearchParams(query, limit, cursor).toString()}`
  );
}

let fetcher: PageFetcher | null = null;

/**
 * `GET runs`: one page of the listing fetched, parsed and packed in a worker (the Runs
 * table's pages: see `src/runs/packing.ts`).
 *
 * @param query filters and sort
 * @param limit page size (1..1000)
 * @param cursor the previous page's `next_cursor`
 * @returns the packed page
 */
export function listRunsPacked(
  query: IRunQuery,
  limit: number,
  cursor: string | null = null
): Promise<IPackedPage> {
  fetcher = fetcher ?? new PageFetcher();
  return fetcher.fetch(
    `runs?${toSearchParams(query, limit, cursor).toString()}`
  );
}

/**
 * Every run id a query matches, and how many match.
 */
export interface IRunIds {
  ids: string[];
  total: number;
}

/**
 * `GET runs/ids`: the ids of every run the query matches, in its sort order (the Runs
 * table's "select all that match", without loading every summary).
 *
 * @param query filters and sort
 * @param limit at most this many ids (1..100,000)
 * @returns the ids and the number of matches
 */
export function listRunIds(query: IRunQuery, limit = 100000): Promise<IRunIds> {
  const params = toSearchParams(query, limit, null);
  return requestAPI<IRunIds>(`runs/ids?${params.toString()}`);
}

/**
 * `GET runs/{id}`.
 *
 * @param id run id
 * @returns the whole run
 */
export function getRun(id: string): Promise<RestWire.IRun> {
  return requestAPI<RestWire.IRun>(`runs/${encodeURIComponent(id)}`);
}

/**
 * `GET runs/{id}/files`.
 *
 * @param id run id
 * @returns inputs and outputs with their download state
 */
export async function getRunFiles(id: string): Promise<RestWire.IRunFile[]> {
  const body = await requestAPI<{ files: RestWire.IRunFile[] }>(
    `runs/${encodeURIComponent(id)}/files`
  );
  return body.files;
}

/**
 * `GET runs/{id}/notebook?missing=empty`.
 *
 * @param id run id
 * @returns the snapshot, or null when the run has none (the server answers 204 then, so
 * the browser logs no error for a run that simply has no snapshot)
 */
export async function getRunNotebook(
  id: string
): Promise<RestWire.INotebookSnapshot | null> {
  const body = await requestAPI<RestWire.INotebookSnapshot | ''>(
    `runs/${encodeURIComponent(id)}/notebook?missing=empty`
  );
  return body && typeof body === 'object' ? body : null;
}

/**
 * `GET runs/{id}/lineage`.
 *
 * @param id run id
 * @param depth run-to-run links to follow each way
 * @returns the graph around the run
 */
export function getRunLineage(
  id: string,
  depth = 3
): Promise<RestWire.ILineage> {
  return requestAPI<RestWire.ILineage>(
    `runs/${encodeURIComponent(id)}/lineage?direction=both&depth=${depth}`
  );
}

/**
 * `GET files/{sha256}/lineage`.
 *
 * @param sha256 content hash
 * @param depth run-to-run links to follow each way
 * @returns the graph around the file
 */
export function getFileLineage(
  sha256: string,
  depth = 3
): Promise<RestWire.ILineage> {
  return requestAPI<RestWire.ILineage>(
    `files/${encodeURIComponent(sha256)}/lineage?direction=both&depth=${depth}`
  );
}

/**
 * `GET runs/{id}/export`.
 *
 * @param id run id
 * @param format `prov`, `openlineage` or `v1`
 * @returns the document as text (JSON pretty-printed)
 */
export async function exportRun(
  id: string,
  format: RestWire.ExportFormat
): Promise<string> {
  const body = await requestAPI<unknown>(
    `runs/${encodeURIComponent(id)}/export?format=${format}`
  );
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2);
}

/**
 * `POST import`: import legacy v1 blocks from a workspace file.
 *
 * @param path root-relative notebook or log
 * @returns how many runs were found and how many were new
 */
export function importV1(path: string): Promise<RestWire.IImportResult> {
  return requestAPI<RestWire.IImportResult>('import', {
    method: 'POST',
    body: JSON.stringify({ path })
  });
}

/**
 * `GET projects`.
 *
 * @returns the projects with their run counts
 */
export async function listProjects(): Promise<RestWire.IProject[]> {
  const body = await requestAPI<{ projects: RestWire.IProject[] }>('projects');
  return body.projects;
}

/**
 * The download address of a stored artifact (authenticated by the session cookie).
 *
 * @param sha256 content hash
 * @param name file name for the download
 * @returns an absolute URL
 */
export function artifactURL(sha256: string, name: string): string {
  const settings = ServerConnection.makeSettings();
  return (
    URLExt.join(settings.baseUrl, 'dotscience', 'api', 'artifacts', sha256) +
    `?name=${encodeURIComponent(name)}`
  );
}

/**
 * The download address of the Runs table as CSV (`GET runs/csv`, authenticated by the
 * session cookie): every run the query matches, in its order, with these columns.
 *
 * @param query filters and sort
 * @param columns the columns' ids, in order (`field:name`, `param:alpha`, ...)
 * @returns an absolute URL
 */
export function runsCsvURL(
  query: IRunQuery,
  columns: readonly string[]
): string {
  const params = csvParams(query);
  for (const id of columns) {
    params.append('column', id);
  }
  const settings = ServerConnection.makeSettings();
  return (
    URLExt.join(settings.baseUrl, 'dotscience', 'api', 'runs', 'csv') +
    `?${params.toString()}`
  );
}

/**
 * The query of a CSV export: the filters and sort, every run (up to the server's 100,000).
 *
 * @param query filters and sort
 * @returns the search parameters
 */
function csvParams(query: IRunQuery): URLSearchParams {
  return toSearchParams({ ...query, stats: false }, 100000, null);
}

/**
 * The longest address a download link is given: a longer one (thousands of columns)
 * would pass what a server reads of a request's head (Jupyter's: 64 KiB).
 */
export const MAX_CSV_URL = 48 * 1024;

/**
 * Download the Runs table as CSV (`runs.csv`): every run the query matches, in its order,
 * with these columns. The browser downloads the file itself, streaming it to disk: by
 * `GET runs/csv`, or, for columns too many for an address, by the one-use address of an
 * export whose columns were posted (`POST runs/csv/exports`).
 *
 * @param query filters and sort
 * @param columns the columns' ids, in order (`field:name`, `param:alpha`, ...)
 * @param save hands an address to the browser to save (`saveURL`)
 * @returns when the download was handed to the browser; rejects with the server's
 *   sentence when it refused
 */
export async function downloadRunsCsv(
  query: IRunQuery,
  columns: readonly string[],
  save: (url: string, name: string) => void
): Promise<void> {
  const url = runsCsvURL(query, columns);
  if (url.length <= MAX_CSV_URL) {
    save(url, '');
    return;
  }
  const made = await requestAPI<RestWire.ICsvExport>(
    `runs/csv/exports?${csvParams(query).toString()}`,
    { method: 'POST', body: JSON.stringify({ columns }) }
  );
  // (the address is from the server's root, which holds the base URL)
  const { baseUrl } = ServerConnection.makeSettings();
  save(new URL(made.url, baseUrl).href, '');
}

/**
 * The real REST calls.
 */
export const runsAPI: IRunsAPI = {
  listRuns,
  listRunIds,
  listRunsPacked,
  getRun,
  getRunFiles,
  getRunNotebook,
  getRunLineage,
  getFileLineage,
  exportRun,
  importV1,
  listProjects
};
