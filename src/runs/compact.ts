import { RestWire } from '../api/rest';
import { ownValue } from '../values';

type Summary = RestWire.IRunSummary;
type TypedValue = RestWire.IRunSummary['metrics'][string];

/**
 * A run summary's maps from a key to a value: its parameters' texts, its labels, and its
 * metrics' last, smallest and largest values.
 */
export type SummaryMap =
  'parameters' | 'labels' | 'metrics' | 'metric_min' | 'metric_max';

/**
 * What each map holds.
 */
export interface ISummaryValues {
  parameters: string;
  labels: string;
  metrics: TypedValue;
  metric_min: TypedValue;
  metric_max: TypedValue;
}

const MAPS: readonly SummaryMap[] = [
  'parameters',
  'labels',
  'metrics',
  'metric_min',
  'metric_max'
];
const IS_MAP = new Set<string>(MAPS);

/**
 * The keys of one map across a page of runs, in the order they are first seen, and each
 * key's place.
 */
class KeyTable {
  readonly keys: string[] = [];
  readonly at = new Map<string, number>();

  add(key: string): void {
    if (!this.at.has(key)) {
      this.at.set(key, this.keys.length);
      this.keys.push(key);
    }
  }
}

/**
 * One map of a run as the values alone, in the order of its page's key table (a key the
 * run does not have is a hole). An array of numbers is stored unboxed, and one key table
 * serves a whole page, so a run with 150 parameters and 50 metrics is a few arrays, not
 * five dictionaries of boxed values.
 */
interface IPacked {
  table: KeyTable;
  values: unknown[];
}

/**
 * A run summary kept compactly (see `compactRuns`). It is a whole `IRunSummary`: its maps
 * are made again from the packed values when asked for (`run.parameters`); code that
 * reads many values, such as the Runs table's cells, reads them with `summaryValue`
 * without making any object.
 */
export class CompactRun implements Summary {
  warnings!: Summary['warnings'];
  verdict!: Summary['verdict'];
  reproduces!: Summary['reproduces'];
  id!: string;
  project!: string;
  author!: string;
  description!: string | null;
  status!: Summary['status'];
  error!: string | null;
  mode!: string | null;
  notebook!: string | null;
  workload_file!: string | null;
  start!: string | null;
  end!: string | null;
  received!: string;
  imported!: boolean;

  /**
   * @param run the summary as the server sent it (its maps are not kept)
   * @param tables the page's key table of each map
   */
  constructor(run: Summary, tables: Record<SummaryMap, KeyTable>) {
    for (const name of Object.keys(run)) {
      if (!IS_MAP.has(name) && !(name in this)) {
        (this as Record<string, unknown>)[name] = (
          run as unknown as Record<string, unknown>
        )[name];
      }
    }
    for (const name of MAPS) {
      const map = run[name] as Record<string, unknown> | undefined;
      if (map === undefined || map === null) {
        continue;
      }
      const table = tables[name];
      const values = new Array<unknown>(table.keys.length);
      for (const key of Object.keys(map)) {
        values[table.at.get(key)!] = map[key];
      }
      this._packed[name] = { table, values };
    }
  }

  get parameters(): Summary['parameters'] {
    return this._unpack('parameters') ?? {};
  }

  get labels(): Summary['labels'] {
    return this._unpack('labels') ?? {};
  }

  get metrics(): Summary['metrics'] {
    return this._unpack('metrics') ?? {};
  }

  get metric_min(): Summary['metric_min'] {
    return this._unpack('metric_min');
  }

  get metric_max(): Summary['metric_max'] {
    return this._unpack('metric_max');
  }

  /**
   * One value of a map (undefined when the run has no such key).
   *
   * @param map the map
   * @param key the key
   * @returns the value
   */
  value<M extends SummaryMap>(
    map: M,
    key: string
  ): ISummaryValues[M] | undefined {
    const packed = this._packed[map];
    if (!packed) {
      return undefined;
    }
    const at = packed.table.at.get(key);
    return at === undefined
      ? undefined
      : (packed.values[at] as ISummaryValues[M] | undefined);
  }

  /**
   * The keys of the map's key table: every key of this map in the runs of this run's
   * page (one array shared by them, so a caller can tell it has seen it).
   *
   * @param map the map
   * @returns the keys
   */
  pageKeys(map: SummaryMap): readonly string[] {
    return this._packed[map]?.table.keys ?? [];
  }

  private _unpack<T>(map: SummaryMap): Record<string, T> | undefined {
    const packed = this._packed[map];
    if (!packed) {
      return undefined;
    }
    const out: Record<string, T> = {};
    packed.table.keys.forEach((key, i) => {
      const value = packed.values[i];
      if (value !== undefined) {
        out[key] = value as T;
      }
    });
    return out;
  }

  private _packed: Partial<Record<SummaryMap, IPacked>> = {};
}

/**
 * A page of run summaries kept compactly: one key table per map for the whole page, each
 * run's values in arrays. The Runs table keeps every page it loads (thousands of runs with
 * hundreds of values each), and as parsed each run's 150 parameters are a dictionary of
 * their own and each metric value a boxed number: a fraction of the objects leaves the
 * garbage collector less to mark and move while the table scrolls.
 *
 * @param runs the page's runs as parsed
 * @returns the same runs, compact
 */
export function compactRuns(runs: readonly Summary[]): CompactRun[] {
  const tables = {} as Record<SummaryMap, KeyTable>;
  for (const name of MAPS) {
    tables[name] = new KeyTable();
  }
  for (const run of runs) {
    for (const name of MAPS) {
      const map = run[name];
      if (map !== undefined && map !== null) {
        Object.keys(map).forEach(key => tables[name].add(key));
      }
    }
  }
  return runs.map(run => new CompactRun(run, tables));
}

/**
 * One value of a run's map, from a plain summary or a compact one (a key such as
 * `constructor` is a key like any other, never something inherited).
 *
 * @param run the run
 * @param map the map
 * @param key the key
 * @returns the value, undefined when the run has none
 */
export function summaryValue<M extends SummaryMap>(
  run: Summary,
  map: M,
  key: string
): ISummaryValues[M] | undefined {
  if (run instanceof CompactRun) {
    return run.value(map, key);
  }
  return ownValue(
    run[map] as Record<string, ISummaryValues[M]> | undefined,
    key
  );
}

/**
 * The keys of a run's map, for collecting the keys of many runs: a plain summary's own
 * keys, or a compact run's page keys (every key of that map in its page: a superset, and
 * the same array for every run of the page).
 *
 * @param run the run
 * @param map the map
 * @returns the keys
 */
export function keysSeen(run: Summary, map: SummaryMap): readonly string[] {
  if (run instanceof CompactRun) {
    return run.pageKeys(map);
  }
  const values = run[map];
  return values ? Object.keys(values) : [];
}

/**
 * The keys of one map across many runs. A compact page's runs share one key array, which
 * is added once, not once per run.
 */
export class KeyCollector {
  /**
   * @param map the map whose keys are collected
   */
  constructor(readonly map: SummaryMap) {}

  /**
   * The keys collected.
   */
  readonly keys = new Set<string>();

  /**
   * Add a run's keys.
   *
   * @param run the run
   */
  add(run: Summary): void {
    const keys = keysSeen(run, this.map);
    if (keys !== this._last) {
      keys.forEach(k => this.keys.add(k));
      this._last = keys;
    }
  }

  private _last: readonly string[] | null = null;
}
