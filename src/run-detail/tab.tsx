import React from 'react';
import { ModelContent } from '../components/ModelContent';
import { IRunActions } from '../runs/actions';
import { RunDetailModel } from './detailModel';
import { RunDetail } from './RunDetail';

/**
 * The content of a run's detail tab.
 */
export class RunDetailContent extends ModelContent<RunDetailModel> {
  /**
   * @param model the run's model
   * @param actions what clicks do
   */
  constructor(
    model: RunDetailModel,
    private readonly actions: IRunActions
  ) {
    super(model, 'jp-Dotscience-detailContent');
  }

  protected renderModel(): JSX.Element {
    return (
      <RunDetail
        model={this.model}
        onOpenRun={id => this.actions.openRun(id)}
        onOpenFile={path => this.actions.openFile(path)}
        onJumpToCell={(cell, nb) => this.actions.jumpToCell(cell, nb)}
        onExport={format => this.actions.exportRun(this.model, format)}
        onDiffPrevious={
          this.actions.diffPrevious
            ? () => {
                const run = this.model.run;
                if (run?.notebook) {
                  this.actions.diffPrevious!(run.id, run.notebook);
                }
              }
            : undefined
        }
      />
    );
  }
}
