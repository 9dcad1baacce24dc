import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React from 'react';
import { IRunsTableActions, RunsTable } from './RunsTable';
import { RunsTableModel } from './tableModel';

/**
 * The Runs table's main-area content.
 */
export class RunsTableContent extends ReactWidget {
  /**
   * @param model the table's state
   * @param actions what its buttons do (read at each render, so commands registered
   * later are picked up)
   */
  constructor(
    readonly model: RunsTableModel,
    private readonly actions: () => IRunsTableActions
  ) {
    super();
    this.addClass('jp-Dotscience-runsTableContent');
    this.ready = model.list.refresh();
  }

  /**
   * Settles when the first page is loaded.
   */
  readonly ready: Promise<void>;

  dispose(): void {
    if (!this.isDisposed) {
      this.model.dispose();
    }
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <RunsTable model={this.model} actions={this.actions()} />}
      </UseSignal>
    );
  }
}
