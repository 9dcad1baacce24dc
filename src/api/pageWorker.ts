import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { IPackedPage, packingModule } from '../runs/packing';
import { APIError, apiError, requestAPI } from './request';

/**
 * What the worker answers for one request.
 */
type Reply =
  | { ready: true }
  | { id: number; packed: IPackedPage }
  | { id: number; status: number; statusText: string; data: unknown }
  | { id: number; network: string };

/**
 * The worker's body, self-contained (its source text is the worker's script): fetch a
 * page, parse it, pack it, and hand its buffers over without copying.
 *
 * @param pack the packing (`packingModule()`, made inside the worker)
 */
function workerBody(pack: ReturnType<typeof packingModule>): void {
  const scope = self as any;
  scope.onmessage = async (event: MessageEvent) => {
    const { id, url, headers } = event.data as {
      id: number;
      url: string;
      headers: Record<string, string>;
    };
    try {
      const response = await fetch(url, {
        headers,
        credentials: 'same-origin',
        cache: 'no-store'
      });
      const text = await response.text();
      let data: unknown = text;
      if (text.length > 0) {
        try {
          data = JSON.parse(text);
        } catch {
          // not JSON: the text is the error's
        }
      }
      if (!response.ok) {
        scope.postMessage({
          id,
          status: response.status,
          statusText: response.statusText,
          data
        });
        return;
      }
      const packed = pack.packPage(data);
      scope.postMessage({ id, packed }, pack.transfers(packed));
    } catch (e) {
      scope.postMessage({ id, network: String((e as Error)?.message ?? e) });
    }
  };
  scope.postMessage({ ready: true });
}

/**
 * The worker's script: its body, given the packing (both from their source text, so
 * neither may use a name from outside itself).
 *
 * @returns the script
 */
export function workerSource(): string {
  return `(${workerBody.toString()})((${packingModule.toString()})());`;
}

/**
 * Fetches pages of `GET runs` in a worker and hands them over packed, so a page's parse
 * and the garbage it leaves are not on the main thread while the Runs table scrolls.
 * Pages asked for while the worker starts (the table's first), and every page where no
 * worker can be started (no `Worker`, or a policy that forbids one), are fetched and
 * packed on the main thread instead.
 */
export class PageFetcher {
  /**
   * One page, packed.
   *
   * @param endPoint path below `dotscience/api/` with its query (`runs?...`)
   * @param settings server connection settings (defaults to the page's)
   * @returns the packed page
   */
  fetch(
    endPoint: string,
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ): Promise<IPackedPage> {
    const worker = this._start();
    if (!worker || !this._ready) {
      // no worker, or one still starting (about 100 ms): the table's first page does
      // not wait for it
      return this._onMain(endPoint, settings);
    }
    const id = ++this._next;
    const url = new URL(
      URLExt.join(settings.baseUrl, 'dotscience', 'api', endPoint),
      location.href
    ).href;
    return new Promise<IPackedPage>((resolve, reject) => {
      this._pending.set(id, { resolve, reject, endPoint, settings });
      worker.postMessage({ id, url, headers: headersFor(settings) });
    });
  }

  /**
   * Stop the worker (pages asked for after this are fetched on the main thread).
   */
  dispose(): void {
    this._stop();
  }

  /**
   * Whether pages are fetched by the worker (false until it has started, and where there
   * is none).
   */
  get inWorker(): boolean {
    return this._worker !== null && this._ready;
  }

  private _start(): Worker | null {
    if (this._worker || this._failed) {
      return this._worker;
    }
    try {
      const url = URL.createObjectURL(
        new Blob([workerSource()], { type: 'text/javascript' })
      );
      this._worker = new Worker(url);
      URL.revokeObjectURL(url);
    } catch {
      this._failed = true;
      return null;
    }
    this._worker.onmessage = (event: MessageEvent<Reply>) =>
      this._onReply(event.data);
    // a worker that cannot run (a content security policy, say): the main thread fetches
    // every page, those asked for already included
    this._worker.onerror = () => this._stop();
    return this._worker;
  }

  private _onReply(reply: Reply): void {
    if ('ready' in reply) {
      this._ready = true;
      return;
    }
    const pending = this._pending.get(reply.id);
    if (!pending) {
      return;
    }
    this._pending.delete(reply.id);
    if ('packed' in reply) {
      pending.resolve(reply.packed);
    } else if ('network' in reply) {
      pending.reject(
        new ServerConnection.NetworkError(new TypeError(reply.network))
      );
    } else if (reply.status === 401 || reply.status === 403) {
      // refused to the worker but perhaps not to the page (a login the worker's request
      // does not carry): ask from the main thread, and keep to it if that is answered
      this._onMain(pending.endPoint, pending.settings).then(packed => {
        this._stop();
        pending.resolve(packed);
      }, pending.reject);
    } else {
      pending.reject(apiError(reply.status, reply.statusText, reply.data));
    }
  }

  private _stop(): void {
    this._worker?.terminate();
    this._worker = null;
    this._failed = true;
    this._fallBack();
  }

  private _fallBack(): void {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) {
      this._onMain(p.endPoint, p.settings).then(p.resolve, p.reject);
    }
  }

  private async _onMain(
    endPoint: string,
    settings: ServerConnection.ISettings
  ): Promise<IPackedPage> {
    return PACKING.packPage(await requestAPI<unknown>(endPoint, {}, settings));
  }

  private _worker: Worker | null = null;
  private _ready = false;
  private _failed = typeof Worker === 'undefined';
  private _next = 0;
  private _pending = new Map<
    number,
    {
      resolve: (packed: IPackedPage) => void;
      reject: (error: Error | APIError) => void;
      endPoint: string;
      settings: ServerConnection.ISettings;
    }
  >();
}

const PACKING = packingModule();

/**
 * The headers `ServerConnection.makeRequest` would send with a GET: the token, when the
 * page has one, and the XSRF cookie's value.
 *
 * @param settings the server connection settings
 * @returns the headers
 */
function headersFor(
  settings: ServerConnection.ISettings
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (settings.token) {
    headers['Authorization'] = `token ${settings.token}`;
  }
  const xsrf = /\b_xsrf=([^;]*)\b/.exec(document.cookie);
  if (xsrf) {
    headers['X-XSRFToken'] = xsrf[1];
  }
  return headers;
}
