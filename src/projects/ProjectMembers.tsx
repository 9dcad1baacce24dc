import * as React from 'react';
import { IProject, IProjectSummary, ProjectRole } from './api';

/**
 * Props of {@link ProjectMembers}.
 */
export interface IProjectMembersProps {
  /** Whether this is a team server (projects have owners and members). */
  team: boolean;
  /** The projects the user may see. */
  projects: readonly IProjectSummary[];
  /** The selected project with its members. */
  project: IProject | null;
  /** Whether the user may change the selected project's members (an owner). */
  canManage: boolean;
  /** The last error. */
  error: string | null;
  /** Whether a request is under way. */
  busy: boolean;
  /** Select a project. */
  onSelect: (name: string) => void;
  /** Create a project. */
  onCreate: (name: string) => void;
  /** Add a member (or change their role). */
  onAdd: (username: string, role: ProjectRole) => void;
  /** Remove a member. */
  onRemove: (username: string) => void;
}

/**
 * The Projects panel: pick a project, see its members; owners add and remove members.
 *
 * @param props the projects and callbacks
 * @returns the panel
 */
export function ProjectMembers(props: IProjectMembersProps): JSX.Element {
  const [newProject, setNewProject] = React.useState('');
  const [user, setUser] = React.useState('');
  const [role, setRole] = React.useState<ProjectRole>('member');
  const project = props.project;
  const create = (event: React.FormEvent) => {
    event.preventDefault();
    props.onCreate(newProject);
    setNewProject('');
  };
  const add = (event: React.FormEvent) => {
    event.preventDefault();
    props.onAdd(user, role);
    setUser('');
    setRole('member');
  };
  return (
    <div className="jp-Dotscience-projects">
      <p className="jp-Dotscience-projects-help">
        {props.team
          ? 'Members see and publish a project’s runs; owners also manage its members, aliases and deployments. Everyone shares the default project.'
          : 'A single-user server: you see and manage every project.'}
      </p>
      {props.projects.length > 0 && (
        <label className="jp-Dotscience-projects-pick">
          Project{' '}
          <select
            className="jp-mod-styled"
            aria-label="Project"
            value={project?.name ?? ''}
            disabled={props.busy}
            onChange={e => props.onSelect(e.target.value)}
          >
            {props.projects.map(p => (
              <option key={p.name} value={p.name}>
                {p.name}
                {p.role ? ` (${p.role})` : ''}
              </option>
            ))}
          </select>
        </label>
      )}
      {props.error && (
        <div className="jp-Dotscience-projects-error" role="alert">
          {props.error}
        </div>
      )}
      {project && (
        <ul
          className="jp-Dotscience-projects-members"
          aria-label={`Members of ${project.name}`}
        >
          {project.members.length === 0 && (
            <li className="jp-Dotscience-projects-empty">
              {project.name === 'default' && props.team
                ? 'Every user of this server.'
                : 'No members.'}
            </li>
          )}
          {project.members.map(m => (
            <li key={m.username} className="jp-Dotscience-projects-member">
              <span className="jp-Dotscience-projects-user">{m.username}</span>
              <span className="jp-Dotscience-projects-role">{m.role}</span>
              {props.canManage && (
                <button
                  className="jp-mod-styled jp-mod-warn"
                  disabled={props.busy}
                  aria-label={`Remove ${m.username}`}
                  onClick={() => props.onRemove(m.username)}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {project && props.canManage && (
        <form className="jp-Dotscience-projects-form" onSubmit={add}>
          <input
            className="jp-mod-styled"
            placeholder="User name"
            aria-label="User to add"
            value={user}
            onChange={e => setUser(e.target.value)}
          />
          <select
            className="jp-mod-styled"
            aria-label="Role"
            value={role}
            onChange={e => setRole(e.target.value as ProjectRole)}
          >
            <option value="member">member</option>
            <option value="owner">owner</option>
          </select>
          <button
            type="submit"
            className="jp-mod-styled jp-mod-accept"
            disabled={props.busy}
          >
            Add
          </button>
        </form>
      )}
      <form className="jp-Dotscience-projects-form" onSubmit={create}>
        <input
          className="jp-mod-styled"
          placeholder="New project name"
          aria-label="New project name"
          value={newProject}
          onChange={e => setNewProject(e.target.value)}
        />
        <button type="submit" className="jp-mod-styled" disabled={props.busy}>
          Create project
        </button>
      </form>
    </div>
  );
}
