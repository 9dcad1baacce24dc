import type { Event } from '@jupyterlab/services';
import { IKernelRun, IPublishedRun, IRunTracker } from '../tokens';

/**
 * What the Runs list offers to be refreshed.
 */
export interface IRefreshable {
  checkForNew(): Promise<void>;
}

/**
 * The id of the server's "run published" event (jupyterlab_dotscience/events/
 * run_published.yaml), emitted once for each newly stored run.
 */
export const RUN_PUBLISHED_EVENT =
  'https://events.dotscience.io/jupyterlab_dotscience/run_published/v1';

/**
 * A run-published event as the server emits it.
 */
export interface IRunPublishedEvent {
  id: string;
  project: string;
  status: 'succeeded' | 'failed';
  received: string;
}

/**
 * Read a run-published event out of any event of the server's bus.
 *
 * @param emission an event from `/api/events/subscribe`
 * @returns the event, or null when it is another event or malformed
 */
export function readRunPublished(
  emission: Event.Emission
): IRunPublishedEvent | null {
  if (emission.schema_id !== RUN_PUBLISHED_EVENT) {
    return null;
  }
  const { id, project, status, received } = emission as Record<string, unknown>;
  if (typeof id !== 'string' || typeof project !== 'string') {
    return null;
  }
  return {
    id,
    project,
    status: status === 'failed' ? 'failed' : 'succeeded',
    received: typeof received === 'string' ? received : ''
  };
}

/**
 * Show new runs as the server announces them: every run published to this server (from
 * any kernel, another tab, or with an API key) arrives as a "run published" event on the
 * Jupyter server's event bus, and each list looks for new runs then (no polling).
 *
 * @param events the service manager's event manager
 * @param lists the lists to refresh (the sidebar's, the Runs table's)
 * @returns a function that stops listening
 */
export function refreshOnEvents(
  events: Event.IManager,
  lists: () => Iterable<IRefreshable>
): () => void {
  const onEvent = (_: Event.IManager, emission: Event.Emission) => {
    if (readRunPublished(emission)) {
      for (const list of lists()) {
        void list.checkForNew();
      }
    }
  };
  events.stream.connect(onEvent);
  return () => events.stream.disconnect(onEvent);
}

/**
 * Look for new runs in the Runs list whenever the current notebook's kernel publishes one
 * (following the current notebook as it changes; the server's events announce the others).
 *
 * @param tracker the run tracker
 * @param list the Runs list
 */
export function refreshOnPublish(
  tracker: IRunTracker,
  list: IRefreshable
): void {
  const onPublished = (_: IKernelRun, published: IPublishedRun) =>
    void list.checkForNew();
  let followed: IKernelRun | null = null;
  const follow = (_: IRunTracker, run: IKernelRun | null) => {
    followed?.published.disconnect(onPublished);
    followed = run;
    followed?.published.connect(onPublished);
  };
  tracker.currentChanged.connect(follow);
  follow(tracker, tracker.current);
}
