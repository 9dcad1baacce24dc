import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { runsPlugin } from './runs/plugin';
import { keysPlugin } from './keys/plugin';
import { projectsPlugin } from './projects/plugin';
import { modelsPlugin } from './models/plugin';
import { sweepsPlugin } from './sweeps/plugin';
import { RunTracker } from './tracker';
import { notebookPlugin } from './notebook/plugin';
import { CurrentRunSection, DotscienceSidebar, ServerSection } from './sidebar';
import { CommandIDs, IDotscienceSidebar, IRunTracker } from './tokens';

// The frontend's version, from package.json (the one place it is set).
const VERSION: string = require('../package.json').version;

/**
 * The core plugin: provides the run tracker.
 */
const trackerPlugin: JupyterFrontEndPlugin<IRunTracker> = {
  id: 'jupyterlab-dotscience:tracker',
  description: 'Provides the Dotscience run tracker.',
  autoStart: true,
  provides: IRunTracker,
  activate: (app: JupyterFrontEnd): IRunTracker => {
    const tracker = new RunTracker(VERSION);
    void tracker.refresh();
    return tracker;
  }
};

/**
 * The sidebar plugin.
 */
const sidebarPlugin: JupyterFrontEndPlugin<IDotscienceSidebar> = {
  id: 'jupyterlab-dotscience:sidebar',
  description: 'The Dotscience sidebar.',
  autoStart: true,
  provides: IDotscienceSidebar,
  requires: [IRunTracker],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: IRunTracker,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): IDotscienceSidebar => {
    const sidebar = new DotscienceSidebar();
    sidebar.addSection(new CurrentRunSection(tracker), 100);
    sidebar.addSection(new ServerSection(tracker), 1000);
    app.shell.add(sidebar, 'right', { rank: 200 });
    restorer?.add(sidebar, sidebar.id);
    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Dotscience: Open Sidebar',
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(sidebar.id)
    });
    palette?.addItem({
      command: CommandIDs.openSidebar,
      category: 'Dotscience'
    });
    return sidebar;
  }
};

export default [
  trackerPlugin,
  sidebarPlugin,
  notebookPlugin,
  runsPlugin,
  keysPlugin,
  projectsPlugin,
  modelsPlugin,
  sweepsPlugin
];
