import React from 'react';
import { ModelContent } from '../components/ModelContent';
import { DiffModel } from './diffModel';
import { DiffView } from './DiffView';

/**
 * The content of a diff tab.
 */
export class DiffContent extends ModelContent<DiffModel> {
  /**
   * @param model the diff
   * @param onOpenRun open a run's detail
   */
  constructor(
    model: DiffModel,
    private readonly onOpenRun: (id: string) => void
  ) {
    super(model, 'jp-Dotscience-diffContent');
  }

  protected renderModel(): JSX.Element {
    const { diff, error } = this.model;
    return error ? (
      <div className="jp-Dotscience-error" role="alert">
        {error}
      </div>
    ) : diff ? (
      <DiffView diff={diff} onOpenRun={this.onOpenRun} />
    ) : (
      <div className="jp-Dotscience-muted">Loading the diff…</div>
    );
  }
}
