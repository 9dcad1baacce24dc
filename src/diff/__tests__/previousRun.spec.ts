import { requestAPI } from '../../api/request';
import { compareRuns, previousRun } from '../api';

jest.mock('../../api/request', () => ({
  ...jest.requireActual('../../api/request'),
  requestAPI: jest.fn()
}));
const request = requestAPI as jest.Mock;

const id = (n: number) =>
  `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('previousRun', () => {
  beforeEach(() => request.mockReset());

  it('finds the run of the same notebook started just before, across pages', async () => {
    // Given the notebook's runs newest first, the run on the first page's last row
    request
      .mockResolvedValueOnce({
        runs: [{ id: id(5) }, { id: id(4) }],
        next_cursor: 'c1'
      })
      .mockResolvedValueOnce({ runs: [{ id: id(3) }], next_cursor: null });
    // When the previous run of run 4 is asked for
    const found = await previousRun(id(4), 'nb/quick start.ipynb');
    // Then it is run 3, read from the second page, with the notebook filter
    expect(found).toBe(id(3));
    const first = new URL(`http://x/${request.mock.calls[0][0]}`);
    expect(first.pathname).toBe('/runs');
    expect(first.searchParams.get('notebook')).toBe('nb/quick start.ipynb');
    expect(first.searchParams.get('sort')).toBe('-start');
    expect(request.mock.calls[1][0]).toContain('cursor=c1');
  });

  it('says there is none for the first run', async () => {
    request.mockResolvedValueOnce({
      runs: [{ id: id(2) }, { id: id(1) }],
      next_cursor: null
    });
    expect(await previousRun(id(1), 'a.ipynb')).toBeNull();
  });

  it('fetches compared runs in one POST', async () => {
    request.mockResolvedValueOnce({ runs: [], missing: [], directions: {} });
    await compareRuns([id(1), id(2)]);
    expect(request).toHaveBeenCalledTimes(1);
    expect(request.mock.calls[0][0]).toBe('runs/compare');
    expect(request.mock.calls[0][1]).toEqual({
      method: 'POST',
      body: JSON.stringify({ ids: [id(1), id(2)] })
    });
  });
});
