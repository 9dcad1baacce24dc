/**
 * Sizes, hashes, ids, file names and run titles as people read them.
 */

/**
 * A byte count for people: `512 B`, `1.5 KB`, `3.2 MB`.
 *
 * @param bytes the size
 * @returns the size with a unit
 */
export function humanSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${value} B`
    : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * A byte count.
 *
 * @param size bytes
 * @returns e.g. `512 B`, `1.5 KB`, `—`
 */
export function formatSize(size: number | null | undefined): string {
  return size === null || size === undefined ? '—' : humanSize(size);
}

/**
 * The first 8 hex digits of a sha256 (or an empty string).
 *
 * @param sha256 the digest
 * @returns the short form
 */
export function shortHash(sha256: string | null | undefined): string {
  return sha256 ? sha256.slice(0, 8) : '';
}

/**
 * The first 8 characters of an id.
 *
 * @param id a run id or hash
 * @returns the short form
 */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/**
 * The last component of a path.
 *
 * @param path a slash-separated path
 * @returns the file name
 */
export function basename(path: string): string {
  const parts = path.split('/');
  return parts[parts.length - 1] || path;
}

/**
 * The name people know a run by.
 *
 * @param run a run or run summary or lineage node
 * @param run.id the run id
 * @param run.description its description
 * @param run.notebook its notebook
 * @param run.workload_file its script
 * @returns the description, else the notebook or script file name, else the short id
 */
export function runTitle(run: {
  id: string;
  description?: string | null;
  notebook?: string | null;
  workload_file?: string | null;
}): string {
  if (run.description) {
    return run.description;
  }
  const file = run.notebook || run.workload_file;
  if (file) {
    return `${basename(file)} · ${shortId(run.id)}`;
  }
  return `Run ${shortId(run.id)}`;
}
