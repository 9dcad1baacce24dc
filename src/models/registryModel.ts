import { ISignal, Signal } from '@lumino/signaling';
import * as api from './api';
import { RestWire } from '../api/rest';
import { parseTime } from '../time';
import { IMetricsSample, parseMetrics } from './metrics';

/**
 * Progress of a "Publish & Deploy" started from the UI.
 */
export interface IDeployProgress {
  step: 'publish' | 'build' | 'start' | 'healthy' | 'failed';
  message: string;
  deployment: RestWire.IDeployment | null;
}

/**
 * State of the Models section: registry, deployments, the selected deployment's metrics
 * and log. Polls the server while the section is in view and the browser tab is shown:
 * a collapsed section, a closed sidebar or a tab in the background asks nothing.
 */
export class ModelsModel {
  constructor() {
    document.addEventListener('visibilitychange', this._onVisibility);
  }

  models: RestWire.IModel[] = [];
  deployments: RestWire.IDeployment[] = [];
  selected: string | null = null;
  samples: IMetricsSample[] = [];
  log = '';
  error: string | null = null;
  progress: IDeployProgress | null = null;
  /**
   * Whether the registry has been read at least once (an empty list before that is not yet
   * "no models").
   */
  loaded = false;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Poll every `interval` ms whenever the section is in view and the browser tab shown
   * (at once when it comes into view).
   *
   * @param interval milliseconds between refreshes
   */
  start(interval = 2000): void {
    this._interval = interval;
    this._started = true;
    this._schedule();
  }

  /**
   * Say whether the section is in view (not collapsed, its sidebar open).
   *
   * @param shown whether it is
   */
  setShown(shown: boolean): void {
    if (shown !== this._shown) {
      this._shown = shown;
      this._schedule();
    }
  }

  /**
   * Whether the server is being polled.
   */
  get polling(): boolean {
    return this._timer !== null;
  }

  dispose(): void {
    this._disposed = true;
    document.removeEventListener('visibilitychange', this._onVisibility);
    this._schedule();
    Signal.clearData(this);
  }

  private _schedule(): void {
    const want =
      this._started && this._shown && !document.hidden && !this._disposed;
    if (want && this._timer === null) {
      void this.refresh();
      this._timer = window.setInterval(
        () => void this.refresh(),
        this._interval
      );
    } else if (!want && this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _onVisibility = (): void => this._schedule();

  /**
   * Read registry, deployments, and the selected deployment's metrics and log.
   */
  async refresh(): Promise<void> {
    try {
      [this.models, this.deployments] = await Promise.all([
        api.listModels(),
        api.listDeployments()
      ]);
      this.error = null;
      this.loaded = true;
      const running = this.deployments.find(d => d.state === 'running');
      if (!this.selected && running) {
        this.select(running.id);
      }
      this._followProgress();
      const sel = this.deployments.find(d => d.id === this.selected);
      if (sel) {
        const chunk = await api.deploymentLog(sel.id, this._logOffset);
        this.log = (this.log + chunk.log).slice(-20000);
        this._logOffset = chunk.next_offset;
        if (sel.state === 'running') {
          const text = await api.deploymentMetrics(sel.id);
          this.samples = [...this.samples, parseMetrics(String(text))].slice(
            -60
          );
        }
      }
    } catch (e) {
      this.error = (e as Error).message;
    }
    this._changed.emit();
  }

  /**
   * Show one deployment's metrics and log.
   *
   * @param id the deployment id
   */
  select(id: string): void {
    if (id !== this.selected) {
      this.selected = id;
      this.samples = [];
      this.log = '';
      this._logOffset = 0;
      this._changed.emit();
    }
  }

  /**
   * A publish with deploy was sent to the kernel: follow the deployment it creates.
   */
  publishing(): void {
    this._since = Date.now();
    this.progress = {
      step: 'publish',
      message: 'Publishing the run (the kernel answers between cells)…',
      deployment: null
    };
    this._changed.emit();
    this.start();
  }

  async deploy(name: string, version: number): Promise<void> {
    this._since = Date.now() - 1000;
    this.progress = { step: 'build', message: 'Building…', deployment: null };
    try {
      await api.deployVersion(name, version);
    } catch (e) {
      this.progress = {
        step: 'failed',
        message: (e as Error).message,
        deployment: null
      };
    }
    await this.refresh();
  }

  async stop(id: string): Promise<void> {
    await api.stopDeployment(id);
    await this.refresh();
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    await api.setAlias(name, alias, version);
    await this.refresh();
  }

  private _followProgress(): void {
    const since = this._since;
    if (!this.progress || since === null) {
      return;
    }
    const dep = this.deployments.find(d => parseTime(d.created) >= since);
    if (!dep) {
      return;
    }
    const steps: { [s: string]: IDeployProgress['step'] } = {
      building: 'build',
      starting: 'start',
      running: 'healthy',
      failed: 'failed',
      stopped: 'failed'
    };
    this.progress = {
      step: steps[dep.state],
      message:
        dep.state === 'running'
          ? `Healthy at ${dep.url}`
          : dep.state === 'failed'
            ? `Failed: ${dep.reason}`
            : `${dep.state}…`,
      deployment: dep
    };
    if (dep.state === 'running') {
      this.select(dep.id);
    }
  }

  private _changed = new Signal<this, void>(this);
  private _timer: number | null = null;
  private _interval = 2000;
  private _started = false;
  private _shown = false;
  private _disposed = false;
  private _logOffset = 0;
  /** when the deployment followed was asked for (ms since the epoch) */
  private _since: number | null = null;
}
