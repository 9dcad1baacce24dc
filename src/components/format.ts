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

/**
 * A metric's text shortened for a narrow column: numbers keep 6 significant digits
 * (`0.0684317` for `0.06843168076000879`); anything else is returned unchanged.
 *
 * @param text the value as the kernel printed it
 * @returns the text to show (the full text belongs in a tooltip)
 */
export function compactNumber(text: string): string {
  // Whole numbers stay exact; only fractions and exponents are shortened.
  if (!/^-?\d+(\.\d+|(\.\d+)?e[-+]?\d+)$/i.test(text.trim())) {
    return text;
  }
  const value = Number(text);
  const digits = text
    .replace(/^-|e.*$/gi, '')
    .replace('.', '')
    .replace(/^0+/, '');
  if (!Number.isFinite(value) || digits.length <= 6) {
    return text;
  }
  return String(Number(value.toPrecision(6)));
}
