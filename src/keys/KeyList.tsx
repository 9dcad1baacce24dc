import * as React from 'react';
import { IApiKey, INewApiKey, SCOPE_DEPLOY } from './api';

/**
 * Props of {@link KeyList}.
 */
export interface IKeyListProps {
  /** The user's keys. */
  keys: readonly IApiKey[];
  /** The key just created (its secret is shown once). */
  created: INewApiKey | null;
  /** The last error. */
  error: string | null;
  /** Whether a request is under way. */
  busy: boolean;
  /** Create a key; `deploy`: it may build and deploy models. */
  onCreate: (name: string, project: string, deploy: boolean) => void;
  /** Revoke a key. */
  onRevoke: (id: string) => void;
  /** Hide the secret. */
  onDismiss: () => void;
}

/**
 * The API keys panel: a create form, the secret once, and the keys with revoke buttons.
 *
 * @param props the keys and callbacks
 * @returns the panel
 */
export function KeyList(props: IKeyListProps): JSX.Element {
  const [name, setName] = React.useState('');
  const [project, setProject] = React.useState('');
  const [deploy, setDeploy] = React.useState(false);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    props.onCreate(name, project, deploy);
    setName('');
    setProject('');
    setDeploy(false);
  };
  return (
    <div className="jp-Dotscience-keys">
      <p className="jp-Dotscience-keys-help">
        Keys let scripts and other machines publish here with{' '}
        <code>ds.connect(username, key, project)</code> or the{' '}
        <code>dotscience</code> command.
      </p>
      <form className="jp-Dotscience-keys-form" onSubmit={submit}>
        <input
          className="jp-mod-styled"
          placeholder="Name (what it is for)"
          aria-label="Key name"
          value={name}
          onChange={e => setName(e.target.value)}
        />
        <input
          className="jp-mod-styled"
          placeholder="Limit to project (optional)"
          aria-label="Limit to project"
          value={project}
          onChange={e => setProject(e.target.value)}
        />
        <label className="jp-Dotscience-keys-scope">
          <input
            type="checkbox"
            checked={deploy}
            onChange={e => setDeploy(e.target.checked)}
          />{' '}
          May build and deploy models
        </label>
        <button
          type="submit"
          className="jp-mod-styled jp-mod-accept"
          disabled={props.busy}
        >
          Create key
        </button>
      </form>
      {props.error && (
        <div className="jp-Dotscience-keys-error" role="alert">
          {props.error}
        </div>
      )}
      {props.created && (
        <div className="jp-Dotscience-keys-secret" role="status">
          <div>Copy this key now: it will not be shown again.</div>
          <code className="jp-Dotscience-keys-value">{props.created.key}</code>
          <div className="jp-Dotscience-keys-actions">
            <button
              className="jp-mod-styled"
              onClick={() =>
                void navigator.clipboard?.writeText(props.created?.key ?? '')
              }
            >
              Copy
            </button>
            <button className="jp-mod-styled" onClick={props.onDismiss}>
              Done
            </button>
          </div>
        </div>
      )}
      {props.keys.length === 0 ? (
        <div className="jp-Dotscience-keys-empty">No API keys yet.</div>
      ) : (
        <ul className="jp-Dotscience-keys-list">
          {props.keys.map(k => (
            <li
              key={k.id}
              className={
                'jp-Dotscience-keys-item' +
                (k.revoked ? ' jp-Dotscience-keys-revoked' : '')
              }
            >
              <span className="jp-Dotscience-keys-name" title={k.id}>
                {k.name || k.id}
              </span>
              <span className="jp-Dotscience-keys-meta">
                {k.project ? `project ${k.project}` : 'any project'} ·{' '}
                {(k.scopes ?? []).includes(SCOPE_DEPLOY) && (
                  <span
                    className="jp-Dotscience-keys-scopeBadge"
                    title="This key may build and deploy models (scope: deploy)"
                  >
                    may build and deploy ·{' '}
                  </span>
                )}
                {k.revoked
                  ? `revoked ${k.revoked.slice(0, 10)}`
                  : `created ${k.created.slice(0, 10)}`}
              </span>
              {!k.revoked && (
                <button
                  className="jp-mod-styled jp-mod-warn"
                  disabled={props.busy}
                  aria-label={`Revoke ${k.name || k.id}`}
                  onClick={() => props.onRevoke(k.id)}
                >
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
