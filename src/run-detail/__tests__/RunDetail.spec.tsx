import { render } from '@testing-library/react';
import React from 'react';
import { IRunsAPI } from '../../api/runs';
import { RunDetail } from '../RunDetail';
import { RunDetailModel } from '../detailModel';
import { fullRun } from '../../__tests__/runFixtures';

/**
 * A server answering with whatever records it is given, malformed ones included (a
 * record imported from an old log, or written by another tool, is not checked field by
 * field by the browser's JSON parser).
 */
interface IParts {
  run: any;
  files?: any;
  notebook?: any;
  lineage?: any;
}

function serverWith(parts: IParts): IRunsAPI {
  return {
    getRun: async () => parts.run,
    getRunFiles: async () => parts.files ?? [],
    getRunNotebook: async () => parts.notebook ?? null,
    getRunLineage: async () => parts.lineage ?? null
  } as unknown as IRunsAPI;
}

async function showRun(parts: IParts): Promise<HTMLElement> {
  const model = new RunDetailModel('r1', serverWith(parts));
  await model.load();
  const { container } = render(
    <RunDetail
      model={model}
      onOpenRun={jest.fn()}
      onOpenFile={jest.fn()}
      onJumpToCell={jest.fn()}
      onExport={jest.fn()}
    />
  );
  return container;
}

function notice(container: HTMLElement): string {
  const el = container.querySelector('.jp-Dotscience-detailNotice');
  return el?.textContent ?? '';
}

describe('RunDetail with malformed records', () => {
  let errors: jest.SpyInstance;
  beforeEach(() => {
    // React logs the errors its boundaries catch; a test fails on what the user sees
    errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => errors.mockRestore());

  it('shows a well-formed run without a notice', async () => {
    // Given a run as the server sends it
    const container = await showRun({
      run: fullRun(1, { labels: { team: 'red' } })
    });
    // Then it is shown and nothing is said to be missing
    expect(container.textContent).toContain('team: red');
    expect(notice(container)).toBe('');
  });

  it('shows non-string fields and numbers as labels with a notice', async () => {
    // Given a record whose text fields hold numbers, objects and lists
    const run = {
      ...fullRun(2),
      description: 42,
      project: { name: 'x' },
      author: ['ana'],
      notebook: 7,
      error: { message: 'boom' },
      argv: 'python train.py',
      status: 5,
      mode: true,
      labels: { epochs: 3, nested: { a: 1 }, team: 'blue' }
    };
    // When the detail view renders it
    const container = await showRun({ run });
    // Then the view is there, with what could be shown
    expect(container.querySelector('.jp-Dotscience-detail')).not.toBeNull();
    expect(container.textContent).toContain('team: blue');
    expect(container.textContent).toContain('epochs: 3');
    expect(container.textContent).toContain('42');
    // And a notice names what could not be shown as recorded
    const text = notice(container);
    expect(text).toMatch(/^Parts of this run could not be shown: /);
    expect(text).toContain('project');
    expect(text).toContain('author');
    expect(text).toContain('label "nested"');
    expect(text).toContain('argv');
  });

  it('shows null or object parameters and odd metrics with a notice', async () => {
    // Given parameters that are null, and a record whose parameter values are bare
    for (const parameters of [
      null,
      'lr=0.1',
      { lr: 0.1, opt: { a: 1 }, wd: null, ok: { value: 1, text: '1' } }
    ]) {
      const run = {
        ...fullRun(3),
        parameters,
        metrics: { loss: 'low', acc: [{ value: 0.9, text: 0.9 }], bad: [7] },
        models: 'sklearn',
        cells: { a: 1 },
        environment: { python: 3.11, packages: ['numpy'], git: 'main' }
      };
      // When it is rendered
      const container = await showRun({ run });
      // Then the view is there and the notice names the parts it could not show
      const text = notice(container);
      expect(text).toMatch(/^Parts of this run could not be shown: /);
      expect(text).toContain('metric "loss"');
      expect(text).toContain('models');
      expect(text).toContain('cells');
      if (parameters === null || typeof parameters === 'string') {
        expect(text).toContain('parameters');
      } else {
        // the bare number is shown as its text, the object as JSON, the good one as is
        expect(text).toContain('parameter "opt"');
        expect(container.textContent).toContain('{"a":1}');
        expect(container.textContent).toContain('0.1');
      }
      document.body.innerHTML = '';
    }
  });

  it('shows a notebook snapshot without cells, or with cells not a list', async () => {
    for (const content of [
      {},
      { cells: 'print(1)' },
      null,
      {
        cells: [
          { cell_type: 'code', source: 5, id: 1 },
          'not a cell',
          { cell_type: 'code', source: ['a = ', '1'] }
        ]
      }
    ]) {
      // Given a run whose snapshot is malformed
      const container = await showRun({
        run: fullRun(4),
        notebook: { path: 'train.ipynb', sha256: 'abc', content }
      });
      // Then the detail view renders, with a notice about the snapshot
      expect(container.querySelector('.jp-Dotscience-detail')).not.toBeNull();
      expect(notice(container)).toContain('notebook snapshot');
      if (content && Array.isArray(content.cells)) {
        // the good cell's source is still shown
        expect(container.textContent).toContain('a = 1');
      }
      document.body.innerHTML = '';
    }
  });

  it('shows files missing paths, and a file list that is not a list', async () => {
    // Given files without paths or with odd fields
    const files = [
      { role: 'output', sha256: 'f'.repeat(64), size: 'big', artifact: true },
      { role: 'input', path: 12, sha256: null, size: null, artifact: false },
      { role: 'output', path: 'model.joblib', sha256: 'a'.repeat(64), size: 3 }
    ];
    const container = await showRun({ run: fullRun(5), files });
    // Then the good file is listed, the others are named in the notice
    expect(container.textContent).toContain('model.joblib');
    const text = notice(container);
    expect(text).toContain('file 1 has no path');
    expect(text).toContain('file 2 has no path');
    document.body.innerHTML = '';
    // And a file list that is not a list does not break the view either
    const other = await showRun({ run: fullRun(5), files: { a: 1 } });
    expect(notice(other)).toContain('files');
    expect(other.textContent).toContain('No files recorded.');
  });

  it('names a part that fails to render, and shows the others', async () => {
    // Given a lineage graph the view cannot draw (its nodes are not a list)
    const lineage = { root: 'run:x', nodes: 'x', edges: [], truncated: false };
    const container = await showRun({
      run: fullRun(6, { labels: { team: 'green' } }),
      lineage
    });
    // Then the notice names the lineage, and the rest of the run is shown
    expect(notice(container)).toBe(
      'Parts of this run could not be shown: the lineage part failed to render.'
    );
    expect(container.textContent).toContain('team: green');
  });

  it('names at most 20 problems, then counts the rest', async () => {
    // Given 25 labels that are not text
    const labels: { [k: string]: number } = {};
    for (let i = 0; i < 25; i++) {
      labels[`l${i}`] = i;
    }
    const container = await showRun({ run: { ...fullRun(7), labels } });
    // Then 20 are named and 5 counted
    const text = notice(container);
    expect(text).toContain('label "l19" is not text');
    expect(text).not.toContain('label "l20"');
    expect(text).toMatch(/ and 5 more\.$/);
  });

  it('shows a record that is not an object at all as a notice', async () => {
    // Given records that are text, a number and a list
    for (const run of ['a run', 7, []]) {
      const container = await showRun({ run });
      // Then there is no crash: a sentence says the run could not be shown
      expect(notice(container)).toMatch(
        /^Parts of this run could not be shown: /
      );
      document.body.innerHTML = '';
    }
  });

  it('shows parameters, labels and metrics named __proto__ or constructor as recorded', async () => {
    // Given a record (as JSON, so "__proto__" is a key like any other) using such names
    const run = JSON.parse(
      JSON.stringify(fullRun(8)).replace(
        /"parameters":\{\}/,
        '"parameters":{"__proto__":{"value":3,"text":"3"},"constructor":{"value":"x","text":"x"}}'
      )
    );
    run.labels = JSON.parse('{"__proto__":"blue","toString":"red"}');
    run.metrics = JSON.parse(
      '{"__proto__":[{"value":0.5,"text":"0.5","step":0,"time":null}]}'
    );
    const container = await showRun({ run });
    // Then each is shown with its value, and nothing is said to be wrong
    expect(container.textContent).toContain('__proto__: blue');
    expect(container.textContent).toContain('toString: red');
    const params = Array.from(
      container.querySelectorAll('.jp-Dotscience-detail tr')
    ).map(tr => tr.textContent);
    expect(params).toEqual(
      expect.arrayContaining(['__proto__3', 'constructorx'])
    );
    expect(container.textContent).toContain('0.5');
    expect(notice(container)).toBe('');
  });
});
