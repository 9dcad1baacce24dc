import { ISignal, Signal } from '@lumino/signaling';
import { errorText } from '../api/request';
import * as api from './api';

/**
 * The Projects section's state: the projects the user may see, the one selected with its
 * members, and the last error. Owners may add and remove members; every user may create a
 * project (they own it).
 */
export class ProjectsModel {
  /**
   * @param client the REST calls (replaceable in tests)
   */
  constructor(private readonly client: typeof api = api) {}

  /** Emitted whenever anything below changes. */
  get changed(): ISignal<ProjectsModel, void> {
    return this._changed;
  }

  /** Whether this is a team server (projects have owners and members). */
  get team(): boolean {
    return this._team;
  }

  /** The projects the user may see, by name. */
  get projects(): readonly api.IProjectSummary[] {
    return this._projects;
  }

  /** The selected project with its members, or null. */
  get project(): api.IProject | null {
    return this._project;
  }

  /** Whether the user may change the selected project's members. */
  get canManage(): boolean {
    return this._project?.role === 'owner' && this._project.name !== 'default';
  }

  /** The last error, as one sentence, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Whether a request is under way. */
  get busy(): boolean {
    return this._busy;
  }

  /**
   * Reload the project list and the selected project (the first one when none is).
   */
  async refresh(): Promise<void> {
    await this._run(async () => {
      await this._reload(this._project?.name ?? null);
    });
  }

  /**
   * Show a project's members.
   *
   * @param name the project
   */
  async select(name: string): Promise<void> {
    await this._run(async () => {
      this._project = await this.client.getProject(name);
    });
  }

  /**
   * Create a project owned by the user, and select it.
   *
   * @param name its name
   */
  async create(name: string): Promise<void> {
    const wanted = name.trim();
    if (!wanted) {
      this._fail('Give the new project a name.');
      return;
    }
    await this._run(async () => {
      const created = await this.client.createProject(wanted);
      await this._reload(created.name);
    });
  }

  /**
   * Add a member to the selected project, or change their role.
   *
   * @param username the hub user
   * @param role their role
   */
  async addMember(username: string, role: api.ProjectRole): Promise<void> {
    const project = this._project;
    const user = username.trim();
    if (!project) {
      return;
    }
    if (!user) {
      this._fail('Give the user name of the person to add.');
      return;
    }
    await this._run(async () => {
      await this.client.setMember(project.name, user, role);
      this._project = await this.client.getProject(project.name);
    });
  }

  /**
   * Remove a member from the selected project.
   *
   * @param username the member
   */
  async removeMember(username: string): Promise<void> {
    const project = this._project;
    if (!project) {
      return;
    }
    await this._run(async () => {
      await this.client.removeMember(project.name, username);
      this._project = await this.client.getProject(project.name);
    });
  }

  /**
   * Release the signal connections.
   */
  dispose(): void {
    Signal.clearData(this);
  }

  private async _reload(selected: string | null): Promise<void> {
    const list = await this.client.listProjects();
    this._team = list.team;
    this._projects = list.projects;
    const names = list.projects.map(p => p.name);
    const name =
      selected !== null && names.includes(selected) ? selected : names[0];
    this._project = name ? await this.client.getProject(name) : null;
  }

  private _fail(message: string): void {
    this._error = message;
    this._changed.emit();
  }

  private async _run(work: () => Promise<void>): Promise<void> {
    this._busy = true;
    this._error = null;
    this._changed.emit();
    try {
      await work();
    } catch (error) {
      this._error = errorText(error);
    } finally {
      this._busy = false;
      this._changed.emit();
    }
  }

  private _team = false;
  private _projects: api.IProjectSummary[] = [];
  private _project: api.IProject | null = null;
  private _error: string | null = null;
  private _busy = false;
  private _changed = new Signal<ProjectsModel, void>(this);
}
