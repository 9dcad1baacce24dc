import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ReactWidget, ToolbarButton } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import * as React from 'react';
import type { Message } from '@lumino/messaging';
import { IDotscienceSidebar, IRunTracker } from '../tokens';
import { ModelsPanel } from './ModelsPanel';
import { ModelsModel } from './registryModel';

/**
 * Command ids of the Models plugin.
 */
export namespace ModelsCommandIDs {
  export const publishDeploy = 'dotscience:publish-deploy';
}

/**
 * The Models section of the Dotscience sidebar.
 */
export class ModelsSection extends ReactWidget {
  /**
   * @param model the section's state
   * @param publishDeploy publishes the current run with deploy
   * @param canPublish whether a notebook is current
   */
  constructor(
    readonly model: ModelsModel,
    private _publishDeploy: () => void,
    private _canPublish: () => boolean
  ) {
    super();
    this.addClass('jp-Dotscience-section');
    this.addClass('jp-Dotscience-modelsSection');
    this.title.label = 'Models';
    model.changed.connect(this._onChanged, this);
  }

  private _onChanged(): void {
    this.update();
  }

  // the model polls the server only while this section is in view
  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.model.setShown(this.isVisible);
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.setShown(false);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setShown(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setShown(false);
  }

  render(): JSX.Element {
    return (
      <ModelsPanel
        model={this.model}
        onPublishDeploy={this._canPublish() ? this._publishDeploy : null}
      />
    );
  }
}

/**
 * Models: registry, deployments with metrics and log, and "Publish & Deploy" in the
 * notebook toolbar and the sidebar.
 */
export const modelsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dotscience:models',
  description: 'Dotscience models: registry, Publish & Deploy, deployments.',
  autoStart: true,
  requires: [IRunTracker, IDotscienceSidebar, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    tracker: IRunTracker,
    sidebar: IDotscienceSidebar,
    notebooks: INotebookTracker
  ): void => {
    const model = new ModelsModel();
    const publishDeploy = () => {
      const run = tracker.current;
      if (run && run.publish(null, { deploy: true })) {
        model.publishing();
        app.shell.activateById(sidebar.id);
      }
    };
    const section = new ModelsSection(
      model,
      publishDeploy,
      () => !!tracker.current
    );
    sidebar.addSection(section, 300);
    tracker.currentChanged.connect(() => section.update());
    model.start();
    app.commands.addCommand(ModelsCommandIDs.publishDeploy, {
      label: 'Publish & Deploy',
      caption: 'Publish the current run and deploy its models',
      describedBy: { args: { type: 'object', properties: {} } },
      isEnabled: () => !!tracker.current,
      execute: publishDeploy
    });
    const addButton = (panel: NotebookPanel) => {
      const button = new ToolbarButton({
        className: 'jp-Dotscience-publishDeployButton',
        label: 'Publish & Deploy',
        tooltip: 'Dotscience: publish this run and deploy its models',
        onClick: () => void app.commands.execute(ModelsCommandIDs.publishDeploy)
      });
      panel.toolbar.insertAfter(
        'cellType',
        'dotscience-publish-deploy',
        button
      );
    };
    notebooks.forEach(addButton);
    notebooks.widgetAdded.connect((_, panel) => addButton(panel));
  }
};
