import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { summary } from '../../__tests__/runFixtures';
import { FilterBar } from '../FilterBar';
import { RunList } from '../RunList';
import { DEFAULT_QUERY, isFiltered, toSearchParams } from '../query';

describe('Verdicts and warnings in the runs list', () => {
  const props = {
    hasMore: false,
    loading: false,
    onLoadMore: jest.fn(),
    isSelected: () => false,
    onToggle: jest.fn(),
    onOpen: jest.fn(),
    rowHeight: 40,
    initialHeight: 400
  };

  it('badges a row with its warnings and its verdict', () => {
    // Given a run with two kinds of warning (one twice) that was reproduced, and one that
    // has neither (as an older server sends it)
    const runs = [
      {
        ...summary(1),
        warnings: ['out_of_order', 'source_changed', 'out_of_order'],
        verdict: 'differs'
      },
      summary(2)
    ];
    // When the list shows them
    const { container } = render(<RunList {...props} runs={runs as any} />);
    const [first, second] = Array.from(
      container.querySelectorAll('[role="listitem"]')
    );
    // Then the first row counts its warning kinds and names them on hover
    const warning = first.querySelector('.jp-Dotscience-warningBadge')!;
    expect(warning.textContent).toBe('⚠ 2');
    expect(warning.getAttribute('title')).toBe(
      'Hidden state: out of order, source changed'
    );
    // And shows its verdict
    expect(first.querySelector('.jp-Dotscience-verdict')!.textContent).toBe(
      'differs'
    );
    // And the other row has no badge
    expect(second.querySelector('.jp-Dotscience-runRow-badge')).toBeNull();
  });

  it('does not badge a verdict it does not know', () => {
    // Given a run whose verdict is not one of the five
    const runs = [{ ...summary(1), verdict: '<img src=x>', warnings: 'many' }];
    // When the list shows it
    const { container } = render(<RunList {...props} runs={runs as any} />);
    // Then there is no badge (and nothing else breaks)
    expect(container.querySelector('.jp-Dotscience-runRow-badge')).toBeNull();
    expect(container.textContent).toContain('run 1');
  });

  it('filters by verdict and by warnings from the filter bar', () => {
    // Given the filter bar of an unfiltered list
    const onQuery = jest.fn();
    render(
      <FilterBar
        query={DEFAULT_QUERY}
        metricKeys={[]}
        paramKeys={[]}
        projects={[]}
        onQuery={onQuery}
      />
    );
    // When the user picks a verdict
    fireEvent.change(screen.getByLabelText('Verdict'), {
      target: { value: 'within_tolerance' }
    });
    // Then the list is filtered by it
    expect(onQuery).toHaveBeenLastCalledWith({ verdict: 'within_tolerance' });
    // When the user ticks Warnings
    fireEvent.click(screen.getByLabelText('Warnings'));
    // Then only runs with warnings are asked for
    expect(onQuery).toHaveBeenLastCalledWith({ warnings: true });
  });

  it('asks the server for the verdict and warnings filters', () => {
    // Given a query for runs never reproduced that have warnings
    const query = {
      ...DEFAULT_QUERY,
      verdict: 'none' as const,
      warnings: true
    };
    // When it becomes the listing's query parameters
    const params = toSearchParams(query, 50);
    // Then both filters are sent as the API names them
    expect(params.get('verdict')).toBe('none');
    expect(params.get('warnings')).toBe('true');
    // And the list counts as filtered (its empty state says so)
    expect(isFiltered(query)).toBe(true);
    // And the unfiltered query sends neither
    const plain = toSearchParams(DEFAULT_QUERY, 50);
    expect(plain.has('verdict')).toBe(false);
    expect(plain.has('warnings')).toBe(false);
  });
});
