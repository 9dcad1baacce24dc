import { ServerConnection } from '@jupyterlab/services';
import { PageFetcher, workerSource } from '../../api/pageWorker';
import { APIError } from '../../api/request';
import { summary } from '../../__tests__/runFixtures';
import { unpackPage } from '../compact';
import { IPackedPage, packingModule } from '../packing';

const { packPage, transfers } = packingModule();

/**
 * A page of `GET runs` as JSON text would give it.
 */
function pageOf(n: number): Record<string, unknown> {
  const runs = Array.from({ length: n }, (_, i) =>
    summary(i, {
      parameters: { alpha: String(i % 3), opt: i % 2 ? 'sgd' : 'adam' },
      metrics: { loss: i / 10, note: 'text', bad: { $float: 'nan' } },
      metric_min: { loss: 0 },
      metric_max: { loss: i }
    })
  );
  return JSON.parse(JSON.stringify({ runs, next_cursor: 'c2', total: 1234 }));
}

describe('packPage', () => {
  it('keeps each run, each value and the rest of the page', () => {
    const page = pageOf(6);
    const { page: rest, runs } = unpackPage(packPage(page));
    expect(rest).toEqual({ next_cursor: 'c2', total: 1234 });
    const parsed = page.runs as Record<string, unknown>[];
    expect(runs.map(r => r.id)).toEqual(parsed.map(r => r.id));
    runs.forEach((run, i) => {
      expect(run.parameters).toEqual(parsed[i].parameters);
      expect(run.metrics).toEqual(parsed[i].metrics);
      expect(run.metric_max).toEqual(parsed[i].metric_max);
      expect(run.labels).toEqual({});
      expect(run.description).toBe(`run ${i}`);
    });
  });

  it('stores numbers unboxed and each text once', () => {
    const packed = packPage(pageOf(100));
    const params = packed.maps.parameters!;
    // 100 runs share 2 keys and 5 distinct texts ('0', '1', '2', 'adam', 'sgd')
    expect(params.keys).toEqual(['alpha', 'opt']);
    expect([...params.values].sort()).toEqual(['0', '1', '2', 'adam', 'sgd']);
    expect(params.codes).toBeInstanceOf(Int32Array);
    expect(params.numbers).toBeNull();
    const metrics = packed.maps.metrics!;
    expect(metrics.numbers).toBeInstanceOf(Float64Array);
    expect(metrics.numbers![99 * 3]).toBe(9.9);
    // the typed arrays are what a worker hands over
    expect(transfers(packed)).toHaveLength(5 * 2 + 3); // 5 maps; 3 with numbers
  });

  it('keeps a map whose keys differ from run to run by run', () => {
    // each of 300 runs has 20 parameters of its own: a code per run and key would be
    // 300 x 6,000 codes for 6,000 values
    const runs = Array.from({ length: 300 }, (_, i) =>
      summary(i, {
        parameters: Object.fromEntries(
          Array.from({ length: 20 }, (_, k) => [`p${i}_${k}`, String(k)])
        )
      })
    );
    const packed = packPage({ runs });
    expect(packed.maps.parameters!.sparse).not.toBeNull();
    expect(packed.maps.parameters!.codes).toHaveLength(0);
    const { runs: back } = unpackPage(packed);
    expect(back[7].parameters).toEqual(runs[7].parameters);
    expect(back[7].value('parameters', 'p7_3')).toBe('3');
    expect(back[7].value('parameters', 'p8_3')).toBeUndefined();
    expect(back[7].value('parameters', 'constructor')).toBeUndefined();
  });

  it('tells a run without a map from one with an empty map', () => {
    const runs = [
      summary(1, { metric_min: {} }),
      summary(2, { metric_min: { loss: 1 } }),
      summary(3)
    ];
    const { runs: back } = unpackPage(packPage({ runs }));
    expect(back.map(r => r.metric_min)).toEqual([{}, { loss: 1 }, undefined]);
  });

  it('reads any page without throwing, keeping what it can', () => {
    for (const odd of [null, 7, 'runs', [], { runs: 'x' }, { runs: null }]) {
      const { runs, page } = unpackPage(packPage(odd));
      expect(runs).toEqual([]);
      expect(page).not.toHaveProperty('runs');
    }
    const { runs } = unpackPage(
      packPage({
        runs: [
          1,
          null,
          { id: 'a', parameters: 'x', metrics: [1, 2], labels: { team: 'red' } }
        ]
      })
    );
    expect(runs).toHaveLength(3);
    expect(runs[2].id).toBe('a');
    expect(runs[2].parameters).toEqual({});
    expect(runs[2].metrics).toEqual({});
    expect(runs[2].labels).toEqual({ team: 'red' });
  });
});

describe('the page worker', () => {
  /**
   * Run the worker's script as a worker would, with `self` and `fetch` given (and no
   * other name: a script that used one from its module would throw here).
   */
  function startWorker(fetch: (url: string) => Promise<Response>) {
    const posted: { message: any; transfer?: ArrayBuffer[] }[] = [];
    const scope: any = {
      postMessage: (message: unknown, transfer?: ArrayBuffer[]) =>
        posted.push({ message, transfer })
    };
    new Function('self', 'fetch', workerSource())(scope, fetch);
    const ask = async (id: number) => {
      await scope.onmessage({
        data: { id, url: 'http://lab/dotscience/api/runs', headers: {} }
      });
      return posted.find(p => p.message.id === id)!;
    };
    return ask;
  }

  it('fetches, parses and packs a page, handing its buffers over', async () => {
    const text = JSON.stringify(pageOf(3));
    const ask = startWorker(async () => new Response(text, { status: 200 }));
    const reply = await ask(1);
    const packed: IPackedPage = reply.message.packed;
    expect(unpackPage(packed).runs.map(r => r.parameters.opt)).toEqual([
      'adam',
      'sgd',
      'adam'
    ]);
    expect(reply.transfer).toHaveLength(transfers(packed).length);
  });

  it('answers an error with its status and body, and a failed fetch with its message', async () => {
    const ask = startWorker(async url =>
      url.endsWith('runs')
        ? new Response('{"error": "No such project."}', {
            status: 404,
            statusText: 'Not Found'
          })
        : new Response('')
    );
    expect((await ask(2)).message).toEqual({
      id: 2,
      status: 404,
      statusText: 'Not Found',
      data: { error: 'No such project.' }
    });
    const down = startWorker(async () => {
      throw new TypeError('Failed to fetch');
    });
    expect((await down(3)).message).toEqual({
      id: 3,
      network: 'Failed to fetch'
    });
  });
});

describe('PageFetcher without a worker', () => {
  function settings(
    fetch: (request: Request) => Promise<Response>
  ): ServerConnection.ISettings {
    return ServerConnection.makeSettings({
      baseUrl: 'http://localhost/',
      token: 'secret',
      fetch: fetch as any
    });
  }

  it('fetches and packs the page on the main thread, with the credentials', async () => {
    const asked: Request[] = [];
    const fetcher = new PageFetcher();
    const packed = await fetcher.fetch(
      'runs?limit=3',
      settings(async request => {
        asked.push(request);
        return new Response(JSON.stringify(pageOf(3)));
      })
    );
    expect(fetcher.inWorker).toBe(false);
    expect(unpackPage(packed).runs).toHaveLength(3);
    expect(asked[0].url).toMatch(
      /^http:\/\/localhost\/dotscience\/api\/runs\?limit=3/
    );
    expect(asked[0].headers.get('Authorization')).toBe('token secret');
  });

  it('says what the server said when it refuses', async () => {
    const fetcher = new PageFetcher();
    const refused = fetcher.fetch(
      'runs',
      settings(
        async () =>
          new Response('{"error": "You may not see project x."}', {
            status: 403
          })
      )
    );
    await expect(refused).rejects.toBeInstanceOf(APIError);
    await expect(refused).rejects.toThrow('You may not see project x.');
  });
});

describe('PageFetcher with a worker', () => {
  /**
   * A worker that runs the worker's script in this thread, with its own fetch.
   */
  class InProcessWorker {
    static fetch: (url: string) => Promise<Response>;
    static made: InProcessWorker[] = [];
    onmessage: ((e: { data: unknown }) => void) | null = null;
    onerror: (() => void) | null = null;
    terminated = false;
    private _scope: any = {
      postMessage: (data: unknown) =>
        setTimeout(() => this.onmessage?.({ data }), 0)
    };
    constructor() {
      InProcessWorker.made.push(this);
      new Function('self', 'fetch', workerSource())(
        this._scope,
        InProcessWorker.fetch
      );
    }
    postMessage(data: unknown): void {
      if (!this.terminated) {
        void this._scope.onmessage({ data });
      }
    }
    terminate(): void {
      this.terminated = true;
    }
  }

  const saved = { Worker: (global as any).Worker, URL: { ...URL } };
  beforeEach(() => {
    InProcessWorker.made = [];
    (global as any).Worker = InProcessWorker;
    (URL as any).createObjectURL = () => 'blob:worker';
    (URL as any).revokeObjectURL = () => undefined;
  });
  afterEach(() => {
    (global as any).Worker = saved.Worker;
    (URL as any).createObjectURL = saved.URL.createObjectURL;
    (URL as any).revokeObjectURL = saved.URL.revokeObjectURL;
  });

  const mainThread = (status: number, calls: string[]) =>
    ServerConnection.makeSettings({
      baseUrl: 'http://localhost/',
      fetch: (async (request: Request) => {
        calls.push(request.url);
        return new Response(JSON.stringify(pageOf(2)), { status });
      }) as any
    });

  const tick = () => new Promise(r => setTimeout(r, 0));

  it('gets the first page at once, and the pages after it through the worker', async () => {
    const worker: string[] = [];
    const main: string[] = [];
    InProcessWorker.fetch = async url => {
      worker.push(url);
      return new Response(JSON.stringify(pageOf(3)));
    };
    const fetcher = new PageFetcher();
    // the first page does not wait for the worker to start
    const first = await fetcher.fetch('runs?p=1', mainThread(200, main));
    expect(unpackPage(first).runs).toHaveLength(2);
    expect(main).toHaveLength(1);
    expect(InProcessWorker.made).toHaveLength(1);
    await tick();
    expect(fetcher.inWorker).toBe(true);
    const packed = await fetcher.fetch('runs?p=2', mainThread(200, main));
    expect(unpackPage(packed).runs).toHaveLength(3);
    expect(worker).toEqual(['http://localhost/dotscience/api/runs?p=2']);
    expect(main).toHaveLength(1);
    fetcher.dispose();
    expect(InProcessWorker.made[0].terminated).toBe(true);
  });

  it('asks from the main thread what the worker was refused, and keeps to it', async () => {
    // Given a server that refuses the worker's request (a login it does not carry)
    const worker: string[] = [];
    const main: string[] = [];
    InProcessWorker.fetch = async url => {
      worker.push(url);
      return new Response('{"message": "Forbidden"}', { status: 403 });
    };
    const fetcher = new PageFetcher();
    await fetcher.fetch('runs?p=1', mainThread(200, main));
    await tick();
    // When two more pages are asked for
    const second = await fetcher.fetch('runs?p=2', mainThread(200, main));
    const third = await fetcher.fetch('runs?p=3', mainThread(200, main));
    // Then both come, from the main thread, and the worker was tried once
    expect(unpackPage(second).runs).toHaveLength(2);
    expect(unpackPage(third).runs).toHaveLength(2);
    expect(worker).toEqual(['http://localhost/dotscience/api/runs?p=2']);
    expect(main.map(u => new URL(u).searchParams.get('p'))).toEqual([
      '1',
      '2',
      '3'
    ]);
    expect(fetcher.inWorker).toBe(false);
    // And a refusal the main thread gets too is the error
    const refused = new PageFetcher().fetch('runs', mainThread(403, []));
    await expect(refused).rejects.toBeInstanceOf(APIError);
  });

  it('hands the pages of a worker that cannot run to the main thread', async () => {
    InProcessWorker.fetch = () => new Promise<Response>(() => undefined);
    const main: string[] = [];
    const fetcher = new PageFetcher();
    await fetcher.fetch('runs', mainThread(200, main));
    await tick();
    const asked = fetcher.fetch('runs', mainThread(200, main));
    InProcessWorker.made[0].onerror!();
    expect(unpackPage(await asked).runs).toHaveLength(2);
    expect(main).toHaveLength(2);
    expect(fetcher.inWorker).toBe(false);
  });
});
