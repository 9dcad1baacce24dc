import { diffLines, diffText, splitLines } from '../lineDiff';

/** The old and new text a diff describes, rebuilt from it. */
function sides(d: ReturnType<typeof diffLines>): [string[], string[]] {
  return [
    d.filter(l => l.kind !== 'added').map(l => l.text),
    d.filter(l => l.kind !== 'removed').map(l => l.text)
  ];
}

describe('diffLines', () => {
  it('keeps identical texts as they are', () => {
    // Given the same lines, When diffed, Then every line is kept with its numbers
    const d = diffText('a\nb\n', 'a\nb');
    expect(d).toEqual([
      { kind: 'same', text: 'a', oldLine: 1, newLine: 1 },
      { kind: 'same', text: 'b', oldLine: 2, newLine: 2 }
    ]);
  });

  it('marks one changed line as removed then added', () => {
    // Given a cell whose middle line changed
    const d = diffText(
      'df = load()\nfit(df, alpha=0.1)\nplot()',
      'df = load()\nfit(df, alpha=0.5)\nplot()'
    );
    // Then only that line is removed and added, in that order
    expect(d.map(l => [l.kind, l.text])).toEqual([
      ['same', 'df = load()'],
      ['removed', 'fit(df, alpha=0.1)'],
      ['added', 'fit(df, alpha=0.5)'],
      ['same', 'plot()']
    ]);
  });

  it('names added and removed lines and their numbers', () => {
    const d = diffText('a\nb\nc', 'b\nc\nd');
    expect(d).toEqual([
      { kind: 'removed', text: 'a', oldLine: 1, newLine: null },
      { kind: 'same', text: 'b', oldLine: 2, newLine: 1 },
      { kind: 'same', text: 'c', oldLine: 3, newLine: 2 },
      { kind: 'added', text: 'd', oldLine: null, newLine: 3 }
    ]);
  });

  it('handles empty sides', () => {
    expect(diffText(null, 'x\ny').map(l => l.kind)).toEqual(['added', 'added']);
    expect(diffText('x', '').map(l => l.kind)).toEqual(['removed']);
    expect(diffText('', null)).toEqual([]);
    expect(splitLines('a\r\nb\rc\n')).toEqual(['a', 'b', 'c']);
  });

  it('is a shortest edit script that rebuilds both texts, on many random texts', () => {
    // Given pseudo-random texts over a small alphabet (a fixed seed: the same every run)
    let seed = 7;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % k;
    };
    for (let t = 0; t < 300; t++) {
      const a = Array.from({ length: rand(12) }, () => 'abc'[rand(3)]);
      const b = Array.from({ length: rand(12) }, () => 'abc'[rand(3)]);
      const d = diffLines(a, b);
      // Then the diff rebuilds both sides
      expect(sides(d)).toEqual([a, b]);
      // And keeps as many lines as the longest common subsequence
      const lcs = Array.from({ length: a.length + 1 }, () =>
        new Array(b.length + 1).fill(0)
      );
      for (let i = a.length - 1; i >= 0; i--) {
        for (let j = b.length - 1; j >= 0; j--) {
          lcs[i][j] =
            a[i] === b[j]
              ? lcs[i + 1][j + 1] + 1
              : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
        }
      }
      expect(d.filter(l => l.kind === 'same').length).toBe(lcs[0][0]);
    }
  });

  it('diffs two 5,000-line texts with a few changes quickly', () => {
    const a = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
    const b = a.slice();
    b[10] = 'changed';
    b.splice(2500, 1);
    b.push('tail');
    const d = diffLines(a, b);
    expect(d.filter(l => l.kind !== 'same').length).toBe(4);
  });
});
