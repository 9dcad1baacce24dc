/**
 * A line diff of two texts (the longest common subsequence of lines, Myers' greedy
 * algorithm), for showing what changed in a cell between two runs.
 */

/**
 * One line of a diff: kept (in both), removed (only in the old text) or added (only in
 * the new text), with its line numbers (1-based; null on the side it is not in).
 */
export interface IDiffLine {
  kind: 'same' | 'removed' | 'added';
  text: string;
  oldLine: number | null;
  newLine: number | null;
}

/**
 * Split a text into lines (a final newline makes no empty last line; no text: no lines).
 *
 * @param text the text (null: none)
 * @returns its lines
 */
export function splitLines(text: string | null | undefined): string[] {
  if (!text) {
    return [];
  }
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/**
 * The lines of `a` and `b` as a shortest edit script (Myers, O((N+M)·D) time): every line
 * of `a` is kept or removed, every line of `b` kept or added, in order; removals come
 * before the additions that replace them.
 *
 * @param a the old lines
 * @param b the new lines
 * @returns the diff
 */
export function diffLines(
  a: readonly string[],
  b: readonly string[]
): IDiffLine[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let done = max === 0;
  for (let d = 0; d <= max && !done; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])
          ? v[offset + k + 1]
          : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        done = true;
        break;
      }
    }
  }
  // walk back through the saved frontiers
  const out: IDiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0 && (x > 0 || y > 0); d--) {
    const vd = trace[d];
    const k = x - y;
    let prevK: number;
    if (d === 0) {
      prevK = k;
    } else {
      prevK =
        k === -d || (k !== d && vd[offset + k - 1] < vd[offset + k + 1])
          ? k + 1
          : k - 1;
    }
    const prevX = d === 0 ? 0 : vd[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      out.push({ kind: 'same', text: a[x], oldLine: x + 1, newLine: y + 1 });
    }
    if (d > 0) {
      if (x === prevX) {
        y--;
        out.push({ kind: 'added', text: b[y], oldLine: null, newLine: y + 1 });
      } else {
        x--;
        out.push({
          kind: 'removed',
          text: a[x],
          oldLine: x + 1,
          newLine: null
        });
      }
    }
  }
  out.reverse();
  return out;
}

/**
 * The diff of two texts by lines.
 *
 * @param a the old text (null: none)
 * @param b the new text (null: none)
 * @returns the diff
 */
export function diffText(
  a: string | null | undefined,
  b: string | null | undefined
): IDiffLine[] {
  return diffLines(splitLines(a), splitLines(b));
}
