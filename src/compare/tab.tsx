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
    const { model } = this;
    const missing = model.missing.length ? (
      <div className="jp-Dotscience-muted" role="status">
        {`${model.missing.length} of the runs asked for are not available.`}
      </div>
    ) : null;
    const error = model.error ? (
      <div className="jp-Dotscience-error" role="alert">
        {model.error}
      </div>
    ) : null;
    if (!model.loaded) {
      return error ?? <div className="jp-Dotscience-muted">Loading runs…</div>;
    }
    return (
      <>
        {error}
        {missing}
        <CompareView
          runs={model.runs}
          directions={model.directions}
          kept={model.kept}
          onKeep={ids => model.keep(ids)}
          onDirection={(key, d) => void model.setDirection(key, d)}
          onOpenRun={id => this.actions.openRun(id)}
          initialView={model.view}
          onView={view => model.setView(view)}
          onDiff={
            this.actions.diff ? (a, b) => this.actions.diff!(a, b) : undefined
          }
        />
      </>
    );
  }
}
