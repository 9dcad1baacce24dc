/**
 * A page of `GET runs` packed into a few arrays: the Runs table keeps every page it loads
 * (thousands of runs with hundreds of values each), and as parsed each run's 150
 * parameters are a dictionary of their own and each metric value a boxed number. Packed,
 * a page is one code per run and key in a typed array (kept outside the JavaScript heap,
 * so the garbage collector neither marks nor moves it) and each distinct text once.
 *
 * The packing runs in a worker (`src/api/pageWorker.ts`) that also fetches and parses the
 * page, so neither the parse nor its garbage is on the main thread while the table
 * scrolls; where there is no worker it runs here. `packingModule` is therefore
 * self-contained (no imports, no outer names): the worker is made from its source text.
 */

/**
 * A run summary's maps from a key to a value.
 */
export type SummaryMap =
  'parameters' | 'labels' | 'metrics' | 'metric_min' | 'metric_max';

/**
 * One map over a page's runs.
 */
export interface IPackedMap {
  /** every key of this map in the page, in the order first seen */
  keys: string[];
  /** per run: 1 when the run has this map (even empty), 0 when it has none */
  present: Uint8Array;
  /**
   * per run and key (run-major: `run * keys.length + key`): -1 no value, -2 a number in
   * `numbers`, otherwise the index of the value in `values`
   */
  codes: Int32Array;
  /** the numbers, where `codes` says -2 (null when the page has none) */
  numbers: Float64Array | null;
  /** each distinct value that is not a number, once */
  values: unknown[];
  /**
   * instead of `codes`, for a map whose keys differ from run to run (so a code per run
   * and key would be mostly empty): each run's own map, or null
   */
  sparse: (Record<string, unknown> | null)[] | null;
}

/**
 * A page of runs, packed.
 */
export interface IPackedPage {
  /** every field of the page but `runs` (`next_cursor`, `total`) */
  page: Record<string, unknown>;
  /** each run's fields but its maps */
  runs: Record<string, unknown>[];
  /** each map, where any run of the page has it */
  maps: Partial<Record<SummaryMap, IPackedMap>>;
}

/**
 * The packing, as one self-contained function (its source text becomes the worker's).
 *
 * @returns `packPage`, and `transfers` (the buffers a packed page can hand over to
 *   another thread without copying)
 */
export function packingModule(): {
  packPage: (page: unknown) => IPackedPage;
  transfers: (packed: IPackedPage) => ArrayBuffer[];
} {
  const MAPS = [
    'parameters',
    'labels',
    'metrics',
    'metric_min',
    'metric_max'
  ] as const;

  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);

  function packMap(
    runs: Record<string, unknown>[],
    name: string
  ): IPackedMap | null {
    const keys: string[] = [];
    const at = new Map<string, number>();
    let any = false;
    let entries = 0;
    for (const run of runs) {
      const map = run[name];
      if (isObject(map)) {
        any = true;
        const own = Object.keys(map);
        entries += own.length;
        for (const key of own) {
          if (!at.has(key)) {
            at.set(key, keys.length);
            keys.push(key);
          }
        }
      }
    }
    if (!any) {
      return null;
    }
    const width = keys.length;
    const present = new Uint8Array(runs.length);
    if (runs.length * width > 4 * entries + 4096) {
      const sparse = runs.map((run, r) => {
        const map = run[name];
        present[r] = isObject(map) ? 1 : 0;
        return isObject(map) ? map : null;
      });
      return {
        keys,
        present,
        codes: new Int32Array(0),
        numbers: null,
        values: [],
        sparse
      };
    }
    const codes = new Int32Array(runs.length * width).fill(-1);
    let numbers: Float64Array | null = null;
    const values: unknown[] = [];
    const known = new Map<unknown, number>();
    runs.forEach((run, r) => {
      const map = run[name];
      if (!isObject(map)) {
        return;
      }
      present[r] = 1;
      for (const key of Object.keys(map)) {
        const value = map[key];
        const cell = r * width + at.get(key)!;
        if (typeof value === 'number') {
          numbers = numbers ?? new Float64Array(runs.length * width);
          numbers[cell] = value;
          codes[cell] = -2;
        } else if (value === undefined) {
          continue;
        } else if (isObject(value) || Array.isArray(value)) {
          codes[cell] = values.length; // an object ({"$float": "nan"}) is kept as it is
          values.push(value);
        } else {
          let index = known.get(value);
          if (index === undefined) {
            index = values.length;
            known.set(value, index);
            values.push(value);
          }
          codes[cell] = index;
        }
      }
    });
    return { keys, present, codes, numbers, values, sparse: null };
  }

  function packPage(page: unknown): IPackedPage {
    const source = isObject(page) ? page : {};
    const runs = (Array.isArray(source.runs) ? source.runs : []).map(run =>
      isObject(run) ? run : {}
    );
    const rest: Record<string, unknown> = {};
    for (const key of Object.keys(source)) {
      if (key !== 'runs') {
        rest[key] = source[key];
      }
    }
    const maps: Partial<Record<SummaryMap, IPackedMap>> = {};
    for (const name of MAPS) {
      const packed = packMap(runs, name);
      if (packed) {
        maps[name] = packed;
      }
    }
    const fields = runs.map(run => {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(run)) {
        if (!(MAPS as readonly string[]).includes(key)) {
          out[key] = run[key];
        }
      }
      return out;
    });
    return { page: rest, runs: fields, maps };
  }

  function transfers(packed: IPackedPage): ArrayBuffer[] {
    const out: ArrayBuffer[] = [];
    for (const name of MAPS) {
      const map = packed.maps[name];
      if (map) {
        out.push(
          map.present.buffer as ArrayBuffer,
          map.codes.buffer as ArrayBuffer
        );
        if (map.numbers) {
          out.push(map.numbers.buffer as ArrayBuffer);
        }
      }
    }
    return out;
  }

  return { packPage, transfers };
}
