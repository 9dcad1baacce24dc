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
 * The first 8 hex digits of a sha256 (or an empty string).
 *
 * @param sha256 the digest
 * @returns the short form
 */
export function shortHash(sha256: string | null | undefined): string {
  return sha256 ? sha256.slice(0, 8) : '';
}
