import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { ISignal } from '@lumino/signaling';
import React from 'react';

/**
 * What a tab's content renders: a model that says when it changed, disposed with the tab.
 */
export interface IContentModel {
  readonly changed: ISignal<any, void>;
  dispose(): void;
}

/**
 * A main-area tab's content: rendered again whenever its model changes; closing the tab
 * disposes the model.
 */
export abstract class ModelContent<
  M extends IContentModel
> extends ReactWidget {
  /**
   * @param model what the tab shows
   * @param className the content's CSS class
   */
  constructor(
    readonly model: M,
    className: string
  ) {
    super();
    this.addClass(className);
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => this.renderModel()}
      </UseSignal>
    );
  }

  /**
   * The view of the model as it is now.
   */
  protected abstract renderModel(): JSX.Element;

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}
