import { act, fireEvent, render, screen } from '@testing-library/react';
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

describe('LineageGraph at 500 nodes', () => {
  // a chain of 250 runs, each reading the file the previous one wrote
  const big = () => {
    const nodes: {
      id: string;
      kind: 'run' | 'file';
      sha256?: string;
      path?: string;
    }[] = [];
    const edges: { from: string; to: string; kind: 'input' | 'output' }[] = [];
    for (let i = 0; i < 250; i++) {
      nodes.push({ id: `r${i}`, kind: 'run' });
      nodes.push({
        id: `f${i}`,
        kind: 'file',
        sha256: `${i}`.padStart(64, '0')
      });
      edges.push({ from: `r${i}`, to: `f${i}`, kind: 'output' });
      if (i > 0) {
        edges.push({ from: `f${i - 1}`, to: `r${i}`, kind: 'input' });
      }
    }
    return { root: 'r100', nodes, edges, truncated: false };
  };
  // jsdom has no PointerEvent (fireEvent would drop clientX) and lays nothing out: give
  // it a pointer event with coordinates and the view the size a browser would (800 by 520)
  beforeAll(() => {
    const w = window as unknown as { PointerEvent?: typeof MouseEvent };
    w.PointerEvent ??= class extends MouseEvent {};
  });
  beforeEach(() => {
    jest
      .spyOn(HTMLElement.prototype, 'clientWidth', 'get')
      .mockReturnValue(800);
    jest
      .spyOn(HTMLElement.prototype, 'clientHeight', 'get')
      .mockReturnValue(520);
  });
  afterEach(() => jest.restoreAllMocks());
  const scale = (container: HTMLElement) =>
    container
      .querySelector('.jp-Dotscience-lineage-canvas')!
      .getAttribute('transform')!;

  it('opens on the run with far nodes faded, and Fit shows the whole graph', () => {
    // Given a 500-node lineage
    const { container } = render(
      <LineageGraph graph={big()} onRun={() => {}} onFile={() => {}} />
    );
    // Then it opens at full size with only the run's neighbourhood (two steps) in focus
    expect(scale(container)).toMatch(/scale\(1\)$/);
    const focused = container.querySelectorAll(
      '.jp-Dotscience-node:not(.jp-mod-faded)'
    );
    expect(
      Array.from(focused)
        .map(n => n.getAttribute('data-node-id'))
        .sort()
    ).toEqual(['f100', 'f99', 'r100', 'r101', 'r99'].sort());
    // When Fit is pressed
    fireEvent.click(screen.getByRole('button', { name: 'Fit' }));
    // Then the drawing is shrunk to fit and nothing is faded
    const k = Number(/scale\(([\d.e-]+)\)/.exec(scale(container))![1]);
    expect(k).toBeLessThan(0.1);
    expect(container.querySelectorAll('.jp-mod-faded')).toHaveLength(0);
    // And Focus on this run brings the neighbourhood back
    fireEvent.click(screen.getByRole('button', { name: 'Focus on this run' }));
    expect(scale(container)).toMatch(/scale\(1\)$/);
    expect(container.querySelectorAll('.jp-mod-faded').length).toBeGreaterThan(
      490
    );
  });

  it('zooms with the buttons and the wheel, and a drag moves without opening a run', () => {
    // Given a 500-node lineage
    const onRun = jest.fn();
    const { container } = render(
      <LineageGraph graph={big()} onRun={onRun} onFile={() => {}} />
    );
    // When zoom out is pressed, then the wheel turned towards the reader
    fireEvent.click(screen.getByRole('button', { name: 'Zoom out' }));
    expect(scale(container)).toMatch(/scale\(0\.8\)$/);
    const view = container.querySelector('.jp-Dotscience-lineage-view')!;
    act(() => {
      view.dispatchEvent(
        new WheelEvent('wheel', {
          deltaY: -200,
          bubbles: true,
          cancelable: true
        })
      );
    });
    // Then the drawing grows again
    expect(
      Number(/scale\(([\d.e-]+)\)/.exec(scale(container))![1])
    ).toBeGreaterThan(0.8);
    // When a run node is dragged by 40 px and released over it
    const node = container.querySelector('[data-node-id="r101"]')!;
    const before = scale(container);
    fireEvent.pointerDown(node, { button: 0, clientX: 10, clientY: 10 });
    fireEvent.pointerMove(window, { clientX: 50, clientY: 10 });
    fireEvent.pointerUp(window, { clientX: 50, clientY: 10 });
    fireEvent.click(node);
    // Then the view moved and the run did not open; a plain click still opens it
    expect(scale(container)).not.toEqual(before);
    expect(onRun).not.toHaveBeenCalled();
    fireEvent.click(node);
    expect(onRun).toHaveBeenCalledWith('r101');
  });
});
