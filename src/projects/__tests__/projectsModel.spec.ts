import { APIError } from '../../api/request';
import * as api from '../api';
import { ProjectsModel } from '../projectsModel';

type Store = Record<string, api.IProject>;

/** A fake server: bob is the user; "shared" is alice's, bob a member of it. */
function fakeClient(me = 'bob') {
  const now = '2026-11-30T06:00:00.000000Z';
  const member = (username: string, role: api.ProjectRole) => ({
    username,
    role,
    added: now,
    added_by: 'alice'
  });
  const projects: Store = {
    shared: {
      name: 'shared',
      created: now,
      runs: 2,
      role: 'member',
      members: [member('alice', 'owner'), member(me, 'member')]
    }
  };
  const roleOf = (p: api.IProject) =>
    p.members.find(m => m.username === me)?.role ?? null;
  const client = {
    projects,
    listProjects: jest.fn(async () => ({
      team: true,
      projects: Object.values(projects).map(p => ({
        name: p.name,
        created: p.created,
        runs: p.runs,
        role: roleOf(p)
      }))
    })),
    getProject: jest.fn(async (name: string) => {
      const p = projects[name];
      if (!p) {
        throw new APIError(404, `There is no project '${name}'.`);
      }
      return { ...p, role: roleOf(p), members: [...p.members] };
    }),
    createProject: jest.fn(async (name: string) => {
      if (projects[name]) {
        throw new APIError(409, `A project named '${name}' already exists.`);
      }
      projects[name] = {
        name,
        created: now,
        runs: 0,
        role: 'owner',
        members: [member(me, 'owner')]
      };
      return projects[name];
    }),
    setMember: jest.fn(
      async (name: string, username: string, role: api.ProjectRole) => {
        const p = projects[name];
        if (roleOf(p) !== 'owner') {
          throw new APIError(403, `Only an owner of project '${name}' may.`);
        }
        p.members = [
          ...p.members.filter(m => m.username !== username),
          member(username, role)
        ];
        return { project: name, ...member(username, role) };
      }
    ),
    removeMember: jest.fn(async (name: string, username: string) => {
      const p = projects[name];
      p.members = p.members.filter(m => m.username !== username);
    })
  };
  return client;
}

describe('ProjectsModel', () => {
  it('shows the first project a member sees, and no member management', async () => {
    // Given bob, a member (not an owner) of alice's project on a team server
    const client = fakeClient();
    const model = new ProjectsModel(client as any);
    // When the section loads
    await model.refresh();
    // Then it lists the project with its members, and bob may not manage them
    expect(model.team).toBe(true);
    expect(model.projects.map(p => [p.name, p.role])).toEqual([
      ['shared', 'member']
    ]);
    expect(model.project?.members.map(m => m.username)).toEqual([
      'alice',
      'bob'
    ]);
    expect(model.canManage).toBe(false);
  });

  it('lets the owner of a project they created add and remove members', async () => {
    // Given bob on the team server
    const client = fakeClient();
    const model = new ProjectsModel(client as any);
    await model.refresh();
    // When he creates a project, adds carol as owner and dave as member, removes dave
    await model.create('  mine ');
    await model.addMember(' carol ', 'owner');
    await model.addMember('dave', 'member');
    await model.removeMember('dave');
    // Then the project is selected, his to manage, with bob and carol as owners
    expect(client.createProject).toHaveBeenCalledWith('mine');
    expect(client.setMember).toHaveBeenCalledWith('mine', 'carol', 'owner');
    expect(model.project?.name).toBe('mine');
    expect(model.canManage).toBe(true);
    expect(model.project?.members.map(m => [m.username, m.role])).toEqual([
      ['bob', 'owner'],
      ['carol', 'owner']
    ]);
    expect(model.error).toBeNull();
  });

  it('says why a request was refused and keeps what it showed', async () => {
    // Given bob viewing alice's project
    const client = fakeClient();
    const model = new ProjectsModel(client as any);
    await model.refresh();
    // When he tries to add someone, and to create a project whose name is taken
    await model.addMember('mallory', 'owner');
    const refused = model.error;
    await model.create('shared');
    // Then each error is the server's sentence; the members are unchanged
    expect(refused).toBe("Only an owner of project 'shared' may.");
    expect(model.error).toBe("A project named 'shared' already exists.");
    expect(model.project?.members.map(m => m.username)).toEqual([
      'alice',
      'bob'
    ]);
  });

  it('asks for a name before sending an empty one', async () => {
    // Given the model
    const client = fakeClient();
    const model = new ProjectsModel(client as any);
    await model.refresh();
    // When an empty project or user name is submitted
    await model.create('   ');
    const noProject = model.error;
    await model.addMember(' ', 'member');
    // Then nothing is sent, and the user is told what is missing
    expect(noProject).toBe('Give the new project a name.');
    expect(model.error).toBe('Give the user name of the person to add.');
    expect(client.createProject).not.toHaveBeenCalled();
    expect(client.setMember).not.toHaveBeenCalled();
  });
});
