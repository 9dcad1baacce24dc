import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React from 'react';
import { CompareView } from './components/CompareView';
import { RunDetail } from './components/RunDetail';
import { CompareModel, RunDetailModel } from './runmodel';
import { IHistoryActions } from './widgets';

/**
 * The content of a run's detail tab.
 */
export class RunDetailContent extends ReactWidget {
  /**
   * @param model the run's model
   * @param actions what clicks do
   */
  constructor(
    readonly model: RunDetailModel,
    private readonly actions: IHistoryActions
  ) {
    super();
    this.addClass('jp-Dotscience-detailContent');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <RunDetail
            model={this.model}
            onOpenRun={id => this.actions.openRun(id)}
            onOpenFile={path => this.actions.openFile(path)}
            onJumpToCell={(cell, nb) => this.actions.jumpToCell(cell, nb)}
            onExport={format => this.actions.exportRun(this.model, format)}
          />
        )}
      </UseSignal>
    );
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}

/**
 * The content of a compare tab.
 */
export class CompareContent extends ReactWidget {
  /**
   * @param model the compared runs
   * @param actions what clicks do
   */
  constructor(
    readonly model: CompareModel,
    private readonly actions: IHistoryActions
  ) {
    super();
    this.addClass('jp-Dotscience-compareContent');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() =>
          this.model.error ? (
            <div className="jp-Dotscience-error" role="alert">
              {this.model.error}
            </div>
          ) : this.model.runs.length ? (
            <CompareView
              runs={this.model.runs}
              onOpenRun={id => this.actions.openRun(id)}
            />
          ) : (
            <div className="jp-Dotscience-muted">Loading runs…</div>
          )
        }
      </UseSignal>
    );
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}
