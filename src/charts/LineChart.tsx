import React from 'react';
import { formatValue } from '../values';

/**
 * One line of a chart.
 */
export interface IChartSeries {
  /** legend text */
  label: string;
  /** points; non-finite values are skipped */
  points: { x: number; y: number }[];
}

/**
 * Props of LineChart.
 */
export interface ILineChartProps {
  /** one or more series, drawn in palette order */
  series: IChartSeries[];
  /** drawing width in px */
  width?: number;
  /** drawing height in px */
  height?: number;
  /** an accessible name for the chart */
  title: string;
  /** show the legend (default: when more than one series) */
  legend?: boolean;
}

const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

/**
 * A small SVG line chart: y range labels on the left, x (step) range below, a dot per
 * point when there are few.
 *
 * @param props chart props
 * @returns the chart
 */
export function LineChart(props: ILineChartProps): JSX.Element {
  const width = props.width ?? 280;
  const height = props.height ?? 120;
  const series = props.series.map(s => ({
    ...s,
    points: s.points.filter(p => isFinite(p.x) && isFinite(p.y))
  }));
  const all = series.flatMap(s => s.points);
  const legend = props.legend ?? props.series.length > 1;
  if (!all.length) {
    return (
      <div className="jp-Dotscience-chart jp-Dotscience-muted">
        No numeric values to draw.
      </div>
    );
  }
  let [x0, x1] = [
    Math.min(...all.map(p => p.x)),
    Math.max(...all.map(p => p.x))
  ];
  let [y0, y1] = [
    Math.min(...all.map(p => p.y)),
    Math.max(...all.map(p => p.y))
  ];
  if (x0 === x1) {
    x0 -= 1;
    x1 += 1;
  }
  if (y0 === y1) {
    const d = Math.abs(y0) * 0.1 || 1;
    y0 -= d;
    y1 += d;
  }
  const w = width - PAD.left - PAD.right;
  const h = height - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * w;
  const sy = (y: number) => PAD.top + h - ((y - y0) / (y1 - y0)) * h;
  return (
    <figure className="jp-Dotscience-chart">
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={props.title}
      >
        <title>{props.title}</title>
        <line
          className="jp-Dotscience-chart-axis"
          x1={PAD.left}
          y1={PAD.top}
          x2={PAD.left}
          y2={PAD.top + h}
        />
        <line
          className="jp-Dotscience-chart-axis"
          x1={PAD.left}
          y1={PAD.top + h}
          x2={PAD.left + w}
          y2={PAD.top + h}
        />
        <text
          className="jp-Dotscience-chart-label"
          x={PAD.left - 4}
          y={PAD.top + 8}
          textAnchor="end"
        >
          {formatValue(y1)}
        </text>
        <text
          className="jp-Dotscience-chart-label"
          x={PAD.left - 4}
          y={PAD.top + h}
          textAnchor="end"
        >
          {formatValue(y0)}
        </text>
        <text
          className="jp-Dotscience-chart-label"
          x={PAD.left}
          y={height - 4}
          textAnchor="start"
        >
          {formatValue(x0)}
        </text>
        <text
          className="jp-Dotscience-chart-label"
          x={PAD.left + w}
          y={height - 4}
          textAnchor="end"
        >
          {`step ${formatValue(x1)}`}
        </text>
        {series.map((s, i) => (
          <g key={i} className={`jp-Dotscience-series-${i % 8}`}>
            {s.points.length > 1 && (
              <polyline
                fill="none"
                points={s.points.map(p => `${sx(p.x)},${sy(p.y)}`).join(' ')}
              />
            )}
            {s.points.length <= 40 &&
              s.points.map((p, j) => (
                <circle key={j} cx={sx(p.x)} cy={sy(p.y)} r={2.5}>
                  <title>{`${s.label}: step ${p.x} = ${formatValue(p.y)}`}</title>
                </circle>
              ))}
          </g>
        ))}
      </svg>
      {legend && (
        <figcaption className="jp-Dotscience-legend">
          {props.series.map((s, i) => (
            <span key={i} className={`jp-Dotscience-series-${i % 8}`}>
              <svg width="12" height="12" aria-hidden="true">
                <rect width="12" height="12" rx="2" />
              </svg>
              {s.label}
            </span>
          ))}
        </figcaption>
      )}
    </figure>
  );
}
