import React from 'react';

/**
 * Props of {@link MetricChart}.
 */
export interface IMetricChartProps {
  /**
   * `[step, value]` pairs, in order.
   */
  points: readonly [number, number][];
  /**
   * What the chart shows (for screen readers).
   */
  label: string;
  width?: number;
  height?: number;
}

/**
 * A small line chart of a metric series (hand-written SVG, theme colours).
 *
 * @returns the chart, or nothing for fewer than two points
 */
export function MetricChart(props: IMetricChartProps): JSX.Element | null {
  const { points, width = 160, height = 36 } = props;
  if (points.length < 2) {
    return null;
  }
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const pad = 2;
  const sx = (x: number) =>
    pad + ((x - minX) / (maxX - minX || 1)) * (width - 2 * pad);
  const sy = (y: number) =>
    height - pad - ((y - minY) / (maxY - minY || 1)) * (height - 2 * pad);
  const d = points
    .map(
      ([x, y], i) =>
        `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`
    )
    .join('');
  const [lastX, lastY] = points[points.length - 1];
  return (
    <svg
      className="jp-Dotscience-chart"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${props.label}: ${points.length} points from ${minY} to ${maxY}`}
    >
      <path className="jp-Dotscience-chartLine" d={d} />
      <circle
        className="jp-Dotscience-chartDot"
        cx={sx(lastX)}
        cy={sy(lastY)}
        r={2}
      />
    </svg>
  );
}
