import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import React from 'react';
import { RunsPanel, Scope } from './RunsPanel';
import { RunListModel } from './listModel';
import { IRunActions } from './actions';
import { RUN_ROW_HEIGHT } from './RunList';
import type { IStretchingSection } from '../sidebar';

/**
 * How many whole runs the section asks the sidebar room for.
 */
export const PREFERRED_RUNS = 5;

/**
 * The "Runs" section of the Dotscience sidebar. It loads when first shown; new runs are
 * announced by the server's events (`refreshOnEvents`), not polled. It takes the sidebar's
 * free height, asking for at least {@link PREFERRED_RUNS} whole runs.
 */
export class RunsSection extends ReactWidget implements IStretchingSection {
  /**
   * @param model the history model
   * @param actions what clicks do
   */
  constructor(
    readonly model: RunListModel,
    private readonly actions: IRunActions
  ) {
    super();
    this.addClass('jp-Dotscience-section');
    this.addClass('jp-Dotscience-runsSection');
    this.title.label = 'Runs';
  }

  /**
   * The active notebook's path; the list follows it in notebook scope.
   */
  get notebookPath(): string | null {
    return this._notebookPath;
  }
  set notebookPath(path: string | null) {
    if (path === this._notebookPath) {
      return;
    }
    this._notebookPath = path;
    if (this._scope === 'notebook' && path) {
      void this.model.setQuery({ notebook: path });
    }
    this.update();
  }

  /**
   * Project history or the active notebook's.
   */
  get scope(): Scope {
    return this._scope;
  }
  set scope(scope: Scope) {
    if (scope === this._scope) {
      return;
    }
    this._scope = scope;
    void this.model.setQuery({
      notebook: scope === 'notebook' ? this._notebookPath : null
    });
    this.update();
  }

  /**
   * The height that shows the scope, the filters, the footer and {@link PREFERRED_RUNS}
   * whole runs, measured from what is drawn now (filter chips and banners included).
   *
   * @returns the height in px
   */
  preferredHeight(): number {
    const panel = this.node.querySelector<HTMLElement>(
      '.jp-Dotscience-runsPanel'
    );
    if (!panel) {
      return 0;
    }
    const list = panel.querySelector<HTMLElement>('.jp-Dotscience-runList');
    // Everything but the list (its box grows and shrinks with the section).
    const rest = panel.scrollHeight - (list?.offsetHeight ?? 0);
    const border = list ? list.offsetHeight - list.clientHeight : 0;
    return rest + border + PREFERRED_RUNS * RUN_ROW_HEIGHT;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._load();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this._load();
    }
  }

  private _load(): void {
    if (!this._loaded) {
      this._loaded = true;
      void this.model.refresh();
    }
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <RunsPanel
            model={this.model}
            scope={this._scope}
            notebookPath={this._notebookPath}
            onScope={scope => (this.scope = scope)}
            onOpen={id => this.actions.openRun(id)}
            onCompare={ids => this.actions.compare(ids)}
            onOpenTable={
              this.actions.openTable
                ? () => this.actions.openTable?.()
                : undefined
            }
          />
        )}
      </UseSignal>
    );
  }

  private _scope: Scope = 'project';
  private _notebookPath: string | null = null;
  private _loaded = false;
}
