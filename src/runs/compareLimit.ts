/**
 * How many runs the compare view takes at once: the server's limit for
 * `POST runs/compare` (`MAX_COMPARE` in `jupyterlab_dotscience/routes/compare.py`).
 */
export const MAX_COMPARE = 500;

/**
 * Whether `count` ticked runs can be compared, and what the Compare button says of it.
 *
 * @param count the runs ticked
 * @returns whether Compare is enabled, and its tooltip
 */
export function compareState(count: number): {
  enabled: boolean;
  title: string;
} {
  if (count < 2) {
    return { enabled: false, title: 'Tick two or more runs to compare them' };
  }
  if (count > MAX_COMPARE) {
    return {
      enabled: false,
      title: `At most ${MAX_COMPARE} runs can be compared at once: ${count.toLocaleString('en-US')} are ticked`
    };
  }
  return { enabled: true, title: `Compare ${count} runs` };
}
