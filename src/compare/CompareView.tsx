import React from 'react';
import { runTitle, shortId } from '../format';
import { SeriesChart, SeriesLoader, storedMetric } from '../charts/SeriesChart';
import { ParallelCoordinates } from '../sweeps/ParallelCoordinates';
import type { Direction, ICompareRun } from '../diff/api';
import {
  IField,
  IMetricField,
  axisCandidates,
  axisNames,
  compareRuns,
  defaultAxes,
  fieldRows,
  parallelFields,
  shownFields
} from './comparison';
import { AxisPicker } from './AxisPicker';
import { Scatter } from './Scatter';
import { EMPTY_COMPARE_VIEW, ICompareView } from './view';
import type { IBrush } from '../sweeps/parallel';

/** Rows of the table before "Show all". */
export const TABLE_ROWS = 100;
/** Cells of the table before "Show all": runs differing in many fields get fewer rows
 * (laying out 100 rows of 200 differing fields took the browser most of a second) */
export const TABLE_CELLS = 5000;

/**
 * The rows the table shows before "Show all".
 *
 * @param columns its columns (the run's name and the differing fields)
 * @returns at most TABLE_ROWS, fewer when the rows are wide, at least 10
 */
export function tableRows(columns: number): number {
  return Math.min(
    TABLE_ROWS,
    Math.max(10, Math.floor(TABLE_CELLS / Math.max(1, columns)))
  );
}
/** Runs whose series are overlaid (the first ones kept by the brushes). */
export const SERIES_RUNS = 40;

/**
 * Props of CompareView.
 */
export interface ICompareViewProps {
  /** the runs, in order */
  runs: ICompareRun[];
  /** the stored direction of each metric */
  directions: Record<string, Direction>;
  /** the runs inside every brush (null: all) */
  kept: ReadonlySet<string> | null;
  /** the brushes changed */
  onKeep: (ids: string[] | null) => void;
  /** a metric's direction was chosen */
  onDirection: (key: string, direction: Direction) => void;
  /** open a run's detail */
  onOpenRun: (id: string) => void;
  /** open the diff of two runs */
  onDiff?: (a: string, b: string) => void;
  /** where a metric's series of some runs come from (default: the server, downsampled) */
  loadSeries?: (runs: ICompareRun[], key: string) => SeriesLoader;
  /** what the view shows at first (a restored tab's; default: nothing chosen) */
  initialView?: ICompareView;
  /** called with what the view shows whenever the user changes it */
  onView?: (view: ICompareView) => void;
}

/**
 * The series of a metric of some runs, each downsampled by the server.
 *
 * @param runs the runs
 * @param key the metric
 * @returns the loader
 */
export function storedSeriesOf(runs: ICompareRun[], key: string): SeriesLoader {
  const loaders = runs.map(r => storedMetric(r.id, key, runTitle(r as any)));
  return async request =>
    (await Promise.all(loaders.map(load => load(request)))).flat();
}

function runLabel(r: ICompareRun): string {
  return `${runTitle(r as any)} (${shortId(r.id)})`;
}

/** the scatter plot's fields by kind, in the menus' order */
const OPTION_GROUPS: [IField['kind'], string][] = [
  ['param', 'Parameters'],
  ['input', 'Inputs'],
  ['metric', 'Metrics'],
  ['label', 'Labels'],
  ['run', 'Run']
];

function Select(props: {
  label: string;
  value: string;
  options: IField[];
  onChange: (id: string) => void;
  none?: string;
}): JSX.Element {
  return (
    <label className="jp-Dotscience-compare-select">
      {props.label}{' '}
      <select
        aria-label={props.label}
        value={props.value}
        onChange={e => props.onChange(e.currentTarget.value)}
      >
        {props.none !== undefined && <option value="">{props.none}</option>}
        {OPTION_GROUPS.map(([kind, title]) => {
          const fields = props.options.filter(f => f.kind === kind);
          return fields.length ? (
            <optgroup key={kind} label={title}>
              {fields.map(f => (
                <option key={f.id} value={f.id}>
                  {f.name}
                </option>
              ))}
            </optgroup>
          ) : null;
        })}
      </select>
    </label>
  );
}

/**
 * Compare up to 500 runs: a parallel-coordinates plot over the parameters that differ
 * (a switch for all), the inputs' content and chosen metrics, whose brushes filter the
 * runs; a scatter plot of any two fields coloured by a third; a metric's series of the
 * kept runs overlaid; and a table with a run per row and a differing field per column,
 * the best value of each metric marked by its direction (settable).
 *
 * @param props view props
 * @returns the view
 */
export function CompareView(props: ICompareViewProps): JSX.Element {
  const { runs, directions, kept } = props;
  // what the user chose, from a restored tab's view at first
  const [initial] = React.useState(() => {
    const view = props.initialView ?? EMPTY_COMPARE_VIEW;
    const ids = new Set(runs.map(r => r.id));
    return { ...view, picked: view.picked.filter(id => ids.has(id)) };
  });
  const [all, setAll] = React.useState(initial.all);
  const [showAllRows, setShowAllRows] = React.useState(false);
  const [picked, setPicked] = React.useState<string[]>(initial.picked);
  const cmp = React.useMemo(
    () => compareRuns(runs, directions),
    [runs, directions]
  );
  const metricKeys = cmp.metrics.map(m => m.name);
  // the axes the user chose (field ids), null: the default ones
  const [axisChoice, setAxisChoice] = React.useState<string[] | null>(
    initial.axes
  );
  const candidates = React.useMemo(() => axisCandidates(cmp, all), [cmp, all]);
  // the same axes and lines while the comparison and the choices stay (a new array each
  // render would make the plot draw every line again and report its brushes again)
  // the metric the default axes follow (null: the first that can rank them)
  const [follow, setFollow] = React.useState<string | null>(initial.follow);
  const defaults = React.useMemo(
    () => defaultAxes(candidates, follow),
    [candidates, follow]
  );
  const axes = React.useMemo(
    () => parallelFields(cmp, all, axisChoice ?? defaults.ids),
    [cmp, all, axisChoice, defaults]
  );
  const axisRows = React.useMemo(
    () => fieldRows(cmp, axes, runLabel),
    [cmp, axes]
  );
  const dimensions = React.useMemo(() => axes.map(f => f.id), [axes]);
  const axisLabels = React.useMemo(() => axisNames(axes), [axes]);
  const columns = shownFields(cmp, all);
  const plottable = [
    ...cmp.parameters,
    ...cmp.inputs,
    ...cmp.metrics,
    ...cmp.labels,
    ...cmp.fields
  ];
  const [xId, setX] = React.useState<string>(initial.x);
  const [yId, setY] = React.useState<string>(initial.y);
  const [cId, setC] = React.useState<string>(initial.colour);
  const byId = new Map(plottable.map(f => [f.id, f]));
  const xField = byId.get(xId) ?? axes[0] ?? plottable[0];
  const yField =
    byId.get(yId) ?? cmp.metrics[0] ?? axes[1] ?? plottable[1] ?? xField;
  const cField = cId ? byId.get(cId) : undefined;
  const [seriesKey, setSeriesKey] = React.useState<string>(initial.series);
  const metric = metricKeys.includes(seriesKey)
    ? seriesKey
    : metricKeys[0] || '';
  // the brushes as the plot reports them (it owns them while they are dragged)
  const [brushes, setBrushes] = React.useState<
    Readonly<Record<string, IBrush>>
  >(initial.brushes);
  const onViewRef = React.useRef(props.onView);
  onViewRef.current = props.onView;
  React.useEffect(
    () =>
      onViewRef.current?.({
        all,
        axes: axisChoice,
        follow,
        brushes: { ...brushes },
        x: xId,
        y: yId,
        colour: cId,
        series: seriesKey,
        picked
      }),
    [all, axisChoice, follow, brushes, xId, yId, cId, seriesKey, picked]
  );
  const keptRuns = kept ? runs.filter(r => kept.has(r.id)) : runs;
  const overlaid = keptRuns.slice(0, SERIES_RUNS);
  const loadSeries = props.loadSeries ?? storedSeriesOf;
  const seriesLoad = React.useMemo(
    () => (metric ? loadSeries(overlaid, metric) : null),
    [metric, overlaid.map(r => r.id).join(','), loadSeries]
  );
  const rows = showAllRows
    ? keptRuns
    : keptRuns.slice(0, tableRows(columns.length + 1));
  const index = new Map(runs.map((r, i) => [r.id, i]));
  const togglePick = (id: string) =>
    setPicked(p =>
      p.includes(id) ? p.filter(x => x !== id) : [...p, id].slice(-2)
    );
  const metricCell = (f: IMetricField, i: number) =>
    f.best.includes(i) ? (
      <td key={f.id} className="jp-mod-best" title="Best value">
        {f.texts[i] ?? '—'}
        <span className="jp-Dotscience-best" aria-label="best">
          {' ★'}
        </span>
      </td>
    ) : (
      <td key={f.id}>{f.texts[i] ?? '—'}</td>
    );
  return (
    <div className="jp-Dotscience-compare">
      <div className="jp-Dotscience-compare-bar">
        <span>
          {kept
            ? `${keptRuns.length} of ${runs.length} runs kept by the brushes`
            : `${runs.length} runs`}
        </span>
        <label>
          <input
            type="checkbox"
            checked={all}
            onChange={e => setAll(e.currentTarget.checked)}
          />{' '}
          Show fields that are the same in every run
        </label>
        {props.onDiff && (
          <button
            className="jp-mod-styled"
            disabled={picked.length !== 2}
            title={
              picked.length === 2
                ? 'Diff the two picked runs'
                : 'Pick two runs in the table to diff them'
            }
            onClick={() => {
              const [a, b] = [...picked].sort(
                (x, y) => index.get(x)! - index.get(y)!
              );
              props.onDiff!(a, b);
            }}
          >
            {`Diff (${picked.length}/2)`}
          </button>
        )}
      </div>
      <section aria-label="Parallel coordinates">
        <div className="jp-Dotscience-compare-controls">
          <AxisPicker
            candidates={candidates}
            chosen={dimensions}
            isDefault={axisChoice === null}
            ranked={defaults.ranked}
            rankable={defaults.rankable}
            onFollow={id => {
              setFollow(id);
              setAxisChoice(null); // the default, now following that metric, is drawn
            }}
            onChange={setAxisChoice}
          />
        </div>
        {axes.length ? (
          <ParallelCoordinates
            title="Runs over parameters, inputs and metrics"
            rows={axisRows}
            dimensions={dimensions}
            labels={axisLabels}
            onFilter={props.onKeep}
            onOpen={props.onOpenRun}
            initialBrushes={brushes}
            onBrushes={setBrushes}
          />
        ) : (
          <div className="jp-Dotscience-muted">
            {axisChoice
              ? 'No axes chosen: choose some under Axes.'
              : 'Every parameter and input is the same in these runs.'}
          </div>
        )}
      </section>
      {xField && yField && (
        <section aria-label="Scatter plot">
          <div className="jp-Dotscience-compare-controls">
            <Select
              label="x"
              value={xField.id}
              options={plottable}
              onChange={setX}
            />
            <Select
              label="y"
              value={yField.id}
              options={plottable}
              onChange={setY}
            />
            <Select
              label="colour"
              value={cField?.id ?? ''}
              options={plottable}
              onChange={setC}
              none="none"
            />
          </div>
          <Scatter
            title={`${yField.id} against ${xField.id}`}
            x={xField.values}
            y={yField.values}
            colour={cField?.values}
            faded={kept ? runs.map(r => !kept.has(r.id)) : undefined}
          />
        </section>
      )}
      {metric && seriesLoad && (
        <section aria-label="Metric series">
          <div className="jp-Dotscience-compare-controls">
            <label>
              Series of{' '}
              <select
                aria-label="Series metric"
                value={metric}
                onChange={e => setSeriesKey(e.currentTarget.value)}
              >
                {metricKeys.map(k => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
            {keptRuns.length > overlaid.length && (
              <span className="jp-Dotscience-muted">
                {`the first ${overlaid.length} of ${keptRuns.length} runs; brush to narrow`}
              </span>
            )}
          </div>
          <SeriesChart
            title={`${metric}: ${overlaid.length} runs`}
            load={seriesLoad}
            height={180}
          />
        </section>
      )}
      <section aria-label="Runs and differing fields">
        <div className="jp-Dotscience-compare-tableWrap">
          <table className="jp-Dotscience-table jp-Dotscience-compareTable">
            <thead>
              <tr>
                <th scope="col">run</th>
                {columns.map(f => (
                  <th
                    key={f.id}
                    scope="col"
                    data-field={f.id}
                    className={f.differs ? 'jp-mod-differs' : undefined}
                    title={f.differs ? 'Values differ' : 'Same in every run'}
                  >
                    {f.kind === 'run' ? f.name : f.id}
                    {f.kind === 'metric' && (
                      <select
                        aria-label={`Better ${f.name}`}
                        value={(f as IMetricField).direction}
                        title={
                          (f as IMetricField).guessed
                            ? 'Guessed from the name; choose to store it'
                            : 'Stored on the server'
                        }
                        onChange={e =>
                          props.onDirection(
                            f.name,
                            e.currentTarget.value as Direction
                          )
                        }
                      >
                        <option value="higher">higher is better</option>
                        <option value="lower">lower is better</option>
                      </select>
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map(r => {
                const i = index.get(r.id)!;
                return (
                  <tr key={r.id} data-run={r.id}>
                    <th scope="row">
                      <input
                        type="checkbox"
                        aria-label={`Pick ${runLabel(r)} to diff`}
                        checked={picked.includes(r.id)}
                        onChange={() => togglePick(r.id)}
                      />
                      <button
                        className="jp-Dotscience-link"
                        title={`Open run ${r.id}`}
                        onClick={() => props.onOpenRun(r.id)}
                      >
                        {runLabel(r)}
                      </button>
                    </th>
                    {columns.map(f =>
                      f.kind === 'metric' ? (
                        metricCell(f as IMetricField, i)
                      ) : (
                        <td key={f.id}>{f.texts[i] ?? '—'}</td>
                      )
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {keptRuns.length > rows.length && (
          <button
            className="jp-mod-styled"
            onClick={() => setShowAllRows(true)}
          >
            {`Show all ${keptRuns.length} runs`}
          </button>
        )}
      </section>
    </div>
  );
}
