import { render, screen } from '@testing-library/react';
import React from 'react';
import { FilesTable } from '../parts';
import { IShownFile } from '../read';

function file(fields: Partial<IShownFile> = {}): IShownFile {
  return {
    role: 'output',
    path: 'model/w.bin',
    sha256: 'a'.repeat(64),
    size: 12,
    outside: false,
    missing: false,
    artifact: false,
    ...fields
  };
}

describe('FilesTable', () => {
  it("shows the server's reason why a file was not captured", () => {
    // Given an output the server says was not uploaded, and one it captured
    const files = [
      file({ captured: false, reason: 'not uploaded' }),
      file({
        path: 'ok.bin',
        captured: true,
        artifact: true,
        reason: 'copied from the workspace'
      })
    ];
    // When the files are listed
    render(<FilesTable files={files} onLineage={jest.fn()} />);
    // Then the first says why it cannot be downloaded, the second has a download link
    expect(screen.getByText('Unavailable: Not uploaded.')).toBeTruthy();
    expect(screen.getAllByRole('link', { name: 'Download' })).toHaveLength(1);
  });

  it('falls back to its own wording for a server that gives no reason', () => {
    // Given a file from a server that predates capture reasons
    render(<FilesTable files={[file()]} onLineage={jest.fn()} />);
    // Then the old sentence is shown
    expect(
      screen.getByText(
        'Unavailable: Not captured: changed before publish, or too large.'
      )
    ).toBeTruthy();
  });
});
