import { requestAPI } from './request';
import { Wire } from './tokens';

/**
 * Fetch the server extension's version information.
 *
 * @returns versions of the server extension and kernel library, and the store kind
 */
export function getVersion(): Promise<Wire.IVersionInfo> {
  return requestAPI<Wire.IVersionInfo>('version');
}
