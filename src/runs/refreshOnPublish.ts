import { IKernelRun, IPublishedRun, IRunTracker } from '../tokens';

/**
 * What the Runs list offers to be refreshed.
 */
export interface IRefreshable {
  checkForNew(): Promise<void>;
}

/**
 * Look for new runs in the Runs list whenever the current notebook's kernel publishes one
 * (following the current notebook as it changes; the list polls for the others).
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
