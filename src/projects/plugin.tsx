import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import * as React from 'react';
import { ModelContent } from '../components/ModelContent';
import { IDotscienceSidebar } from '../tokens';
import { ProjectMembers } from './ProjectMembers';
import { ProjectsModel } from './projectsModel';

/**
 * The "Projects" sidebar section: renders a {@link ProjectsModel}.
 */
export class ProjectsSection extends ModelContent<ProjectsModel> {
  /**
   * @param model the section's state
   */
  constructor(model: ProjectsModel) {
    super(model, 'jp-Dotscience-section');
    this.id = 'jp-Dotscience-projects';
    this.title.label = 'Projects';
  }

  protected renderModel(): JSX.Element {
    const model = this.model;
    return (
      <div className="jp-Dotscience-panel">
        <ProjectMembers
          team={model.team}
          projects={model.projects}
          project={model.project}
          canManage={model.canManage}
          error={model.error}
          busy={model.busy}
          onSelect={name => void model.select(name)}
          onCreate={name => void model.create(name)}
          onAdd={(user, role) => void model.addMember(user, role)}
          onRemove={user => void model.removeMember(user)}
        />
      </div>
    );
  }
}

/**
 * Adds the Projects section (members; owners add and remove them) to the sidebar.
 */
export const projectsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dotscience:projects',
  description: 'List a project’s members and, for owners, add and remove them.',
  autoStart: true,
  requires: [IDotscienceSidebar],
  activate: (app: JupyterFrontEnd, sidebar: IDotscienceSidebar): void => {
    const model = new ProjectsModel();
    sidebar.addSection(new ProjectsSection(model), 850);
    void model.refresh();
  }
};
