import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React from 'react';
import { ServerInfo } from './components/ServerInfo';
import { dotscienceIcon } from './icons';
import { IRunTracker } from './tokens';

/**
 * The Dotscience sidebar panel.
 */
export class DotscienceSidebar extends ReactWidget {
  /**
   * @param tracker the run tracker to render
   */
  constructor(private readonly tracker: IRunTracker) {
    super();
    this.id = 'jp-Dotscience-sidebar';
    this.addClass('jp-Dotscience-sidebar');
    this.title.icon = dotscienceIcon;
    this.title.caption = 'Dotscience';
  }

  protected render(): JSX.Element {
    const tracker = this.tracker;
    return (
      <UseSignal signal={tracker.changed}>
        {() => (
          <div className="jp-Dotscience-panel">
            <header className="jp-Dotscience-header">
              <h2>Dotscience</h2>
            </header>
            <ServerInfo
              frontendVersion={tracker.frontendVersion}
              server={tracker.server}
              status={tracker.status}
              error={tracker.error}
              warnings={tracker.versionWarnings}
              onRetry={() => void tracker.refresh()}
            />
          </div>
        )}
      </UseSignal>
    );
  }
}
