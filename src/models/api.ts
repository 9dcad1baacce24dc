import { RestWire } from '../api/rest';
import { requestAPI } from '../api/request';

/**
 * The model registry.
 *
 * @returns every model with its versions, builds and deployments
 */
export async function listModels(): Promise<RestWire.IModel[]> {
  return (await requestAPI<{ models: RestWire.IModel[] }>('models')).models;
}

/**
 * Every deployment, newest first.
 *
 * @returns the deployments
 */
export async function listDeployments(): Promise<RestWire.IDeployment[]> {
  return (
    await requestAPI<{ deployments: RestWire.IDeployment[] }>('deployments')
  ).deployments;
}

/**
 * Deploy a model version locally (built first when needed).
 *
 * @param name the model name
 * @param version the version
 * @returns the deployment
 */
export function deployVersion(
  name: string,
  version: number
): Promise<RestWire.IDeployment> {
  return requestAPI<RestWire.IDeployment>(
    `models/${encodeURIComponent(name)}/versions/${version}/deploy`,
    { method: 'POST', body: JSON.stringify({ target: 'local' }) }
  );
}

/**
 * Stop a deployment.
 *
 * @param id the deployment id
 * @returns the stopped deployment
 */
export function stopDeployment(id: string): Promise<RestWire.IDeployment> {
  return requestAPI<RestWire.IDeployment>(`deployments/${id}`, {
    method: 'DELETE'
  });
}

/**
 * Point an alias at a version.
 *
 * @param name the model name
 * @param alias e.g. `production`
 * @param version the version
 * @returns the alias
 */
export function setAlias(
  name: string,
  alias: string,
  version: number
): Promise<RestWire.IAlias> {
  return requestAPI(
    `models/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}`,
    { method: 'PUT', body: JSON.stringify({ version }) }
  );
}

/**
 * The model server's log from a byte offset.
 *
 * @param id the deployment id
 * @param offset where to continue
 * @returns the text and the next offset
 */
export function deploymentLog(
  id: string,
  offset: number
): Promise<RestWire.ILogPage> {
  return requestAPI(`deployments/${id}/log?offset=${offset}`);
}

/**
 * The model server's Prometheus metrics page.
 *
 * @param id the deployment id
 * @returns the text exposition format
 */
export function deploymentMetrics(id: string): Promise<string> {
  return requestAPI<string>(`deployments/${id}/metrics`);
}
