/**
 * Wire types of the run history REST routes (`dotscience/api/runs...`), as the server sends
 * them. See `jupyterlab_dotscience/openapi.yaml` and docs/design.md.
 */
export namespace HistoryWire {
  /**
   * A typed value: JSON scalar, or `{"$float": "nan" | "inf" | "-inf"}`.
   */
  export type Value = string | number | boolean | null | { $float: string };

  /**
   * Run status set by the server.
   */
  export type Status = 'succeeded' | 'failed';

  /**
   * One run in a listing (`GET runs`).
   */
  export interface IRunSummary {
    id: string;
    project: string;
    author: string | null;
    description: string | null;
    status: Status;
    error: string | null;
    mode: string | null;
    notebook: string | null;
    workload_file: string | null;
    start: string | null;
    end: string | null;
    received: string;
    imported: boolean;
    /** parameter key to its text */
    parameters: { [key: string]: string };
    /** metric key to its last value */
    metrics: { [key: string]: Value };
    labels: { [key: string]: string };
  }

  /**
   * A page of runs.
   */
  export interface IRunPage {
    runs: IRunSummary[];
    next_cursor: string | null;
  }

  /**
   * A file a run read or wrote.
   */
  export interface IFileRef {
    path: string;
    sha256: string | null;
    size: number | null;
    outside: boolean;
    missing: boolean;
  }

  /**
   * A point of a metric series.
   */
  export interface IMetricPoint {
    value: Value;
    text: string;
    step: number | null;
    time: string | null;
  }

  /**
   * A cell execution that contributed to a run.
   */
  export interface ICell {
    cell_id: string;
    index: number | null;
    execution_count: number | null;
    source_sha256: string | null;
    start: string | null;
    end: string | null;
    success: boolean | null;
  }

  /**
   * The environment the run ran in.
   */
  export interface IEnvironment {
    python?: string;
    implementation?: string;
    platform?: string;
    hostname?: string;
    executable?: string;
    packages?: { [name: string]: string };
    git?: {
      commit: string | null;
      dirty: boolean;
      branch: string | null;
    } | null;
  }

  /**
   * A whole run (`GET runs/{id}`).
   */
  export interface IRun {
    id: string;
    project: string;
    description: string | null;
    error: string | null;
    mode: string | null;
    workload_file: string | null;
    notebook: string | null;
    argv: string[] | null;
    start: string | null;
    end: string | null;
    published: string | null;
    inputs: IFileRef[];
    outputs: IFileRef[];
    parameters: { [key: string]: { value: Value; text: string } };
    labels: { [key: string]: string };
    metrics: { [key: string]: IMetricPoint[] };
    models: {
      name: string;
      framework: string | null;
      framework_version: string | null;
      path: string | null;
      version?: number;
    }[];
    environment: IEnvironment | null;
    cells: ICell[];
    kernel_id: string | null;
    build: boolean;
    deploy: boolean;
    author: string | null;
    imported: boolean;
    status: Status;
    received: string;
  }

  /**
   * A file of a run with its download state (`GET runs/{id}/files`).
   */
  export interface IRunFile extends IFileRef {
    role: 'input' | 'output';
    /** true when the content can be downloaded from `artifacts/{sha256}` */
    artifact: boolean;
    /** whether the content was captured for this run (absent from older servers) */
    captured?: boolean;
    /** how it was captured, or why not, e.g. `not uploaded` (absent from older servers) */
    reason?: string | null;
  }

  /**
   * The notebook as it was at publish (`GET runs/{id}/notebook`).
   */
  export interface INotebookSnapshot {
    path: string | null;
    sha256: string;
    content: {
      cells: {
        id?: string;
        cell_type: string;
        source: string | string[];
        execution_count?: number | null;
      }[];
    };
  }

  /**
   * A node of a lineage graph.
   */
  export interface ILineageNode {
    id: string;
    kind: 'run' | 'file';
    // runs
    description?: string | null;
    notebook?: string | null;
    workload_file?: string | null;
    status?: Status;
    author?: string | null;
    start?: string | null;
    received?: string;
    // files
    sha256?: string | null;
    path?: string | null;
    paths?: string[];
    size?: number | null;
  }

  /**
   * An edge: `input` from a file to the run that read it, `output` from a run to a file.
   */
  export interface ILineageEdge {
    from: string;
    to: string;
    kind: 'input' | 'output';
  }

  /**
   * A lineage graph (`GET runs/{id}/lineage`, `GET files/{sha256}/lineage`).
   */
  export interface ILineage {
    root: string;
    nodes: ILineageNode[];
    edges: ILineageEdge[];
    truncated: boolean;
  }

  /**
   * The result of `POST import`.
   */
  export interface IImportResult {
    found: number;
    imported: number;
    runs: string[];
  }

  /**
   * A project (`GET projects`).
   */
  export interface IProject {
    name: string;
    created: string;
    runs: number;
  }

  /**
   * Export formats of `GET runs/{id}/export`.
   */
  export type ExportFormat = 'prov' | 'openlineage' | 'v1';
}
