import { ISignal, Signal } from '@lumino/signaling';
import { chartPoints } from '../charts/points';
import {
  BridgeStatus,
  IKernelRun,
  IMetricSeries,
  IPendingRequest,
  IPublishedRun,
  Wire
} from '../tokens';

/**
 * Points kept per metric for the chart.
 */
export const MAX_CHART_POINTS = 500;

/**
 * Sends a request to the kernel; returns false when no comm is open.
 */
export type KernelSender = (data: Wire.Kernel.FrontendRequest) => boolean;

type KernelState = Wire.Kernel.IState;

/**
 * An empty run state (no run started in the kernel yet).
 */
function emptyState(): KernelState {
  return {
    protocol: Wire.Kernel.PROTOCOL_VERSION,
    library_version: '',
    kernel_id: null,
    notebook: null,
    published: null,
    active: false,
    unpublished: false,
    start: null,
    description: null,
    error: null,
    inputs: [],
    outputs: [],
    parameters: {},
    labels: {},
    metrics: {}
  };
}

let requestCounter = 0;

/**
 * The current run of one notebook's kernel: the single owner of that state.
 *
 * The kernel decides what its run is: each update carries the fields of the run that
 * changed, which are applied as they are (no rule of the kernel is repeated here). The
 * kernel bridge feeds it kernel messages; widgets render it and call `declare`,
 * `start`, `publish`, which go to the kernel through the bridge's sender and show as
 * pending until the kernel acknowledges them.
 */
export class KernelRunModel implements IKernelRun {
  /**
   * @param notebookPath the notebook's root-relative path
   */
  constructor(public notebookPath: string) {}

  get kernelName(): string | null {
    return this._kernelName;
  }
  get kernelId(): string | null {
    return this._kernelId;
  }
  get kernelBusy(): boolean {
    return this._kernelBusy;
  }
  get bridge(): BridgeStatus {
    return this._bridge;
  }
  get bridgeError(): string | null {
    return this._bridgeError;
  }
  get state(): KernelState | null {
    return this._state;
  }
  get metrics(): ReadonlyMap<string, IMetricSeries> {
    return this._metrics;
  }
  get pending(): readonly IPendingRequest[] {
    return this._pending;
  }
  get hasUnpublished(): boolean {
    return this._state?.unpublished ?? false;
  }
  get lastPublished(): string | null {
    return this._lastPublished;
  }
  get lastMessage(): string | null {
    return this._lastMessage;
  }
  get changed(): ISignal<IKernelRun, void> {
    return this._changed;
  }
  /**
   * Emitted when the kernel reports a published run (`since`: the run's start).
   */
  get published(): ISignal<IKernelRun, IPublishedRun> {
    return this._published;
  }
  /**
   * Emitted with the cells the kernel saw declaring something.
   */
  get cellsDeclared(): ISignal<IKernelRun, Wire.Kernel.ICellRef[]> {
    return this._cellsDeclared;
  }
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Show a sentence about the run (e.g. an upload that failed).
   *
   * @param message the sentence
   */
  note(message: string | null): void {
    this._lastMessage = message;
    this._changed.emit();
  }

  /**
   * Set (or clear) the function that sends requests to the kernel.
   *
   * @param sender the bridge's sender, or null when no comm is open
   */
  setSender(sender: KernelSender | null): void {
    this._sender = sender;
  }

  /**
   * Describe the kernel this run lives in.
   *
   * @param name the kernel's display name
   * @param id the kernel id
   */
  setKernel(name: string | null, id: string | null): void {
    this._kernelName = name;
    this._kernelId = id;
    this._changed.emit();
  }

  /**
   * Record whether the kernel is executing (requests wait until it is idle).
   *
   * @param busy true while the kernel runs a cell
   */
  setBusy(busy: boolean): void {
    if (busy !== this._kernelBusy) {
      this._kernelBusy = busy;
      this._changed.emit();
    }
  }

  /**
   * Set the bridge's connection state.
   *
   * @param status the new state
   * @param error why it failed (for `failed`)
   */
  setBridge(status: BridgeStatus, error: string | null = null): void {
    this._bridge = status;
    this._bridgeError = error;
    if (status !== 'attached') {
      this._sender = status === 'attaching' ? this._sender : null;
    }
    if (status === 'restarting' || status === 'no-kernel') {
      // A new kernel has no run: what was pending will never be answered.
      this._state = null;
      this._metrics = new Map();
      this._pending = [];
    }
    this._changed.emit();
  }

  /**
   * Handle one message from the kernel.
   *
   * @param message the comm message's data
   */
  handle(message: Wire.Kernel.KernelMessage): void {
    switch (message.method) {
      case 'state':
        this._setState(message.state);
        break;
      case 'update':
        this._state = { ...(this._state ?? emptyState()), ...message.run };
        if (message.reset_metrics) {
          this._metrics = new Map();
        }
        this._applyMetrics(message.metrics);
        if (message.cells.length > 0) {
          this._cellsDeclared.emit(message.cells);
        }
        break;
      case 'ack':
        this._ack(
          message.request_id,
          message.ok,
          message.error,
          message.message
        );
        break;
      case 'published':
        // the update sent before it carried the run's new fields
        this._lastPublished = message.id;
        this._published.emit({ id: message.id, since: message.since });
        break;
      default:
        return;
    }
    this._changed.emit();
  }

  declare(declaration: Wire.Kernel.IDeclaration): boolean {
    return this._request(
      id => ({ method: 'declare', request_id: id, ...declaration }),
      { method: 'declare', declaration }
    );
  }

  start(description: string | null = null): boolean {
    return this._request(
      id => ({ method: 'start', request_id: id, description }),
      { method: 'start', description }
    );
  }

  publish(
    description: string | null = null,
    options: { build?: boolean; deploy?: boolean } = {}
  ): boolean {
    return this._request(
      id => ({ method: 'publish', request_id: id, description, ...options }),
      { method: 'publish', description }
    );
  }

  dismissErrors(): void {
    this._pending = this._pending.filter(p => p.error === null);
    this._changed.emit();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._sender = null;
    Signal.clearData(this);
  }

  private _request(
    request: (id: string) => Wire.Kernel.FrontendRequest,
    pending: Omit<IPendingRequest, 'id' | 'error'>
  ): boolean {
    const id = `r${Date.now().toString(36)}-${++requestCounter}`;
    const sent = this._sender?.(request(id)) ?? false;
    if (!sent) {
      this._lastMessage =
        'The kernel is not connected to Dotscience: nothing was sent.';
      this._changed.emit();
      return false;
    }
    this._pending = [
      ...this._pending.filter(p => p.error === null),
      { ...pending, id, error: null }
    ];
    this._lastMessage = null;
    this._changed.emit();
    return true;
  }

  private _ack(
    id: string | null,
    ok: boolean,
    error: string | null,
    message: string | null
  ): void {
    if (ok) {
      this._pending = this._pending.filter(p => p.id !== id);
      if (message) {
        this._lastMessage = message;
      }
    } else {
      this._pending = this._pending.map(p =>
        p.id === id ? { ...p, error: error ?? 'refused by the kernel' } : p
      );
    }
  }

  private _setState(state: KernelState): void {
    this._state = state;
    this._metrics = new Map();
    this._applyMetrics(state.metrics);
    this._lastPublished = state.published ?? this._lastPublished;
    if (this._bridge !== 'attached') {
      this._bridge = 'attached';
      this._bridgeError = null;
    }
  }

  private _applyMetrics(tails: { [key: string]: Wire.Kernel.IMetricTail }) {
    const next = new Map(this._metrics);
    for (const [key, tail] of Object.entries(tails)) {
      const old = tail.reset ? undefined : next.get(key);
      const fresh = chartPoints(
        tail.points.map(([step, value]) => ({ step, value }))
      )
        .filter(p => Number.isFinite(p.y))
        .map(p => [p.x, p.y] as [number, number]);
      let points = old ? old.points.concat(fresh) : fresh;
      if (points.length > MAX_CHART_POINTS) {
        points = points.slice(points.length - MAX_CHART_POINTS);
      }
      next.set(key, { count: tail.count, text: tail.text, points });
    }
    this._metrics = next;
  }

  private _kernelName: string | null = null;
  private _kernelId: string | null = null;
  private _kernelBusy = false;
  private _bridge: BridgeStatus = 'no-kernel';
  private _bridgeError: string | null = null;
  private _state: KernelState | null = null;
  private _metrics = new Map<string, IMetricSeries>();
  private _pending: IPendingRequest[] = [];
  private _lastPublished: string | null = null;
  private _lastMessage: string | null = null;
  private _sender: KernelSender | null = null;
  private _isDisposed = false;
  private _changed = new Signal<IKernelRun, void>(this);
  private _cellsDeclared = new Signal<IKernelRun, Wire.Kernel.ICellRef[]>(this);
  private _published = new Signal<IKernelRun, IPublishedRun>(this);
}
