import { RestWire } from '../api/rest';
import { requestAPI } from '../api/request';

/** The projects the user may see and whether this is a team server. */
export type IProjectList = RestWire.IProjectList;
/** One project in the list, with the user's role. */
export type IProjectSummary = RestWire.IProjectList['projects'][number];
/** One project with its members. */
export type IProject = RestWire.IProjectDetail;
/** A project membership. */
export type IProjectMembership = RestWire.IProjectMembership;
/** A role in a project: `owner` or `member`. */
export type ProjectRole = RestWire.ProjectRole;

/**
 * The path of a project route; each part encoded whole (dots too, so a name such as `..`
 * can never be read as a path step).
 */
function projectPath(name: string, ...rest: string[]): string {
  return ['projects', name, ...rest]
    .map(part => encodeURIComponent(part).replace(/\./g, '%2E'))
    .join('/');
}

/**
 * List the projects the current user may see.
 *
 * @returns the projects and whether this is a team server
 */
export async function listProjects(): Promise<IProjectList> {
  return requestAPI<IProjectList>('projects');
}

/**
 * One project with its members.
 *
 * @param name the project
 * @returns the project
 */
export async function getProject(name: string): Promise<IProject> {
  return requestAPI<IProject>(projectPath(name));
}

/**
 * Create a project owned by the current user.
 *
 * @param name the new project's name
 * @returns the project
 */
export async function createProject(name: string): Promise<IProject> {
  return requestAPI<IProject>('projects', {
    method: 'POST',
    body: JSON.stringify({ name })
  });
}

/**
 * Add a member to a project, or change their role (owners only).
 *
 * @param name the project
 * @param username the hub user
 * @param role their role
 * @returns the membership
 */
export async function setMember(
  name: string,
  username: string,
  role: ProjectRole
): Promise<IProjectMembership> {
  return requestAPI<IProjectMembership>(
    projectPath(name, 'members', username),
    { method: 'PUT', body: JSON.stringify({ role }) }
  );
}

/**
 * Remove a member from a project (owners; or a member themselves).
 *
 * @param name the project
 * @param username the member
 */
export async function removeMember(
  name: string,
  username: string
): Promise<void> {
  await requestAPI(projectPath(name, 'members', username), {
    method: 'DELETE'
  });
}
