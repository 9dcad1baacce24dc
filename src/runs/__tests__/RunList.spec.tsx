import { act, fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { RunList, visibleRange } from '../RunList';
import { summary } from '../../__tests__/runFixtures';

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
    // Given the list of 10,000 runs
    const { container } = render(<RunList {...props} />);
    const list = container.querySelector('[role="list"]') as HTMLElement;
    // When the user scrolls half way down
    act(() => {
      list.scrollTop = 200000;
      fireEvent.scroll(list);
    });
    // Then the rows around run 5000 are drawn, and no longer the first ones
    const rows = Array.from(container.querySelectorAll('[role="listitem"]'));
    expect(rows.length).toBeLessThanOrEqual(20);
    expect(rows.some(r => r.textContent?.includes('run 5000'))).toBe(true);
    expect(rows.some(r => r.textContent?.includes('run 0'))).toBe(false);
  });

  it('asks for the next page near the end of the loaded runs', () => {
    // Given the first page of 100 runs, with more on the server
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
    // When the user scrolls to the end of the loaded runs
    const list = container.querySelector('[role="list"]') as HTMLElement;
    act(() => {
      list.scrollTop = 100 * 40 - 400;
      fireEvent.scroll(list);
    });
    // Then the next page is asked for once, and not again when there is no more
    expect(onLoadMore).toHaveBeenCalledTimes(1);
    rerender(
      <RunList {...props} runs={runs.slice(0, 100)} onLoadMore={onLoadMore} />
    );
    expect(onLoadMore).toHaveBeenCalledTimes(1);
  });

  it('ticks and opens runs', () => {
    // Given three runs
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
    // When the user ticks one and clicks another
    fireEvent.click(screen.getByLabelText('Select run 1 for compare'));
    fireEvent.click(screen.getByText('run 2'));
    // Then the first is selected for compare and the second opened
    expect(onToggle).toHaveBeenCalledWith(runs[1].id, false);
    expect(onOpen).toHaveBeenCalledWith(runs[2].id);
  });

  it('computes the window at the edges', () => {
    // Given a 400 px list of 40 px rows with an overscan of 5
    // Then an empty list draws nothing, a short one all rows, a long one a window
    expect(visibleRange(0, 400, 40, 0, 5)).toEqual([0, 0]);
    expect(visibleRange(0, 400, 40, 3, 5)).toEqual([0, 3]);
    expect(visibleRange(4000, 400, 40, 10000, 5)).toEqual([95, 115]);
  });
});
