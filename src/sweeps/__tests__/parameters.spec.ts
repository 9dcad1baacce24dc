import { codeSources, notebookParameters, tokenize } from '../parameters';

/**
 * A notebook of code cells (a cell is its source, or [source, tags]).
 */
function notebook(...cells: (string | [string, string[]])[]): unknown {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: cells.map(c => {
      const [source, tags] = typeof c === 'string' ? [c, []] : c;
      return {
        cell_type: 'code',
        source: source.split(/(?<=\n)/),
        metadata: { tags },
        outputs: [],
        execution_count: null
      };
    })
  };
}

describe('notebookParameters', () => {
  it('reads ds.parameter calls with literal defaults, whatever dotscience is imported as', () => {
    // Given a notebook importing dotscience under two names, with calls in several forms
    const nb = notebook(
      'import numpy as np, dotscience as ds\nfrom dotscience import param as p',
      [
        'lr = ds.parameter("lr", 1e-3)',
        "C = ds.parameter('C', -2)",
        'kernel = ds.param(label="kernel", value="rbf")',
        'layers = p("layers", [64, 32])',
        'seed = ds.parameter("seed", np.random.randint(10))',
        'use_bias = ds.parameter("use_bias", True)  # ds.parameter("commented", 1)',
        's = "ds.parameter(\'in_a_string\', 1)"'
      ].join('\n')
    );
    // When its parameters are read
    const found = notebookParameters(nb);
    // Then each call is found once with its default; the non-literal one keeps its text
    expect(found.map(p => [p.name, p.default, p.origin, p.cell])).toEqual([
      ['lr', 0.001, 'ds.parameter', 1],
      ['C', -2, 'ds.parameter', 1],
      ['kernel', 'rbf', 'ds.parameter', 1],
      ['layers', [64, 32], 'ds.parameter', 1],
      ['seed', undefined, 'ds.parameter', 1],
      ['use_bias', true, 'ds.parameter', 1]
    ]);
    expect(found[4].text).toBe('np.random.randint(10)');
  });

  it('ignores parameter calls of other modules and calls before dotscience is imported', () => {
    // Given a parameter() of another library and no dotscience import in the first cell
    const nb = notebook(
      'import other as ds\nx = ds.parameter("x", 1)',
      'from mylib import parameter\ny = parameter("y", 2)\nz = obj.ds.parameter("z", 3)'
    );
    // When its parameters are read
    // Then none is found
    expect(notebookParameters(nb)).toEqual([]);
  });

  it('reads the top-level assignments of the papermill parameters cell', () => {
    // Given a tagged parameters cell with annotations, comments, an indented block and
    // a computed value, and an untagged cell with an assignment
    const nb = notebook(
      'untagged = 5',
      [
        [
          '# Parameters',
          'alpha = 0.5  # the step',
          'epochs: int = 10',
          "optimizer = 'adam'",
          'path = """data/\\',
          'x.csv"""',
          'n = 1_000',
          'if True:',
          '    hidden = 3',
          'derived = alpha * 2',
          'flag = None',
          'a, b = 1, 2'
        ].join('\n'),
        ['parameters']
      ],
      'import dotscience as ds\nalpha = ds.parameter("alpha", alpha)'
    );
    // When its parameters are read
    const found = notebookParameters(nb);
    // Then the assignments at the cell's top level are the parameters, each once
    expect(found.map(p => [p.name, p.default, p.origin])).toEqual([
      ['alpha', 0.5, 'parameters cell'],
      ['epochs', 10, 'parameters cell'],
      ['optimizer', 'adam', 'parameters cell'],
      ['path', 'data/x.csv', 'parameters cell'],
      ['n', 1000, 'parameters cell'],
      ['derived', undefined, 'parameters cell'],
      ['flag', null, 'parameters cell']
    ]);
    expect(found[5].text).toBe('alpha * 2');
  });

  it('finds nothing in hostile or malformed input, without throwing', () => {
    // Given inputs that are not notebooks, and cells with unterminated strings and brackets
    const bad = [
      null,
      42,
      'text',
      { cells: 'no' },
      { cells: [null, 1, { cell_type: 'code', source: 7 }] },
      notebook(
        'import dotscience as ds\nds.parameter("open", [1, 2',
        'ds.parameter("s',
        ['x = "unterminated\ny = (', ['parameters']]
      )
    ];
    // When their parameters are read
    // Then each gives a list (empty), never an exception
    for (const nb of bad) {
      expect(notebookParameters(nb)).toEqual([]);
    }
  });

  it('reads past a long line of many strings', () => {
    // Given a cell whose one line joins 30,000 strings, then a parameter call (scanning
    // back over the line for each string once took about 6 s; it takes about 0.1 s)
    const line = `s = ${Array(30000).fill("'ab'").join(' + ')}`;
    const nb = notebook(
      `import dotscience as ds\n${line}\nk = ds.parameter('k', 2)`
    );
    // When its parameters are read, then the call after it is found
    expect(notebookParameters(nb).map(p => [p.name, p.default])).toEqual([
      ['k', 2]
    ]);
  });

  it('skips magics and shell escapes', () => {
    // Given a parameters cell with a magic line
    const nb = notebook([
      '%matplotlib inline\n!pip list\nk = 3',
      ['parameters']
    ]);
    // When read
    // Then only the assignment is a parameter
    expect(notebookParameters(nb).map(p => p.name)).toEqual(['k']);
  });
});

describe('codeSources', () => {
  it('is the code cells sources only, joined from lines', () => {
    // Given a notebook with a markdown cell, and the same code with other outputs and ids
    const a = notebook('x = 1\ny = 2', 'print(x)');
    const b = notebook('x = 1\ny = 2', 'print(x)') as any;
    b.cells[0].outputs = [{ output_type: 'stream', name: 'stdout', text: '1' }];
    b.cells[1].source = 'print(x)';
    b.cells.splice(1, 0, {
      cell_type: 'markdown',
      source: '# t',
      metadata: {}
    });
    // When their code is read
    // Then it is the same; a changed line makes it differ
    expect(codeSources(b)).toEqual(codeSources(a));
    expect(codeSources(a)).toEqual(['x = 1\ny = 2', 'print(x)']);
    b.cells[0].source = 'x = 2\ny = 2';
    expect(codeSources(b)).not.toEqual(codeSources(a));
    expect(codeSources(null)).toEqual([]);
  });
});

describe('tokenize', () => {
  it('keeps bracketed continuation lines in one logical line', () => {
    // Given a call spread over lines
    const tokens = tokenize('x = f(1,\n  2)\ny = 3');
    // When tokenized
    // Then there are two logical lines
    expect(tokens.filter(t => t.kind === 'newline')).toHaveLength(2);
  });
});
