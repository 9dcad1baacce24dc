import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { IApiKey } from '../api';
import { KeyList } from '../KeyList';

function key(id: string, scopes: IApiKey['scopes']): IApiKey {
  return {
    id,
    username: 'alice',
    name: `key ${id}`,
    project: null,
    scopes,
    created: '2026-11-27T06:30:00.000000Z',
    revoked: null
  };
}

function renderList(keys: IApiKey[] = []) {
  const props = {
    keys,
    created: null,
    error: null,
    busy: false,
    onCreate: jest.fn(),
    onRevoke: jest.fn(),
    onDismiss: jest.fn()
  };
  render(<KeyList {...props} />);
  return props;
}

describe('KeyList', () => {
  it('creates keys without the deploy scope unless the box is ticked', () => {
    // Given the keys panel
    const props = renderList();
    const box = screen.getByLabelText('May build and deploy models');
    // Then the deploy box starts unticked
    expect((box as HTMLInputElement).checked).toBe(false);
    // When a key is created without touching it
    fireEvent.change(screen.getByLabelText('Key name'), {
      target: { value: 'ci' }
    });
    fireEvent.click(screen.getByText('Create key'));
    // Then it is asked for without deploy
    expect(props.onCreate).toHaveBeenLastCalledWith('ci', '', false);
    // When the box is ticked and another key is created
    fireEvent.click(box);
    fireEvent.click(screen.getByText('Create key'));
    // Then that one is asked for with deploy, and the box is unticked again
    expect(props.onCreate).toHaveBeenLastCalledWith('', '', true);
    expect((box as HTMLInputElement).checked).toBe(false);
  });

  it('shows which keys may build and deploy', () => {
    // Given one key with the deploy scope and one without
    renderList([key('000000000001', ['deploy']), key('000000000002', [])]);
    // Then only the first says it may build and deploy
    const items = screen.getAllByRole('listitem');
    expect(items[0].textContent).toContain('may build and deploy');
    expect(items[1].textContent).not.toContain('may build and deploy');
  });
});
