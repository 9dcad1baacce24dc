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

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * A timestamp in the reader's time zone, in the one spelling that sorts as it reads and
 * that the Runs table's time filters accept back.
 *
 * @param iso ISO 8601 time
 * @returns e.g. `2026-11-27 07:30:00`, `—` for none, or `iso` itself when it is no time
 */
export function formatStamp(iso: string | null | undefined): string {
  if (!iso) {
    return '—';
  }
  const ms = parseTime(iso);
  if (isNaN(ms)) {
    return iso;
  }
  const d = new Date(ms);
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

const LOCAL_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const ABSOLUTE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * A unit of relative time: seconds, minutes and hours as lengths, days and weeks on the
 * reader's calendar (a day is from a clock time to the same clock time, over a change to
 * summer time too).
 */
const UNIT =
  '(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)';
const AGO = new RegExp(`^(\\d+)\\s*${UNIT}\\s+ago$`, 'i');
const LAST = new RegExp(`^(?:last|past)\\s+(?:(\\d+)\\s*)?${UNIT}$`, 'i');
const MAX_BACK = 1_000_000; // units typed: more digits are a slip
const FIRST_TIME = new Date(0).setUTCFullYear(1, 0, 1) - 1; // none stored before year 1

/**
 * The instant `n` units before `now`.
 *
 * @param now milliseconds since the epoch
 * @param n how many units back
 * @param unit as typed (`7 d`, `7 days`, `30 min`, ...)
 * @returns milliseconds since the epoch, or null before the year 1 (or a slip of digits)
 */
function back(now: number, n: number, unit: string): number | null {
  if (n > MAX_BACK) {
    return null;
  }
  const u = unit[0].toLowerCase();
  const day = new Date(now);
  if (u === 'd' || u === 'w') {
    day.setDate(day.getDate() - n * (u === 'w' ? 7 : 1));
  } else {
    day.setTime(now - n * (u === 's' ? 1000 : u === 'm' ? 60_000 : 3_600_000));
  }
  const t = day.getTime();
  return t > FIRST_TIME ? t : null;
}

/**
 * One of the reader's calendar days (in their time zone: 23 or 25 hours long when summer
 * time starts or ends).
 *
 * @param now milliseconds since the epoch
 * @param offset days from the one holding `now` (-1: the day before)
 * @returns `[start, end)`: its midnight and the next, in milliseconds since the epoch
 */
export function readerDay(now: number, offset = 0): [number, number] {
  const d = new Date(now);
  const day = d.getDate() + offset;
  return [
    new Date(d.getFullYear(), d.getMonth(), day).getTime(),
    new Date(d.getFullYear(), d.getMonth(), day + 1).getTime()
  ];
}

/**
 * The span of time a typed date or time stands for: a day (`2026-11-30`), a minute
 * (`2026-11-30 08:15`) or a second (`2026-11-30 08:15:00`) in the reader's time zone, or
 * an instant given with its zone (`2026-11-30T08:15:00Z`, `...+01:00`); relative to `now`,
 * `today` and `yesterday` (the reader's days) and the instants `now` and `3 hours ago`
 * (`s`, `min`, `h`, `d` or `w`, spelled short or long).
 *
 * @param text what was typed
 * @param now the time it is read at (milliseconds since the epoch)
 * @returns `[start, end)` in milliseconds since the epoch, or null when it is no date
 */
export function typedTimeSpan(
  text: string,
  now = Date.now()
): [number, number] | null {
  const typed = text.trim();
  const word = typed.toLowerCase();
  if (word === 'now') {
    return [now, now + 1];
  }
  if (word === 'today' || word === 'yesterday') {
    return readerDay(now, word === 'yesterday' ? -1 : 0);
  }
  const ago = AGO.exec(typed);
  if (ago) {
    const t = back(now, Number(ago[1]), ago[2]);
    return t === null ? null : [t, t + 1];
  }
  if (ABSOLUTE_TIME.test(typed)) {
    const ms = Date.parse(typed);
    return isNaN(ms) ? null : [ms, ms + 1];
  }
  const m = LOCAL_TIME.exec(typed);
  if (!m) {
    return null;
  }
  const [y, mo, d, h, mi, s] = m
    .slice(1)
    .map(v => (v === undefined ? NaN : Number(v)));
  const start = new Date(y, mo - 1, d, h || 0, mi || 0, s || 0);
  if (
    start.getFullYear() !== y ||
    start.getMonth() !== mo - 1 ||
    start.getDate() !== d ||
    (!isNaN(h) && (h > 23 || mi > 59)) ||
    (!isNaN(s) && s > 59)
  ) {
    return null; // e.g. 2026-02-30 or 25:00 (Date would roll them over)
  }
  if (isNaN(h)) {
    return [start.getTime(), new Date(y, mo - 1, d + 1).getTime()];
  }
  return [start.getTime(), start.getTime() + (isNaN(s) ? 60_000 : 1000)];
}

/**
 * The start of a typed trailing period: `last 7 days`, `past 24 hours`, `last week`
 * (one unit when no number is given).
 *
 * @param text what was typed
 * @param now the time it is read at (milliseconds since the epoch)
 * @returns milliseconds since the epoch, or null when it is no such period
 */
export function typedSince(text: string, now = Date.now()): number | null {
  const last = LAST.exec(text.trim());
  if (!last) {
    return null;
  }
  const n = last[1] === undefined ? 1 : Number(last[1]);
  return n < 1 ? null : back(now, n, last[2]);
}

/**
 * An inclusive upper bound just before an instant: the last microsecond before it (times
 * are stored to the microsecond).
 *
 * @param ms the instant, in milliseconds since the epoch
 * @returns e.g. `2026-11-29T23:59:59.999999Z` for midnight
 */
export function isoJustBefore(ms: number): string {
  return new Date(ms - 1).toISOString().replace('Z', '999Z');
}
