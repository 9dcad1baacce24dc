import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { LineageGraph } from '../LineageGraph';
import { layoutLineage } from '../layout';

describe('a lineage graph whose root is not among its nodes', () => {
  it('shows that there is no lineage when the graph has no nodes', () => {
    // Given a graph naming a root the server sent no node for, and no nodes at all
    const graph = {
      root: 'c0ffee00-0000-4000-8000-000000000000',
      nodes: [],
      edges: [],
      truncated: false
    };
    // When it is drawn
    render(<LineageGraph graph={graph} onRun={() => {}} onFile={() => {}} />);
    // Then the reader is told there is no lineage instead of the view crashing
    expect(
      screen.getByText('No recorded inputs or outputs, so no lineage.')
    ).toBeTruthy();
    expect(layoutLineage(graph).nodes).toEqual([]);
  });

  it('draws the nodes it has, none marked as the root', () => {
    // Given a file and the run that wrote it, under a root that is neither
    const graph = {
      root: 'c0ffee00-0000-4000-8000-000000000000',
      nodes: [
        { id: 'r1', kind: 'run' as const, status: 'succeeded' as const },
        {
          id: 'f1',
          kind: 'file' as const,
          sha256: 'ab'.repeat(32),
          path: 'a.csv'
        }
      ],
      edges: [{ from: 'r1', to: 'f1', kind: 'output' as const }],
      truncated: false
    };
    // When it is drawn
    const { container } = render(
      <LineageGraph graph={graph} onRun={() => {}} onFile={() => {}} />
    );
    // Then both nodes and the edge are drawn, and no node is highlighted as the root
    expect(container.querySelectorAll('.jp-Dotscience-node')).toHaveLength(2);
    expect(container.querySelectorAll('.jp-Dotscience-edge')).toHaveLength(1);
    expect(container.querySelectorAll('.jp-mod-root')).toHaveLength(0);
  });
});

describe('LineageGraph', () => {
  it('opens an upstream run and a file lineage on click', () => {
    // Given the graph of a run, the file it read and the run that wrote that file
    const onRun = jest.fn();
    const onFile = jest.fn();
    const sha = 'a'.repeat(64);
    render(
      <LineageGraph
        graph={{
          root: 'R',
          nodes: [
            { id: 'R', kind: 'run', description: 'train' },
            { id: 'U', kind: 'run', description: 'prepare' },
            {
              id: `sha256:${sha}`,
              kind: 'file',
              sha256: sha,
              path: 'data/clean.csv'
            }
          ],
          edges: [
            { from: 'U', to: `sha256:${sha}`, kind: 'output' },
            { from: `sha256:${sha}`, to: 'R', kind: 'input' }
          ],
          truncated: false
        }}
        onRun={onRun}
        onFile={onFile}
      />
    );
    // When the user clicks the upstream run, then the file
    fireEvent.click(screen.getByRole('button', { name: 'Run prepare' }));
    expect(onRun).toHaveBeenCalledWith('U');
    fireEvent.click(screen.getByRole('button', { name: 'File clean.csv' }));
    // Then the run opens and the file's lineage is asked for
    expect(onFile).toHaveBeenCalledWith(sha, 'data/clean.csv');
    // And the run itself is drawn but is not a link to itself
    expect(screen.queryByRole('button', { name: 'Run train' })).toBeNull();
  });
});
