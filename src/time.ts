/**
 * Timestamps: the one place that makes and shows them (ISO 8601 UTC, microseconds, `Z`, as
 * the kernel library writes them).
 */

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
  const s = Math.max(0, (now - parseTime(iso)) / 1000);
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
  const ms = parseTime(end) - parseTime(start);
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
 * A time as the kernel library writes it: ISO 8601 UTC with microseconds and `Z`.
 *
 * @param ms milliseconds since the epoch (default: now)
 * @returns e.g. `2026-11-27T06:30:00.123000Z`
 */
export function isoTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

/**
 * Milliseconds since the epoch of an ISO 8601 time.
 *
 * @param iso the time
 * @returns the instant, or NaN when it is not a time
 */
export function parseTime(iso: string): number {
  return Date.parse(iso);
}

/**
 * The clock time of a timestamp in the reader's locale.
 *
 * @param iso ISO 8601 time
 * @returns e.g. `06:30:00`
 */
export function formatClock(iso: string): string {
  const ms = parseTime(iso);
  return isNaN(ms) ? iso : new Date(ms).toLocaleTimeString();
}
