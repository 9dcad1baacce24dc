import { RestWire } from '../api/rest';
import { requestAPI } from '../api/request';

/**
 * An API key as the server lists it (the secret is never included).
 */
export type IApiKey = RestWire.IApiKey;

/**
 * A newly created key: `key` is the secret, shown once.
 */
export type INewApiKey = RestWire.INewApiKey;

/**
 * List the current user's API keys.
 *
 * @returns the keys, newest first
 */
export async function listKeys(): Promise<IApiKey[]> {
  const data = await requestAPI<{ keys: IApiKey[] }>('keys');
  return data.keys;
}

/** The scope that lets a key build and deploy models. */
export const SCOPE_DEPLOY: RestWire.KeyScope = 'deploy';

/**
 * Create an API key for the current user.
 *
 * @param name what the key is for
 * @param project limit it to publishing to this project (null: any)
 * @param scopes extra privileges, e.g. `['deploy']` (none by default)
 * @returns the key with its secret
 */
export async function createKey(
  name: string | null,
  project: string | null,
  scopes: RestWire.KeyScope[] = []
): Promise<INewApiKey> {
  return requestAPI<INewApiKey>('keys', {
    method: 'POST',
    body: JSON.stringify({ name, project, scopes })
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
