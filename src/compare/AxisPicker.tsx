import React from 'react';
import { DEFAULT_AXES, DEFAULT_METRIC_AXES, IField } from './comparison';

/**
 * Props of AxisPicker.
 */
export interface IAxisPickerProps {
  /** the fields that can be axes, in axis order (`axisCandidates`) */
  candidates: readonly IField[];
  /** the ids of the axes drawn */
  chosen: readonly string[];
  /** whether `chosen` is the default (nothing chosen by the user) */
  isDefault: boolean;
  /** the metric whose association picked the default parameters and inputs (null: the
   * first ones) */
  ranked?: IField | null;
  /** the metrics the default could follow instead */
  rankable?: readonly IField[];
  /** the default is to follow another metric (and is drawn) */
  onFollow?: (metricId: string) => void;
  /** a new choice: the ids of the axes to draw, or null for the default */
  onChange: (ids: string[] | null) => void;
}

const GROUPS: { kind: IField['kind']; title: string }[] = [
  { kind: 'param', title: 'Parameters' },
  { kind: 'input', title: 'Inputs' },
  { kind: 'metric', title: 'Metrics' }
];

/**
 * Which fields are the parallel-coordinates plot's axes: a button saying how many of how
 * many are drawn, opening a list of the candidates by kind (parameters, inputs, metrics)
 * with a filter by name, and buttons for the default, all those matching the filter and
 * none of them.
 *
 * @param props picker props
 * @returns the picker
 */
export function AxisPicker(props: IAxisPickerProps): JSX.Element {
  const { candidates, chosen, isDefault, ranked, onChange } = props;
  const rankable = props.rankable ?? [];
  const [open, setOpen] = React.useState(false);
  const [filter, setFilter] = React.useState('');
  const panelId = `jp-Dotscience-axes${React.useId()}`;
  const on = new Set(chosen);
  const needle = filter.trim().toLowerCase();
  const matching = needle
    ? candidates.filter(f => f.name.toLowerCase().includes(needle))
    : candidates;
  // a new choice, kept in the candidates' order
  const choose = (ids: Set<string>) =>
    onChange(candidates.filter(f => ids.has(f.id)).map(f => f.id));
  const toggle = (id: string, tick: boolean) => {
    const next = new Set(on);
    if (tick) {
      next.add(id);
    } else {
      next.delete(id);
    }
    choose(next);
  };
  return (
    <div className="jp-Dotscience-axes">
      <button
        className="jp-mod-styled"
        aria-expanded={open}
        aria-controls={panelId}
        title="Choose the plot's axes"
        onClick={() => setOpen(o => !o)}
      >
        {`Axes: ${chosen.length} of ${candidates.length}${isDefault ? ' (default)' : ''}`}
      </button>
      {open && (
        <div
          id={panelId}
          className="jp-Dotscience-axes-panel"
          role="group"
          aria-label="Axes"
        >
          <div className="jp-Dotscience-muted">
            {ranked
              ? `Default: the ${DEFAULT_AXES} parameters and inputs whose values follow ${ranked.name} most closely (rank correlation), and ${DEFAULT_METRIC_AXES} metrics: ${ranked.name} and the first other.`
              : `Default: the first ${DEFAULT_AXES} parameters and inputs, and the first ${DEFAULT_METRIC_AXES} metrics.`}
          </div>
          {ranked && rankable.length > 1 && props.onFollow && (
            <label className="jp-Dotscience-axes-follow">
              {'Default axes follow '}
              <select
                value={ranked.id}
                onChange={e => props.onFollow!(e.currentTarget.value)}
              >
                {rankable.map(m => (
                  <option key={m.id} value={m.id}>
                    {m.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <div className="jp-Dotscience-axes-tools">
            <input
              type="search"
              className="jp-mod-styled"
              aria-label="Filter axes by name"
              placeholder="Filter by name"
              value={filter}
              onChange={e => setFilter(e.currentTarget.value)}
            />
            <button
              className="jp-mod-styled"
              disabled={!matching.some(f => !on.has(f.id))}
              onClick={() =>
                choose(new Set([...on, ...matching.map(f => f.id)]))
              }
            >
              {needle ? `All ${matching.length} matching` : 'All'}
            </button>
            <button
              className="jp-mod-styled"
              disabled={!matching.some(f => on.has(f.id))}
              onClick={() => {
                const next = new Set(on);
                matching.forEach(f => next.delete(f.id));
                choose(next);
              }}
            >
              {needle ? 'None matching' : 'None'}
            </button>
            <button
              className="jp-mod-styled"
              disabled={isDefault}
              onClick={() => onChange(null)}
            >
              Default
            </button>
          </div>
          {matching.length === 0 && (
            <div className="jp-Dotscience-muted">
              No parameter, input or metric matches.
            </div>
          )}
          {GROUPS.map(({ kind, title }) => {
            const fields = matching.filter(f => f.kind === kind);
            if (!fields.length) {
              return null;
            }
            return (
              <fieldset key={kind} className="jp-Dotscience-axes-group">
                <legend>{`${title} (${fields.filter(f => on.has(f.id)).length} of ${fields.length})`}</legend>
                {fields.map(f => (
                  <label
                    key={f.id}
                    title={
                      f.differs ? f.name : `${f.name}: the same in every run`
                    }
                  >
                    <input
                      type="checkbox"
                      checked={on.has(f.id)}
                      onChange={e => toggle(f.id, e.currentTarget.checked)}
                    />{' '}
                    {f.name}
                  </label>
                ))}
              </fieldset>
            );
          })}
        </div>
      )}
    </div>
  );
}
