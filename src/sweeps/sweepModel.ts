import { ISignal, Signal } from '@lumino/signaling';
import { errorText } from '../api/request';
import type { IChartSeries } from '../charts/data';
import type { IParallelRow } from './parallel';
import { ISweepsAPI, SweepWire, sweepsAPI } from './api';

/**
 * The trials as chart lines, x the trial number: each finished trial's objective, and the
 * best objective so far (by the metric's goal).
 *
 * @param trials the sweep's trials
 * @param goal which way the objective is better
 * @returns the two lines (empty when no trial has an objective)
 */
export function objectiveSeries(
  trials: readonly SweepWire.ITrial[],
  goal: 'maximize' | 'minimize'
): IChartSeries[] {
  const scored = trials
    .filter(
      t =>
        typeof t.objective === 'number' &&
        Number.isFinite(t.objective) &&
        t.state === 'done'
    )
    .sort((a, b) => a.number - b.number);
  if (!scored.length) {
    return [];
  }
  const x = scored.map(t => t.number);
  const y = scored.map(t => t.objective as number);
  const best: number[] = [];
  for (const v of y) {
    const prev = best.length ? best[best.length - 1] : v;
    best.push(goal === 'maximize' ? Math.max(prev, v) : Math.min(prev, v));
  }
  return [
    { label: 'objective', x, y },
    { label: 'best so far', x, y: best }
  ];
}

/**
 * The dimensions of a sweep's parallel-coordinates plot: the parameters it varies, then the
 * objective; and those to draw on a log scale (log-uniform parameters).
 *
 * @param sweep the sweep
 * @returns the dimensions, in axis order, and the log-scaled ones
 */
export function sweepDimensions(sweep: SweepWire.ISweep): {
  dimensions: string[];
  log: Set<string>;
} {
  const dimensions: string[] = [];
  const log = new Set<string>();
  for (const [name, p] of Object.entries(sweep.spec.parameters ?? {})) {
    if (p.distribution === 'constant' || 'value' in p) {
      continue;
    }
    dimensions.push(name);
    if (
      typeof p.distribution === 'string' &&
      p.distribution.startsWith('log_uniform')
    ) {
      log.add(name);
    }
  }
  const metric = sweep.spec.metric?.name;
  if (metric && !dimensions.includes(metric)) {
    dimensions.push(metric);
  }
  return { dimensions, log };
}

/**
 * The trials as parallel-coordinates rows (the objective under the metric's name); a trial
 * without a run cannot be opened, so its id is `trial:<n>`.
 *
 * @param sweep the sweep
 * @returns one row per trial that has values
 */
export function trialRows(sweep: SweepWire.ISweep): IParallelRow[] {
  const metric = sweep.spec.metric?.name;
  return (sweep.trials ?? []).map(t => ({
    id: rowId(t),
    label: `trial ${t.number} (${t.state})${
      t.objective !== null && metric ? `: ${metric} ${t.objective}` : ''
    }`,
    values: {
      ...t.values,
      ...(metric ? { [metric]: t.objective } : {})
    }
  }));
}

/**
 * A trial's row id: its run, or `trial:<n>` when it has none.
 *
 * @param t the trial
 * @returns the id
 */
export function rowId(t: SweepWire.ITrial): string {
  return t.run_id ?? `trial:${t.number}`;
}

/**
 * A sweep followed while it runs: read again every `interval` ms until it has finished.
 */
export class SweepModel {
  /**
   * @param id the sweep's id
   * @param api the REST calls
   * @param interval ms between reads while the sweep runs
   */
  constructor(
    readonly id: string,
    private readonly api: ISweepsAPI = sweepsAPI,
    private readonly interval = 1000
  ) {}

  /** the sweep as last read (null before the first read) */
  sweep: SweepWire.ISweep | null = null;
  /** why the last read or the cancel failed */
  error: string | null = null;
  /** a cancel was asked and has not been answered yet */
  cancelling = false;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Whether the sweep may still change.
   */
  get running(): boolean {
    return this.sweep === null || this.sweep.state === 'running';
  }

  /**
   * Read the sweep now, and keep reading while it runs.
   */
  start(): void {
    void this.poll();
  }

  /**
   * Read the sweep once.
   */
  async refresh(): Promise<void> {
    try {
      this.sweep = await this.api.getSweep(this.id);
      this.error = null;
    } catch (e) {
      this.error = errorText(e);
    }
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  /**
   * Cancel the sweep: its running trials stop, the finished ones are kept.
   */
  async cancel(): Promise<void> {
    if (this.cancelling) {
      return;
    }
    this.cancelling = true;
    this._changed.emit();
    let refused: string | null = null;
    try {
      const answer = await this.api.cancelSweep(this.id);
      this.sweep = { ...answer, trials: answer.trials ?? this.sweep?.trials };
      this.error = null;
    } catch (e) {
      refused = `The sweep could not be cancelled: ${errorText(e)}`;
    }
    // the trials' final states come with the next read
    await this.refresh();
    this.cancelling = false;
    if (refused) {
      // kept over the read's success: the user asked for a cancel and it did not happen
      this.error = refused;
    }
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    Signal.clearData(this);
  }

  private async poll(): Promise<void> {
    this._timer = null;
    await this.refresh();
    if (this._disposed || !this.running) {
      return;
    }
    // back off while the server does not answer
    const wait = this.error
      ? Math.min(10000, this.interval * 5)
      : this.interval;
    this._timer = setTimeout(() => void this.poll(), wait);
  }

  private _changed = new Signal<this, void>(this);
  private _disposed = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}
