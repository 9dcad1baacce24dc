import React from 'react';
import { ServerStatus, Wire } from '../tokens';

/**
 * Props of {@link ServerInfo}.
 */
export interface IServerInfoProps {
  frontendVersion: string;
  server: Wire.IVersionInfo | null;
  status: ServerStatus;
  error: string | null;
  warnings: string[];
  onRetry: () => void;
}

/**
 * Connection and version details of the Dotscience server extension.
 *
 * @returns the rendered block
 */
export function ServerInfo(props: IServerInfoProps): JSX.Element {
  const { server, status, error, warnings } = props;
  return (
    <section
      className="jp-Dotscience-serverInfo"
      aria-label="Dotscience server"
    >
      {status === 'connecting' && (
        <p className="jp-Dotscience-muted">
          Connecting to the server extension…
        </p>
      )}
      {status === 'error' && (
        <div className="jp-Dotscience-error" role="alert">
          <p>{error}</p>
          <button className="jp-mod-styled" onClick={props.onRetry}>
            Retry
          </button>
        </div>
      )}
      {server && (
        <dl className="jp-Dotscience-facts">
          <dt>Server extension</dt>
          <dd data-testid="ds-server-version">{server.version}</dd>
          <dt>Frontend</dt>
          <dd data-testid="ds-frontend-version">{props.frontendVersion}</dd>
          <dt>Kernel library</dt>
          <dd>{server.kernel_library_version ?? 'not found'}</dd>
          <dt>Store</dt>
          <dd>
            {server.store === 'postgresql'
              ? 'PostgreSQL (team)'
              : 'SQLite (embedded)'}
          </dd>
        </dl>
      )}
      {warnings.map(w => (
        <p key={w} className="jp-Dotscience-warning" role="alert">
          {w}
        </p>
      ))}
    </section>
  );
}
