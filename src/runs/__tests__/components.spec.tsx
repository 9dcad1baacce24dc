import { act, fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { CompareView } from '../../compare/CompareView';
import { LineageGraph } from '../../lineage/LineageGraph';
import { RunList, visibleRange } from '../RunList';
import { FilterBar } from '../FilterBar';
import { DEFAULT_QUERY } from '../query';
import { fullRun, summary } from '../../__tests__/runFixtures';

describe('RunList', () => {
  const runs = Array.from({ length: 10000 }, (_, i) => summary(i));
  const props = {
    runs,
    hasMore: false,
    loading: false,
    onLoadMore: jest.fn(),
    isSelected: () => false,
    onToggle: jest.fn(),
    onOpen: jest.fn(),
    rowHeight: 40,
    initialHeight: 400,
    overscan: 5
  };

  it('renders only a window of 10,000 rows', () => {
    // Given 10,000 runs in a 400 px list of 40 px rows
    const { container } = render(<RunList {...props} />);
    // Then only the visible rows plus the overscan are in the DOM
    const rows = container.querySelectorAll('[role="listitem"]');
    expect(rows.length).toBe(15);
    expect(rows[0].textContent).toContain('run 0');
    // And the list is as tall as all rows, so the scrollbar is right
    const spacer = container.querySelector(
      '.jp-Dotscience-runList-spacer'
    ) as HTMLElement;
    expect(spacer.style.height).toBe('400000px');
  });

  it('moves the window when scrolled', () => {
    const { container } = render(<RunList {...props} />);
    const list = container.querySelector('[role="list"]') as HTMLElement;
    act(() => {
      list.scrollTop = 200000;
      fireEvent.scroll(list);
    });
    const rows = Array.from(container.querySelectorAll('[role="listitem"]'));
    expect(rows.length).toBeLessThanOrEqual(20);
    expect(rows.some(r => r.textContent?.includes('run 5000'))).toBe(true);
    expect(rows.some(r => r.textContent?.includes('run 0'))).toBe(false);
  });

  it('asks for the next page near the end of the loaded runs', () => {
    const onLoadMore = jest.fn();
    const { container, rerender } = render(
      <RunList
        {...props}
        runs={runs.slice(0, 100)}
        hasMore
        onLoadMore={onLoadMore}
      />
    );
    expect(onLoadMore).not.toHaveBeenCalled();
    const list = container.querySelector('[role="list"]') as HTMLElement;
    act(() => {
      list.scrollTop = 100 * 40 - 400;
      fireEvent.scroll(list);
    });
    expect(onLoadMore).toHaveBeenCalledTimes(1);
    rerender(
      <RunList {...props} runs={runs.slice(0, 100)} onLoadMore={onLoadMore} />
    );
    expect(onLoadMore).toHaveBeenCalledTimes(1);
  });

  it('ticks and opens runs', () => {
    const onToggle = jest.fn();
    const onOpen = jest.fn();
    render(
      <RunList
        {...props}
        runs={runs.slice(0, 3)}
        onToggle={onToggle}
        onOpen={onOpen}
      />
    );
    fireEvent.click(screen.getByLabelText('Select run 1 for compare'));
    fireEvent.click(screen.getByText('run 2'));
    expect(onToggle).toHaveBeenCalledWith(runs[1].id);
    expect(onOpen).toHaveBeenCalledWith(runs[2].id);
  });

  it('computes the window at the edges', () => {
    expect(visibleRange(0, 400, 40, 0, 5)).toEqual([0, 0]);
    expect(visibleRange(0, 400, 40, 3, 5)).toEqual([0, 3]);
    expect(visibleRange(4000, 400, 40, 10000, 5)).toEqual([95, 115]);
  });
});

describe('FilterBar', () => {
  it('adds a parameter filter and a metric range as chips that can be removed', () => {
    const onQuery = jest.fn();
    const { rerender } = render(
      <FilterBar
        query={DEFAULT_QUERY}
        metricKeys={['accuracy']}
        paramKeys={['alpha']}
        projects={[]}
        onQuery={onQuery}
      />
    );
    const input = screen.getByLabelText('Parameter filter');
    fireEvent.change(input, { target: { value: 'alpha >= 0.5' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onQuery).toHaveBeenLastCalledWith({ params: ['alpha>=0.5'] });

    fireEvent.change(screen.getByLabelText('Filter kind'), {
      target: { value: 'metric' }
    });
    fireEvent.change(screen.getByLabelText('Metric name'), {
      target: { value: 'accuracy' }
    });
    fireEvent.change(screen.getByLabelText('Minimum'), {
      target: { value: '0.9' }
    });
    fireEvent.click(screen.getByText('Add'));
    expect(onQuery).toHaveBeenLastCalledWith({
      metrics: [{ key: 'accuracy', min: 0.9, max: null }]
    });

    rerender(
      <FilterBar
        query={{ ...DEFAULT_QUERY, params: ['alpha>=0.5'] }}
        metricKeys={[]}
        paramKeys={[]}
        projects={[]}
        onQuery={onQuery}
      />
    );
    fireEvent.click(screen.getByLabelText('Remove filter param alpha>=0.5'));
    expect(onQuery).toHaveBeenLastCalledWith({ params: [] });
  });

  it('explains a filter it cannot read', () => {
    render(
      <FilterBar
        query={DEFAULT_QUERY}
        metricKeys={[]}
        paramKeys={[]}
        projects={[]}
        onQuery={jest.fn()}
      />
    );
    fireEvent.change(screen.getByLabelText('Parameter filter'), {
      target: { value: 'alpha' }
    });
    fireEvent.click(screen.getByText('Add'));
    expect(screen.getByText(/name=value/)).toBeTruthy();
  });
});

describe('CompareView', () => {
  it('highlights the differing parameter and stars the best metric', () => {
    const point = (value: number) => ({
      value,
      text: String(value),
      step: 0,
      time: null
    });
    const a = fullRun(1, {
      parameters: {
        alpha: { value: 0.1, text: '0.1' },
        seed: { value: 1, text: '1' }
      },
      metrics: { accuracy: [point(0.8)] }
    });
    const b = fullRun(2, {
      parameters: {
        alpha: { value: 0.5, text: '0.5' },
        seed: { value: 1, text: '1' }
      },
      metrics: { accuracy: [point(0.9)] }
    });
    const { container } = render(
      <CompareView runs={[a, b]} onOpenRun={jest.fn()} />
    );
    const alpha = container.querySelector('tr[data-key="alpha"]')!;
    const seed = container.querySelector('tr[data-key="seed"]')!;
    expect(alpha.classList.contains('jp-mod-differs')).toBe(true);
    expect(seed.classList.contains('jp-mod-differs')).toBe(false);
    const best = container.querySelectorAll(
      'tr[data-key="accuracy"] td.jp-mod-best'
    );
    expect(best).toHaveLength(1);
    expect(best[0].textContent).toContain('0.9');
    // one overlaid chart with a legend entry per run
    expect(
      screen.getByRole('img', { name: 'accuracy: every run' })
    ).toBeTruthy();
  });
});

describe('LineageGraph', () => {
  it('opens an upstream run and a file lineage on click', () => {
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
    fireEvent.click(screen.getByRole('button', { name: 'Run prepare' }));
    expect(onRun).toHaveBeenCalledWith('U');
    fireEvent.click(screen.getByRole('button', { name: 'File clean.csv' }));
    expect(onFile).toHaveBeenCalledWith(sha, 'data/clean.csv');
    // the run itself is drawn but is not a link to itself
    expect(screen.queryByRole('button', { name: 'Run train' })).toBeNull();
  });
});
