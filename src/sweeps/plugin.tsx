import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  ToolbarButton,
  WidgetTracker
} from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';
import { shortId } from '../format';
import { SweepWire, sweepsAPI } from './api';
import type { SweepContent } from './tab';

/**
 * Commands of sweeps.
 */
export namespace SweepCommandIDs {
  export const sweepNotebook = 'dotscience:sweep-notebook';
  export const openSweep = 'dotscience:open-sweep';
}

/** the run history's command that opens a run's detail */
const OPEN_RUN = 'dotscience:open-run';

/**
 * Sweeps: "Sweep this notebook..." (notebook toolbar and command palette) opens the sweep
 * form; starting a sweep opens its view.
 */
export const sweepsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dotscience:sweeps',
  description: 'Sweeps: run a notebook over a parameter search and watch it.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const { commands, shell } = app;
    const views = new WidgetTracker<MainAreaWidget<SweepContent>>({
      namespace: 'dotscience-sweep'
    });
    let forms = 0;

    const openRun = (id: string) => void commands.execute(OPEN_RUN, { id });

    commands.addCommand(SweepCommandIDs.openSweep, {
      label: args =>
        args.id ? `Open Sweep ${shortId(String(args.id))}` : 'Open Sweep',
      describedBy: {
        args: {
          type: 'object',
          properties: { id: { type: 'string', description: 'sweep id' } },
          required: ['id']
        }
      },
      execute: async args => {
        const id = String(args.id ?? '');
        if (!id) {
          return;
        }
        const open = views.find(w => w.content.model.id === id);
        if (open) {
          shell.activateById(open.id);
          return open;
        }
        const [{ SweepModel }, { SweepContent }] = await Promise.all([
          import('./sweepModel'),
          import('./tab')
        ]);
        const model = new SweepModel(id, sweepsAPI);
        const widget = new MainAreaWidget({
          content: new SweepContent(model, openRun)
        });
        widget.id = `dotscience-sweep-${id}`;
        widget.title.label = `Sweep ${shortId(id)}`;
        widget.title.closable = true;
        widget.addClass('jp-Dotscience-sweepTab');
        model.start();
        await views.add(widget);
        shell.add(widget, 'main');
        shell.activateById(widget.id);
        return widget;
      }
    });

    const current = (): NotebookPanel | null => notebooks.currentWidget;
    const openForm = async (panel: NotebookPanel) => {
      await panel.context.ready;
      const [{ codeSources, notebookParameters }, { SweepForm }] =
        await Promise.all([import('./parameters'), import('./SweepForm')]);
      const path = app.serviceManager.contents.localPath(panel.context.path);
      // the trials run the saved file: its parameters are the ones to sweep, and the form
      // warns when the code in the browser differs (not for outputs or metadata)
      const open = panel.context.model.toJSON();
      let saved: unknown = open;
      try {
        saved = (
          await app.serviceManager.contents.get(panel.context.path, {
            type: 'notebook',
            content: true
          })
        ).content;
      } catch {
        // unreadable now: the notebook as it is open
      }
      const parameters = notebookParameters(saved);
      const differs =
        JSON.stringify(codeSources(open)) !==
        JSON.stringify(codeSources(saved));
      let widget: MainAreaWidget<ReactWidget> | null = null;
      const onStart = async (request: SweepWire.IStartRequest) => {
        const sweep = await sweepsAPI.startSweep(request);
        await commands.execute(SweepCommandIDs.openSweep, { id: sweep.id });
        widget?.dispose();
      };
      const content = ReactWidget.create(
        <SweepForm
          notebook={path}
          parameters={parameters}
          dirty={differs}
          onStart={onStart}
          loadEarlier={() => sweepsAPI.listSweeps(path)}
          onOpenSweep={id =>
            void commands.execute(SweepCommandIDs.openSweep, { id })
          }
        />
      );
      content.addClass('jp-Dotscience-sweepFormContent');
      widget = new MainAreaWidget({ content });
      widget.id = `dotscience-sweep-form-${++forms}`;
      widget.title.label = `Sweep ${panel.context.path.split('/').pop()}`;
      widget.title.closable = true;
      widget.addClass('jp-Dotscience-sweepTab');
      shell.add(widget, 'main');
      shell.activateById(widget.id);
      return widget;
    };
    commands.addCommand(SweepCommandIDs.sweepNotebook, {
      label: 'Sweep this notebook…',
      caption:
        'Run the notebook over a parameter search: each trial is a published run',
      describedBy: { args: { type: 'object', properties: {} } },
      isEnabled: () => current() !== null,
      execute: () => {
        const panel = current();
        return panel ? openForm(panel) : undefined;
      }
    });

    palette?.addItem({
      command: SweepCommandIDs.sweepNotebook,
      category: 'Dotscience'
    });
    notebooks.currentChanged.connect(() =>
      commands.notifyCommandChanged(SweepCommandIDs.sweepNotebook)
    );

    const addButton = (panel: NotebookPanel) => {
      const button = new ToolbarButton({
        className: 'jp-Dotscience-sweepButton',
        label: 'Sweep',
        tooltip: 'Dotscience: sweep this notebook over its parameters',
        onClick: () => void openForm(panel)
      });
      panel.toolbar.insertAfter('cellType', 'dotscience-sweep', button);
    };
    notebooks.forEach(addButton);
    notebooks.widgetAdded.connect((_, panel) => addButton(panel));

    if (restorer) {
      void restorer.restore(views, {
        command: SweepCommandIDs.openSweep,
        args: w => ({ id: w.content.model.id }),
        name: w => w.content.model.id
      });
    }
  }
};
