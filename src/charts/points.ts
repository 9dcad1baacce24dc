import { numberSteps } from '../steps';
import { numeric } from '../values';

/**
 * A point a chart draws.
 */
export interface IChartPoint {
  x: number;
  y: number;
}

/**
 * A metric series as chart points: x is the step (numbered as the kernel library numbers
 * them), y the numeric value; text, booleans and null are left out (NaN and infinities are
 * kept: charts leave out what they cannot place).
 *
 * @param series the metric's points
 * @param series.value a point's value
 * @param series.step a point's step
 * @returns the points with a number
 */
export function chartPoints(
  series: readonly { value: unknown; step?: number | null }[]
): IChartPoint[] {
  const steps = numberSteps(series);
  const out: IChartPoint[] = [];
  series.forEach((p, i) => {
    const y = numeric(p.value);
    if (y !== null) {
      out.push({ x: steps[i], y });
    }
  });
  return out;
}
