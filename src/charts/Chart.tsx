import React from 'react';
import { useWidth } from './useWidth';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { Aligned, IChartSeries, IRange, align, drawable } from './data';
import {
  chartOptions,
  legendMode,
  readTheme,
  readout,
  seriesVariable
} from './options';

/**
 * Props of {@link Chart}.
 */
export interface IChartProps {
  /** the chart's accessible name */
  title: string;
  /** the lines, in legend order (downsample long ones first: about a point per pixel) */
  series: IChartSeries[];
  /** x is a step (default) or a time in seconds since the epoch */
  x?: 'step' | 'time';
  /** a logarithmic y axis (values at or below zero are left out) */
  log?: boolean;
  /** drawing height in px (default 140) */
  height?: number;
  /** drawing width in px (default: the container's width) */
  width?: number;
  /** a sparkline: no axes, legend, cursor or zoom */
  compact?: boolean;
  /**
   * Called when the user zooms: with the x range dragged over, or null when they go back
   * to the whole series (double-click). Refetch a finer series for the range.
   */
  onZoom?: (range: IRange | null) => void;
  /** called with the drawing width whenever it changes (ask for that many points) */
  onWidth?: (width: number) => void;
  /** what to say when there is nothing to draw (default: no numeric values) */
  empty?: string;
}

/**
 * The data with every value at or below zero left out (a gap), for a log scale, which
 * cannot place them.
 *
 * @param data aligned data
 * @returns a copy with gaps
 */
function positive(data: Aligned): Aligned {
  const [xs, ...ys] = data;
  return [xs, ...ys.map(y => y.map(v => (v !== null && v > 0 ? v : null)))];
}

/**
 * A counter that changes when JupyterLab switches theme (its `data-jp-theme-*`
 * attributes on the body), so charts read the theme's colours again.
 *
 * @returns the counter
 */
function useThemeVersion(): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    if (typeof MutationObserver === 'undefined') {
      return;
    }
    const observer = new MutationObserver(() => {
      // the new theme's style sheet applies on the next frame
      requestAnimationFrame(() => setVersion(v => v + 1));
    });
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
    return () => observer.disconnect();
  }, []);
  return version;
}

/**
 * The one chart of the extension: lines on a canvas (uPlot), for a few points or a
 * million (downsampled), coloured from the theme's CSS custom properties, with a legend
 * that stays small for 100 series, drag to zoom and double-click to zoom out.
 *
 * @param props chart props
 * @returns the chart
 */
export function Chart(props: IChartProps): JSX.Element {
  const {
    series,
    x = 'step',
    log = false,
    height = 140,
    compact = false
  } = props;
  const box = React.useRef<HTMLDivElement>(null);
  const canvas = React.useRef<HTMLDivElement>(null);
  const plot = React.useRef<uPlot | null>(null);
  const readoutBox = React.useRef<HTMLDivElement>(null);
  const width = useWidth(box, props.width);
  const themeVersion = useThemeVersion();
  const [hidden, setHidden] = React.useState<ReadonlySet<number>>(new Set());
  const onZoom = React.useRef(props.onZoom);
  onZoom.current = props.onZoom;
  const onWidth = props.onWidth;
  const labels = series.map(s => s.label);
  const labelKey = labels.join('\u0000');
  const data = React.useMemo(
    () => (log ? positive(align(series)) : align(series)),
    [series, log]
  );
  const count = React.useMemo(() => drawable(series), [series]);

  React.useEffect(() => {
    if (width > 0) {
      onWidth?.(width);
    }
  }, [width, onWidth]);

  // (re)build the chart when what it looks like changes
  React.useEffect(() => {
    const host = canvas.current;
    if (!host || width <= 0) {
      return;
    }
    const options = chartOptions(
      { labels, width, height, x, log, compact },
      readTheme(host)
    );
    options.hooks = {
      setCursor: [
        u => {
          if (readoutBox.current) {
            readoutBox.current.textContent = readout(u, x);
          }
        }
      ],
      setSelect: [
        u => {
          if (u.select.width <= 0 || !onZoom.current) {
            return;
          }
          const min = u.posToVal(u.select.left, 'x');
          const max = u.posToVal(u.select.left + u.select.width, 'x');
          onZoom.current({ min, max });
        }
      ]
    };
    if (!compact) {
      options.cursor = {
        ...options.cursor,
        bind: {
          dblclick: () => () => {
            onZoom.current?.(null);
            return null;
          }
        }
      };
    }
    let made: uPlot | null = null;
    try {
      made = new uPlot(options, data, host);
    } catch {
      made = null; // no canvas (a test environment): the chart's frame stays
    }
    plot.current = made;
    return () => {
      made?.destroy();
      plot.current = null;
    };
    // data is set below without rebuilding; labels change with labelKey
  }, [width, height, x, log, compact, labelKey, themeVersion]);

  // new points (a refetch, a live update) replace the data in place
  React.useEffect(() => {
    plot.current?.setData(data, true);
  }, [data]);

  React.useEffect(() => {
    const u = plot.current;
    if (!u) {
      return;
    }
    labels.forEach((_, i) => u.setSeries(i + 1, { show: !hidden.has(i) }));
  }, [hidden, labelKey, themeVersion, width]);

  const mode = compact ? 'none' : legendMode(series.length);
  const toggle = (i: number) =>
    setHidden(h => {
      const next = new Set(h);
      if (!next.delete(i)) {
        next.add(i);
      }
      return next;
    });
  const entries = labels.map((label, i) => (
    <li key={i}>
      <button
        className={`jp-Dotscience-legendEntry${hidden.has(i) ? ' jp-mod-hidden' : ''}`}
        aria-pressed={!hidden.has(i)}
        title={hidden.has(i) ? `Show ${label}` : `Hide ${label}`}
        onClick={() => toggle(i)}
      >
        <span
          className="jp-Dotscience-legendSwatch"
          style={{ background: `var(${seriesVariable(i)})` }}
        />
        {label}
      </button>
    </li>
  ));
  return (
    <figure
      className={`jp-Dotscience-chart${compact ? ' jp-mod-compact' : ''}`}
      ref={box}
      data-points={count}
      data-series={series.length}
    >
      <div
        ref={canvas}
        className="jp-Dotscience-chartCanvas"
        role="img"
        aria-label={`${props.title}: ${count.toLocaleString()} points`}
        style={{ height, width: props.width }}
      />
      {!compact && (
        <div
          ref={readoutBox}
          className="jp-Dotscience-chartReadout jp-Dotscience-muted"
        />
      )}
      {count === 0 && (
        <div className="jp-Dotscience-chartEmpty jp-Dotscience-muted">
          {props.empty ?? 'No numeric values to draw.'}
        </div>
      )}
      {mode === 'inline' && (
        <figcaption>
          <ul className="jp-Dotscience-legend">{entries}</ul>
        </figcaption>
      )}
      {mode === 'collapsed' && (
        <figcaption>
          <details className="jp-Dotscience-legendMany">
            <summary>{`${labels.length} series`}</summary>
            <ul className="jp-Dotscience-legend jp-mod-scroll">{entries}</ul>
          </details>
        </figcaption>
      )}
    </figure>
  );
}
