import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import {
  INotebookTracker,
  Notebook,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import * as api from '../api/server';
import { IKernelSettings, KernelBridge } from '../kernel/bridge';
import { KernelRunModel } from '../kernel/kernelRun';
import { CommandIDs, IRunTracker, Wire } from '../tokens';
import { DeclaringCells } from './badges';

const PLUGIN_ID = 'jupyterlab-dotscience:notebook';

/**
 * The arguments of the publish and start commands.
 */
const DESCRIPTION_ARGS = {
  args: {
    type: 'object' as const,
    properties: { description: { type: 'string' as const } }
  }
};

/**
 * Everything the plugin keeps for one open notebook.
 */
interface INotebookParts {
  panel: NotebookPanel;
  model: KernelRunModel;
  bridge: KernelBridge;
  declaring: DeclaringCells;
  /** cells scheduled and not finished yet (the snapshot waits for them) */
  running: Set<string>;
  /** runs published whose notebook snapshot is not stored yet */
  uploads: string[];
}

/**
 * The notebook plugin: a kernel bridge and a run model per notebook; the active notebook's
 * run becomes the tracker's current run. A published run's notebook snapshot is stored once
 * the cells running at publish have finished (the kernel library records the executions
 * themselves). Also the run commands and the file browser's "Declare as input/output" items.
 */
export const notebookPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Connects notebook kernels to Dotscience and stores notebook snapshots of published runs.',
  autoStart: true,
  requires: [IRunTracker, INotebookTracker],
  optional: [ISettingRegistry, ICommandPalette, IFileBrowserFactory],
  activate: (
    app: JupyterFrontEnd,
    tracker: IRunTracker,
    notebooks: INotebookTracker,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    browserFactory: IFileBrowserFactory | null
  ): void => {
    let publishOnSave = false;
    let kernelSettings: IKernelSettings | null = null;
    const parts = new Map<Notebook, INotebookParts>();
    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const read = () => {
            publishOnSave = settings.get('publishOnSave').composite === true;
            const loaded = kernelSettings !== null;
            kernelSettings = {
              autolog: settings.get('autolog').composite === true,
              publishAtCellEnd:
                settings.get('publishAtCellEnd').composite === true,
              systemMetrics: settings.get('systemMetrics').composite === true,
              systemMetricsInterval: Number(
                settings.get('systemMetricsInterval').composite ?? 1
              )
            };
            // every open kernel follows a change (and, at load, gets what is switched on)
            const s = kernelSettings;
            if (loaded || s.autolog || s.publishAtCellEnd || s.systemMetrics) {
              parts.forEach(p => void p.bridge.applySettings());
            }
          };
          read();
          settings.changed.connect(read);
        })
        .catch(reason =>
          console.warn('Dotscience: cannot load settings', reason)
        );
    }

    const refreshBadges = (p: INotebookParts) =>
      p.declaring.apply(p.panel.content.widgets);

    const upload = async (p: INotebookParts) => {
      while (p.uploads.length > 0 && p.running.size === 0) {
        const id = p.uploads.shift()!;
        try {
          await api.putRunNotebook(
            id,
            p.panel.context.path,
            p.panel.context.model.toJSON()
          );
        } catch (error) {
          p.model.note(
            `Run ${id} was published, but its notebook snapshot could not be stored: ${(error as Error).message}`
          );
        }
      }
    };

    const track = (panel: NotebookPanel) => {
      const model = new KernelRunModel(panel.context.path);
      const bridge = new KernelBridge({
        sessionContext: panel.sessionContext,
        model,
        notebookPath: () => panel.context.path,
        kernelSettings: () => kernelSettings
      });
      const p: INotebookParts = {
        panel,
        model,
        declaring: new DeclaringCells(),
        running: new Set(),
        uploads: [],
        bridge
      };
      parts.set(panel.content, p);
      model.cellsDeclared.connect((_, cells) => {
        p.declaring.add(cells);
        refreshBadges(p);
      });
      model.published.connect((_, published) => {
        p.uploads.push(published.id);
        void upload(p);
      });
      panel.context.pathChanged.connect((_, path) => {
        model.notebookPath = path;
      });
      panel.context.saveState.connect((_, state) => {
        if (state !== 'completed') {
          return;
        }
        if (
          publishOnSave &&
          model.hasUnpublished &&
          !hasPendingPublish(model)
        ) {
          model.publish(null);
        }
      });
      panel.context.ready.then(() => refreshBadges(p)).catch(() => undefined);
      panel.disposed.connect(() => {
        parts.delete(panel.content);
        bridge.dispose();
        if (tracker.current === model) {
          tracker.setCurrent(null);
        }
        model.dispose();
      });
    };

    const follow = () => {
      const panel = notebooks.currentWidget;
      tracker.setCurrent(
        panel ? (parts.get(panel.content)?.model ?? null) : null
      );
    };
    // The tracker may announce a notebook as current before it announces it as added.
    notebooks.widgetAdded.connect((_, panel) => {
      track(panel);
      follow();
    });
    notebooks.forEach(panel => track(panel));
    notebooks.currentChanged.connect(follow);
    follow();

    NotebookActions.executionScheduled.connect((_, { notebook, cell }) => {
      parts.get(notebook)?.running.add(cell.model.id);
    });
    NotebookActions.executed.connect((_, { notebook, cell }) => {
      const p = parts.get(notebook);
      if (!p) {
        return;
      }
      p.running.delete(cell.model.id);
      refreshBadges(p);
      void upload(p);
    });

    // Commands.
    const current = () => tracker.current;
    const attached = () => current()?.bridge === 'attached';
    app.commands.addCommand(CommandIDs.publishRun, {
      label: 'Dotscience: Publish Run',
      caption: "Publish the active notebook kernel's current run",
      describedBy: DESCRIPTION_ARGS,
      isEnabled: attached,
      execute: args => {
        const description = (args.description as string | undefined) ?? null;
        current()?.publish(description || null);
      }
    });
    app.commands.addCommand(CommandIDs.startRun, {
      label: 'Dotscience: Start Run',
      caption: "Start a new run in the active notebook's kernel",
      describedBy: DESCRIPTION_ARGS,
      isEnabled: attached,
      execute: args => {
        current()?.start((args.description as string | undefined) || null);
      }
    });
    for (const category of ['Dotscience']) {
      palette?.addItem({ command: CommandIDs.publishRun, category });
      palette?.addItem({ command: CommandIDs.startRun, category });
    }

    if (browserFactory) {
      const declarePaths = (kind: 'input' | 'output') => {
        const browser = browserFactory.tracker.currentWidget;
        const run = current();
        if (!browser || !run) {
          return;
        }
        for (const item of Array.from(browser.selectedItems())) {
          const declaration: Wire.Kernel.IDeclaration = {
            kind,
            path: item.path,
            root_relative: true
          };
          run.declare(declaration);
        }
      };
      app.commands.addCommand(CommandIDs.declareInput, {
        label: 'Declare as Input (Dotscience)',
        caption: "Declare as an input of the active notebook's run",
        describedBy: { args: { type: 'object', properties: {} } },
        isEnabled: attached,
        execute: () => declarePaths('input')
      });
      app.commands.addCommand(CommandIDs.declareOutput, {
        label: 'Declare as Output (Dotscience)',
        caption: "Declare as an output of the active notebook's run",
        describedBy: { args: { type: 'object', properties: {} } },
        isEnabled: attached,
        execute: () => declarePaths('output')
      });
      const selector = '.jp-DirListing-item[data-isdir]';
      app.contextMenu.addItem({
        command: CommandIDs.declareInput,
        selector,
        rank: 60
      });
      app.contextMenu.addItem({
        command: CommandIDs.declareOutput,
        selector,
        rank: 61
      });
    }
  }
};

function hasPendingPublish(model: KernelRunModel): boolean {
  return model.pending.some(p => p.method === 'publish' && p.error === null);
}
