import { KernelRunModel } from '../../kernel/kernelRun';
import { RunTracker } from '../../tracker';
import { refreshOnPublish } from '../refreshOnPublish';

const api = {
  getVersion: async () => ({
    version: '0.1.0',
    kernel_library_version: '0.1.0',
    store: 'sqlite' as const,
    max_artifact_bytes: 2 * 1024 ** 3,
    root_dir: '/'
  })
};

describe('the Runs list follows publishes', () => {
  it('checks for new runs when the current notebook publishes a run', () => {
    // Given the Runs list wired to a tracker whose current run is a notebook's kernel run
    const tracker = new RunTracker('0.1.0', api);
    const run = new KernelRunModel('a.ipynb');
    tracker.setCurrent(run);
    let checks = 0;
    refreshOnPublish(tracker, {
      checkForNew: async () => {
        checks++;
      }
    });
    // When the kernel reports that it published a run
    run.handle({
      method: 'published',
      id: 'd3b07384-d9a0-4c9b-8f1e-2c9a1d2b3c4d',
      since: null,
      request_id: null
    });
    // Then the list looks for the new run
    expect(checks).toBe(1);
    run.dispose();
    tracker.dispose();
  });

  it('follows the run of the notebook that becomes current', () => {
    // Given the Runs list wired to a tracker, and a second notebook becoming current
    const tracker = new RunTracker('0.1.0', api);
    const first = new KernelRunModel('a.ipynb');
    const second = new KernelRunModel('b.ipynb');
    tracker.setCurrent(first);
    let checks = 0;
    refreshOnPublish(tracker, {
      checkForNew: async () => {
        checks++;
      }
    });
    tracker.setCurrent(second);
    // When the notebook now current publishes a run
    second.handle({
      method: 'published',
      id: 'b3b07384-d9a0-4c9b-8f1e-2c9a1d2b3c4d',
      since: null,
      request_id: null
    });
    // Then the list looks for the new run
    expect(checks).toBe(1);
    first.dispose();
    second.dispose();
    tracker.dispose();
  });
});
