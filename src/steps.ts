/**
 * Step numbering of metric series: the one place in the frontend that numbers them, with
 * the kernel library's rule (`dotscience/steps.py`): a point without a step gets the
 * previous step + 1, the first one 0.
 */

/**
 * The step of every point of a series.
 *
 * @param series the points, in order (`step` null or missing: not numbered)
 * @param series.step a point's step
 * @returns one step per point
 */
export function numberSteps(
  series: readonly { step?: number | null }[]
): number[] {
  let previous = -1;
  return series.map(p => {
    previous =
      typeof p.step === 'number' && Number.isFinite(p.step)
        ? p.step
        : previous + 1;
    return previous;
  });
}
