import { ReactWidget, SidePanel, UseSignal } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import React from 'react';
import { CurrentRun } from './components/CurrentRun';
import { ServerInfo } from './components/ServerInfo';
import { dotscienceIcon } from './icons';
import { IDotscienceSidebar, IKernelRun, IRunTracker } from './tokens';

/**
 * The "Server" section: connection state and the versions of the three parts.
 */
export class ServerSection extends ReactWidget {
  /**
   * @param tracker the run tracker to render
   */
  constructor(private readonly tracker: IRunTracker) {
    super();
    this.addClass('jp-Dotscience-section');
    this.title.label = 'Server';
  }

  protected render(): JSX.Element {
    const tracker = this.tracker;
    return (
      <UseSignal signal={tracker.changed}>
        {() => (
          <div className="jp-Dotscience-panel">
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

/**
 * The Dotscience sidebar: an accordion of sections that plugins add.
 */
export class DotscienceSidebar extends SidePanel implements IDotscienceSidebar {
  constructor() {
    super();
    this.id = 'jp-Dotscience-sidebar';
    this.addClass('jp-Dotscience-sidebar');
    this.title.icon = dotscienceIcon;
    this.title.caption = 'Dotscience';
    const heading = new Widget();
    heading.node.innerHTML = '<h2>Dotscience</h2>';
    heading.addClass('jp-Dotscience-header');
    this.header.addWidget(heading);
  }

  /**
   * Add a section, ordered by rank (lower first).
   *
   * @param widget the section; its `title.label` is the section heading
   * @param rank the position among sections
   */
  addSection(widget: Widget, rank: number): void {
    Private.rank.set(widget, rank);
    const ranks = this.widgets.map(w => Private.rank.get(w) ?? 0);
    const index = ranks.findIndex(r => r > rank);
    this.insertWidget(index < 0 ? this.widgets.length : index, widget);
  }
}

namespace Private {
  export const rank = new WeakMap<Widget, number>();
}

/**
 * The "Current run" section: follows the tracker's current run (the active notebook's).
 */
export class CurrentRunSection extends ReactWidget {
  /**
   * @param tracker the run tracker
   */
  constructor(private readonly tracker: IRunTracker) {
    super();
    this.addClass('jp-Dotscience-section');
    this.id = 'jp-Dotscience-currentRun';
    this.addClass('jp-Dotscience-currentRunSection');
    this.title.label = 'Current run';
    tracker.currentChanged.connect(this._follow, this);
    this._follow();
  }

  dispose(): void {
    this.tracker.currentChanged.disconnect(this._follow, this);
    this._run?.changed.disconnect(this._schedule, this);
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <div className="jp-Dotscience-panel">
        <CurrentRun run={this._run} />
      </div>
    );
  }

  private _follow(): void {
    this._run?.changed.disconnect(this._schedule, this);
    this._run = this.tracker.current;
    this._run?.changed.connect(this._schedule, this);
    this.update();
  }

  // Coalesce bursts of kernel messages into one render per animation frame.
  private _schedule(): void {
    if (this._frame === 0) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this.update();
      });
    }
  }

  private _run: IKernelRun | null = null;
  private _frame = 0;
}
