import { act, fireEvent, render, screen, within } from '@testing-library/react';
import React from 'react';
import { APIError } from '../../api/request';
import { IReproduceAPI } from '../../api/reproductions';
import { RestWire } from '../../api/rest';
import { IRunsAPI } from '../../api/runs';
import { fullRun } from '../../__tests__/runFixtures';
import { RunDetail } from '../RunDetail';
import { RunDetailModel } from '../detailModel';

/**
 * A reproduction as the server sends it.
 */
function reproduction(fields: { [key: string]: unknown } = {}): any {
  return {
    id: 'rep-1',
    run_id: 'r1',
    state: 'queued',
    cell: 0,
    cells: 0,
    verdict: null,
    result: null,
    replay_run_id: null,
    requested_by: 'alice',
    tolerance: 0,
    created: '2026-11-30T06:00:00.000000Z',
    finished: null,
    ...fields
  };
}

const DIFFERS = reproduction({
  state: 'done',
  cell: 3,
  cells: 3,
  verdict: 'differs',
  replay_run_id: 'replay-0000-1111',
  finished: '2026-11-30T06:00:09.000000Z',
  result: {
    differences: [
      {
        kind: 'metric',
        name: 'score',
        original: 0.25,
        replay: 0.75,
        relative_difference: 2
      }
    ],
    environment: {
      python: ['3.11.7', '3.11.7'],
      packages: [{ name: 'numpy', original: '2.1.0', replay: '2.1.1' }]
    },
    failed: null,
    missing: [],
    skipped: 1
  }
});

const EXECUTIONS = {
  kernel: { session: 's', started: null, name: 'python3', cwd: '' },
  executions: [
    {
      seq: 0,
      cell_id: 'c-setup',
      execution_count: 1,
      source_sha256: 'a'.repeat(64),
      source: 'import random',
      start: null,
      end: '2026-11-30T06:00:00.000000Z',
      success: true,
      error: null,
      in_run: false,
      origin: 'cell'
    },
    {
      seq: 1,
      cell_id: 'c-bad',
      execution_count: 2,
      source_sha256: 'b'.repeat(64),
      source: 'print(undefined_name)',
      start: null,
      end: '2026-11-30T06:00:01.000000Z',
      success: false,
      error: "NameError: name 'undefined_name' is not defined",
      in_run: true,
      origin: 'cell'
    },
    {
      seq: 2,
      cell_id: 'c-score',
      execution_count: 3,
      source_sha256: 'c'.repeat(64),
      source: "ds.metric('score', random.random())",
      start: null,
      end: null,
      success: null,
      error: null,
      in_run: true,
      origin: 'cell'
    }
  ]
};

interface IServer {
  runs: IRunsAPI;
  reproduce: IReproduceAPI;
  posts: RestWire.IReproductionRequest[];
  deletes: string[];
}

/**
 * A server holding one run (authored by `author`), its executions and its reproductions;
 * a reproduction started on it answers `progress` to each read, then stays at the last.
 */
function server(options: {
  author?: string;
  warnings?: unknown;
  verdict?: string | null;
  executions?: unknown;
  reproductions?: unknown[];
  progress?: unknown[];
  refuse?: APIError;
}): IServer {
  const posts: IServer['posts'] = [];
  const deletes: string[] = [];
  const progress = [...(options.progress ?? [DIFFERS])];
  let verdict = options.verdict ?? null;
  const author = options.author ?? 'alice';
  const runs = {
    getRun: async () => ({
      ...fullRun(1, { author }),
      id: 'r1',
      warnings: options.warnings ?? [],
      verdict,
      reproduces: null
    }),
    getRunFiles: async () => [],
    getRunNotebook: async () => null,
    getRunLineage: async () => null
  } as unknown as IRunsAPI;
  const reproduce: IReproduceAPI = {
    getRunExecutions: async () => {
      if (options.executions === undefined) {
        return EXECUTIONS as any;
      }
      if (options.executions === null) {
        throw new APIError(404, 'Not found');
      }
      return options.executions as any;
    },
    listReproductions: async () => (options.reproductions ?? []) as any,
    startReproduction: async (_id, request) => {
      posts.push(request);
      if (options.refuse) {
        throw options.refuse;
      }
      if (author !== 'alice' && !request.confirm) {
        throw new APIError(
          409,
          `This run was published by ${author}; confirm to execute its code.`,
          { message: 'confirm', author, executions: 2 }
        );
      }
      return reproduction({ tolerance: request.tolerance });
    },
    getReproduction: async () => {
      const next = progress.length > 1 ? progress.shift() : progress[0];
      verdict = (next as any).verdict ?? verdict;
      return next as any;
    },
    cancelReproduction: async (_id, rid) => {
      deletes.push(rid);
    }
  };
  return { runs, reproduce, posts, deletes };
}

/**
 * The detail of run r1 as the user sees it, drawn again whenever its model changes. Polls
 * wait for `tick()` (a test releases each one), so what is shown between polls is seen.
 */
async function show(s: IServer) {
  const waiting: (() => void)[] = [];
  const model = new RunDetailModel(
    'r1',
    s.runs,
    s.reproduce,
    () => new Promise<void>(resolve => waiting.push(resolve))
  );
  const onOpenRun = jest.fn();
  function Live(): JSX.Element {
    const [, setVersion] = React.useState(0);
    React.useEffect(() => {
      const redraw = () => setVersion(v => v + 1);
      model.changed.connect(redraw);
      return () => void model.changed.disconnect(redraw);
    }, []);
    return (
      <RunDetail
        model={model}
        onOpenRun={onOpenRun}
        onOpenFile={jest.fn()}
        onJumpToCell={jest.fn()}
        onExport={jest.fn()}
      />
    );
  }
  await act(() => model.load());
  const view = render(<Live />);
  /** release the pending poll and let its answer be drawn */
  const tick = async () => {
    await act(async () => {
      for (let i = 0; i < 20 && waiting.length === 0; i++) {
        await Promise.resolve();
      }
      waiting.shift()?.();
      for (let i = 0; i < 20; i++) {
        await Promise.resolve();
      }
    });
  };
  const click = async (name: string | RegExp) => {
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name }));
      for (let i = 0; i < 20; i++) {
        await Promise.resolve();
      }
    });
  };
  return { model, view, tick, click, onOpenRun };
}

function section(container: HTMLElement, id: string): HTMLElement {
  return container.querySelector(`[data-section="${id}"]`) as HTMLElement;
}

describe('Reproduce on the run detail', () => {
  it('shows cell i of n while replaying, then the verdict with the metric that differs', async () => {
    // Given the user's own run, whose replay reports two cells of three, then a verdict
    const s = server({
      progress: [
        reproduction({ state: 'running', cell: 1, cells: 3 }),
        reproduction({ state: 'running', cell: 2, cells: 3 }),
        DIFFERS
      ]
    });
    const { view, tick, click, onOpenRun, model } = await show(s);
    const finished: string[] = [];
    model.reproduced.connect((_, r) => finished.push(r.verdict ?? r.state));
    // When the user clicks Reproduce
    await click('Reproduce');
    // Then it started without asking (it is their own run), exactly
    expect(s.posts).toEqual([{ tolerance: 0, confirm: false }]);
    expect(screen.getByRole('status').textContent).toContain('Preparing');
    // And the progress follows the replay, cell by cell
    await tick();
    expect(screen.getByRole('status').textContent).toBe('Running cell 2 of 3');
    expect(screen.getByRole('button', { name: 'Reproduce' })).toHaveProperty(
      'disabled',
      true
    );
    await tick();
    expect(screen.getByRole('status').textContent).toBe('Running cell 3 of 3');
    // When the replay is done
    await tick();
    // Then the verdict names the metric, both values and their relative difference
    const panel = section(view.container, 'reproduce');
    expect(panel.textContent).toContain('differs');
    const row = within(panel).getByText('score').closest('tr')!;
    expect(
      Array.from(row.querySelectorAll('td')).map(td => td.textContent)
    ).toEqual(['metric', 'score', '0.25', '0.75', '2.00e+0']);
    // And the environment difference and the skipped failed execution are said
    expect(panel.textContent).toContain('Environment differences: 1 package');
    expect(panel.textContent).toContain('1 failed execution was not replayed');
    // And the header shows the verdict the server now stores with the run
    const header = view.container.querySelector('.jp-Dotscience-detailHeader');
    expect(header!.textContent).toContain('differs');
    // And the replay run opens from the verdict
    await click(/Replay run/);
    expect(onOpenRun).toHaveBeenCalledWith('replay-0000-1111');
    // And no poll is left running, and the runs list was told once (to show the replay)
    expect(screen.queryByRole('status')).toBeNull();
    expect(finished).toEqual(['differs']);
  });

  it("asks before replaying someone else's run, showing whose it is and the code", async () => {
    // Given a run published by bob
    const s = server({ author: 'bob' });
    const { click } = await show(s);
    // When the user clicks Reproduce
    await click('Reproduce');
    // Then nothing runs yet: a dialog names bob and shows the code it will execute
    expect(s.posts).toEqual([{ tolerance: 0, confirm: false }]);
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('published by bob');
    expect(dialog.textContent).toContain('executes its 2 recorded cells');
    const sources = Array.from(
      dialog.querySelectorAll('.jp-Dotscience-source')
    ).map(p => p.textContent);
    expect(sources).toEqual([
      'import random',
      "ds.metric('score', random.random())"
    ]);
    // And which of them ran inside the run is marked
    const items = dialog.querySelectorAll('.jp-Dotscience-execution');
    expect(items[0].textContent).toContain('before run');
    expect(items[1].textContent).toContain('in run');
    // When the user declines
    await click('Cancel');
    // Then the dialog is gone and nothing was started
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(s.posts).toHaveLength(1);
    // When the user asks again and confirms
    await click('Reproduce');
    await click('Run this code');
    // Then the reproduction is started with the confirmation
    expect(s.posts[2]).toEqual({ tolerance: 0, confirm: true });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it("does not ask again once someone else's run was reproduced", async () => {
    // Given bob's run that was reproduced before (by the Jupyter user)
    const s = server({
      author: 'bob',
      reproductions: [{ ...DIFFERS, requested_by: 'alice' }]
    });
    const { click, view } = await show(s);
    // Then its last verdict shows before anything is clicked
    expect(section(view.container, 'reproduce').textContent).toContain('score');
    // When the user clicks Reproduce
    await click('Reproduce');
    // Then it starts at once, confirmed
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(s.posts).toEqual([{ tolerance: 0, confirm: true }]);
  });

  it('cancels a running reproduction', async () => {
    // Given a reproduction that is running
    const s = server({
      progress: [
        reproduction({ state: 'running', cell: 1, cells: 4 }),
        reproduction({ state: 'cancelled', cell: 1, cells: 4 })
      ]
    });
    const { click, tick, view } = await show(s);
    await click('Reproduce');
    await tick();
    // When the user clicks Cancel
    await click('Cancel');
    // Then the server is asked to stop it
    expect(s.deletes).toEqual(['rep-1']);
    // And once it has stopped, the panel says it was cancelled and Cancel is gone
    await tick();
    expect(section(view.container, 'reproduce').textContent).toContain(
      'The reproduction was cancelled.'
    );
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });

  it('stops following a reproduction the server no longer has', async () => {
    // Given a reproduction that is running, then gone from the server
    const s = server({
      progress: [reproduction({ state: 'running', cell: 1, cells: 4 })]
    });
    let reads = 0;
    const read = s.reproduce.getReproduction;
    s.reproduce.getReproduction = async (id, rid) => {
      reads += 1;
      if (reads > 1) {
        throw new APIError(404, 'No reproduction rep-1 of run r1.');
      }
      return read(id, rid);
    };
    const { click, tick } = await show(s);
    await click('Reproduce');
    await tick();
    // When the next read answers 404
    await tick();
    // Then the user is told, Reproduce can be clicked again, and no poll is pending
    expect(screen.getByRole('alert').textContent).toBe(
      'The reproduction is no longer on the server.'
    );
    expect(screen.getByRole('button', { name: 'Reproduce' })).toHaveProperty(
      'disabled',
      false
    );
    await tick();
    expect(reads).toBe(2);
  });

  it('closes the confirmation with Escape, its Cancel button focused', async () => {
    // Given the confirmation of bob's run
    const s = server({ author: 'bob' });
    const { click } = await show(s);
    await click('Reproduce');
    // Then Cancel has the focus (Enter does not run someone else's code)
    expect(document.activeElement).toBe(
      screen.getByRole('button', { name: 'Cancel' })
    );
    // When Escape is pressed
    await act(async () => {
      fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    });
    // Then the dialog is gone and nothing ran
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(s.posts).toEqual([{ tolerance: 0, confirm: false }]);
  });

  it('refuses a negative tolerance in one sentence and starts nothing', async () => {
    // Given the detail of the user's run
    const s = server({});
    const { click } = await show(s);
    // When the user types a negative tolerance and clicks Reproduce
    fireEvent.change(screen.getByLabelText('Relative tolerance'), {
      target: { value: '-0.1' }
    });
    await click('Reproduce');
    // Then they are told what a tolerance is, and nothing was started
    expect(screen.getByRole('alert').textContent).toBe(
      'The tolerance is a relative difference: a number ≥ 0.'
    );
    expect(s.posts).toEqual([]);
    // When they give a valid one
    fireEvent.change(screen.getByLabelText('Relative tolerance'), {
      target: { value: '0.05' }
    });
    await click('Reproduce');
    // Then it is sent
    expect(s.posts).toEqual([{ tolerance: 0.05, confirm: false }]);
  });

  it("shows the server's refusal as a sentence", async () => {
    // Given a server that refuses (e.g. the page is signed in with a key)
    const s = server({
      refuse: new APIError(
        403,
        'Reproducing a run executes its code; only a Jupyter login may start one.'
      )
    });
    const { click } = await show(s);
    // When the user clicks Reproduce
    await click('Reproduce');
    // Then the refusal is shown, and Reproduce can be clicked again
    expect(screen.getByRole('alert').textContent).toBe(
      'The run could not be reproduced: Reproducing a run executes its code; only a Jupyter login may start one.'
    );
    expect(screen.getByRole('button', { name: 'Reproduce' })).toHaveProperty(
      'disabled',
      false
    );
  });

  it('shows the failed cell with its error, and what was missing', async () => {
    // Given runs whose last reproduction failed in a cell, or missed an input
    const failed = reproduction({
      state: 'done',
      verdict: 'failed',
      result: {
        differences: [],
        environment: null,
        failed: {
          cell: 2,
          execution_count: 3,
          error: 'ZeroDivisionError: division by zero',
          source: '1 / 0'
        },
        missing: [],
        skipped: 0
      }
    });
    const missing = reproduction({
      state: 'done',
      verdict: 'not_reproducible',
      result: {
        differences: [],
        environment: null,
        failed: null,
        missing: ['The input data/iris.csv was not captured: too large.'],
        skipped: 0
      }
    });
    // When their details are shown
    const a = await show(server({ reproductions: [failed] }));
    const panelA = section(a.view.container, 'reproduce');
    // Then the failed cell, its error and its source are there
    expect(panelA.textContent).toContain('Cell 2 (execution [3]) failed:');
    expect(panelA.textContent).toContain('ZeroDivisionError: division by zero');
    expect(panelA.textContent).toContain('1 / 0');
    a.view.unmount();
    const b = await show(server({ reproductions: [missing] }));
    // And what was missing is listed
    expect(section(b.view.container, 'reproduce').textContent).toContain(
      'The input data/iris.csv was not captured: too large.'
    );
  });
});

describe('Verdicts as the server writes them', () => {
  it('shows an infinite relative difference and a replay stopped outside any cell', async () => {
    // Given a reproduction whose metric went from 0 to 1 (relative difference infinite),
    // and one stopped by the timeout before a cell was known
    const infinite = reproduction({
      state: 'done',
      verdict: 'differs',
      result: {
        differences: [
          {
            kind: 'metric',
            name: 'loss',
            original: 0,
            replay: 1,
            relative_difference: { $float: 'inf' }
          }
        ]
      }
    });
    const stopped = reproduction({
      state: 'done',
      verdict: 'failed',
      result: {
        failed: {
          cell: null,
          execution_count: null,
          error: 'The replay was stopped after 1800 s.',
          source: null
        }
      }
    });
    // When they are shown
    const a = await show(server({ reproductions: [infinite] }));
    // Then the difference reads as infinite
    const row = within(section(a.view.container, 'reproduce'))
      .getByText('loss')
      .closest('tr')!;
    expect(row.lastElementChild!.textContent).toBe('∞');
    a.view.unmount();
    const b = await show(server({ reproductions: [stopped] }));
    // And the stopped replay says so, without a cell number
    const text = section(b.view.container, 'reproduce').textContent;
    expect(text).toContain('The replay failed.');
    expect(text).toContain(
      'The replay failed:The replay was stopped after 1800 s.'
    );
  });
});

describe('Hidden-state warnings and the recorded code', () => {
  it('shows each warning with its cell, a header badge, and the executions in order', async () => {
    // Given a run with two warnings, one about the cell that failed
    const s = server({
      warnings: [
        {
          kind: 'out_of_order',
          cell_id: 'c-score',
          execution_count: 3,
          message: 'Cell [3] ran after a cell below it.'
        },
        {
          kind: 'cell_failed',
          cell_id: 'c-bad',
          execution_count: 2,
          message: 'Cell [2] failed.'
        }
      ]
    });
    // When its detail is shown
    const { view } = await show(s);
    // Then each warning is listed with its kind, message and cell
    const warnings = section(view.container, 'warnings');
    const items = Array.from(warnings.querySelectorAll('li')).map(
      li => li.textContent
    );
    expect(items).toEqual([
      'out of orderCell [3] ran after a cell below it.show cell [3]',
      'cell failedCell [2] failed.show cell [2]'
    ]);
    // And the header counts them
    expect(
      view.container.querySelector('.jp-Dotscience-warningBadge')!.textContent
    ).toBe('⚠ 2 warnings');
    // And the code section lists every execution in the order it ran, with the kernel
    const code = section(view.container, 'cells');
    expect(code.querySelector('h3')!.textContent).toBe(
      'Code (3 executions, kernel python3)'
    );
    const executions = code.querySelectorAll('.jp-Dotscience-execution');
    expect(
      Array.from(executions).map(
        e => e.querySelector('.jp-Dotscience-source')!.textContent
      )
    ).toEqual([
      'import random',
      'print(undefined_name)',
      "ds.metric('score', random.random())"
    ]);
    // And the failed one is marked, with its error and its warning
    expect(executions[1].className).toContain('jp-mod-failed');
    expect(executions[1].textContent).toContain(
      "NameError: name 'undefined_name' is not defined"
    );
    expect(executions[1].textContent).toContain('⚠ Cell [2] failed.');
    // And the ones inside the run are marked apart from the state built before it
    expect(executions[0].className).not.toContain('jp-mod-inRun');
    expect(executions[2].className).toContain('jp-mod-inRun');
  });

  it('shows a run from an older server (no executions, no warnings) with its cells', async () => {
    // Given a server without the executions route and a run without warnings
    const s = server({ executions: null, warnings: undefined });
    // When the detail is shown
    const { view } = await show(s);
    // Then the cells section is there as before, and no warnings section
    expect(
      section(view.container, 'cells').querySelector('h3')!.textContent
    ).toBe('Cells (0)');
    expect(section(view.container, 'warnings')).toBeNull();
    // And Reproduce says the record has no executions
    expect(section(view.container, 'reproduce').textContent).toContain(
      'has no executions'
    );
  });

  it('shows malformed warnings and executions with a notice instead of failing', async () => {
    // Given a record whose warnings and executions are not what the contract says
    const s = server({
      warnings: [7, { kind: 'source_changed', message: 'Cell changed.' }],
      executions: { executions: [null, { seq: 4, source: 'x = 1' }] }
    });
    // When the detail is shown
    const { view } = await show(s);
    // Then what can be shown is, and the notice names the rest
    expect(section(view.container, 'warnings').textContent).toContain(
      'Cell changed.'
    );
    expect(section(view.container, 'cells').textContent).toContain('x = 1');
    const notice = view.container.querySelector('.jp-Dotscience-detailNotice');
    expect(notice!.textContent).toContain('warning 1 is not a warning');
    expect(notice!.textContent).toContain('execution 1 is not a mapping');
  });
});
