import React from 'react';
import { errorText } from '../api/request';
import { SweepWire } from './api';
import { INotebookParameter } from './parameters';
import {
  DISTRIBUTIONS,
  Distribution,
  IParameterChoice,
  ISweepForm,
  ParameterMode,
  buildSpec,
  gridSize,
  initialChoice,
  specYaml
} from './spec';

/**
 * Props of {@link SweepForm}.
 */
export interface ISweepFormProps {
  /** the notebook, workspace-relative */
  notebook: string;
  /** its parameters, read from its source */
  parameters: INotebookParameter[];
  /** the notebook's code in the browser differs from its saved file (trials run the file) */
  dirty: boolean;
  /** start the sweep; the form shows what a refusal says */
  onStart: (request: SweepWire.IStartRequest) => Promise<void>;
  /** the notebook's earlier sweeps, newest first */
  loadEarlier?: () => Promise<SweepWire.ISweep[]>;
  /** open a sweep's view */
  onOpenSweep?: (id: string) => void;
}

/**
 * The notebook's earlier sweeps, each opening its view.
 */
function EarlierSweeps(props: {
  load: () => Promise<SweepWire.ISweep[]>;
  onOpen: (id: string) => void;
}): JSX.Element | null {
  const { load, onOpen } = props;
  const [sweeps, setSweeps] = React.useState<SweepWire.ISweep[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  // read once, when the form opens (not again as the form is typed in)
  const loadOnce = React.useRef(load);
  React.useEffect(() => {
    let live = true;
    loadOnce.current().then(
      s => live && setSweeps(s),
      e => live && setError(errorText(e))
    );
    return () => {
      live = false;
    };
  }, []);
  if (error) {
    return (
      <div className="jp-Dotscience-muted">
        Earlier sweeps could not be listed: {error}
      </div>
    );
  }
  if (!sweeps || sweeps.length === 0) {
    return null;
  }
  return (
    <>
      <h3>Earlier sweeps of this notebook</h3>
      <ul className="jp-Dotscience-sweep-earlier" data-testid="sweep-earlier">
        {sweeps.map(s => (
          <li key={s.id}>
            <button
              type="button"
              className="jp-Dotscience-link"
              onClick={() => onOpen(s.id)}
            >
              Sweep {s.id.slice(0, 8)}
            </button>{' '}
            <span className="jp-Dotscience-muted">
              {s.spec.method}, {s.state}, {s.counts.done} of {s.spec.run_cap}{' '}
              trials done, started {s.created.slice(0, 16).replace('T', ' ')}
            </span>
          </li>
        ))}
      </ul>
    </>
  );
}

const MODES: [ParameterMode, string][] = [
  ['notebook', "notebook's value"],
  ['values', 'list'],
  ['range', 'range'],
  ['distribution', 'distribution'],
  ['value', 'fixed value']
];

/**
 * The form's starting state for a notebook's parameters.
 *
 * @param parameters the notebook's parameters
 * @returns the form
 */
export function initialForm(parameters: INotebookParameter[]): ISweepForm {
  return {
    method: 'grid',
    metric: '',
    goal: 'maximize',
    parameters: parameters.map(initialChoice),
    runCap: '',
    wallMinutes: '',
    parallelism: '2',
    earlyStop: 'none'
  };
}

/**
 * The inputs of one parameter's row for its mode.
 */
function ChoiceFields(props: {
  c: IParameterChoice;
  set: (fields: Partial<IParameterChoice>) => void;
}): JSX.Element | null {
  const { c, set } = props;
  const input = (
    field: 'value' | 'values' | 'min' | 'max' | 'q' | 'mu' | 'sigma',
    label: string,
    size = 8
  ) => (
    <label className="jp-Dotscience-sweep-field">
      <span>{label}</span>
      <input
        className="jp-mod-styled"
        aria-label={`${c.name} ${label}`}
        size={size}
        value={c[field]}
        onChange={e => set({ [field]: e.target.value })}
      />
    </label>
  );
  switch (c.mode) {
    case 'notebook':
      return null;
    case 'value':
      return input('value', 'value', 16);
    case 'values':
      return input('values', 'values (comma-separated)', 28);
    case 'range':
      return (
        <>
          {input('min', 'min')}
          {input('max', 'max')}
        </>
      );
    case 'distribution':
      return (
        <>
          <label className="jp-Dotscience-sweep-field">
            <span>distribution</span>
            <select
              className="jp-mod-styled"
              aria-label={`${c.name} distribution`}
              value={c.distribution}
              onChange={e =>
                set({ distribution: e.target.value as Distribution })
              }
            >
              {DISTRIBUTIONS.map(([d, label]) => (
                <option key={d} value={d}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          {c.distribution === 'normal' ? (
            <>
              {input('mu', 'mean')}
              {input('sigma', 'std dev')}
            </>
          ) : (
            <>
              {input('min', 'min')}
              {input('max', 'max')}
              {c.distribution === 'q_uniform' && input('q', 'step')}
            </>
          )}
        </>
      );
  }
}

/**
 * A labelled choice of the form: one of a few fixed values, each with its text.
 */
function SelectField<T extends string>(props: {
  label: string;
  aria: string;
  value: T;
  options: [T, string][];
  onChange: (value: T) => void;
}): JSX.Element {
  return (
    <label className="jp-Dotscience-sweep-field">
      <span>{props.label}</span>
      <select
        className="jp-mod-styled"
        aria-label={props.aria}
        value={props.value}
        onChange={e => props.onChange(e.target.value as T)}
      >
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * The sweep form: each parameter of the notebook gets a list, a range or a distribution;
 * the objective and its direction, the strategy, the budget and the parallelism; the spec
 * as YAML (what the CLI's `--spec` file would hold); Start.
 */
export function SweepForm(props: ISweepFormProps): JSX.Element {
  const [form, setForm] = React.useState<ISweepForm>(() =>
    initialForm(props.parameters)
  );
  const [backend, setBackend] = React.useState<'local' | 'dask'>('local');
  const [starting, setStarting] = React.useState(false);
  const [refusal, setRefusal] = React.useState<string | null>(null);
  const built = React.useMemo(() => buildSpec(form), [form]);
  const update = (fields: Partial<ISweepForm>) => {
    setRefusal(null);
    setForm(f => ({ ...f, ...fields }));
  };
  const setChoice = (i: number, fields: Partial<IParameterChoice>) => {
    setRefusal(null);
    setForm(f => ({
      ...f,
      parameters: f.parameters.map((c, j) =>
        j === i ? { ...c, ...fields } : c
      )
    }));
  };
  const start = async () => {
    if (!('spec' in built) || starting) {
      return;
    }
    setStarting(true);
    setRefusal(null);
    try {
      await props.onStart({
        notebook: props.notebook,
        spec: built.spec,
        backend
      });
    } catch (e) {
      setRefusal(errorText(e));
    } finally {
      setStarting(false);
    }
  };

  return (
    <form
      className="jp-Dotscience-sweepForm"
      onSubmit={e => {
        e.preventDefault();
        void start();
      }}
    >
      <h2>
        Sweep <code>{props.notebook}</code>
      </h2>
      <p className="jp-Dotscience-muted">
        Each trial runs the saved notebook headless in its own scratch workspace
        with the trial's values, and publishes a run. The notebook itself is not
        changed.
      </p>
      {props.dirty && (
        <div className="jp-Dotscience-warning" role="status">
          The notebook's code has unsaved changes: the trials run the saved
          file.
        </div>
      )}
      <h3>Parameters</h3>
      {form.parameters.length === 0 ? (
        <div className="jp-Dotscience-warning">
          This notebook declares no parameters: call{' '}
          <code>ds.parameter("name", default)</code> or tag a cell{' '}
          <code>parameters</code> (papermill) and assign them there.
        </div>
      ) : (
        <table className="jp-Dotscience-sweep-parameters">
          <thead>
            <tr>
              <th scope="col">parameter</th>
              <th scope="col">in the notebook</th>
              <th scope="col">sweep as</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {form.parameters.map((c, i) => {
              const p = props.parameters[i];
              return (
                <tr key={c.name} data-parameter={c.name}>
                  <th scope="row">
                    <code>{c.name}</code>
                  </th>
                  <td title={`from the ${p.origin}, cell ${p.cell + 1}`}>
                    <code>{p.text || '—'}</code>
                  </td>
                  <td>
                    <select
                      className="jp-mod-styled"
                      aria-label={`${c.name}: sweep as`}
                      value={c.mode}
                      onChange={e =>
                        setChoice(i, { mode: e.target.value as ParameterMode })
                      }
                    >
                      {MODES.map(([m, label]) => (
                        <option key={m} value={m}>
                          {label}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="jp-Dotscience-sweep-fields">
                    <ChoiceFields c={c} set={fields => setChoice(i, fields)} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h3>Objective and search</h3>
      <div className="jp-Dotscience-sweep-row">
        <label className="jp-Dotscience-sweep-field">
          <span>metric</span>
          <input
            className="jp-mod-styled"
            aria-label="objective metric"
            placeholder="e.g. accuracy"
            value={form.metric}
            onChange={e => update({ metric: e.target.value })}
          />
        </label>
        <SelectField
          label="goal"
          aria="goal"
          value={form.goal}
          options={[
            ['maximize', 'maximize'],
            ['minimize', 'minimize']
          ]}
          onChange={v => update({ goal: v })}
        />
        <SelectField
          label="strategy"
          aria="strategy"
          value={form.method}
          options={[
            ['grid', 'grid'],
            ['random', 'random'],
            ['bayes', 'bayes (Optuna TPE)']
          ]}
          onChange={v => update({ method: v })}
        />
        <SelectField
          label="stop worse trials early"
          aria="early stopping"
          value={form.earlyStop}
          options={[
            ['none', 'no'],
            ['median', 'median pruner'],
            ['hyperband', 'hyperband']
          ]}
          onChange={v => update({ earlyStop: v })}
        />
      </div>
      <h3>Budget and parallelism</h3>
      <div className="jp-Dotscience-sweep-row">
        <label className="jp-Dotscience-sweep-field">
          <span>trials</span>
          <input
            className="jp-mod-styled"
            aria-label="trials"
            size={6}
            placeholder={form.method === 'grid' ? 'the grid' : ''}
            value={form.runCap}
            onChange={e => update({ runCap: e.target.value })}
          />
        </label>
        <label className="jp-Dotscience-sweep-field">
          <span>wall time (minutes)</span>
          <input
            className="jp-mod-styled"
            aria-label="wall time in minutes"
            size={6}
            placeholder="none"
            value={form.wallMinutes}
            onChange={e => update({ wallMinutes: e.target.value })}
          />
        </label>
        <label className="jp-Dotscience-sweep-field">
          <span>parallel trials</span>
          <input
            className="jp-mod-styled"
            aria-label="parallel trials"
            size={4}
            value={form.parallelism}
            onChange={e => update({ parallelism: e.target.value })}
          />
        </label>
        <label className="jp-Dotscience-sweep-field">
          <span>backend</span>
          <select
            className="jp-mod-styled"
            aria-label="backend"
            value={backend}
            onChange={e => {
              setRefusal(null);
              setBackend(e.target.value as 'local' | 'dask');
            }}
          >
            <option value="local">local kernels</option>
            <option value="dask">Dask cluster</option>
          </select>
        </label>
      </div>
      <h3>Spec</h3>
      {'spec' in built ? (
        <>
          {form.method === 'grid' && (
            <p className="jp-Dotscience-muted" data-testid="sweep-grid-size">
              The grid has {gridSize(built.spec.parameters)} trials.
            </p>
          )}
          <pre className="jp-Dotscience-sweep-yaml" data-testid="sweep-yaml">
            {specYaml(built.spec)}
          </pre>
        </>
      ) : (
        <ul
          className="jp-Dotscience-sweep-problems"
          data-testid="sweep-problems"
        >
          {built.errors.map(e => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      {refusal && (
        <div className="jp-Dotscience-error" role="alert">
          {refusal}
        </div>
      )}
      <button
        type="submit"
        className="jp-mod-styled jp-mod-accept"
        disabled={!('spec' in built) || starting}
      >
        {starting ? 'Starting…' : 'Start sweep'}
      </button>
      {props.loadEarlier && props.onOpenSweep && (
        <EarlierSweeps load={props.loadEarlier} onOpen={props.onOpenSweep} />
      )}
    </form>
  );
}
