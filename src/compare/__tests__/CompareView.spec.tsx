import { render, screen, waitFor } from '@testing-library/react';
import React from 'react';
import { CompareView } from '../CompareView';
import { fullRun } from '../../__tests__/runFixtures';

describe('CompareView', () => {
  it('highlights the differing parameter and stars the best metric', async () => {
    // Given two runs that differ in alpha only, the second more accurate
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
    // When they are compared
    const { container } = render(
      <CompareView runs={[a, b]} onOpenRun={jest.fn()} />
    );
    // Then alpha is highlighted, seed is not, and the better accuracy is starred
    const alpha = container.querySelector('tr[data-key="alpha"]')!;
    const seed = container.querySelector('tr[data-key="seed"]')!;
    expect(alpha.classList.contains('jp-mod-differs')).toBe(true);
    expect(seed.classList.contains('jp-mod-differs')).toBe(false);
    const best = container.querySelectorAll(
      'tr[data-key="accuracy"] td.jp-mod-best'
    );
    expect(best).toHaveLength(1);
    expect(best[0].textContent).toContain('0.9');
    // And one overlaid chart has a legend entry per run
    await waitFor(() =>
      expect(
        screen.getByRole('img', { name: 'accuracy: every run: 2 points' })
      ).toBeTruthy()
    );
    const legend = container.querySelectorAll(
      '.jp-Dotscience-legend .jp-Dotscience-legendEntry'
    );
    expect(Array.from(legend, e => e.textContent)).toEqual([
      'run 1',
      'run 2'
    ]);
  });
});
