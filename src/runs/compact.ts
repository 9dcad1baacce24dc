import { RestWire } from '../api/rest';
import { ownValue, setOwn } from '../values';
import { IPackedMap, IPackedPage, packingModule, SummaryMap } from './packing';

export type { SummaryMap } from './packing';

type Summary = RestWire.IRunSummary;
type TypedValue = RestWire.IRunSummary['metrics'][string];

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

/**
 * One packed map with each key's place.
 */
class MapView {
  constructor(readonly packed: IPackedMap) {
    packed.keys.forEach((key, i) => this.at.set(key, i));
  }

  readonly at = new Map<string, number>();

  value(row: number, key: string): unknown {
    const p = this.packed;
    if (!p.present[row]) {
      return undefined;
    }
    if (p.sparse) {
      return ownValue(p.sparse[row], key);
    }
    const k = this.at.get(key);
    if (k === undefined) {
      return undefined;
    }
    const cell = row * p.keys.length + k;
    const code = p.codes[cell];
    return code === -1
      ? undefined
      : code === -2
        ? p.numbers![cell]
        : p.values[code];
  }

  unpack(row: number): Record<string, unknown> | undefined {
    if (!this.packed.present[row]) {
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const key of this.packed.keys) {
      const value = this.value(row, key);
      if (value !== undefined) {
        setOwn(out, key, value);
      }
    }
    return out;
  }
}

type PageView = Partial<Record<SummaryMap, MapView>>;

/**
 * A run summary read from a packed page (see `src/runs/packing.ts`). It is a whole
 * `IRunSummary`: its maps are made from the packed page when asked for
 * (`run.parameters`); code that reads many values, such as the Runs table's cells, reads
 * them with `summaryValue` without making any object.
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
   * @param fields the run's fields but its maps
   * @param page the packed page's maps
   * @param row the run's place in its page
   */
  constructor(
    fields: Record<string, unknown>,
    private readonly _page: PageView,
    private readonly _row: number
  ) {
    for (const name of Object.keys(fields)) {
      if (!(name in this)) {
        (this as Record<string, unknown>)[name] = fields[name];
      }
    }
  }

  get parameters(): Summary['parameters'] {
    return (this._unpack('parameters') ?? {}) as Summary['parameters'];
  }

  get labels(): Summary['labels'] {
    return (this._unpack('labels') ?? {}) as Summary['labels'];
  }

  get metrics(): Summary['metrics'] {
    return (this._unpack('metrics') ?? {}) as Summary['metrics'];
  }

  get metric_min(): Summary['metric_min'] {
    return this._unpack('metric_min') as Summary['metric_min'];
  }

  get metric_max(): Summary['metric_max'] {
    return this._unpack('metric_max') as Summary['metric_max'];
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
    return this._page[map]?.value(this._row, key) as
      ISummaryValues[M] | undefined;
  }

  /**
   * The keys of a map in this run's page: every key of this map in the page's runs (one
   * array shared by them, so a caller can tell it has seen it).
   *
   * @param map the map
   * @returns the keys
   */
  pageKeys(map: SummaryMap): readonly string[] {
    return this._page[map]?.packed.keys ?? [];
  }

  private _unpack(map: SummaryMap): Record<string, unknown> | undefined {
    return this._page[map]?.unpack(this._row);
  }
}

/**
 * The runs of a packed page, and the rest of the page.
 *
 * @param packed the packed page
 * @returns the page with its runs
 */
export function unpackPage(packed: IPackedPage): {
  page: Record<string, unknown>;
  runs: CompactRun[];
} {
  const view: PageView = {};
  for (const [name, map] of Object.entries(packed.maps)) {
    view[name as SummaryMap] = new MapView(map!);
  }
  return {
    page: packed.page,
    runs: packed.runs.map((fields, row) => new CompactRun(fields, view, row))
  };
}

const { packPage } = packingModule();

/**
 * Parsed run summaries packed here, on the main thread (for a page that did not come
 * through the worker).
 *
 * @param runs the runs as parsed
 * @returns the same runs, compact
 */
export function compactRuns(runs: readonly Summary[]): CompactRun[] {
  return unpackPage(packPage({ runs })).runs;
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
