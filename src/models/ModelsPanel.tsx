import * as React from 'react';
import { RestWire } from '../api/rest';
import { Chart } from '../charts/Chart';
import { IChartSeries } from '../charts/data';
import { IMetricsSample, quantile, rates } from './metrics';
import { ModelsModel } from './registryModel';

/**
 * Props of {@link ModelsPanel}.
 */
export interface IModelsPanelProps {
  model: ModelsModel;
  /**
   * Publish the current notebook's run with deploy (null: no notebook).
   */
  onPublishDeploy: (() => void) | null;
}

const STEPS = ['publish', 'build', 'start', 'healthy'] as const;

/**
 * A word for a POSIX shell: in single quotes, each `'` written as `'\''`. Nothing inside
 * single quotes is special to the shell, so the word is taken literally.
 *
 * @param text any text
 * @returns the quoted word
 */
export function shellQuote(text: string): string {
  return `'${String(text).replace(/'/g, "'\\''")}'`;
}

/**
 * A curl command predicting one row with the TF-Serving style route, safe to paste: the
 * model name is percent-encoded into the URL and the URL is quoted for the shell, so a
 * model named `x; rm -rf ~` gives a harmless command.
 *
 * @param d the deployment
 * @returns the command
 */
export function curlExample(d: RestWire.IDeployment): string {
  const url = `${d.url ?? ''}v1/models/${encodeURIComponent(d.model)}:predict`;
  const token = tokenFile(d);
  return (
    `curl -s -X POST ${shellQuote(url)} ` +
    (token ? `-H "Authorization: Bearer $(cat ${shellQuote(token)})" ` : '') +
    `-H 'Content-Type: application/json' -d '{"instances": [[5.1, 3.5, 1.4, 0.2]]}'`
  );
}

/**
 * Who deployed a deployment and which server serves it (on a team, another user's or
 * another server's deployments are listed too): "deployed by alice · served by host
 * (01234567)", leaving out what the store does not know.
 *
 * @param d the deployment
 * @returns the text, empty when neither is known
 */
export function deploymentOrigin(d: RestWire.IDeployment): string {
  const parts: string[] = [];
  if (d.owner) {
    parts.push(`deployed by ${d.owner}`);
  }
  if (d.server) {
    const slash = d.server.lastIndexOf('/');
    const host = slash > 0 ? d.server.slice(0, slash) : d.server;
    const id = slash > 0 ? d.server.slice(slash + 1, slash + 9) : '';
    parts.push(`served by ${host}${id ? ` (${id})` : ''}`);
  }
  return parts.join(' · ');
}

/**
 * Where the token of a model server bound beyond loopback is kept (next to its log): such
 * a server answers only requests that carry it.
 *
 * @param d the deployment (its record has the host it binds to and its log's path)
 * @returns the token file's path, or null when the server needs no token
 */
function tokenFile(d: RestWire.IDeployment): string | null {
  const { host, log } = d as RestWire.IDeployment & {
    host?: unknown;
    log?: unknown;
  };
  if (
    typeof host !== 'string' ||
    typeof log !== 'string' ||
    !log.includes('/')
  ) {
    return null;
  }
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  const loopback =
    bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
  return loopback ? null : log.replace(/[^/]*$/, 'token');
}

/**
 * Requests per second between consecutive samples as a sparkline (x: the time of the later
 * sample, in seconds).
 *
 * @param props the samples, oldest first
 * @param props.samples the model server's metrics as read over time
 * @returns the chart
 */
function RequestRate(props: { samples: IMetricsSample[] }): JSX.Element {
  const { samples } = props;
  const series = React.useMemo((): IChartSeries[] => {
    const rps = rates(samples);
    return [
      {
        label: 'requests/s',
        x: rps.map((_, i) => samples[i + 1].time / 1000),
        y: rps
      }
    ];
  }, [samples]);
  return (
    <Chart
      title="Requests per second"
      series={series}
      x="time"
      compact
      width={220}
      height={40}
      empty="No requests yet."
    />
  );
}

/**
 * The Models section: Publish & Deploy, progress, endpoint, registry, metrics, log.
 *
 * @param props the model and the publish callback
 * @returns the section
 */
export function ModelsPanel(props: IModelsPanelProps): JSX.Element {
  const { model } = props;
  const progress = model.progress;
  const selected = model.deployments.find(d => d.id === model.selected) ?? null;
  const last = model.samples[model.samples.length - 1];
  const p50 = last ? quantile(last, 0.5) : null;
  const p99 = last ? quantile(last, 0.99) : null;
  const copy = (text: string) => void navigator.clipboard?.writeText(text);
  return (
    <div className="jp-Dotscience-models">
      <button
        className="jp-mod-styled jp-mod-accept jp-Dotscience-models-publishDeploy"
        disabled={!props.onPublishDeploy}
        onClick={() => props.onPublishDeploy?.()}
        title="Publish the current run and deploy its models"
      >
        Publish &amp; Deploy
      </button>
      {model.error && (
        <div className="jp-Dotscience-models-error">{model.error}</div>
      )}
      {progress && (
        <div
          className="jp-Dotscience-models-progress"
          data-step={progress.step}
        >
          <ol>
            {STEPS.map(s => {
              const reached =
                progress.step === 'failed'
                  ? false
                  : STEPS.indexOf(s) <= STEPS.indexOf(progress.step as any);
              return (
                <li key={s} className={reached ? 'jp-mod-done' : ''}>
                  {s}
                </li>
              );
            })}
          </ol>
          <div className="jp-Dotscience-models-progressMessage">
            {progress.message}
          </div>
        </div>
      )}
      {selected && (
        <div className="jp-Dotscience-models-endpoint">
          <div>
            <strong>
              {selected.model} v{selected.version}
            </strong>{' '}
            <span
              className={`jp-Dotscience-models-state jp-mod-${selected.state}`}
            >
              {selected.state}
            </span>
            {selected.state === 'running' && (
              <button
                className="jp-mod-styled"
                onClick={() => void model.stop(selected.id)}
              >
                Stop
              </button>
            )}
          </div>
          {deploymentOrigin(selected) && (
            <div className="jp-Dotscience-models-origin">
              {deploymentOrigin(selected)}
            </div>
          )}
          {selected.reason && (
            <div className="jp-Dotscience-models-error">{selected.reason}</div>
          )}
          {selected.url && selected.state === 'running' && (
            <>
              <code className="jp-Dotscience-models-url">{selected.url}</code>
              <pre className="jp-Dotscience-models-curl">
                {curlExample(selected)}
              </pre>
              <button
                className="jp-mod-styled"
                onClick={() => copy(curlExample(selected))}
              >
                Copy curl
              </button>
            </>
          )}
          {last && (
            <div className="jp-Dotscience-models-metrics">
              <div>
                requests {last.requests} · errors {last.errors} · p50{' '}
                {p50 === null ? '-' : `≤ ${p50 * 1000} ms`} · p99{' '}
                {p99 === null ? '-' : `≤ ${p99 * 1000} ms`}
              </div>
              <div>requests/s</div>
              <RequestRate samples={model.samples} />
              {Object.keys(last.classes).length > 0 && (
                <table className="jp-Dotscience-models-classes">
                  <tbody>
                    {Object.entries(last.classes).map(([name, n]) => (
                      <tr key={name}>
                        <td>{name}</td>
                        <td>
                          <span
                            className="jp-Dotscience-models-bar"
                            style={{
                              width: `${(100 * n) / Math.max(1, ...Object.values(last.classes))}%`
                            }}
                          />
                        </td>
                        <td>{n}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          )}
          <details className="jp-Dotscience-models-log" open>
            <summary>Log</summary>
            <pre>{model.log.split('\n').slice(-30).join('\n')}</pre>
          </details>
        </div>
      )}
      {model.loaded && model.models.length === 0 && (
        <div className="jp-Dotscience-models-empty">
          No models registered yet. Declare one in a run with{' '}
          <code>ds.model(framework, name, path)</code> and publish it, or use{' '}
          <strong>Publish &amp; Deploy</strong> on a notebook that does.
        </div>
      )}
      <div className="jp-Dotscience-models-registryScroll">
        <table
          className="jp-Dotscience-models-registry"
          hidden={model.models.length === 0}
        >
          <thead>
            <tr>
              <th>model</th>
              <th>version</th>
              <th>framework</th>
              <th>build</th>
              <th>deployment</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {model.models.flatMap(m =>
              [...m.versions].reverse().map(v => {
                const aliases = Object.entries(m.aliases)
                  .filter(([, n]) => n === v.version)
                  .map(([a]) => a);
                const dep = v.deployments?.[0];
                return (
                  <tr key={`${m.name}/${v.version}`}>
                    <td>{m.name}</td>
                    <td>
                      v{v.version}
                      {aliases.map(a => (
                        <span key={a} className="jp-Dotscience-models-alias">
                          {a}
                        </span>
                      ))}
                    </td>
                    <td>{v.framework}</td>
                    <td title={v.build?.message ?? ''}>
                      {v.build?.state ?? '-'}
                    </td>
                    <td>
                      {dep ? (
                        <a
                          href="#"
                          title={deploymentOrigin(dep)}
                          onClick={e => (
                            e.preventDefault(),
                            model.select(dep.id)
                          )}
                        >
                          {dep.state}
                        </a>
                      ) : (
                        '-'
                      )}
                    </td>
                    <td>
                      <button
                        className="jp-mod-styled"
                        title="Deploy this version"
                        onClick={() => void model.deploy(m.name, v.version)}
                      >
                        Deploy
                      </button>
                      <button
                        className="jp-mod-styled"
                        title="Move the production alias here"
                        onClick={() =>
                          void model.setAlias(m.name, 'production', v.version)
                        }
                      >
                        → production
                      </button>
                    </td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
