/**
 * Typed values (`RestWire.Value`: JSON, or `{"$float": "nan" | "inf" | "-inf"}`): the one
 * place that reads them as numbers and shows them as text.
 */
import { RestWire } from './api/rest';

/**
 * A typed value as a number, when it is one (NaN and infinities included).
 *
 * @param value the wire value
 * @returns the number, or null for text, booleans and null
 */
export function numeric(value: unknown): number | null {
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
export function formatValue(value: RestWire.Value | undefined): string {
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

const HAS_OWN = Object.prototype.hasOwnProperty;

/**
 * One entry of a map from the server (a run's parameters, labels, metrics, inputs by
 * path): keys are the user's, so a key such as `constructor` or `__proto__` that the map
 * lacks is missing, never the member every object inherits.
 *
 * @param map the map
 * @param key the key
 * @returns the value, undefined when the map has no such key
 */
export function ownValue<T>(
  map: Readonly<Record<string, T>> | null | undefined,
  key: string
): T | undefined {
  return map && HAS_OWN.call(map, key) ? map[key] : undefined;
}

/**
 * Set one entry of a map built from the server's data as the map's own (a key
 * `__proto__` is an entry like any other, not the map's prototype).
 *
 * @param map the map
 * @param key the key
 * @param value the value
 */
export function setOwn<T>(map: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(map, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true
  });
}
