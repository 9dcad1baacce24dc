import { requestAPI } from './request';
import { Wire } from '../tokens';

/**
 * Fetch the server extension's version information.
 *
 * @returns versions of the server extension and kernel library, and the store kind
 */
export function getVersion(): Promise<Wire.IVersionInfo> {
  return requestAPI<Wire.IVersionInfo>('version');
}

/**
 * Store the notebook as it was when the run was published.
 *
 * @param runId the run id
 * @param path the notebook's root-relative path
 * @param content the notebook (nbformat JSON)
 * @returns the snapshot's path and sha256
 */
export function putRunNotebook(
  runId: string,
  path: string,
  content: unknown
): Promise<{ path: string | null; sha256: string }> {
  return requestAPI<{ path: string | null; sha256: string }>(
    `runs/${runId}/notebook`,
    { method: 'PUT', body: JSON.stringify({ path, content }) }
  );
}
