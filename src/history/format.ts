/**
 * How history views show values, times and sizes.
 */
import { humanSize } from '../components/format';
import { HistoryWire } from './wire';

/**
 * A typed value as a number, when it is one (NaN and infinities included).
 *
 * @param value the wire value
 * @returns the number, or null for text, booleans and null
 */
export function numeric(value: HistoryWire.Value | undefined): number | null {
  if (typeof value === 'number') {
    return value;
  }
  if (value && typeof value === 'object' && '$float' in value) {
    const f = value.$float;
    return f === 'nan' ? NaN : f === '-inf' ? -Infinity : Infinity;
  }
  return null;
}

/**
 * A typed value as short text.
 *
 * @param value the wire value
 * @returns e.g. `0.9533`, `nan`, `adam`, `—` for a missing value
 */
export function formatValue(value: HistoryWire.Value | undefined): string {
  if (value === undefined || value === null) {
    return '—';
  }
  if (typeof value === 'object') {
    return value.$float;
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return String(value);
    }
    const abs = Math.abs(value);
    return abs !== 0 && (abs < 1e-3 || abs >= 1e6)
      ? value.toExponential(3)
      : String(Number(value.toPrecision(4)));
  }
  return String(value);
}

/**
 * A timestamp in the reader's locale.
 *
 * @param iso ISO 8601 time
 * @returns e.g. `27/11/2026, 06:30:00`, or `—`
 */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) {
    return '—';
  }
  const d = new Date(iso);
  return isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/**
 * How long ago a time was.
 *
 * @param iso ISO 8601 time
 * @param now the present (for tests)
 * @returns e.g. `just now`, `5 min ago`, `3 h ago`, `2 d ago`
 */
export function formatAgo(
  iso: string | null | undefined,
  now = Date.now()
): string {
  if (!iso) {
    return '';
  }
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (isNaN(s)) {
    return '';
  }
  if (s < 45) {
    return 'just now';
  }
  if (s < 3600) {
    return `${Math.round(s / 60)} min ago`;
  }
  if (s < 86400) {
    return `${Math.round(s / 3600)} h ago`;
  }
  return `${Math.round(s / 86400)} d ago`;
}

/**
 * The time between two timestamps.
 *
 * @param start ISO 8601 time
 * @param end ISO 8601 time
 * @returns e.g. `850 ms`, `12.3 s`, `4 min 5 s`, `1 h 2 min`, or `—`
 */
export function formatDuration(
  start: string | null | undefined,
  end: string | null | undefined
): string {
  if (!start || !end) {
    return '—';
  }
  const ms = new Date(end).getTime() - new Date(start).getTime();
  if (isNaN(ms) || ms < 0) {
    return '—';
  }
  if (ms < 1000) {
    return `${ms} ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(1)} s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  }
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
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
