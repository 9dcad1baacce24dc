import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

/**
 * Wire types shared with the server extension's REST API.
 */
export namespace Wire {
  /**
   * `GET dotscience/api/version`.
   */
  export interface IVersionInfo {
    version: string;
    kernel_library_version: string | null;
    store: 'sqlite' | 'postgresql';
    root_dir: string;
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
   * Fetch the server information again.
   *
   * @returns a promise that settles when the state is updated
   */
  refresh(): Promise<void>;
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
}
