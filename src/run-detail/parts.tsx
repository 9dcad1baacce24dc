import React from 'react';
import { artifactURL } from '../api';
import { basename, formatDuration, formatSize, formatValue } from '../format';
import { HistoryWire } from '../wire';

/**
 * Props of EnvironmentInfo.
 */
export interface IEnvironmentInfoProps {
  /** the run's environment, if recorded */
  environment: HistoryWire.IEnvironment | null;
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
export function notCapturedReason(file: HistoryWire.IRunFile): string | null {
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

function downloadName(file: HistoryWire.IRunFile): string {
  return (
    (file.path && basename(file.path)) || `${file.sha256!.slice(0, 12)}.bin`
  );
}

/**
 * Props of FilesTable.
 */
export interface IFilesTableProps {
  /** the run's files */
  files: HistoryWire.IRunFile[];
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
export function sourceText(source: string | string[]): string {
  return Array.isArray(source) ? source.join('') : source;
}

/**
 * Props of CellsList.
 */
export interface ICellsListProps {
  /** the cells that ran, in execution order */
  cells: HistoryWire.ICell[];
  /** the notebook as published (for the sources), if recorded */
  notebook: HistoryWire.INotebookSnapshot | null;
  /** jump to a cell in the open notebook */
  onJump: (cell: HistoryWire.ICell) => void;
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
  notebook: HistoryWire.INotebookSnapshot;
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

type Raw = { [key: string]: unknown };

function isRecord(x: unknown): x is Raw {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A field as text: strings as they are, numbers and booleans written out (with a
 * problem), anything else null (with a problem).
 *
 * @param x the recorded value
 * @param what how the problem names the field
 * @param problems collects problems
 * @returns the text, or null when nothing was recorded or it cannot be shown
 */
export function readText(
  x: unknown,
  what: string,
  problems: string[]
): string | null {
  if (typeof x === 'string') {
    return x;
  }
  if (x === null || x === undefined) {
    return null;
  }
  problems.push(`${what} is not text`);
  return typeof x === 'number' || typeof x === 'boolean' ? String(x) : null;
}

function readNumber(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function readValue(x: unknown): HistoryWire.Value | undefined {
  if (
    x === null ||
    typeof x === 'string' ||
    typeof x === 'number' ||
    typeof x === 'boolean'
  ) {
    return x;
  }
  if (isRecord(x) && typeof x.$float === 'string') {
    return { $float: x.$float };
  }
  return undefined;
}

function jsonText(x: unknown): string {
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

function readMapping(
  x: unknown,
  what: string,
  problems: string[],
  plural = false
): Raw {
  if (isRecord(x)) {
    return x;
  }
  problems.push(`${what} ${plural ? 'are' : 'is'} not a mapping`);
  return {};
}

function readList(x: unknown, what: string, problems: string[]): unknown[] {
  if (Array.isArray(x)) {
    return x;
  }
  if (x !== null && x !== undefined) {
    problems.push(`${what} is not a list`);
  }
  return [];
}

function readEnvironment(
  x: unknown,
  problems: string[]
): HistoryWire.IEnvironment | null {
  if (x === null || x === undefined) {
    return null;
  }
  if (!isRecord(x)) {
    problems.push('the environment is not a mapping');
    return null;
  }
  const env: HistoryWire.IEnvironment = {};
  for (const key of [
    'python',
    'implementation',
    'platform',
    'hostname',
    'executable'
  ] as const) {
    const value = readText(x[key], `environment ${key}`, problems);
    if (value !== null) {
      env[key] = value;
    }
  }
  if (x.packages !== undefined && x.packages !== null) {
    const packages: { [name: string]: string } = {};
    for (const [name, version] of Object.entries(
      readMapping(x.packages, 'environment packages', problems, true)
    )) {
      packages[name] =
        readText(version, `package "${name}"'s version`, problems) ?? '?';
    }
    env.packages = packages;
  }
  if (isRecord(x.git)) {
    env.git = {
      commit: readText(x.git.commit, 'git commit', problems),
      dirty: x.git.dirty === true,
      branch: readText(x.git.branch, 'git branch', problems)
    };
  } else if (x.git !== null && x.git !== undefined) {
    problems.push('environment git is not a mapping');
  }
  return env;
}

function readCells(x: unknown, problems: string[]): HistoryWire.ICell[] {
  const cells: HistoryWire.ICell[] = [];
  readList(x, 'cells', problems).forEach((c, i) => {
    if (!isRecord(c)) {
      problems.push(`cell ${i + 1} is not a mapping`);
      return;
    }
    cells.push({
      cell_id: readText(c.cell_id, `cell ${i + 1}'s id`, problems) ?? '',
      index: readNumber(c.index),
      execution_count: readNumber(c.execution_count),
      source_sha256:
        typeof c.source_sha256 === 'string' ? c.source_sha256 : null,
      start: readText(c.start, `cell ${i + 1}'s start`, problems),
      end: readText(c.end, `cell ${i + 1}'s end`, problems),
      success: typeof c.success === 'boolean' ? c.success : null
    });
  });
  return cells;
}

/**
 * A run record as the detail view shows it.
 *
 * @param raw the record the server sent
 * @param problems collects what could not be shown as recorded
 * @returns the run, or null when the record is not an object at all
 */
export function readRun(
  raw: unknown,
  problems: string[]
): HistoryWire.IRun | null {
  if (!isRecord(raw)) {
    problems.push('the record is not a JSON object');
    return null;
  }
  const text = (key: string) => readText(raw[key], key, problems);
  const parameters: HistoryWire.IRun['parameters'] = {};
  if (raw.parameters === null || raw.parameters === undefined) {
    problems.push('parameters are missing');
  }
  for (const [key, p] of Object.entries(
    readMapping(raw.parameters ?? {}, 'parameters', problems, true)
  )) {
    if (isRecord(p) && typeof p.text === 'string') {
      parameters[key] = { value: readValue(p.value) ?? null, text: p.text };
    } else {
      problems.push(`parameter "${key}" is not a typed value`);
      const value = readValue(p);
      parameters[key] = {
        value: value ?? null,
        text: value === undefined ? jsonText(p) : formatValue(value)
      };
    }
  }
  const labels: { [key: string]: string } = {};
  for (const [key, v] of Object.entries(
    readMapping(raw.labels ?? {}, 'labels', problems, true)
  )) {
    const value = readText(v, `label "${key}"`, problems);
    if (value !== null) {
      labels[key] = value;
    }
  }
  const metrics: HistoryWire.IRun['metrics'] = {};
  for (const [key, series] of Object.entries(
    readMapping(raw.metrics ?? {}, 'metrics', problems, true)
  )) {
    if (!Array.isArray(series)) {
      problems.push(`metric "${key}" is not a series`);
      continue;
    }
    let malformed = false;
    metrics[key] = series.flatMap(p => {
      const value = isRecord(p) ? readValue(p.value) : undefined;
      if (!isRecord(p) || value === undefined) {
        malformed = true;
        return [];
      }
      if (typeof p.text !== 'string') {
        malformed = true;
      }
      return [
        {
          value,
          text: typeof p.text === 'string' ? p.text : formatValue(value),
          step: readNumber(p.step),
          time: typeof p.time === 'string' ? p.time : null
        }
      ];
    });
    if (malformed) {
      problems.push(`metric "${key}" has malformed points`);
    }
  }
  const models: HistoryWire.IRun['models'] = [];
  readList(raw.models, 'models', problems).forEach((m, i) => {
    if (!isRecord(m)) {
      problems.push(`model ${i + 1} is not a mapping`);
      return;
    }
    const version = readNumber(m.version);
    models.push({
      name: readText(m.name, `model ${i + 1}'s name`, problems) ?? '?',
      framework: readText(m.framework, `model ${i + 1}'s framework`, problems),
      framework_version: readText(
        m.framework_version,
        `model ${i + 1}'s framework version`,
        problems
      ),
      path: readText(m.path, `model ${i + 1}'s path`, problems),
      ...(version === null ? {} : { version })
    });
  });
  let argv: string[] | null = null;
  if (Array.isArray(raw.argv)) {
    argv = raw.argv.map(a => readText(a, 'argv', problems) ?? '');
  } else if (raw.argv !== null && raw.argv !== undefined) {
    problems.push('argv is not a list of text');
  }
  const status = raw.status === 'failed' ? 'failed' : 'succeeded';
  if (raw.status !== 'failed' && raw.status !== 'succeeded') {
    problems.push('status is neither succeeded nor failed');
  }
  return {
    id: text('id') ?? '?',
    project: text('project') ?? '—',
    description: text('description'),
    error: text('error'),
    mode: text('mode'),
    workload_file: text('workload_file'),
    notebook: text('notebook'),
    argv,
    start: text('start'),
    end: text('end'),
    published: text('published'),
    inputs: [],
    outputs: [],
    parameters,
    labels,
    metrics,
    models,
    environment: readEnvironment(raw.environment, problems),
    cells: readCells(raw.cells, problems),
    kernel_id: text('kernel_id'),
    build: raw.build === true,
    deploy: raw.deploy === true,
    author: text('author'),
    imported: raw.imported === true,
    status,
    received: text('received') ?? ''
  };
}

/**
 * A run's files as the files table shows them.
 *
 * @param raw the list the server sent
 * @param problems collects what could not be shown as recorded
 * @returns the files (one without a path is shown with a dash)
 */
export function readFiles(
  raw: unknown,
  problems: string[]
): HistoryWire.IRunFile[] {
  if (!Array.isArray(raw)) {
    problems.push('files is not a list');
    return [];
  }
  const files: HistoryWire.IRunFile[] = [];
  raw.forEach((f, i) => {
    const n = i + 1;
    if (!isRecord(f)) {
      problems.push(`file ${n} is not a mapping`);
      return;
    }
    if (typeof f.path !== 'string' || !f.path) {
      problems.push(`file ${n} has no path`);
    }
    if (
      f.size !== null &&
      f.size !== undefined &&
      readNumber(f.size) === null
    ) {
      problems.push(`file ${n}'s size is not a number`);
    }
    const sha256 =
      typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256)
        ? f.sha256
        : null;
    files.push({
      path: typeof f.path === 'string' ? f.path : '',
      sha256,
      size: readNumber(f.size),
      outside: f.outside === true,
      missing: f.missing === true,
      role: f.role === 'input' ? 'input' : 'output',
      artifact: f.artifact === true && sha256 !== null
    });
  });
  return files;
}

/**
 * A notebook snapshot as the view shows it.
 *
 * @param raw what the server sent (null: the run has none)
 * @param problems collects what could not be shown as recorded
 * @returns the snapshot with only well-formed cells, or null
 */
export function readNotebook(
  raw: unknown,
  problems: string[]
): HistoryWire.INotebookSnapshot | null {
  if (raw === null || raw === undefined) {
    return null;
  }
  if (!isRecord(raw)) {
    problems.push('the notebook snapshot is not a mapping');
    return null;
  }
  const content = isRecord(raw.content) ? raw.content : {};
  if (!Array.isArray(content.cells)) {
    problems.push('the notebook snapshot has no list of cells');
  }
  const cells: HistoryWire.INotebookSnapshot['content']['cells'] = [];
  (Array.isArray(content.cells) ? content.cells : []).forEach((c, i) => {
    const n = i + 1;
    if (!isRecord(c)) {
      problems.push(`notebook snapshot cell ${n} is not a mapping`);
      return;
    }
    let source = '';
    if (typeof c.source === 'string') {
      source = c.source;
    } else if (Array.isArray(c.source)) {
      source = c.source.map(s => (typeof s === 'string' ? s : '')).join('');
    } else {
      problems.push(`notebook snapshot cell ${n} has no source text`);
    }
    cells.push({
      id: typeof c.id === 'string' ? c.id : undefined,
      cell_type: typeof c.cell_type === 'string' ? c.cell_type : 'raw',
      source,
      execution_count: readNumber(c.execution_count)
    });
  });
  return {
    path: typeof raw.path === 'string' ? raw.path : null,
    sha256: typeof raw.sha256 === 'string' ? raw.sha256 : '',
    content: { cells }
  };
}

/**
 * The sentence naming what could not be shown.
 *
 * @param problems the phrases collected by the readers (and failed parts)
 * @param limit how many to name before "and N more"
 * @returns e.g. `Parts of this run could not be shown: label "x" is not text; files is not
 *   a list.`
 */
export function problemsNotice(problems: string[], limit = 20): string {
  const unique = [...new Set(problems)];
  const named = unique.slice(0, limit).join('; ');
  const more =
    unique.length > limit ? ` and ${unique.length - limit} more` : '';
  return `Parts of this run could not be shown: ${named}${more}.`;
}

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
