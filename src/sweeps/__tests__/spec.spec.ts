import {
  IParameterChoice,
  ISweepForm,
  buildSpec,
  gridSize,
  initialChoice,
  specYaml
} from '../spec';

function choice(
  name: string,
  fields: Partial<IParameterChoice>,
  defaultValue?: IParameterChoice['default']
): IParameterChoice {
  return {
    ...initialChoice({
      name,
      default: defaultValue,
      text: '',
      origin: 'ds.parameter',
      cell: 0
    }),
    ...fields
  };
}

function form(fields: Partial<ISweepForm>): ISweepForm {
  return {
    method: 'grid',
    metric: 'accuracy',
    goal: 'maximize',
    parameters: [],
    runCap: '',
    wallMinutes: '',
    parallelism: '2',
    earlyStop: 'none',
    ...fields
  };
}

describe('buildSpec', () => {
  it('builds a grid from lists typed with the notebook defaults types', () => {
    // Given a grid over a numeric list and a text list, one fixed and one untouched value
    const f = form({
      parameters: [
        choice('C', { mode: 'values', values: '0.1, 1,10' }, 1.0),
        choice(
          'kernel',
          { mode: 'values', values: 'rbf, \'linear\', "a, b"' },
          'rbf'
        ),
        choice('depth', { mode: 'range', min: '1', max: '3' }, 2),
        choice('seed', { mode: 'value', value: '7' }, 0),
        choice('untouched', { mode: 'notebook' }, 3)
      ]
    });
    // When the spec is built
    const built = buildSpec(f);
    // Then it is W&B's grid spec with the parallelism, and the untouched one left out
    expect(built).toEqual({
      spec: {
        method: 'grid',
        metric: { name: 'accuracy', goal: 'maximize' },
        parameters: {
          C: { values: [0.1, 1, 10] },
          kernel: { values: ['rbf', 'linear', 'a, b'] },
          depth: { min: 1, max: 3 },
          seed: { value: 7 }
        },
        parallelism: 2
      }
    });
    expect(gridSize((built as any).spec.parameters)).toBe(27);
  });

  it('sweeps a notebook parameter named __proto__ like any other', () => {
    // Given a notebook whose parameter is called __proto__ (a valid Python name)
    const built = buildSpec(
      form({
        parameters: [choice('__proto__', { mode: 'values', values: '1, 2' }, 1)]
      })
    );
    // Then the spec sweeps it, and sends it to the server as that key
    const parameters = (built as any).spec.parameters;
    expect(Object.keys(parameters)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(parameters))).toEqual(
      JSON.parse('{"__proto__": {"values": [1, 2]}}')
    );
    expect(gridSize(parameters)).toBe(2);
  });

  it('builds random ranges and distributions with the budgets', () => {
    // Given a random search with an inferred range and explicit distributions
    const f = form({
      method: 'random',
      goal: 'minimize',
      metric: ' loss ',
      runCap: '20',
      wallMinutes: '1.5',
      parallelism: '4',
      earlyStop: 'median',
      parameters: [
        choice('epochs', { mode: 'range', min: '1', max: '10' }, 5),
        choice('lr', {
          mode: 'distribution',
          distribution: 'log_uniform_values',
          min: '1e-5',
          max: '0.1'
        }),
        choice('d', {
          mode: 'distribution',
          distribution: 'q_uniform',
          min: '0',
          max: '1',
          q: '0.25'
        }),
        choice('w', {
          mode: 'distribution',
          distribution: 'normal',
          mu: '0',
          sigma: '2'
        })
      ]
    });
    // When the spec is built
    // Then each entry has W&B's keys, the budgets are there, the metric name trimmed
    expect(buildSpec(f)).toEqual({
      spec: {
        method: 'random',
        metric: { name: 'loss', goal: 'minimize' },
        parameters: {
          epochs: { min: 1, max: 10 },
          lr: { min: 0.00001, max: 0.1, distribution: 'log_uniform_values' },
          d: { min: 0, max: 1, q: 0.25, distribution: 'q_uniform' },
          w: { distribution: 'normal', mu: 0, sigma: 2 }
        },
        run_cap: 20,
        max_duration_seconds: 90,
        early_terminate: { type: 'median' },
        parallelism: 4
      }
    });
  });

  it.each([
    [{ metric: '  ' }, 'Name the metric'],
    [{ parameters: [] }, 'at least one parameter'],
    [
      { parameters: [choice('C', { mode: 'values', values: '1, x' }, 1)] },
      'C: x is not a number.'
    ],
    [
      { parameters: [choice('C', { mode: 'values', values: ' ' }, 1)] },
      'C: give at least one value.'
    ],
    [
      { parameters: [choice('C', { mode: 'values', values: '1,,2' }, 1)] },
      'C: a value is empty.'
    ],
    [
      { parameters: [choice('s', { mode: 'values', values: 'a b' })] },
      's: a b is not a value'
    ],
    [
      { parameters: [choice('C', { mode: 'range', min: '0', max: '1.5' })] },
      'C: a grid search needs a list of values or a whole-number range.'
    ],
    [
      {
        parameters: [
          choice('C', {
            mode: 'distribution',
            distribution: 'uniform',
            min: '0',
            max: '1'
          })
        ]
      },
      'C: a grid search needs a list'
    ],
    [
      { parameters: [choice('C', { mode: 'values', values: '[1, 2], 3' })] },
      'C: [1, 2] is a list'
    ],
    [
      { parameters: [choice('C', { mode: 'values', values: '1, 2, 1.0' }, 1)] },
      'C: 1.0 is listed twice.'
    ],
    [
      { parameters: [choice('my key', { mode: 'values', values: '1' })] },
      'my key: only a parameter named like a Python variable'
    ],
    [
      {
        method: 'bayes',
        runCap: '5',
        parameters: [
          choice('C', {
            mode: 'distribution',
            distribution: 'normal',
            mu: '0',
            sigma: '1'
          })
        ]
      },
      'C: a normal distribution needs a random search.'
    ],
    [
      {
        method: 'random',
        runCap: '5',
        parameters: [choice('C', { mode: 'range', min: '2', max: '1' })]
      },
      'C: min must be below max.'
    ],
    [
      {
        method: 'random',
        runCap: '5',
        parameters: [choice('C', { mode: 'range', min: 'a', max: '1' })]
      },
      'C: min must be a number.'
    ],
    [
      {
        method: 'random',
        runCap: '5',
        parameters: [
          choice('C', {
            mode: 'distribution',
            distribution: 'int_uniform',
            min: '0.5',
            max: '3'
          })
        ]
      },
      'whole numbers'
    ],
    [
      {
        method: 'random',
        runCap: '5',
        parameters: [
          choice('C', {
            mode: 'distribution',
            distribution: 'log_uniform_values',
            min: '0',
            max: '3'
          })
        ]
      },
      'above 0'
    ],
    [
      {
        method: 'random',
        runCap: '5',
        parameters: [
          choice('C', {
            mode: 'distribution',
            distribution: 'normal',
            mu: '0',
            sigma: '-1'
          })
        ]
      },
      'standard deviation must be above 0'
    ],
    [
      {
        method: 'random',
        runCap: '5',
        parameters: [
          choice('C', {
            mode: 'distribution',
            distribution: 'q_uniform',
            min: '0',
            max: '1',
            q: '0'
          })
        ]
      },
      'step must be above 0'
    ],
    [
      {
        method: 'bayes',
        parameters: [choice('C', { mode: 'values', values: '1' })]
      },
      'A bayes search needs a number of trials.'
    ],
    [
      {
        runCap: '2.5',
        parameters: [choice('C', { mode: 'values', values: '1' })]
      },
      'Trials must be a whole number'
    ],
    [
      {
        parallelism: '0',
        parameters: [choice('C', { mode: 'values', values: '1' })]
      },
      'Parallel trials must be a whole number from 1 to 64.'
    ],
    [
      {
        parallelism: '65',
        parameters: [choice('C', { mode: 'values', values: '1' })]
      },
      'from 1 to 64'
    ],
    [
      {
        wallMinutes: '-3',
        parameters: [choice('C', { mode: 'values', values: '1' })]
      },
      'Wall time must be above 0'
    ],
    [
      {
        wallMinutes: 'soon',
        parameters: [choice('C', { mode: 'values', values: '1' })]
      },
      'Wall time must be a number.'
    ]
  ] as [Partial<ISweepForm>, string][])(
    'refuses bad field no. %# with one sentence',
    (fields, message) => {
      // Given a form with one bad field
      // When the spec is built
      const built = buildSpec(form(fields));
      // Then no spec comes out, and the first problem names the field
      expect('spec' in built).toBe(false);
      expect((built as { errors: string[] }).errors[0]).toContain(message);
    }
  );
});

describe('specYaml', () => {
  it('writes the spec as a W&B sweep file, quoting what YAML would misread', () => {
    // Given a spec with text values YAML reads as booleans or numbers, and a key with a space
    const built = buildSpec(
      form({
        runCap: '6',
        parameters: [
          choice(
            'opt',
            { mode: 'values', values: "adam, 'yes', '1.5', 'a: b'" },
            'adam'
          ),
          choice('lr', { mode: 'values', values: '1e-3, 2' }, 1),
          choice('my key', { mode: 'notebook', values: '1e-3, 2' }, 1),
          choice('flag', { mode: 'value', value: 'True' }, false)
        ]
      })
    );
    // When written as YAML
    const yaml = specYaml((built as any).spec);
    // Then it is block YAML with flow lists and quoted ambiguous strings
    expect(yaml).toBe(
      [
        'method: grid',
        'metric:',
        '  name: accuracy',
        '  goal: maximize',
        'parameters:',
        '  opt:',
        '    values: [adam, "yes", "1.5", "a: b"]',
        '  lr:',
        '    values: [0.001, 2]',
        '  flag:',
        '    value: true',
        'parallelism: 2',
        'run_cap: 6',
        ''
      ].join('\n')
    );
  });
});
