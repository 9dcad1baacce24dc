import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { IProject } from '../api';
import { ProjectMembers } from '../ProjectMembers';

const NOW = '2026-11-30T06:00:00.000000Z';

function project(role: IProject['role']): IProject {
  return {
    name: 'shared',
    created: NOW,
    runs: 3,
    role,
    members: [
      { username: 'alice', role: 'owner', added: NOW, added_by: 'alice' },
      { username: 'bob', role: 'member', added: NOW, added_by: 'alice' }
    ]
  };
}

function renderPanel(role: IProject['role'], canManage: boolean) {
  const props = {
    team: true,
    projects: [{ name: 'shared', created: NOW, runs: 3, role }],
    project: project(role),
    canManage,
    error: null,
    busy: false,
    onSelect: jest.fn(),
    onCreate: jest.fn(),
    onAdd: jest.fn(),
    onRemove: jest.fn()
  };
  render(<ProjectMembers {...props} />);
  return props;
}

describe('ProjectMembers', () => {
  it('lists the members; a member gets no add or remove controls', () => {
    // Given bob, a member of the project
    renderPanel('member', false);
    // Then he sees who is in it and with which role, and nothing to change it with
    const list = screen.getByLabelText('Members of shared');
    expect(list.textContent).toContain('aliceowner');
    expect(list.textContent).toContain('bobmember');
    expect(screen.queryByText('Remove')).toBeNull();
    expect(screen.queryByLabelText('User to add')).toBeNull();
  });

  it('lets an owner add a member with a role and remove one', () => {
    // Given alice, its owner
    const props = renderPanel('owner', true);
    // When she adds carol as owner and removes bob
    fireEvent.change(screen.getByLabelText('User to add'), {
      target: { value: 'carol' }
    });
    fireEvent.change(screen.getByLabelText('Role'), {
      target: { value: 'owner' }
    });
    fireEvent.click(screen.getByText('Add'));
    fireEvent.click(screen.getByLabelText('Remove bob'));
    // Then the model is asked for exactly that, and the form is cleared
    expect(props.onAdd).toHaveBeenCalledWith('carol', 'owner');
    expect(props.onRemove).toHaveBeenCalledWith('bob');
    expect(
      (screen.getByLabelText('User to add') as HTMLInputElement).value
    ).toBe('');
    expect((screen.getByLabelText('Role') as HTMLSelectElement).value).toBe(
      'member'
    );
  });

  it('creates a project from its name', () => {
    // Given the panel
    const props = renderPanel('member', false);
    // When a new project is named and created
    fireEvent.change(screen.getByLabelText('New project name'), {
      target: { value: 'wine' }
    });
    fireEvent.click(screen.getByText('Create project'));
    // Then it is asked for
    expect(props.onCreate).toHaveBeenCalledWith('wine');
  });
});
