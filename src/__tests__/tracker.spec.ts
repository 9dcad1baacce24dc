import { RunTracker } from '../tracker';
import { Wire } from '../tokens';

const info = (
  version: string,
  kernel: string | null = version
): Wire.IVersionInfo => ({
  version,
  kernel_library_version: kernel,
  store: 'sqlite',
  max_artifact_bytes: 2 * 1024 ** 3,
  root_dir: '/work'
});

describe('RunTracker', () => {
  it('shows no version warning when all three parts agree', async () => {
    // Given a server that reports the frontend's own version
    const tracker = new RunTracker('1.2.3', {
      getVersion: async () => info('1.2.3')
    });
    // When the tracker connects
    await tracker.refresh();
    // Then it is connected and has nothing to warn about
    expect(tracker.status).toBe('connected');
    expect(tracker.versionWarnings).toEqual([]);
    tracker.dispose();
  });

  it('warns in a sentence naming both versions on a mismatch', async () => {
    // Given a server one release ahead of the frontend, with an old kernel library
    const tracker = new RunTracker('1.2.3', {
      getVersion: async () => info('1.3.0', '1.1.0')
    });
    // When the tracker connects
    await tracker.refresh();
    // Then the user is told which versions disagree
    expect(tracker.versionWarnings).toHaveLength(2);
    expect(tracker.versionWarnings[0]).toContain('1.2.3');
    expect(tracker.versionWarnings[0]).toContain('1.3.0');
    expect(tracker.versionWarnings[1]).toContain('1.1.0');
    tracker.dispose();
  });

  it('reports an unreachable server with the reason and emits a change', async () => {
    // Given a server extension that is not there
    const tracker = new RunTracker('1.2.3', {
      getVersion: async () => {
        throw new Error('404 Not Found');
      }
    });
    const seen: string[] = [];
    tracker.changed.connect(() => seen.push(tracker.status));
    // When the tracker tries to connect
    await tracker.refresh();
    // Then the state says so, with the reason
    expect(seen).toEqual(['error']);
    expect(tracker.error).toContain('404 Not Found');
    expect(tracker.server).toBeNull();
    tracker.dispose();
  });
});
