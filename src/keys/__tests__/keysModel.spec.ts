import * as api from '../api';
import { KeysModel } from '../keysModel';

function fakeClient(): typeof api & { keys: api.IApiKey[] } {
  const keys: api.IApiKey[] = [];
  const client = {
    keys,
    listKeys: jest.fn(async () => [...keys]),
    createKey: jest.fn(
      async (
        name: string | null,
        project: string | null,
        scopes: api.IApiKey['scopes']
      ) => {
        const key = {
          id: `00000000000${keys.length}`,
          username: 'alice',
          name,
          project,
          scopes,
          created: '2026-11-27T06:30:00.000000Z',
          revoked: null
        };
        keys.unshift(key);
        return { ...key, key: `dsk_${key.id}_secret` };
      }
    ),
    revokeKey: jest.fn(async (id: string) => {
      const key = keys.find(k => k.id === id)!;
      key.revoked = '2026-11-27T07:00:00.000000Z';
      return key;
    })
  };
  return client as any;
}

describe('KeysModel', () => {
  it('shows a created key once and lists it', async () => {
    // Given the keys model over a server with no keys
    const client = fakeClient();
    const model = new KeysModel(client);
    let changes = 0;
    model.changed.connect(() => changes++);
    // When a key limited to a project is created
    await model.create(' ci ', 'iris');
    // Then its secret is available until dismissed, and the list shows it
    expect(model.created?.key).toBe('dsk_000000000000_secret');
    expect(client.createKey).toHaveBeenCalledWith('ci', 'iris', []);
    expect(model.keys.map(k => k.project)).toEqual(['iris']);
    expect(changes).toBeGreaterThan(0);
    model.dismissCreated();
    expect(model.created).toBeNull();
  });

  it('asks for the deploy scope only when told to', async () => {
    // Given the keys model
    const client = fakeClient();
    const model = new KeysModel(client);
    // When one key is created with deploy and one without
    await model.create('cd', '', true);
    await model.create('plain', '');
    // Then only the first asks for the deploy scope, and the list shows the scopes
    expect(client.createKey).toHaveBeenNthCalledWith(1, 'cd', null, ['deploy']);
    expect(client.createKey).toHaveBeenNthCalledWith(2, 'plain', null, []);
    expect(model.keys.map(k => k.scopes)).toEqual([[], ['deploy']]);
  });

  it('revokes a key and forgets its secret', async () => {
    // Given a key just created
    const client = fakeClient();
    const model = new KeysModel(client);
    await model.create('', '');
    const id = model.keys[0].id;
    // When it is revoked
    await model.revoke(id);
    // Then it shows as revoked and its secret is no longer displayed
    expect(model.keys[0].revoked).not.toBeNull();
    expect(model.created).toBeNull();
  });

  it('keeps the server error as one sentence', async () => {
    // Given a server that refuses
    const client = fakeClient();
    client.listKeys = jest.fn(async () => {
      throw new Error('An API key cannot create API keys.');
    });
    const model = new KeysModel(client);
    // When refreshing / Then the error is shown and nothing is busy
    await model.refresh();
    expect(model.error).toBe('An API key cannot create API keys.');
    expect(model.busy).toBe(false);
  });
});
