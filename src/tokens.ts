import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';
import type { RestWire } from './api/rest';
import type * as Protocol from './kernel/protocol';

/**
 * Wire types of the sidebar: the REST ones are those of `api/rest.ts` (generated from
 * `openapi.yaml`), the kernel comm's those of `kernel/protocol.ts` (generated from
 * `protocol/kernel-comm.schema.json`).
 */
export namespace Wire {
  /**
   * `GET dotscience/api/version`.
   */
  export type IVersionInfo = RestWire.IVersionInfo;

  /**
   * A typed value: JSON, or `{"$float": "nan" | "inf" | "-inf"}` for a non-finite float.
   */
  export type Value = RestWire.Value;

  /**
   * A file entry of a run (`inputs`, `outputs`).
   */
  export type IFile = RestWire.IFileRef;

  /**
   * One cell execution as the recorder makes it for `PUT runs/{id}/cells` (every field known).
   */
  export type ICellExecution = {
    [K in keyof RestWire.ICell]-?: NonNullable<RestWire.ICell[K]>;
  };

  /**
   * The comm protocol between the frontend and `dotscience.jupyter` in the kernel: the
   * types generated from `protocol/kernel-comm.schema.json`.
   */
  export namespace Kernel {
    /**
     * The protocol version this frontend speaks (major must match the kernel's).
     */
    export const PROTOCOL_VERSION = '2.0.0';
    /**
     * The cell that was executing when a declaration happened.
     */
    export type ICellRef = Protocol.CellRef;
    /**
     * The tail of a metric series: `points` are `[step, value, time]`.
     */
    export type IMetricTail = Protocol.MetricTail;
    /**
     * The kernel's current run.
     */
    export type IState = Protocol.State;
    /**
     * The fields of the run an update changes, to apply as they are.
     */
    export type IRunFields = Protocol.RunFields;
    /**
     * A message from the kernel.
     */
    export type KernelMessage = Protocol.KernelMessage;
    /**
     * A request to the kernel.
     */
    export type FrontendRequest = Protocol.FrontendRequest;
    /**
     * What can be declared from the UI.
     */
    export type DeclarationKind = Protocol.DeclarationKind;
    /**
     * A declaration request from the UI.
     */
    export type IDeclaration = Omit<
      Protocol.DeclareRequest,
      'method' | 'request_id'
    >;
  }
}

/**
 * Connection state of the run tracker with the server extension.
 */
export type ServerStatus = 'connecting' | 'connected' | 'error';

/**
 * The run tracker: the single owner of Dotscience state in the frontend.
 */
export interface IRunTracker {
  /**
   * The version of this frontend extension.
   */
  readonly frontendVersion: string;
  /**
   * The server extension's version info, once fetched.
   */
  readonly server: Wire.IVersionInfo | null;
  /**
   * Connection state with the server extension.
   */
  readonly status: ServerStatus;
  /**
   * A human-readable error, when `status` is `error`.
   */
  readonly error: string | null;
  /**
   * Version mismatches between frontend, server and kernel library, as sentences.
   */
  readonly versionWarnings: string[];
  /**
   * Emitted whenever any of the above changes.
   */
  readonly changed: ISignal<IRunTracker, void>;
  /**
   * The live run of the active notebook's kernel (null when no notebook is active).
   */
  readonly current: IKernelRun | null;
  /**
   * Emitted when `current` is replaced by another notebook's run.
   */
  readonly currentChanged: ISignal<IRunTracker, IKernelRun | null>;
  /**
   * Make `run` the current one (the notebook plugin follows the active notebook).
   *
   * @param run the run to show, or null
   */
  setCurrent(run: IKernelRun | null): void;
  /**
   * Fetch the server information again.
   *
   * @returns a promise that settles when the state is updated
   */
  refresh(): Promise<void>;
}

/**
 * Whether the kernel side of the bridge is connected.
 */
export type BridgeStatus =
  | 'no-kernel'
  | 'not-python'
  | 'attaching'
  | 'attached'
  | 'restarting'
  | 'failed';

/**
 * A metric series as the sidebar shows it (the tail of the kernel's series).
 */
export interface IMetricSeries {
  /**
   * Values recorded in the kernel (may exceed `points.length`).
   */
  count: number;
  /**
   * `str()` of the last value.
   */
  text: string;
  /**
   * `[step, value]` pairs of the numeric values received (at most a few hundred).
   */
  points: [number, number][];
}

/**
 * A request sent to the kernel and not yet acknowledged (or refused).
 */
export interface IPendingRequest {
  id: string;
  method: 'declare' | 'start' | 'publish';
  declaration?: Wire.Kernel.IDeclaration;
  description?: string | null;
  /**
   * Set when the kernel refused the request.
   */
  error: string | null;
}

/**
 * A run the kernel published: its id, and `since`, the start of the run (the cells that ran
 * since then belong to it).
 */
export interface IPublishedRun {
  id: string;
  since: string | null;
}

/**
 * The current run of one notebook's kernel, mirrored live from the kernel.
 */
export interface IKernelRun {
  /**
   * The notebook's path (root-relative).
   */
  readonly notebookPath: string;
  /**
   * The kernel's display name, id and whether it is executing.
   */
  readonly kernelName: string | null;
  readonly kernelId: string | null;
  readonly kernelBusy: boolean;
  /**
   * Connection state of the kernel bridge, and why it failed.
   */
  readonly bridge: BridgeStatus;
  readonly bridgeError: string | null;
  /**
   * The run as the kernel last reported it (null before the bridge attached).
   */
  readonly state: Wire.Kernel.IState | null;
  /**
   * Metric series, by key.
   */
  readonly metrics: ReadonlyMap<string, IMetricSeries>;
  /**
   * Requests waiting for the kernel (it reads them between cells), and refused ones.
   */
  readonly pending: readonly IPendingRequest[];
  /**
   * Whether something was declared since the last publish.
   */
  readonly hasUnpublished: boolean;
  /**
   * The last published run id, and the kernel's or server's sentence about it.
   */
  readonly lastPublished: string | null;
  readonly lastMessage: string | null;
  /**
   * Emitted on every change.
   */
  readonly changed: ISignal<IKernelRun, void>;
  /**
   * Emitted when the kernel reports a published run.
   */
  readonly published: ISignal<IKernelRun, IPublishedRun>;
  /**
   * Emitted with the cells the kernel saw declaring something.
   */
  readonly cellsDeclared: ISignal<IKernelRun, Wire.Kernel.ICellRef[]>;
  /**
   * Declare an input, output, parameter, label, metric or the description.
   *
   * @param declaration what to declare
   * @returns false when no kernel bridge is attached
   */
  declare(declaration: Wire.Kernel.IDeclaration): boolean;
  /**
   * Start a new run in the kernel.
   *
   * @param description the run's description
   * @returns false when no kernel bridge is attached
   */
  start(description?: string | null): boolean;
  /**
   * Publish the run.
   *
   * @param description the run's description
   * @param options `build`/`deploy`: the server builds/deploys the run's models
   * @returns false when no kernel bridge is attached
   */
  publish(
    description?: string | null,
    options?: { build?: boolean; deploy?: boolean }
  ): boolean;
  /**
   * Forget refused requests (the user has read the error).
   */
  dismissErrors(): void;
}

/**
 * The run tracker token.
 */
export const IRunTracker = new Token<IRunTracker>(
  'jupyterlab-dotscience:IRunTracker',
  'The Dotscience run tracker: server connection, runs and the current run.'
);

/**
 * The Dotscience sidebar, to which plugins add sections.
 */
export interface IDotscienceSidebar {
  /**
   * The sidebar widget's id (to activate it).
   */
  readonly id: string;
  /**
   * Add a section, ordered by rank (lower first): server 1000, current run 100, runs 200,
   * models 300.
   *
   * @param widget the section; its `title.label` is the heading
   * @param rank the position among sections
   */
  addSection(widget: import('@lumino/widgets').Widget, rank: number): void;
}

/**
 * The sidebar token.
 */
export const IDotscienceSidebar = new Token<IDotscienceSidebar>(
  'jupyterlab-dotscience:IDotscienceSidebar',
  'The Dotscience sidebar: add a section to it.'
);

/**
 * Command ids.
 */
export namespace CommandIDs {
  export const openSidebar = 'dotscience:open-sidebar';
  export const publishRun = 'dotscience:publish-run';
  export const startRun = 'dotscience:start-run';
  export const declareInput = 'dotscience:declare-input';
  export const declareOutput = 'dotscience:declare-output';
}
