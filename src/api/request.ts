import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * An error answered by the Dotscience REST API, with its one-sentence message.
 */
export class APIError extends Error {
  /**
   * @param status HTTP status code
   * @param message the server's message
   * @param body the whole parsed answer (some errors carry more than the message)
   */
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown = null
  ) {
    super(message);
  }
}

/**
 * Call a Dotscience REST route.
 *
 * @param endPoint path below `dotscience/api/`
 * @param init fetch options
 * @param settings server connection settings (defaults to the page's)
 * @returns the parsed JSON body
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'dotscience', 'api', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  if (!response.ok) {
    throw await responseError(response);
  }
  return parsed(await response.text()) as T;
}

/**
 * The error for an answer that is not a success, read from its body.
 *
 * @param response the answer
 * @returns the error, with the server's sentence
 */
export async function responseError(response: Response): Promise<APIError> {
  const data = parsed(await response.text());
  return apiError(response.status, response.statusText, data);
}

/**
 * A body's JSON, or its text when it is not JSON.
 *
 * @param text the body
 * @returns what it holds
 */
function parsed(text: string): unknown {
  if (text.length > 0) {
    try {
      return JSON.parse(text);
    } catch {
      // not JSON: the text itself (an error's message)
    }
  }
  return text;
}

/**
 * The error for a response that is not a success: the server's one sentence (`error` or
 * `message` of its JSON answer), else the status.
 *
 * @param status HTTP status code
 * @param statusText the status's text
 * @param data the parsed answer (or its text)
 * @returns the error
 */
export function apiError(
  status: number,
  statusText: string,
  data: unknown
): APIError {
  const body = data as { error?: unknown; message?: unknown } | null;
  const said =
    body && typeof body === 'object' ? (body.error ?? body.message) : null;
  const message =
    typeof said === 'string' && said ? said : `${status} ${statusText}`;
  return new APIError(status, message, data);
}

/**
 * An error as one sentence for the user.
 *
 * @param e what was thrown
 * @returns its message
 */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
