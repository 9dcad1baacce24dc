import { requestAPI } from '../request';

/**
 * Wire types of the Models REST routes (jupyterlab_dotscience/openapi.yaml).
 */
export namespace ModelsWire {
  export interface IBuild {
    state: 'queued' | 'copying' | 'image' | 'done' | 'failed';
    message?: string | null;
    bundle?: string | null;
    image?: string | null;
  }
  export interface IDeployment {
    id: string;
    model: string;
    version: number;
    run_id: string | null;
    framework: string | null;
    target: 'local' | 'kubernetes';
    state: 'building' | 'starting' | 'running' | 'failed' | 'stopped';
    reason: string | null;
    url: string | null;
    classes?: boolean;
    created: string;
    updated: string;
  }
  export interface IVersion {
    name: string;
    version: number;
    run_id: string | null;
    framework: string | null;
    framework_version: string | null;
    created: string;
    build: IBuild | null;
    deployments: IDeployment[];
  }
  export interface IModel {
    name: string;
    latest_version: number;
    aliases: { [alias: string]: number };
    versions: IVersion[];
  }
}

/**
 * The model registry.
 *
 * @returns every model with its versions, builds and deployments
 */
export async function listModels(): Promise<ModelsWire.IModel[]> {
  return (await requestAPI<{ models: ModelsWire.IModel[] }>('models')).models;
}

/**
 * Every deployment, newest first.
 *
 * @returns the deployments
 */
export async function listDeployments(): Promise<ModelsWire.IDeployment[]> {
  return (
    await requestAPI<{ deployments: ModelsWire.IDeployment[] }>('deployments')
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
): Promise<ModelsWire.IDeployment> {
  return requestAPI<ModelsWire.IDeployment>(
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
export function stopDeployment(id: string): Promise<ModelsWire.IDeployment> {
  return requestAPI<ModelsWire.IDeployment>(`deployments/${id}`, {
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
): Promise<{ name: string; alias: string; version: number }> {
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
): Promise<{ log: string; next_offset: number }> {
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
