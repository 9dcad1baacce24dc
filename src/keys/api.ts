import { requestAPI } from '../request';

/**
 * An API key as the server lists it (the secret is never included).
 */
export interface IApiKey {
  /** Public id (12 hex digits). */
  id: string;
  /** Owner. */
  username: string;
  /** What the key is for. */
  name: string | null;
  /** The only project it may publish to, or null for any. */
  project: string | null;
  /** ISO 8601 creation time. */
  created: string;
  /** ISO 8601 revocation time, or null while active. */
  revoked: string | null;
}

/**
 * A newly created key: `key` is the secret, shown once.
 */
export interface INewApiKey extends IApiKey {
  /** The full key, `dsk_<id>_<secret>`. */
  key: string;
}

/**
 * List the current user's API keys.
 *
 * @returns the keys, newest first
 */
export async function listKeys(): Promise<IApiKey[]> {
  const data = await requestAPI<{ keys: IApiKey[] }>('keys');
  return data.keys;
}

/**
 * Create an API key for the current user.
 *
 * @param name what the key is for
 * @param project limit it to publishing to this project (null: any)
 * @returns the key with its secret
 */
export async function createKey(
  name: string | null,
  project: string | null
): Promise<INewApiKey> {
  return requestAPI<INewApiKey>('keys', {
    method: 'POST',
    body: JSON.stringify({ name, project })
  });
}

/**
 * Revoke one of the current user's API keys.
 *
 * @param id the key id
 * @returns the key, now revoked
 */
export async function revokeKey(id: string): Promise<IApiKey> {
  return requestAPI<IApiKey>(`keys/${encodeURIComponent(id)}`, {
    method: 'DELETE'
  });
}
