import React from 'react';
import { RunListModel } from './listModel';
import { isFiltered, IRunQuery } from './query';
import { basename } from '../format';
import { FilterBar } from './FilterBar';
import { RunList } from './RunList';
import { compareState } from './compareLimit';

/**
 * Which runs the list is about.
 */
export type Scope = 'project' | 'notebook';

/**
 * Props of RunsPanel.
 */
export interface IRunsPanelProps {
  /** the history model */
  model: RunListModel;
  /** project history or the active notebook's */
  scope: Scope;
  /** the active notebook's path, when one is open */
  notebookPath: string | null;
  /** switch scope */
  onScope: (scope: Scope) => void;
  /** open a run's detail */
  onOpen: (id: string) => void;
  /** compare the selected runs */
  onCompare: (ids: string[]) => void;
  /** open the Runs table in the main area */
  onOpenTable?: () => void;
}

/**
 * The banner of a runs list or table that did not take in runs published since it was
 * loaded (`RunListModel.newRunsAvailable`).
 *
 * @param props.onShow load them (and show them)
 */
export function NewRunsBanner(props: { onShow: () => void }): JSX.Element {
  return (
    <button className="jp-Dotscience-banner" onClick={props.onShow}>
      New runs were published. Show them
    </button>
  );
}

/**
 * The footer's count: the server's total for the filters when it says one.
 *
 * @param loaded runs loaded so far
 * @param total the server's total, or null
 * @param hasMore whether more pages exist
 * @returns e.g. `1,234 runs`
 */
export function runCount(
  loaded: number,
  total: number | null,
  hasMore: boolean
): string {
  const n = total ?? loaded;
  const text = `${n.toLocaleString('en-US')}${total === null && hasMore ? '+' : ''}`;
  return `${text} ${n === 1 ? 'run' : 'runs'}`;
}

/**
 * Whether every run matching the query is selected.
 *
 * @param model the list
 * @returns true when as many runs are selected as match (and at least one)
 */
function allSelected(model: RunListModel): boolean {
  const n = model.total ?? model.runs.length;
  return n > 0 && model.selected.length >= n;
}

/**
 * The "Runs" section: scope, filters, the virtualised list and the compare action.
 *
 * @param props panel props
 * @returns the panel
 */
export function RunsPanel(props: IRunsPanelProps): JSX.Element {
  const { model } = props;
  const query = model.query;
  const selected = model.selected;
  const comparable = compareState(selected.length);
  const sortMetric = query.sort.startsWith('metric:')
    ? query.sort.slice('metric:'.length)
    : null;
  const onQuery = (change: Partial<IRunQuery>) => void model.setQuery(change);
  const empty = !model.loading && !model.error && model.runs.length === 0;
  return (
    <div className="jp-Dotscience-runsPanel">
      <div
        className="jp-Dotscience-scope"
        role="radiogroup"
        aria-label="History of"
      >
        <button
          role="radio"
          aria-checked={props.scope === 'project'}
          className={props.scope === 'project' ? 'jp-mod-active' : ''}
          onClick={() => props.onScope('project')}
        >
          Project
        </button>
        <button
          role="radio"
          aria-checked={props.scope === 'notebook'}
          className={props.scope === 'notebook' ? 'jp-mod-active' : ''}
          disabled={!props.notebookPath && props.scope !== 'notebook'}
          title={
            props.notebookPath
              ? `Runs of ${props.notebookPath}`
              : 'Open a notebook to see its runs'
          }
          onClick={() => props.onScope('notebook')}
        >
          {props.notebookPath && props.scope === 'notebook'
            ? basename(props.notebookPath)
            : 'This notebook'}
        </button>
        {props.onOpenTable && (
          <button
            className="jp-Dotscience-button"
            title="Open every run in a table in the main area"
            onClick={props.onOpenTable}
          >
            Table
          </button>
        )}
        <button
          className="jp-Dotscience-button jp-Dotscience-refresh"
          title="Refresh the list"
          aria-label="Refresh runs"
          onClick={() => void model.refresh()}
        >
          ⟳
        </button>
      </div>
      <FilterBar
        query={query}
        metricKeys={model.metricKeys}
        paramKeys={model.paramKeys}
        projects={model.projects}
        onQuery={onQuery}
      />
      {model.error && (
        <div className="jp-Dotscience-error" role="alert">
          {model.error}
        </div>
      )}
      {model.newRunsAvailable && (
        <NewRunsBanner onShow={() => void model.refresh()} />
      )}
      {empty ? (
        <div className="jp-Dotscience-empty">
          {props.scope === 'notebook' && !props.notebookPath
            ? 'Open a notebook to see its runs.'
            : isFiltered(query)
              ? 'No runs match these filters.'
              : 'No runs yet. Publish one with ds.start() … ds.publish() in a notebook.'}
        </div>
      ) : (
        <RunList
          runs={model.runs}
          hasMore={model.hasMore}
          loading={model.loading}
          onLoadMore={() => void model.loadMore()}
          isSelected={id => model.isSelected(id)}
          onToggle={(id, range) => {
            if (range) {
              model.selectRange(id);
            } else {
              model.toggleSelected(id);
              model.setAnchor(id);
            }
          }}
          onOpen={props.onOpen}
          metric={sortMetric}
        />
      )}
      <div className="jp-Dotscience-runsFooter">
        <input
          type="checkbox"
          className="jp-Dotscience-selectAll"
          aria-label="Select every run that matches"
          title="Select every run that matches the filters"
          disabled={model.runs.length === 0}
          checked={allSelected(model)}
          onChange={() =>
            allSelected(model)
              ? model.clearSelection()
              : void model.selectAllMatching()
          }
        />
        <span className="jp-Dotscience-muted" data-testid="ds-run-count">
          {runCount(model.runs.length, model.total, model.hasMore)}
          {selected.length > 0 ? ` · ${selected.length} selected` : ''}
        </span>
        {selected.length > 0 && (
          <button
            className="jp-Dotscience-button"
            onClick={() => model.clearSelection()}
          >
            Clear
          </button>
        )}
        <button
          className="jp-Dotscience-button jp-mod-accept"
          disabled={!comparable.enabled}
          title={comparable.title}
          onClick={() => props.onCompare(selected)}
        >
          {`Compare (${selected.length.toLocaleString('en-US')})`}
        </button>
      </div>
    </div>
  );
}
