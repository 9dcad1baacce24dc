/**
 * The run detail reads what the server sent defensively (a record can be malformed or come
 * from an older server): each reader returns the shape the views show, derived from the
 * REST types, and collects a phrase for whatever could not be shown as recorded.
 */
import { RestWire } from '../api/rest';
import { formatValue, setOwn } from '../values';

/**
 * A cell as shown: its position may be unknown.
 */
export type IShownCell = Omit<RestWire.ICell, 'index'> & {
  index: number | null;
};

/**
 * A run as shown: unknown modes and authors are kept as text or null.
 */
export type IShownRun = Omit<
  RestWire.IRun,
  'mode' | 'author' | 'cells' | 'warnings' | 'verdict' | 'reproduces'
> & {
  mode: string | null;
  author: string | null;
  cells: IShownCell[];
  /** hidden-state warnings (older servers send none) */
  warnings: RestWire.IRunWarning[];
  /** the latest reproduction's verdict, null when never reproduced */
  verdict: RestWire.Verdict | null;
  /** the run this run is a replay of */
  reproduces: string | null;
};

/**
 * A file as shown: older servers do not say whether its content was captured.
 */
export type IShownFile = Omit<RestWire.IRunFile, 'captured' | 'reason'> &
  Partial<Pick<RestWire.IRunFile, 'captured' | 'reason'>>;

/**
 * A notebook snapshot as shown: only its well-formed cells.
 */
export interface IShownNotebook {
  path: string | null;
  sha256: string;
  content: {
    cells: {
      id?: string;
      cell_type: string;
      source: string;
      execution_count: number | null;
    }[];
  };
}
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
function readText(x: unknown, what: string, problems: string[]): string | null {
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

function readValue(x: unknown): RestWire.Value | undefined {
  if (
    x === null ||
    typeof x === 'string' ||
    typeof x === 'number' ||
    typeof x === 'boolean'
  ) {
    return x;
  }
  if (
    isRecord(x) &&
    (x.$float === 'nan' || x.$float === 'inf' || x.$float === '-inf')
  ) {
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
): RestWire.IEnvironment | null {
  if (x === null || x === undefined) {
    return null;
  }
  if (!isRecord(x)) {
    problems.push('the environment is not a mapping');
    return null;
  }
  const env: RestWire.IEnvironment = {};
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
      setOwn(
        packages,
        name,
        readText(version, `package "${name}"'s version`, problems) ?? '?'
      );
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

function readCells(x: unknown, problems: string[]): IShownCell[] {
  const cells: IShownCell[] = [];
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
 * The verdicts a reproduction can reach, in the order the filter offers them.
 */
export const VERDICTS: readonly RestWire.Verdict[] = [
  'identical',
  'within_tolerance',
  'differs',
  'failed',
  'not_reproducible'
];

/**
 * A verdict as words.
 *
 * @param verdict the verdict
 * @returns e.g. `within tolerance`
 */
export function verdictText(verdict: RestWire.Verdict): string {
  return verdict.replace(/_/g, ' ');
}

/**
 * A warning kind as words.
 *
 * @param kind the warning kind
 * @returns e.g. `out of order`
 */
export function warningText(kind: string): string {
  return kind.replace(/_/g, ' ');
}

/**
 * A verdict as sent by the server, or null when it is not one of the known verdicts.
 *
 * @param x the recorded verdict
 * @param problems collects a phrase when it is something else
 * @returns the verdict or null
 */
export function readVerdict(
  x: unknown,
  problems: string[]
): RestWire.Verdict | null {
  if (x === null || x === undefined) {
    return null;
  }
  if (VERDICTS.includes(x as RestWire.Verdict)) {
    return x as RestWire.Verdict;
  }
  problems.push('the verdict is not a known verdict');
  return null;
}

/**
 * A run's hidden-state warnings.
 *
 * @param x the recorded list
 * @param problems collects what could not be shown as recorded
 * @returns the warnings that can be shown (an unknown kind keeps its text)
 */
export function readWarnings(
  x: unknown,
  problems: string[]
): RestWire.IRunWarning[] {
  const warnings: RestWire.IRunWarning[] = [];
  readList(x, 'warnings', problems).forEach((w, i) => {
    if (!isRecord(w) || typeof w.kind !== 'string') {
      problems.push(`warning ${i + 1} is not a warning`);
      return;
    }
    warnings.push({
      // a kind this page does not know yet is still shown, by its message
      kind: w.kind as RestWire.WarningKind,
      cell_id: typeof w.cell_id === 'string' ? w.cell_id : null,
      execution_count: readNumber(w.execution_count),
      message:
        typeof w.message === 'string' && w.message
          ? w.message
          : warningText(w.kind)
    });
  });
  return warnings;
}

/**
 * An execution as the code section shows it: every field present.
 */
export type IShownExecution = Required<
  Omit<RestWire.IStoredExecution, 'session'>
>;

/**
 * The executions a run depends on, as the code section shows them.
 *
 * @param raw what `GET runs/{id}/executions` sent (null: not loaded, or an older server)
 * @param problems collects what could not be shown as recorded
 * @returns the executions in the order they ran, and the kernel's name
 */
export function readExecutions(
  raw: unknown,
  problems: string[]
): { executions: IShownExecution[]; kernel: string | null } | null {
  if (raw === null || raw === undefined) {
    return null;
  }
  if (!isRecord(raw)) {
    problems.push('the executions are not a mapping');
    return null;
  }
  const executions: IShownExecution[] = [];
  readList(raw.executions, 'executions', problems).forEach((e, i) => {
    const n = i + 1;
    if (!isRecord(e)) {
      problems.push(`execution ${n} is not a mapping`);
      return;
    }
    const source = readText(e.source, `execution ${n}'s source`, problems);
    executions.push({
      seq: readNumber(e.seq) ?? i,
      cell_id: typeof e.cell_id === 'string' ? e.cell_id : null,
      execution_count: readNumber(e.execution_count),
      source_sha256: typeof e.source_sha256 === 'string' ? e.source_sha256 : '',
      source,
      start: typeof e.start === 'string' ? e.start : null,
      end: typeof e.end === 'string' ? e.end : null,
      success: typeof e.success === 'boolean' ? e.success : null,
      error: typeof e.error === 'string' ? e.error : null,
      in_run: e.in_run === true,
      origin:
        e.origin === 'sidebar' || e.origin === 'setting' ? e.origin : 'cell'
    });
  });
  executions.sort((a, b) => a.seq - b.seq);
  const kernel = isRecord(raw.kernel) ? raw.kernel : {};
  return {
    executions,
    kernel: typeof kernel.name === 'string' ? kernel.name : null
  };
}

/**
 * One thing a replay produced differently, as shown.
 */
export interface IShownDifference {
  kind: string;
  name: string;
  original: unknown;
  replay: unknown;
  /** null when the values are not numbers; Infinity when the original was 0 */
  relative_difference: number | null;
}

/**
 * What a finished reproduction found, every part present.
 */
export interface IShownResult {
  differences: IShownDifference[];
  environment: {
    python: [string, string] | null;
    packages: {
      name: string;
      original: string | null;
      replay: string | null;
    }[];
  } | null;
  failed: {
    cell: number | null;
    execution_count: number | null;
    error: string;
    source: string | null;
  } | null;
  missing: string[];
  skipped: number;
}

/**
 * A reproduction as the view shows it.
 */
export type IShownReproduction = Omit<RestWire.IReproduction, 'result'> & {
  result: IShownResult | null;
};

function readRelative(x: unknown): number | null {
  if (isRecord(x) && x.$float === 'inf') {
    return Infinity;
  }
  return readNumber(x);
}

/**
 * A reproduction as the view shows it; missing parts of its result become empty.
 *
 * @param raw what the server sent
 * @returns the reproduction, or null when it is not one
 */
export function readReproduction(raw: unknown): IShownReproduction | null {
  if (!isRecord(raw) || typeof raw.id !== 'string') {
    return null;
  }
  const ignored: string[] = [];
  const state =
    raw.state === 'queued' ||
    raw.state === 'running' ||
    raw.state === 'done' ||
    raw.state === 'cancelled'
      ? raw.state
      : 'done';
  // `result` is an empty object until the reproduction starts
  const r =
    isRecord(raw.result) && Object.keys(raw.result).length > 0
      ? raw.result
      : null;
  let result: IShownResult | null = null;
  if (r) {
    const env = isRecord(r.environment) ? r.environment : null;
    const python =
      env &&
      Array.isArray(env.python) &&
      env.python.length === 2 &&
      env.python.every(v => typeof v === 'string' || v === null)
        ? ([String(env.python[0] ?? '?'), String(env.python[1] ?? '?')] as [
            string,
            string
          ])
        : null;
    const failed = isRecord(r.failed) ? r.failed : null;
    result = {
      differences: readList(r.differences, 'differences', ignored).flatMap(d =>
        isRecord(d) && typeof d.name === 'string'
          ? [
              {
                kind: typeof d.kind === 'string' ? d.kind : 'output',
                name: d.name,
                original: d.original,
                replay: d.replay,
                relative_difference: readRelative(d.relative_difference)
              }
            ]
          : []
      ),
      environment: env && {
        python,
        packages: readList(env.packages, 'packages', ignored).flatMap(p =>
          isRecord(p) && typeof p.name === 'string'
            ? [
                {
                  name: p.name,
                  original: typeof p.original === 'string' ? p.original : null,
                  replay: typeof p.replay === 'string' ? p.replay : null
                }
              ]
            : []
        )
      },
      failed: failed && {
        cell: readNumber(failed.cell),
        execution_count: readNumber(failed.execution_count),
        error:
          typeof failed.error === 'string' ? failed.error : 'unknown error',
        source: typeof failed.source === 'string' ? failed.source : null
      },
      missing: readList(r.missing, 'missing', ignored).filter(
        (m): m is string => typeof m === 'string'
      ),
      skipped: readNumber(r.skipped) ?? 0
    };
  }
  return {
    id: raw.id,
    run_id: typeof raw.run_id === 'string' ? raw.run_id : '',
    state,
    cell: readNumber(raw.cell) ?? 0,
    cells: readNumber(raw.cells) ?? 0,
    verdict: readVerdict(raw.verdict, ignored),
    result,
    replay_run_id:
      typeof raw.replay_run_id === 'string' ? raw.replay_run_id : null,
    requested_by: typeof raw.requested_by === 'string' ? raw.requested_by : '',
    tolerance: readNumber(raw.tolerance) ?? 0,
    created: typeof raw.created === 'string' ? raw.created : '',
    finished: typeof raw.finished === 'string' ? raw.finished : null
  };
}

/**
 * A run record as the detail view shows it.
 *
 * @param raw the record the server sent
 * @param problems collects what could not be shown as recorded
 * @returns the run, or null when the record is not an object at all
 */
export function readRun(raw: unknown, problems: string[]): IShownRun | null {
  if (!isRecord(raw)) {
    problems.push('the record is not a JSON object');
    return null;
  }
  const text = (key: string) => readText(raw[key], key, problems);
  const parameters: IShownRun['parameters'] = {};
  if (raw.parameters === null || raw.parameters === undefined) {
    problems.push('parameters are missing');
  }
  for (const [key, p] of Object.entries(
    readMapping(raw.parameters ?? {}, 'parameters', problems, true)
  )) {
    if (isRecord(p) && typeof p.text === 'string') {
      setOwn(parameters, key, {
        value: readValue(p.value) ?? null,
        text: p.text
      });
    } else {
      problems.push(`parameter "${key}" is not a typed value`);
      const value = readValue(p);
      setOwn(parameters, key, {
        value: value ?? null,
        text: value === undefined ? jsonText(p) : formatValue(value)
      });
    }
  }
  const labels: { [key: string]: string } = {};
  for (const [key, v] of Object.entries(
    readMapping(raw.labels ?? {}, 'labels', problems, true)
  )) {
    const value = readText(v, `label "${key}"`, problems);
    if (value !== null) {
      setOwn(labels, key, value);
    }
  }
  const metrics: IShownRun['metrics'] = {};
  for (const [key, series] of Object.entries(
    readMapping(raw.metrics ?? {}, 'metrics', problems, true)
  )) {
    if (!Array.isArray(series)) {
      problems.push(`metric "${key}" is not a series`);
      continue;
    }
    let malformed = false;
    const points = series.flatMap(p => {
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
    setOwn(metrics, key, points);
    if (malformed) {
      problems.push(`metric "${key}" has malformed points`);
    }
  }
  const models: IShownRun['models'] = [];
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
    schema: 'dotscience.run/2',
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
    warnings: readWarnings(raw.warnings, problems),
    verdict: readVerdict(raw.verdict, problems),
    reproduces: text('reproduces'),
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
export function readFiles(raw: unknown, problems: string[]): IShownFile[] {
  if (!Array.isArray(raw)) {
    problems.push('files is not a list');
    return [];
  }
  const files: IShownFile[] = [];
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
): IShownNotebook | null {
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
  const cells: IShownNotebook['content']['cells'] = [];
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
