import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { FilterBar } from '../FilterBar';
import { DEFAULT_QUERY } from '../query';

describe('FilterBar', () => {
  it('adds a parameter filter and a metric range as chips that can be removed', () => {
    // Given the filter bar of an unfiltered list
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
    // When the user types a parameter condition and presses Enter
    const input = screen.getByLabelText('Parameter filter');
    fireEvent.change(input, { target: { value: 'alpha >= 0.5' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    // Then the list is filtered by it
    expect(onQuery).toHaveBeenLastCalledWith({ params: ['alpha>=0.5'] });

    // When the user adds a metric range with only a minimum
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
    // Then the list is filtered by that range
    expect(onQuery).toHaveBeenLastCalledWith({
      metrics: [{ key: 'accuracy', min: 0.9, max: null }]
    });

    // When the user removes the parameter filter's chip
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
    // Then the filter is gone
    expect(onQuery).toHaveBeenLastCalledWith({ params: [] });
  });

  it('explains a filter it cannot read', () => {
    // Given the filter bar
    render(
      <FilterBar
        query={DEFAULT_QUERY}
        metricKeys={[]}
        paramKeys={[]}
        projects={[]}
        onQuery={jest.fn()}
      />
    );
    // When the user adds a parameter filter without a condition
    fireEvent.change(screen.getByLabelText('Parameter filter'), {
      target: { value: 'alpha' }
    });
    fireEvent.click(screen.getByText('Add'));
    // Then the bar says how to write one
    expect(screen.getByText(/name=value/)).toBeTruthy();
  });
});
