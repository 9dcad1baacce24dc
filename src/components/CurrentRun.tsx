import React from 'react';
import { IKernelRun, IPendingRequest, Wire } from '../tokens';
import { DeclareForm } from './DeclareForm';
import { compactNumber } from '../values';
import { FileList } from './FileList';
import { Chart } from '../charts/Chart';
import { IChartSeries, downsample } from '../charts/data';
import { PublishForm } from './PublishForm';
import { formatClock } from '../time';

/**
 * Props of {@link CurrentRun}.
 */
export interface ICurrentRunProps {
  /**
   * The active notebook's run, or null when no notebook is active.
   */
  run: IKernelRun | null;
}

const BRIDGE_TEXT: { [status: string]: string } = {
  'no-kernel': 'No kernel',
  'not-python': 'Not a Python kernel: Dotscience tracks Python kernels only.',
  attaching: 'Connecting to the kernel…',
  restarting: 'Kernel restarting…',
  failed: 'Not connected'
};

/**
 * The live series of a metric as a sparkline the width of the sidebar, downsampled to a
 * point per pixel; nothing for fewer than two points.
 *
 * @param props the metric and its `[step, value]` points so far
 * @param props.metricKey the metric
 * @param props.points its points, in order
 * @returns the chart, or null
 */
export function LiveMetricChart(props: {
  metricKey: string;
  points: readonly (readonly [number, number])[];
}): JSX.Element | null {
  const { metricKey, points } = props;
  const [width, setWidth] = React.useState(0);
  const series = React.useMemo((): IChartSeries[] => {
    const whole = {
      label: metricKey,
      x: points.map(p => p[0]),
      y: points.map(p => p[1])
    };
    return [width > 0 ? downsample(whole, width) : whole];
  }, [metricKey, points, width]);
  if (points.length < 2) {
    return null;
  }
  return (
    <Chart
      title={`${metricKey}: ${points.length} points`}
      series={series}
      compact
      height={36}
      onWidth={setWidth}
    />
  );
}

function pendingOf(
  pending: readonly IPendingRequest[],
  kind: Wire.Kernel.DeclarationKind
): IPendingRequest[] {
  return pending.filter(
    p => p.method === 'declare' && p.declaration?.kind === kind && !p.error
  );
}

function valueText(value: Wire.Value | undefined): string {
  if (value !== null && typeof value === 'object') {
    return value.$float;
  }
  return String(value);
}

/**
 * Props of {@link FactList}.
 */
interface IFactListProps {
  title: string;
  testId: string;
  facts: [string, string][];
  pending: IPendingRequest[];
}

/**
 * A titled list of `key value` facts (parameters, labels), with the declarations the kernel
 * has not applied yet shown as pending. Renders nothing when empty.
 *
 * @returns the list, or null
 */
function FactList(props: IFactListProps): JSX.Element | null {
  const { facts, pending } = props;
  if (facts.length === 0 && pending.length === 0) {
    return null;
  }
  return (
    <>
      <h3 className="jp-Dotscience-subheading">{props.title}</h3>
      <dl className="jp-Dotscience-facts" data-testid={props.testId}>
        {facts.map(([key, text]) => (
          <React.Fragment key={key}>
            <dt>{key}</dt>
            <dd>{text}</dd>
          </React.Fragment>
        ))}
        {pending.map(p => (
          <React.Fragment key={p.id}>
            <dt className="jp-Dotscience-pending">{p.declaration!.key}</dt>
            <dd className="jp-Dotscience-pending">
              {valueText(p.declaration!.value)}{' '}
              <span className="jp-Dotscience-tag">pending</span>
            </dd>
          </React.Fragment>
        ))}
      </dl>
    </>
  );
}

function describe(p: IPendingRequest): string {
  const d = p.declaration;
  if (p.method !== 'declare' || !d) {
    return p.method === 'publish' ? 'publish' : 'start a new run';
  }
  return d.path
    ? `${d.kind} ${d.path}`
    : `${d.kind} ${d.key ?? ''}=${valueText(d.value)}`;
}

/**
 * The "Current run" section: what the active notebook's kernel has declared so far, live,
 * with forms to declare more and to publish.
 *
 * @returns the section body
 */
export function CurrentRun(props: ICurrentRunProps): JSX.Element {
  const { run } = props;
  if (!run) {
    return (
      <p className="jp-Dotscience-muted">
        Open a notebook to see its current run.
      </p>
    );
  }
  const state = run.state;
  const attached = run.bridge === 'attached';
  const pending = run.pending;
  const refused = pending.filter(p => p.error);
  const parameters = Object.entries(state?.parameters ?? {});
  const labels = Object.entries(state?.labels ?? {});
  const metrics = Array.from(run.metrics.entries());
  const pendingParams = pendingOf(pending, 'parameter');
  const pendingLabels = pendingOf(pending, 'label');
  const publishing = pending.some(p => p.method === 'publish' && !p.error);
  return (
    <section
      className="jp-Dotscience-currentRun"
      aria-label="Current run"
      data-bridge={run.bridge}
    >
      <dl className="jp-Dotscience-facts">
        <dt>Notebook</dt>
        <dd data-testid="ds-run-notebook">{run.notebookPath}</dd>
        <dt>Kernel</dt>
        <dd data-testid="ds-run-kernel">
          {run.kernelName ?? 'none'}
          {run.kernelBusy && attached && (
            <span className="jp-Dotscience-tag">busy</span>
          )}
        </dd>
      </dl>
      {!attached && (
        <p
          className={
            run.bridge === 'failed'
              ? 'jp-Dotscience-error'
              : 'jp-Dotscience-muted'
          }
          role={run.bridge === 'failed' ? 'alert' : undefined}
          data-testid="ds-bridge-status"
        >
          {BRIDGE_TEXT[run.bridge]}
          {run.bridgeError ? `: ${run.bridgeError}` : ''}
        </p>
      )}
      {attached && state && (
        <>
          <p className="jp-Dotscience-runHeading" data-testid="ds-run-status">
            {state.start
              ? `Run started ${formatClock(state.start)}`
              : state.published
                ? 'Published; declarations carry over to the next run'
                : 'No run started yet'}
          </p>
          {state.description && (
            <p
              className="jp-Dotscience-description"
              data-testid="ds-run-description"
            >
              {state.description}
            </p>
          )}
          {state.error && (
            <p className="jp-Dotscience-error" role="alert">
              {state.error}
            </p>
          )}
          {(state.inputs.length > 0 ||
            pendingOf(pending, 'input').length > 0) && (
            <>
              <h3 className="jp-Dotscience-subheading">Inputs</h3>
              <FileList
                testId="ds-run-inputs"
                files={state.inputs}
                pending={pendingOf(pending, 'input').map(
                  p => p.declaration!.path!
                )}
              />
            </>
          )}
          {(state.outputs.length > 0 ||
            pendingOf(pending, 'output').length > 0) && (
            <>
              <h3 className="jp-Dotscience-subheading">Outputs</h3>
              <FileList
                testId="ds-run-outputs"
                files={state.outputs.map(path => ({ path }))}
                pending={pendingOf(pending, 'output').map(
                  p => p.declaration!.path!
                )}
              />
            </>
          )}
          <FactList
            title="Parameters"
            testId="ds-run-parameters"
            facts={parameters.map(([key, p]) => [key, p.text])}
            pending={pendingParams}
          />
          <FactList
            title="Labels"
            testId="ds-run-labels"
            facts={labels}
            pending={pendingLabels}
          />
          {metrics.length > 0 && (
            <>
              <h3 className="jp-Dotscience-subheading">Metrics</h3>
              <ul
                className="jp-Dotscience-list jp-Dotscience-metrics"
                data-testid="ds-run-metrics"
              >
                {metrics.map(([key, series]) => (
                  <li key={key} data-metric={key}>
                    <div className="jp-Dotscience-metricHead">
                      <span className="jp-Dotscience-metricKey">{key}</span>
                      <span
                        className="jp-Dotscience-metricValue"
                        data-testid={`ds-metric-${key}`}
                        title={series.text}
                      >
                        {compactNumber(series.text)}
                      </span>
                      {series.count > 1 && (
                        <span className="jp-Dotscience-muted jp-Dotscience-metricCount">
                          {series.count.toLocaleString()} values
                        </span>
                      )}
                    </div>
                    <LiveMetricChart metricKey={key} points={series.points} />
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
      {pending.length > refused.length && (
        <p className="jp-Dotscience-muted" data-testid="ds-run-pending">
          {run.kernelBusy
            ? 'Waiting for the kernel to finish the running cell: '
            : 'Sent to the kernel: '}
          {pending
            .filter(p => !p.error)
            .map(describe)
            .join(', ')}
        </p>
      )}
      {refused.map(p => (
        <p key={p.id} className="jp-Dotscience-error" role="alert">
          The kernel refused {describe(p)}: {p.error}
        </p>
      ))}
      {refused.length > 0 && (
        <button className="jp-mod-styled" onClick={() => run.dismissErrors()}>
          Dismiss
        </button>
      )}
      {run.lastMessage && (
        <p className="jp-Dotscience-muted" data-testid="ds-run-message">
          {run.lastMessage}
        </p>
      )}
      {run.lastPublished && (
        <p className="jp-Dotscience-muted" data-testid="ds-run-published">
          Last published run: <code>{run.lastPublished}</code>
        </p>
      )}
      {attached && (
        <>
          <DeclareForm onDeclare={d => run.declare(d)} />
          <PublishForm
            onPublish={description => run.publish(description)}
            publishing={publishing}
          />
        </>
      )}
    </section>
  );
}
