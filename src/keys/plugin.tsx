import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import * as React from 'react';
import { ModelContent } from '../components/ModelContent';
import { IDotscienceSidebar } from '../tokens';
import { KeyList } from './KeyList';
import { KeysModel } from './keysModel';

/**
 * The "API keys" sidebar section: renders a {@link KeysModel}.
 */
export class KeysSection extends ModelContent<KeysModel> {
  /**
   * @param model the section's state
   */
  constructor(model: KeysModel) {
    super(model, 'jp-Dotscience-section');
    this.title.label = 'API keys';
  }

  protected renderModel(): JSX.Element {
    const model = this.model;
    return (
      <div className="jp-Dotscience-panel">
        <KeyList
          keys={model.keys}
          created={model.created}
          error={model.error}
          busy={model.busy}
          onCreate={(name, project, deploy) =>
            void model.create(name, project, deploy)
          }
          onRevoke={id => void model.revoke(id)}
          onDismiss={() => model.dismissCreated()}
        />
      </div>
    );
  }
}

/**
 * Adds the API keys section to the Dotscience sidebar.
 */
export const keysPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dotscience:keys',
  description: 'Create, list and revoke Dotscience API keys in the sidebar.',
  autoStart: true,
  requires: [IDotscienceSidebar],
  activate: (app: JupyterFrontEnd, sidebar: IDotscienceSidebar): void => {
    const model = new KeysModel();
    sidebar.addSection(new KeysSection(model), 900);
    void model.refresh();
  }
};
