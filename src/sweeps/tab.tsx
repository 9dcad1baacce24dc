import React from 'react';
import { ModelContent } from '../components/ModelContent';
import { SweepModel } from './sweepModel';
import { SweepView } from './SweepView';

/**
 * A sweep tab's content.
 */
export class SweepContent extends ModelContent<SweepModel> {
  constructor(
    model: SweepModel,
    private readonly openRun: (id: string) => void
  ) {
    super(model, 'jp-Dotscience-sweepContent');
  }

  protected renderModel(): JSX.Element {
    const m = this.model;
    if (!m.sweep) {
      return m.error ? (
        <div className="jp-Dotscience-error" role="alert">
          {m.error}
        </div>
      ) : (
        <div className="jp-Dotscience-muted">Loading the sweep…</div>
      );
    }
    return (
      <SweepView
        sweep={m.sweep}
        error={m.error}
        cancelling={m.cancelling}
        onCancel={() => void m.cancel()}
        onOpenRun={this.openRun}
      />
    );
  }
}
