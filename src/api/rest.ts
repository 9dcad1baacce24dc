/**
 * The REST API's wire types, as the frontend uses them: every one is derived from the types
 * generated from `jupyterlab_dotscience/openapi.yaml` (`npm run generate:api` writes
 * `openapi.ts`; `make lint` fails when it is stale), so the server's description is the one
 * source of each shape.
 */
import type { components, paths } from './openapi';

type Schemas = components['schemas'];

/**
 * The JSON body of a response.
 */
type JSONOf<R> = R extends { content: { 'application/json': infer T } }
  ? T
  : never;

/**
 * The types of the REST routes under `dotscience/api/`.
 */
export namespace RestWire {
  /**
   * A typed value: JSON scalar, or `{"$float": "nan" | "inf" | "-inf"}`.
   */
  export type Value = Schemas['TypedValue'];
  /**
   * Run status set by the server.
   */
  export type Status = Schemas['Run']['status'];
  /**
   * `GET version`.
   */
  export type IVersionInfo = JSONOf<paths['/version']['get']['responses'][200]>;
  /**
   * One run in a listing (`GET runs`).
   */
  export type IRunSummary = Schemas['RunSummary'];
  /**
   * A page of runs.
   */
  export type IRunPage = JSONOf<paths['/runs']['get']['responses'][200]>;
  /**
   * A CSV export waiting for its one download (`POST runs/csv/exports`).
   */
  export type ICsvExport = JSONOf<
    paths['/runs/csv/exports']['post']['responses'][201]
  >;
  /**
   * A file a run read or wrote.
   */
  export type IFileRef = Schemas['FileRef'];
  /**
   * A cell that contributed to a run (`GET runs/{id}/cells`, for older frontends).
   */
  export type ICell = Schemas['Cell'];
  /**
   * The environment a run ran in.
   */
  export type IEnvironment = Schemas['Environment'];
  /**
   * A whole stored run (`GET runs/{id}`): every key of the record is present.
   */
  export type IRun = Required<
    Omit<Schemas['RunRecord'], 'executions' | 'sources'>
  > &
    Schemas['Run'];
  /**
   * A file of a run with its download state (`GET runs/{id}/files`).
   */
  export type IRunFile = JSONOf<
    paths['/runs/{run_id}/files']['get']['responses'][200]
  >['files'][number];
  /**
   * The notebook as it was at publish (`GET runs/{id}/notebook`); `content` is read
   * defensively by the run detail.
   */
  export type INotebookSnapshot = JSONOf<
    paths['/runs/{run_id}/notebook']['get']['responses'][200]
  >;
  /**
   * A lineage graph (`GET runs/{id}/lineage`, `GET files/{sha256}/lineage`).
   */
  export type ILineage = Schemas['Lineage'];
  /**
   * A node of a lineage graph: a run or a file.
   */
  export type ILineageNode = ILineage['nodes'][number];
  /**
   * An edge: `input` from a file to the run that read it, `output` from a run to a file.
   */
  export type ILineageEdge = ILineage['edges'][number];
  /**
   * The result of `POST import`.
   */
  export type IImportResult = JSONOf<
    paths['/import']['post']['responses'][200]
  >;
  /**
   * A project (`GET projects`).
   */
  export type IProject = JSONOf<
    paths['/projects']['get']['responses'][200]
  >['projects'][number];
  /**
   * Export formats of `GET runs/{id}/export`.
   */
  export type ExportFormat = NonNullable<
    NonNullable<
      paths['/runs/{run_id}/export']['get']['parameters']['query']
    >['format']
  >;
  /**
   * A deployment of a model version.
   */
  export type IDeployment = Schemas['Deployment'];
  /**
   * A registered model with its versions and aliases.
   */
  export type IModel = Schemas['Model'];
  /**
   * `PUT models/{name}/aliases/{alias}`.
   */
  export type IAlias = JSONOf<
    paths['/models/{name}/aliases/{alias}']['put']['responses'][200]
  >;
  /**
   * A page of a deployment's log.
   */
  export type ILogPage = JSONOf<
    paths['/deployments/{dep_id}/log']['get']['responses'][200]
  >;
  /**
   * An API key as the server lists it (the secret is never included).
   */
  export type IApiKey = Schemas['ApiKey'];
  /**
   * A newly created key: `key` is the secret, shown once.
   */
  export type INewApiKey = JSONOf<paths['/keys']['post']['responses'][201]>;
  /**
   * A key's extra privilege (`deploy`: may build and deploy models).
   */
  export type KeyScope = IApiKey['scopes'][number];
  /**
   * `GET projects`: the projects the user may see, with their role in each, and whether
   * this is a team server (projects have owners and members).
   */
  export type IProjectList = JSONOf<
    paths['/projects']['get']['responses'][200]
  >;
  /**
   * One project with its members (`GET projects/{name}`, `POST projects`).
   */
  export type IProjectDetail = Schemas['Project'];
  /**
   * A membership (`PUT projects/{name}/members/{username}`).
   */
  export type IProjectMembership = Schemas['ProjectMembership'];
  /**
   * A role in a project.
   */
  export type ProjectRole = IProjectMembership['role'];
  /**
   * A reproduction's verdict.
   */
  export type Verdict = NonNullable<Schemas['Verdict']>;
  /**
   * What a run's record says may have made its notebook state differ from its code.
   */
  export type WarningKind = Schemas['Warning']['kind'];
  /**
   * A hidden-state warning of a run (`GET runs/{id}`'s `warnings`).
   */
  export type IRunWarning = Schemas['Warning'];
  /**
   * One execution of the kernel session a run depends on, with its source text.
   */
  export type IStoredExecution = Schemas['StoredExecution'];
  /**
   * `GET runs/{id}/executions`: the executions in the order they ran, and their kernel.
   */
  export type IExecutions = JSONOf<
    paths['/runs/{run_id}/executions']['get']['responses'][200]
  >;
  /**
   * The body of `POST runs/{id}/reproductions`.
   */
  export type IReproductionRequest = NonNullable<
    paths['/runs/{run_id}/reproductions']['post']['requestBody']
  >['content']['application/json'];
  /**
   * A reproduction of a run (`runs/{id}/reproductions/{rid}`): its progress, and its
   * verdict and result once done (read defensively by the run detail).
   */
  export type IReproduction = Schemas['Reproduction'];
}
