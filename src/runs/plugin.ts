import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IStateDB } from '@jupyterlab/statedb';
import { ReadonlyPartialJSONObject, UUID } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { IDotscienceSidebar, IRunTracker } from '../tokens';
import { dotscienceIcon } from '../icons';
import { runTitle, shortId } from '../format';
import { errorText } from '../api/request';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- the Runs section is built at activation
import { RunListModel } from './listModel';
import type { RunDetailContent } from '../run-detail/tab';
import type { RunsTableContent } from '../table/tab';
import type { CompareContent } from '../compare/tab';
import type { IRunActions } from './actions';
import {
  IRefreshable,
  refreshOnEvents,
  refreshOnPublish
} from './refreshOnPublish';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- the Runs section is built at activation
import { RunsSection } from './section';
import { compareState, MAX_COMPARE } from './compareLimit';
import { RestWire } from '../api/rest';
import { saveURL } from '../download';

/**
 * Commands of the run history.
 */
export namespace RunsCommandIDs {
  export const openRun = 'dotscience:open-run';
  export const compareRuns = 'dotscience:compare-runs';
  export const diffRuns = 'dotscience:diff-runs';
  export const refreshRuns = 'dotscience:refresh-runs';
  export const importV1 = 'dotscience:import-v1';
  export const openTable = 'dotscience:open-runs-table';
  export const moveColumn = 'dotscience:runs-table-move-column';
  export const hideColumn = 'dotscience:runs-table-hide-column';
}

/** where the Runs table's context menu can move a column, and its label */
const COLUMN_MOVES = {
  start: 'Move Column to the Start',
  left: 'Move Column Left',
  right: 'Move Column Right',
  end: 'Move Column to the End'
} as const;

const IMPORTABLE = /\.(ipynb|log|txt)$/i;
/** where the layout of the Runs table changed last is kept (a new table starts with it) */
const LAST_TABLE_VIEW = 'jupyterlab-dotscience:runs-table-view';
const EXPORT_FILES: Record<RestWire.ExportFormat, [string, string]> = {
  prov: ['prov.json', 'application/json'],
  openlineage: ['openlineage.json', 'application/json'],
  v1: ['v1.txt', 'text/plain']
};

/**
 * Save text as a file through the browser.
 *
 * @param text the content
 * @param name the file name
 * @param type the MIME type
 */
function download(text: string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  saveURL(url, name);
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * The run history: the "Runs" sidebar section, run detail and compare tabs, import.
 */
export const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dotscience:history',
  description: 'Run history: list, filter, detail, lineage, compare, import.',
  autoStart: true,
  requires: [IDotscienceSidebar],
  optional: [
    INotebookTracker,
    ICommandPalette,
    IFileBrowserFactory,
    ILayoutRestorer,
    IRunTracker,
    ILauncher,
    IStateDB
  ],
  activate: (
    app: JupyterFrontEnd,
    sidebar: IDotscienceSidebar,
    notebooks: INotebookTracker | null,
    palette: ICommandPalette | null,
    browsers: IFileBrowserFactory | null,
    restorer: ILayoutRestorer | null,
    runTracker: IRunTracker | null,
    launcher: ILauncher | null,
    state: IStateDB | null
  ): void => {
    const { commands, shell } = app;
    const model = new RunListModel();
    const details = new WidgetTracker<MainAreaWidget<RunDetailContent>>({
      namespace: 'dotscience-run'
    });
    // Runs tables, compare and diff tabs come back with the page (the layout restorer runs
    // their commands again with the arguments kept for each, under a key of its own)
    const tables = new WidgetTracker<MainAreaWidget<RunsTableContent>>({
      namespace: 'dotscience-runs-table'
    });
    const compares = new WidgetTracker<MainAreaWidget<CompareContent>>({
      namespace: 'dotscience-compare'
    });
    const diffs = new WidgetTracker<MainAreaWidget>({
      namespace: 'dotscience-diff'
    });
    const tabKeys = new WeakMap<Widget, string>();
    const tabArgs = new WeakMap<Widget, ReadonlyPartialJSONObject>();
    const keyOf = (args: ReadonlyPartialJSONObject) =>
      typeof args.key === 'string' && args.key.length <= 64 && args.key
        ? args.key
        : UUID.uuid4();
    let compareCount = 0;

    // a tab's view is kept once a drag or a burst of changes settles
    const keepOnChange = <T extends MainAreaWidget>(
      widget: T,
      changed: ISignal<unknown, void>,
      tracker: WidgetTracker<T>,
      also?: () => unknown
    ) => {
      let keeping: ReturnType<typeof setTimeout> | undefined;
      changed.connect(() => {
        clearTimeout(keeping);
        keeping = setTimeout(() => {
          if (!widget.isDisposed) {
            void tracker.save(widget);
            void also?.();
          }
        }, 200);
      });
    };

    const showTab = (
      widget: MainAreaWidget,
      id: string,
      label: string,
      className: string
    ) => {
      widget.id = id;
      widget.title.label = label;
      widget.title.closable = true;
      widget.addClass(className);
      shell.add(widget, 'main');
      shell.activateById(widget.id);
    };

    const localPath = (path: string) =>
      app.serviceManager.contents.localPath(path);

    const findCell = (cellId: string) => {
      let found: { panel: NotebookPanel; index: number } | null = null;
      notebooks?.forEach(panel => {
        const index = panel.content.widgets.findIndex(
          c => c.model.id === cellId
        );
        if (!found && index >= 0) {
          found = { panel, index };
        }
      });
      return found as { panel: NotebookPanel; index: number } | null;
    };

    const actions: IRunActions = {
      openRun: id => void commands.execute(RunsCommandIDs.openRun, { id }),
      compare: ids =>
        void commands.execute(RunsCommandIDs.compareRuns, { ids }),
      openFile: path => void commands.execute('docmanager:open', { path }),
      jumpToCell: async (cell, notebook) => {
        let hit = findCell(cell.cell_id);
        if (!hit && notebook) {
          const widget = await commands.execute('docmanager:open', {
            path: notebook
          });
          if (widget instanceof NotebookPanel) {
            await widget.context.ready;
            await widget.revealed;
          }
          hit = findCell(cell.cell_id);
        }
        if (!hit) {
          Notification.warning(
            notebook
              ? `That cell is no longer in ${notebook}.`
              : 'This run has no notebook to show the cell in.',
            { autoClose: 5000 }
          );
          return;
        }
        const { panel, index } = hit;
        shell.activateById(panel.id);
        panel.content.activeCellIndex = index;
        panel.content.mode = 'command';
        await panel.content.scrollToCell(
          panel.content.widgets[index],
          'center'
        );
      },
      exportRun: (detail, format) => {
        const [suffix, type] = EXPORT_FILES[format];
        detail.exportText(format).then(
          text => download(text, `run-${shortId(detail.id)}.${suffix}`, type),
          e => Notification.error(`Export failed: ${errorText(e)}`)
        );
      },
      diff: (a, b) => void commands.execute(RunsCommandIDs.diffRuns, { a, b }),
      diffPrevious: (runId, notebook) => {
        void import('../diff/api')
          .then(({ previousRun }) => previousRun(runId, notebook))
          .then(
            previous =>
              previous
                ? commands.execute(RunsCommandIDs.diffRuns, {
                    a: previous,
                    b: runId
                  })
                : Notification.info(
                    `Run ${shortId(runId)} is the first run of ${notebook}.`,
                    { autoClose: 4000 }
                  ),
            e => Notification.error(`Diff failed: ${errorText(e)}`)
          );
      }
    };

    actions.openTable = () =>
      void commands.execute(RunsCommandIDs.openTable, {});
    // every open list hears of new runs from the server's run-published events
    const lists = new Set<IRefreshable>([model]);
    refreshOnEvents(app.serviceManager.events, () => lists);
    const section = new RunsSection(model, actions);
    sidebar.addSection(section, 200);

    if (notebooks) {
      const follow = () => {
        const panel = notebooks.currentWidget;
        section.notebookPath = panel ? localPath(panel.context.path) : null;
      };
      notebooks.currentChanged.connect(follow);
      follow();
    }
    if (runTracker) {
      refreshOnPublish(runTracker, model);
    }

    commands.addCommand(RunsCommandIDs.openRun, {
      label: args =>
        args.id ? `Open Run ${shortId(String(args.id))}` : 'Open Run',
      describedBy: {
        args: {
          type: 'object',
          properties: { id: { type: 'string', description: 'run id' } },
          required: ['id']
        }
      },
      execute: async args => {
        const id = String(args.id ?? '');
        if (!id) {
          return;
        }
        const open = details.find(w => w.content.model.id === id);
        if (open) {
          shell.activateById(open.id);
          return open;
        }
        const { RunDetailModel } = await import('../run-detail/detailModel');
        const { RunDetailContent } = await import('../run-detail/tab');
        const detail = new RunDetailModel(id);
        const widget = new MainAreaWidget({
          content: new RunDetailContent(detail, actions)
        });
        widget.title.caption = `Dotscience run ${id}`;
        detail.changed.connect(() => {
          if (detail.run) {
            widget.title.label = `Run: ${runTitle(detail.run)}`;
          }
        });
        // a finished reproduction published a replay run and changed this run's verdict
        detail.reproduced.connect(() => void model.checkForNew());
        void details.add(widget);
        showTab(
          widget,
          `jp-Dotscience-run-${id}`,
          `Run ${shortId(id)}`,
          'jp-Dotscience-runTab'
        );
        await detail.load();
        return widget;
      }
    });

    commands.addCommand(RunsCommandIDs.compareRuns, {
      label: 'Compare Runs',
      describedBy: {
        args: {
          type: 'object',
          properties: {
            ids: { type: 'array', items: { type: 'string' } },
            view: {
              type: 'object',
              description:
                'what the view shows (fields, axes, brushes, scatter fields, series, picked runs); default: nothing chosen'
            },
            key: { type: 'string', description: 'the tab kept under this key' }
          },
          required: ['ids']
        }
      },
      isEnabled: args =>
        compareState(
          Array.isArray(args.ids) ? args.ids.length : model.selected.length
        ).enabled,
      execute: async args => {
        const ids = Array.isArray(args.ids)
          ? (args.ids as unknown[]).filter(
              (id): id is string => typeof id === 'string'
            )
          : model.selected;
        if (ids.length < 2) {
          // the words of the Compare buttons' tooltips
          Notification.info(`${compareState(ids.length).title}.`, {
            autoClose: 4000
          });
          return;
        }
        if (ids.length > MAX_COMPARE) {
          // no tab that only says the server refused
          Notification.warning(`${compareState(ids.length).title}.`, {
            autoClose: 6000
          });
          return;
        }
        const { CompareModel } = await import('../compare/compareModel');
        const { CompareContent } = await import('../compare/tab');
        const { readCompareView } = await import('../compare/view');
        const cmp = new CompareModel(
          ids,
          undefined,
          readCompareView(args.view)
        );
        const widget = new MainAreaWidget({
          content: new CompareContent(cmp, actions)
        });
        tabKeys.set(widget, keyOf(args));
        tabArgs.set(widget, { ids });
        void compares.add(widget);
        keepOnChange(widget, cmp.viewChanged, compares);
        showTab(
          widget,
          `jp-Dotscience-compare-${++compareCount}`,
          `Compare ${ids.length} runs`,
          'jp-Dotscience-compareTab'
        );
        await cmp.load();
        return widget;
      }
    });

    let diffCount = 0;
    commands.addCommand(RunsCommandIDs.diffRuns, {
      label: 'Diff Two Runs',
      describedBy: {
        args: {
          type: 'object',
          properties: {
            a: { type: 'string', description: 'the first (older) run' },
            b: { type: 'string', description: 'the second run' },
            key: { type: 'string', description: 'the tab kept under this key' }
          },
          required: ['a', 'b']
        }
      },
      isEnabled: args =>
        typeof args.a === 'string' && typeof args.b === 'string'
          ? true
          : model.selected.length === 2,
      execute: async args => {
        const [a, b] =
          typeof args.a === 'string' && typeof args.b === 'string'
            ? [args.a, args.b]
            : model.selected;
        if (!a || !b) {
          Notification.info('Select two runs to diff.', { autoClose: 4000 });
          return;
        }
        const { DiffModel } = await import('../diff/diffModel');
        const { DiffContent } = await import('../diff/tab');
        const diff = new DiffModel(a, b);
        const widget = new MainAreaWidget({
          content: new DiffContent(diff, id => actions.openRun(id))
        });
        tabKeys.set(widget, keyOf(args));
        tabArgs.set(widget, { a, b });
        void diffs.add(widget);
        showTab(
          widget,
          `jp-Dotscience-diff-${++diffCount}`,
          `Diff ${shortId(a)} → ${shortId(b)}`,
          'jp-Dotscience-diffTab'
        );
        await diff.load();
        return widget;
      }
    });

    let tableCount = 0;
    commands.addCommand(RunsCommandIDs.openTable, {
      label: 'Runs Table',
      icon: dotscienceIcon,
      caption:
        'Every run in a table: any parameter, metric or label as a column; sort, filter, group, select, compare',
      describedBy: {
        args: {
          type: 'object',
          properties: {
            allColumns: {
              type: 'boolean',
              description: 'show a column for every parameter, metric and label'
            },
            view: {
              type: 'object',
              description:
                'what the table shows (columns, widths, sort, filters, search, grouping); default: the layout of the table changed last'
            },
            key: { type: 'string', description: 'the tab kept under this key' }
          }
        }
      },
      execute: async args => {
        const { RunsTableModel } = await import('../table/tableModel');
        const { RunsTableContent } = await import('../table/tab');
        const { layoutOf, readView } = await import('../table/view');
        const view =
          args.view !== undefined
            ? readView(args.view)
            : layoutOf(
                readView(await state?.fetch(LAST_TABLE_VIEW).catch(() => null))
              );
        const table = new RunsTableModel({ view });
        const content = new RunsTableContent(table, () => ({
          openRun: id => actions.openRun(id),
          compare: commands.hasCommand(RunsCommandIDs.compareRuns)
            ? ids => void commands.execute(RunsCommandIDs.compareRuns, { ids })
            : null,
          diff: commands.hasCommand(RunsCommandIDs.diffRuns)
            ? (a, b) => void commands.execute(RunsCommandIDs.diffRuns, { a, b })
            : null
        }));
        lists.add(table);
        content.disposed.connect(() => lists.delete(table));
        if (args.allColumns) {
          void content.ready.then(() => table.setColumns(table.available));
        }
        const widget = new MainAreaWidget({ content });
        widget.title.caption = 'Dotscience runs table';
        tabKeys.set(widget, keyOf(args));
        void tables.add(widget);
        // what the user changes is kept for this tab and as the next new table's layout
        // (a scroll changes the tab's view only)
        let layout = JSON.stringify(layoutOf(table.view));
        keepOnChange(widget, table.viewChanged, tables, () => {
          const now = layoutOf(table.view);
          const text = JSON.stringify(now);
          if (text !== layout) {
            layout = text;
            return state?.save(
              LAST_TABLE_VIEW,
              now as unknown as ReadonlyPartialJSONObject
            );
          }
        });
        showTab(
          widget,
          `jp-Dotscience-runsTable-${++tableCount}`,
          'Runs Table',
          'jp-Dotscience-runsTableTab'
        );
        return widget;
      }
    });

    // A Runs table's column, from its heading's context menu: the table and the column
    // under the right-click (none when the menu was not opened on a heading)
    const headingColumn = () => {
      const node = app.contextMenuHitTest(el =>
        el.matches('.jp-Dotscience-table-th[data-column]')
      );
      const table = node && tables.find(w => w.node.contains(node));
      const id = node?.getAttribute('data-column');
      return table && id ? { model: table.content.model, id } : null;
    };
    const moveTo = (args: ReadonlyPartialJSONObject) =>
      typeof args.to === 'string' && args.to in COLUMN_MOVES
        ? (args.to as keyof typeof COLUMN_MOVES)
        : null;
    commands.addCommand(RunsCommandIDs.moveColumn, {
      label: args => COLUMN_MOVES[moveTo(args) ?? 'start'],
      caption:
        'Move this column of the Runs table (the name stays pinned at the left)',
      describedBy: {
        args: {
          type: 'object',
          properties: {
            to: { type: 'string', enum: Object.keys(COLUMN_MOVES) }
          }
        }
      },
      isEnabled: args => {
        const to = moveTo(args);
        const hit = headingColumn();
        const place = hit && hit.model.columnPlace(hit.id);
        if (!to || !place) {
          return false;
        }
        return to === 'start' || to === 'left'
          ? place.at > 0
          : place.at < place.count - 1;
      },
      execute: args => {
        const to = moveTo(args);
        const hit = headingColumn();
        if (to && hit) {
          hit.model.moveColumn(hit.id, to);
        }
      }
    });
    commands.addCommand(RunsCommandIDs.hideColumn, {
      label: 'Hide Column',
      caption:
        'Take this column out of the Runs table (Columns brings it back)',
      describedBy: { args: { type: 'object', properties: {} } },
      isEnabled: () => headingColumn() !== null,
      execute: () => {
        const hit = headingColumn();
        hit?.model.hideColumn(hit.id);
      }
    });
    const HEADING = '.jp-Dotscience-table-th[data-column]';
    Object.keys(COLUMN_MOVES).forEach((to, i) =>
      app.contextMenu.addItem({
        command: RunsCommandIDs.moveColumn,
        args: { to },
        selector: HEADING,
        rank: i
      })
    );
    app.contextMenu.addItem({
      command: RunsCommandIDs.hideColumn,
      selector: HEADING,
      rank: 10
    });

    commands.addCommand(RunsCommandIDs.refreshRuns, {
      label: 'Refresh Runs',
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => model.refresh()
    });

    const selectedFile = (): string | null => {
      const item = browsers?.tracker.currentWidget?.selectedItems().next();
      return item && !item.done && item.value.type !== 'directory'
        ? item.value.path
        : null;
    };
    commands.addCommand(RunsCommandIDs.importV1, {
      label: 'Import runs from legacy output…',
      caption:
        'Read the run blocks printed by dotscience 0.8 from a notebook or log file',
      describedBy: {
        args: {
          type: 'object',
          properties: {
            path: { type: 'string', description: 'workspace-relative file' }
          }
        }
      },
      isVisible: args => {
        if (!args.fromBrowser) {
          return true;
        }
        const path = selectedFile();
        return !!path && IMPORTABLE.test(path);
      },
      execute: async args => {
        let path = args.path
          ? String(args.path)
          : args.fromBrowser
            ? selectedFile()
            : null;
        if (!path) {
          const current = notebooks?.currentWidget;
          const result = await InputDialog.getText({
            title: 'Import runs from legacy output',
            label: 'Notebook or log file (workspace path)',
            text:
              selectedFile() ?? (current ? localPath(current.context.path) : '')
          });
          if (!result.button.accept || !result.value) {
            return;
          }
          path = result.value.trim();
        }
        try {
          const r = await model.importV1(path);
          if (r.found === 0) {
            Notification.info(`No Dotscience run output found in ${path}.`, {
              autoClose: 5000
            });
          } else {
            Notification.success(
              `Imported ${r.imported} runs (${r.found - r.imported} already present)`,
              { autoClose: 5000 }
            );
          }
          return r;
        } catch (e) {
          Notification.error(`Import from ${path} failed: ${errorText(e)}`);
        }
      }
    });

    app.contextMenu.addItem({
      command: RunsCommandIDs.importV1,
      args: { fromBrowser: true },
      selector: '.jp-DirListing-item[data-isdir="false"]',
      rank: 60
    });
    for (const command of [
      RunsCommandIDs.openTable,
      RunsCommandIDs.refreshRuns,
      RunsCommandIDs.compareRuns,
      RunsCommandIDs.importV1
    ]) {
      palette?.addItem({ command, category: 'Dotscience' });
    }
    launcher?.add({
      command: RunsCommandIDs.openTable,
      category: 'Dotscience',
      rank: 1
    });
    if (restorer) {
      void restorer.restore(details, {
        command: RunsCommandIDs.openRun,
        args: w => ({ id: w.content.model.id }),
        name: w => w.content.model.id
      });
      const name = (w: Widget) => tabKeys.get(w) ?? '';
      void restorer.restore(tables, {
        command: RunsCommandIDs.openTable,
        args: w => ({
          key: name(w),
          view: w.content.model.view as unknown as ReadonlyPartialJSONObject
        }),
        name
      });
      void restorer.restore(compares, {
        command: RunsCommandIDs.compareRuns,
        args: w => ({
          ...tabArgs.get(w),
          key: name(w),
          view: w.content.model.view as unknown as ReadonlyPartialJSONObject
        }),
        name
      });
      void restorer.restore(diffs, {
        command: RunsCommandIDs.diffRuns,
        args: w => ({ ...tabArgs.get(w), key: name(w) }),
        name
      });
    }
  }
};
