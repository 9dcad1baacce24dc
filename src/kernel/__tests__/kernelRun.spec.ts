import { KernelRunModel } from '../kernelRun';
import { Wire } from '../../tokens';

type Msg = Wire.Kernel.KernelMessage;

function attachedModel(sent: any[] = []): KernelRunModel {
  const model = new KernelRunModel('nb.ipynb');
  model.setSender(data => {
    sent.push(data);
    return true;
  });
  model.setBridge('attached');
  return model;
}

const update = (
  events: any[],
  run: Wire.Kernel.IRunFields = {},
  metrics: any = {},
  cells: any[] = [],
  resetMetrics = false
): Msg => ({
  method: 'update',
  events,
  run: { active: true, ...run },
  metrics,
  reset_metrics: resetMetrics,
  cells
});

describe('KernelRunModel', () => {
  it('builds the run from kernel events', () => {
    // Given an attached model
    const model = attachedModel();
    // When the kernel reports a start, a parameter, a label, an input and an output, with
    // the run they make
    model.handle(
      update(
        [
          {
            event: 'start',
            time: '2026-01-01T00:00:00.000000Z',
            description: 'd',
            cell: null
          },
          {
            event: 'parameter',
            key: 'lr',
            value: 0.1,
            text: '0.1',
            cell: null
          },
          { event: 'label', key: 'team', value: 'ml', cell: null },
          {
            event: 'input',
            files: [{ path: 'a.csv', sha256: 'ab', size: 3 }],
            cell: null
          },
          { event: 'output', paths: ['m.pkl'], cell: null }
        ],
        {
          unpublished: true,
          start: '2026-01-01T00:00:00.000000Z',
          description: 'd',
          error: null,
          parameters: { lr: { value: 0.1, text: '0.1' } },
          labels: { team: 'ml' },
          inputs: [{ path: 'a.csv', sha256: 'ab', size: 3 }],
          outputs: ['m.pkl']
        },
        {},
        [],
        true
      )
    );
    // Then the state has them, and there is something to publish
    const s = model.state!;
    expect(s.description).toBe('d');
    expect(s.parameters.lr.text).toBe('0.1');
    expect(s.labels).toEqual({ team: 'ml' });
    expect(s.inputs.map(f => f.path)).toEqual(['a.csv']);
    expect(s.outputs).toEqual(['m.pkl']);
    expect(model.hasUnpublished).toBe(true);
  });

  it("applies the kernel's run as sent instead of deriving it from the events", () => {
    // Given a model showing a run with a parameter and a metric series
    const model = attachedModel();
    model.handle(
      update(
        [{ event: 'parameter', key: 'a', value: 1, text: '1', cell: null }],
        { unpublished: true, parameters: { a: { value: 1, text: '1' } } },
        { loss: { count: 1, text: '1', points: [[0, 1, 't']], reset: true } }
      )
    );
    // When the kernel starts a new run: nothing declared yet, the series dropped
    model.handle(
      update(
        [{ event: 'start', time: '2026-01-02T00:00:00.000000Z', cell: null }],
        {
          unpublished: false,
          start: '2026-01-02T00:00:00.000000Z',
          description: null,
          error: null,
          inputs: [],
          outputs: [],
          parameters: {},
          labels: {}
        },
        {},
        [],
        true
      )
    );
    // Then the sidebar shows the new run as the kernel described it
    expect(model.state!.parameters).toEqual({});
    expect(model.state!.start).toBe('2026-01-02T00:00:00.000000Z');
    expect(model.hasUnpublished).toBe(false);
    expect(model.metrics.size).toBe(0);
  });

  it('appends metric tails and keeps only numeric points, capped', () => {
    // Given an attached model
    const model = attachedModel();
    // When two coalesced updates carry a metric's tail
    const pts = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => [from + i, from + i, 't']);
    model.handle(
      update(
        [],
        { unpublished: true },
        {
          loss: { count: 300, text: '299', points: pts(0, 300), reset: true }
        }
      )
    );
    model.handle(
      update(
        [],
        { unpublished: true },
        {
          loss: {
            count: 600,
            text: 'nan',
            points: [...pts(300, 299), [599, { $float: 'nan' }, 't']],
            reset: false
          }
        }
      )
    );
    // Then the series holds the last 500 numeric points and the latest count and text
    const loss = model.metrics.get('loss')!;
    expect(loss.count).toBe(600);
    expect(loss.text).toBe('nan');
    expect(loss.points).toHaveLength(500);
    expect(loss.points[499]).toEqual([598, 598]);
  });

  it('shows UI declarations as pending until the kernel acknowledges them', () => {
    // Given an attached model
    const sent: any[] = [];
    const model = attachedModel(sent);
    // When the user declares a parameter
    expect(model.declare({ kind: 'parameter', key: 'k', value: 2 })).toBe(true);
    // Then it was sent with a request id and is pending
    expect(sent[0]).toMatchObject({
      method: 'declare',
      kind: 'parameter',
      key: 'k',
      value: 2
    });
    expect(model.pending).toHaveLength(1);
    // When the kernel applies and acknowledges it
    model.handle(
      update(
        [{ event: 'parameter', key: 'k', value: 2, text: '2', cell: null }],
        { unpublished: true, parameters: { k: { value: 2, text: '2' } } }
      )
    );
    model.handle({
      method: 'ack',
      request_id: sent[0].request_id,
      ok: true,
      error: null,
      message: null
    });
    // Then it is no longer pending and is a parameter
    expect(model.pending).toHaveLength(0);
    expect(model.state!.parameters.k.value).toBe(2);
  });

  it('keeps a refused declaration with the reason until dismissed', () => {
    // Given an attached model
    const sent: any[] = [];
    const model = attachedModel(sent);
    // When the user declares an input the kernel refuses
    model.declare({ kind: 'input', path: 'missing.csv' });
    model.handle({
      method: 'ack',
      request_id: sent[0].request_id,
      ok: false,
      error: 'FileNotFoundError: missing.csv',
      message: null
    });
    // Then the refusal stays with the kernel's reason until the user dismisses it
    expect(model.pending[0].error).toContain('missing.csv');
    model.dismissErrors();
    expect(model.pending).toHaveLength(0);
  });

  it('says so when nothing can be sent', () => {
    // Given a model with no kernel bridge
    const model = new KernelRunModel('nb.ipynb');
    // When the user publishes
    // Then nothing is pending and the user is told why
    expect(model.publish('x')).toBe(false);
    expect(model.pending).toHaveLength(0);
    expect(model.lastMessage).toContain('not connected');
    model.dispose();
  });

  it('reports published runs and forgets the run on kernel restart', () => {
    // Given an attached model with a parameter declared
    const model = attachedModel();
    const published: any[] = [];
    model.published.connect((_, p) => published.push(p));
    model.handle(
      update(
        [{ event: 'parameter', key: 'a', value: 1, text: '1', cell: null }],
        { unpublished: true, parameters: { a: { value: 1, text: '1' } } }
      )
    );
    // When the kernel publishes the run (it sends the publish's update, then the
    // published message)
    model.handle(
      update([{ event: 'publish', id: 'run-1', cell: null }], {
        unpublished: false,
        published: 'run-1',
        start: null
      })
    );
    model.handle({
      method: 'published',
      id: 'run-1',
      since: '2026-01-01T00:00:00Z',
      request_id: null
    });
    // Then the run is reported as published, nothing is left to publish
    expect(published).toEqual([{ id: 'run-1', since: '2026-01-01T00:00:00Z' }]);
    expect(model.lastPublished).toBe('run-1');
    expect(model.hasUnpublished).toBe(false);
    // And when the kernel restarts the run is forgotten
    model.setBridge('restarting');
    expect(model.state).toBeNull();
    expect(model.metrics.size).toBe(0);
  });
});
