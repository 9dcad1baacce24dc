import React from 'react';
import { artifactURL } from '../api/runs';
import { basename, formatSize } from '../format';
import { formatDuration } from '../time';
import { RestWire } from '../api/rest';
import { IShownCell, IShownFile, IShownNotebook } from './read';

/**
 * Props of EnvironmentInfo.
 */
export interface IEnvironmentInfoProps {
  /** the run's environment, if recorded */
  environment: RestWire.IEnvironment | null;
}

/**
 * Python, platform, packages (expandable) and git state of a run.
 *
 * @param props the environment
 * @returns the facts
 */
export function EnvironmentInfo(props: IEnvironmentInfoProps): JSX.Element {
  const env = props.environment;
  if (!env) {
    return <div className="jp-Dotscience-muted">Not recorded.</div>;
  }
  const packages = Object.entries(env.packages ?? {}).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  const git = env.git;
  return (
    <dl className="jp-Dotscience-facts">
      <dt>Python</dt>
      <dd>{`${env.python ?? '?'} (${env.implementation ?? 'unknown'})`}</dd>
      {env.platform && (
        <>
          <dt>Platform</dt>
          <dd>{env.platform}</dd>
        </>
      )}
      {env.hostname && (
        <>
          <dt>Host</dt>
          <dd>{env.hostname}</dd>
        </>
      )}
      {env.executable && (
        <>
          <dt>Executable</dt>
          <dd>{env.executable}</dd>
        </>
      )}
      <dt>Git</dt>
      <dd>
        {git && git.commit
          ? `${git.commit.slice(0, 12)}${git.branch ? ` on ${git.branch}` : ''}${
              git.dirty ? ' (uncommitted changes)' : ' (clean)'
            }`
          : 'not a git repository'}
      </dd>
      <dt>Packages</dt>
      <dd>
        {packages.length === 0 ? (
          'none recorded'
        ) : (
          <details className="jp-Dotscience-packages">
            <summary>{`${packages.length} packages`}</summary>
            <table className="jp-Dotscience-table">
              <tbody>
                {packages.map(([name, version]) => (
                  <tr key={name}>
                    <td>{name}</td>
                    <td>{version}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        )}
      </dd>
    </dl>
  );
}

/**
 * Why a file cannot be downloaded.
 *
 * @param file the file
 * @returns a sentence, or null when it can be
 */
function notCapturedReason(file: IShownFile): string | null {
  if (file.artifact) {
    return null;
  }
  if (!file.captured && typeof file.reason === 'string' && file.reason) {
    return `${file.reason.charAt(0).toUpperCase()}${file.reason.slice(1)}.`;
  }
  if (file.outside) {
    return 'Outside the workspace: not captured.';
  }
  if (file.missing) {
    return 'The file was missing when the run was published.';
  }
  if (!file.sha256) {
    return 'No content hash was recorded.';
  }
  if (file.role === 'input') {
    return 'Inputs are not captured (only outputs are).';
  }
  return 'Not captured: changed before publish, or too large.';
}

function downloadName(file: IShownFile): string {
  return (
    (file.path && basename(file.path)) || `${file.sha256!.slice(0, 12)}.bin`
  );
}

/**
 * Props of FilesTable.
 */
export interface IFilesTableProps {
  /** the run's files */
  files: IShownFile[];
  /** show a file's lineage */
  onLineage: (sha256: string, path: string) => void;
}

/**
 * A run's inputs and outputs with download links (or why there is none).
 *
 * @param props the files
 * @returns the table
 */
export function FilesTable(props: IFilesTableProps): JSX.Element {
  if (!props.files.length) {
    return <div className="jp-Dotscience-muted">No files recorded.</div>;
  }
  return (
    <table className="jp-Dotscience-table jp-Dotscience-files">
      <thead>
        <tr>
          <th>Role</th>
          <th>Path</th>
          <th>Size</th>
          <th>sha256</th>
          <th>Download</th>
        </tr>
      </thead>
      <tbody>
        {props.files.map((f, i) => {
          const reason = notCapturedReason(f);
          return (
            <tr key={`${f.role}:${f.path}:${i}`}>
              <td>{f.role}</td>
              <td className="jp-Dotscience-mono">{f.path || '—'}</td>
              <td>{formatSize(f.size)}</td>
              <td className="jp-Dotscience-mono">
                {f.sha256 ? (
                  <button
                    className="jp-Dotscience-link"
                    title="Show this file's lineage"
                    onClick={() => props.onLineage(f.sha256!, f.path)}
                  >
                    {f.sha256.slice(0, 10)}
                  </button>
                ) : (
                  '—'
                )}
              </td>
              <td>
                {reason === null ? (
                  <a
                    className="jp-Dotscience-link"
                    href={artifactURL(f.sha256!, downloadName(f))}
                    download={downloadName(f)}
                  >
                    Download
                  </a>
                ) : (
                  <span
                    className="jp-Dotscience-muted"
                    title={reason}
                    aria-disabled="true"
                  >
                    {`Unavailable: ${reason}`}
                  </span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * The text of a notebook cell's source.
 *
 * @param source nbformat source (string or lines)
 * @returns the text
 */
function sourceText(source: string | string[]): string {
  return Array.isArray(source) ? source.join('') : source;
}

/**
 * Props of CellsList.
 */
export interface ICellsListProps {
  /** the cells that ran, in execution order */
  cells: IShownCell[];
  /** the notebook as published (for the sources), if recorded */
  notebook: IShownNotebook | null;
  /** jump to a cell in the open notebook */
  onJump: (cell: IShownCell) => void;
}

/**
 * The cells that produced a run, in notebook order, with their sources when the notebook
 * snapshot has them. Clicking one jumps to it in the open notebook.
 *
 * @param props the cells
 * @returns the list
 */
export function CellsList(props: ICellsListProps): JSX.Element {
  if (!props.cells.length) {
    return <div className="jp-Dotscience-muted">No cells recorded.</div>;
  }
  const sources = new Map<string, string>();
  for (const c of props.notebook?.content.cells ?? []) {
    if (c.id) {
      sources.set(c.id, sourceText(c.source));
    }
  }
  const cells = [...props.cells].sort(
    (a, b) => (a.index ?? 1e9) - (b.index ?? 1e9)
  );
  return (
    <ol className="jp-Dotscience-cells">
      {cells.map((c, i) => {
        const source = sources.get(c.cell_id);
        return (
          <li key={`${c.cell_id}:${i}`}>
            <button
              className="jp-Dotscience-cell"
              title="Show this cell in the notebook"
              onClick={() => props.onJump(c)}
            >
              <span className="jp-Dotscience-cell-head">
                <span className="jp-Dotscience-mono">
                  {`[${c.execution_count ?? ' '}]`}
                </span>
                <span>{`cell ${c.index ?? '?'}`}</span>
                <span
                  className={c.success === false ? 'jp-Dotscience-error' : ''}
                >
                  {c.success === false ? 'failed' : 'ok'}
                </span>
                <span className="jp-Dotscience-muted">
                  {formatDuration(c.start, c.end)}
                </span>
              </span>
              {source !== undefined && (
                <pre className="jp-Dotscience-source">{source}</pre>
              )}
            </button>
          </li>
        );
      })}
    </ol>
  );
}

/**
 * Props of NotebookSnapshot.
 */
export interface INotebookSnapshotProps {
  /** the snapshot */
  notebook: IShownNotebook;
}

/**
 * The notebook as it was at publish, read-only: its code cells' sources.
 *
 * @param props the snapshot
 * @returns the cells, folded
 */
export function NotebookSnapshot(props: INotebookSnapshotProps): JSX.Element {
  const code = props.notebook.content.cells.filter(c => c.cell_type === 'code');
  return (
    <details className="jp-Dotscience-snapshot">
      <summary>
        {`${props.notebook.path ?? 'Notebook'} as published: ${code.length} code cells`}
      </summary>
      {code.map((c, i) => (
        <div key={c.id ?? i} className="jp-Dotscience-snapshot-cell">
          <span className="jp-Dotscience-mono jp-Dotscience-muted">
            {`[${c.execution_count ?? ' '}]`}
          </span>
          <pre className="jp-Dotscience-source">{sourceText(c.source)}</pre>
        </div>
      ))}
    </details>
  );
}

// -- records as they may arrive ---------------------------------------------------------
//
// A run record can come from an old log (v1 import), another tool, or an older server, so
// the detail view reads every field it shows through these readers: each returns a value of
// the type the view expects and adds a short phrase to `problems` for whatever it could not
// show as recorded.

/**
 * Props of PartBoundary.
 */
export interface IPartBoundaryProps {
  /** the part's name in the notice */
  name: string;
  /** told once when the part failed to render */
  onError: (name: string) => void;
  children: React.ReactNode;
}

/**
 * Renders its part, or a dash when the part failed (whatever was in the record), so one
 * part cannot take the whole run view down.
 */
export class PartBoundary extends React.Component<
  IPartBoundaryProps,
  { failed: boolean }
> {
  state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  componentDidCatch(): void {
    this.props.onError(this.props.name);
  }

  render(): React.ReactNode {
    return this.state.failed ? (
      <div className="jp-Dotscience-muted">—</div>
    ) : (
      this.props.children
    );
  }
}
