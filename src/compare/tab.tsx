import React from 'react';
import { ModelContent } from '../components/ModelContent';
import { IRunActions } from '../runs/actions';
import { CompareModel } from './compareModel';
import { CompareView } from './CompareView';

/**
 * The content of a compare tab.
 */
export class CompareContent extends ModelContent<CompareModel> {
  /**
   * @param model the compared runs
   * @param actions what clicks do
   */
  constructor(
    model: CompareModel,
    private readonly actions: IRunActions
  ) {
    super(model, 'jp-Dotscience-compareContent');
  }

  protected renderModel(): JSX.Element {
    return this.model.error ? (
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
    );
  }
}
