import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { Wire } from '../tokens';
import { KernelRunModel } from './kernelRun';

/**
 * The comm target the kernel library opens its comm to.
 */
export const COMM_TARGET = 'dotscience';

/**
 * What the bridge executes (silently) in each Python kernel: one import and one call; the
 * kernel library does the rest.
 */
export const ATTACH_CODE =
  'import dotscience.jupyter as _ds_bridge; _ds_bridge.attach()';

/**
 * The notebook settings the kernel applies (`dotscience.autolog.configure`).
 */
export interface IKernelSettings {
  /**
   * Autolog every fit in every kernel.
   */
  autolog: boolean;
  /**
   * Publish a run that an autologged fit started when its cell ends.
   */
  publishAtCellEnd: boolean;
  /**
   * Sample system metrics into every run.
   */
  systemMetrics: boolean;
  /**
   * Seconds between two samples.
   */
  systemMetricsInterval: number;
}

/**
 * The code that applies `settings` in a kernel: the settings travel as JSON in a Python
 * string literal (JSON.stringify of a string is one), never as code.
 *
 * @param settings the settings to apply
 * @returns Python code to execute silently
 */
export function configureCode(settings: IKernelSettings): string {
  const json = JSON.stringify({
    autolog: settings.autolog === true,
    publishAtCellEnd: settings.publishAtCellEnd === true,
    systemMetrics: settings.systemMetrics === true,
    systemMetricsInterval: Number(settings.systemMetricsInterval) || 1
  });
  return `import json as _ds_json, dotscience.autolog as _ds_autolog; _ds_autolog.configure(_ds_json.loads(${JSON.stringify(json)}))`;
}

/**
 * The part of a session context the bridge uses (a notebook's `sessionContext`).
 */
export type IBridgeSessionContext = Pick<
  ISessionContext,
  'session' | 'kernelChanged' | 'kernelDisplayName' | 'isDisposed'
>;

/**
 * Options of {@link KernelBridge}.
 */
export interface IKernelBridgeOptions {
  /**
   * The notebook's session context.
   */
  sessionContext: IBridgeSessionContext;
  /**
   * The run model to feed.
   */
  model: KernelRunModel;
  /**
   * The notebook's current root-relative path (sent to the kernel for run records).
   */
  notebookPath: () => string;
  /**
   * The settings to apply in each kernel (null until they are loaded).
   */
  kernelSettings?: () => IKernelSettings | null;
}

function isKernelMessage(data: any): data is Wire.Kernel.KernelMessage {
  return data && typeof data === 'object' && typeof data.method === 'string';
}

/**
 * A message of our protocol seen on iopub for a comm this page did not open (the page was
 * reloaded while a cell ran): it is adopted so live updates keep coming.
 */
function isOurUpdate(data: any): data is Wire.Kernel.KernelMessage {
  return (
    isKernelMessage(data) &&
    data.method === 'update' &&
    Array.isArray(data.events) &&
    Array.isArray(data.cells) &&
    typeof data.metrics === 'object' &&
    typeof data.run === 'object' &&
    data.run !== null
  );
}

/**
 * Connects one notebook's kernel to its run model.
 *
 * For every kernel the notebook gets (new, restarted, changed) it registers the comm
 * target `dotscience` (and drops it from the old kernel) and makes the kernel import the
 * bridge (`ATTACH_CODE`), which opens a comm carrying the current run state.
 */
export class KernelBridge implements IDisposable {
  /**
   * @param options the session context, model and notebook path
   */
  constructor(options: IKernelBridgeOptions) {
    this._context = options.sessionContext;
    this._model = options.model;
    this._notebookPath = options.notebookPath;
    this._kernelSettings = options.kernelSettings ?? (() => null);
    this._context.kernelChanged.connect(this._onKernelChanged, this);
    this._connect(this._context.session?.kernel ?? null);
  }

  /**
   * The kernel currently bridged.
   */
  get kernel(): Kernel.IKernelConnection | null {
    return this._kernel;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Send a message to the kernel side; false when no comm is open.
   *
   * @param data the request (`protocol/kernel-comm.schema.json`)
   * @returns whether it was sent
   */
  send(data: Wire.Kernel.FrontendRequest): boolean {
    const comm = this._comm;
    if (!comm || comm.isDisposed) {
      return false;
    }
    // (a request is JSON: the schema describes it so)
    comm.send(data as unknown as JSONObject);
    return true;
  }

  /**
   * Import the bridge in the kernel again (e.g. after the import failed and the user
   * installed the package).
   *
   * @returns a promise settled when the kernel answered
   */
  async attach(): Promise<void> {
    const kernel = this._kernel;
    if (!kernel || this._isDisposed) {
      return;
    }
    let info: KernelMessage.IInfoReply | undefined;
    try {
      info = await kernel.info;
    } catch {
      info = undefined;
    }
    if (kernel !== this._kernel) {
      return;
    }
    const language = info?.language_info?.name?.toLowerCase() ?? '';
    if (info && language !== 'python') {
      this._model.setBridge('not-python');
      return;
    }
    this._model.setBridge('attaching');
    try {
      const future = kernel.requestExecute(
        {
          code: ATTACH_CODE,
          silent: true,
          store_history: false,
          stop_on_error: false,
          allow_stdin: false
        },
        true
      );
      const reply = await future.done;
      if (kernel !== this._kernel) {
        return;
      }
      const content = reply.content as { status: string };
      if (content.status === 'error') {
        const error = content as unknown as KernelMessage.IReplyErrorContent;
        this._model.setBridge(
          'failed',
          `The kernel could not import the Dotscience library (${error.ename}: ${error.evalue}). Install it in the kernel's environment with: pip install jupyterlab-dotscience`
        );
      } else {
        const settings = this._kernelSettings();
        if (
          settings &&
          (settings.autolog ||
            settings.publishAtCellEnd ||
            settings.systemMetrics)
        ) {
          void this.applySettings();
        }
      }
      if (content.status !== 'error' && !this._comm) {
        // The comm-open message normally arrives first; give it a moment.
        setTimeout(() => {
          if (kernel === this._kernel && !this._comm) {
            this._model.setBridge(
              'failed',
              'The kernel imported the Dotscience library but opened no comm to this page.'
            );
          }
        }, 3000);
      }
    } catch (error) {
      if (kernel === this._kernel) {
        this._model.setBridge(
          'failed',
          `Could not reach the kernel: ${(error as Error).message}`
        );
      }
    }
  }

  /**
   * Apply the current settings in the kernel (after they changed, or once attached); a
   * failure is shown as a note on the run.
   *
   * @returns a promise settled when the kernel answered
   */
  async applySettings(): Promise<void> {
    const kernel = this._kernel;
    const settings = this._kernelSettings();
    if (!kernel || !settings || this._isDisposed) {
      return;
    }
    try {
      const reply = await kernel.requestExecute(
        {
          code: configureCode(settings),
          silent: true,
          store_history: false,
          stop_on_error: false,
          allow_stdin: false
        },
        true
      ).done;
      const content =
        reply.content as unknown as KernelMessage.IReplyErrorContent;
      if (content.status === 'error' && kernel === this._kernel) {
        this._model.note(
          `The Dotscience settings could not be applied in this kernel (${content.ename}: ${content.evalue}).`
        );
      }
    } catch {
      // the kernel went away; the next kernel gets the settings when it attaches
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._context.kernelChanged.disconnect(this._onKernelChanged, this);
    this._disconnect();
  }

  private _onKernelChanged(
    _: unknown,
    args: { newValue: Kernel.IKernelConnection | null }
  ): void {
    this._connect(args.newValue);
  }

  private _connect(kernel: Kernel.IKernelConnection | null): void {
    this._disconnect();
    this._kernel = kernel;
    this._model.setKernel(
      kernel ? this._context.kernelDisplayName : null,
      kernel?.id ?? null
    );
    if (!kernel) {
      this._model.setBridge('no-kernel');
      return;
    }
    kernel.registerCommTarget(COMM_TARGET, this._onCommOpen);
    kernel.statusChanged.connect(this._onStatus, this);
    kernel.iopubMessage.connect(this._onIOPub, this);
    this._model.setBusy(kernel.status === 'busy');
    void this.attach();
  }

  private _disconnect(): void {
    const kernel = this._kernel;
    this._closeComm();
    if (kernel && !kernel.isDisposed) {
      kernel.removeCommTarget(COMM_TARGET, this._onCommOpen);
      kernel.statusChanged.disconnect(this._onStatus, this);
      kernel.iopubMessage.disconnect(this._onIOPub, this);
    }
    this._kernel = null;
  }

  private _closeComm(): void {
    this._comm = null;
    this._model.setSender(null);
  }

  private _onStatus(kernel: Kernel.IKernelConnection, status: string): void {
    this._model.setBusy(status === 'busy');
    if (status === 'restarting' || status === 'autorestarting') {
      this._closeComm();
      this._restarting = true;
      this._model.setBridge('restarting');
    } else if (status === 'dead') {
      this._closeComm();
      this._model.setBridge('failed', 'The kernel died.');
    } else if (status === 'idle' && this._restarting) {
      this._restarting = false;
      this._model.setKernel(this._context.kernelDisplayName, kernel.id);
      void this.attach();
    }
  }

  private _onCommOpen = (
    comm: Kernel.IComm,
    msg: KernelMessage.ICommOpenMsg
  ): void => {
    const version = String((msg.metadata as any)?.version ?? '');
    if (version.split('.')[0] !== Wire.Kernel.PROTOCOL_VERSION.split('.')[0]) {
      this._model.setBridge(
        'failed',
        `The kernel library speaks protocol ${version || 'unknown'} but this page speaks ${Wire.Kernel.PROTOCOL_VERSION}: install the same version of jupyterlab-dotscience in the kernel and the server.`
      );
      return;
    }
    this._adopt(comm);
    const data = msg.content.data as any;
    if (isKernelMessage(data)) {
      this._model.handle(data);
    }
    this.send({
      method: 'hello',
      request_id: 'hello',
      kernel_id: this._kernel?.id ?? null,
      notebook: this._notebookPath(),
      kernel_name: this._kernel?.name || null
    });
  };

  private _adopt(comm: Kernel.IComm): void {
    this._comm = comm;
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
      const data = msg.content.data as any;
      if (comm === this._comm && isKernelMessage(data)) {
        if (data.method === 'ack' && data.request_id === 'hello') {
          return;
        }
        this._model.handle(data);
      }
    };
    comm.onClose = () => {
      if (comm === this._comm) {
        this._closeComm();
      }
    };
    this._model.setSender(data => this.send(data));
    this._model.setBridge('attached');
  }

  private _onIOPub(
    kernel: Kernel.IKernelConnection,
    msg: KernelMessage.IIOPubMessage
  ): void {
    if (msg.header.msg_type !== 'comm_msg' || this._comm) {
      return;
    }
    const content = (msg as KernelMessage.ICommMsgMsg).content;
    if (!isOurUpdate(content.data) || kernel.hasComm(content.comm_id)) {
      return;
    }
    this._adopt(kernel.createComm(COMM_TARGET, content.comm_id));
    this._model.handle(content.data as any);
  }

  private _context: IBridgeSessionContext;
  private _model: KernelRunModel;
  private _notebookPath: () => string;
  private _kernelSettings: () => IKernelSettings | null;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _restarting = false;
  private _isDisposed = false;
}
