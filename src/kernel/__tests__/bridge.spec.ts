import { Signal } from '@lumino/signaling';
import {
  ATTACH_CODE,
  COMM_TARGET,
  configureCode,
  KernelBridge
} from '../bridge';
import { KernelRunModel } from '../kernelRun';
import { Wire } from '../../tokens';

class FakeComm {
  constructor(readonly commId: string) {}
  sent: any[] = [];
  isDisposed = false;
  onMsg: ((msg: any) => void) | null = null;
  onClose: ((msg: any) => void) | null = null;
  send(data: any) {
    this.sent.push(data);
  }
}

class FakeKernel {
  constructor(
    readonly id: string,
    readonly language = 'python'
  ) {}
  /** the kernelspec's name */
  name = 'python3';
  status = 'idle';
  isDisposed = false;
  targets = new Map<string, any>();
  executed: any[] = [];
  statusChanged = new Signal<any, string>(this);
  iopubMessage = new Signal<any, any>(this);
  comms = new Map<string, FakeComm>();
  reply: any = { content: { status: 'ok' } };
  get info() {
    return Promise.resolve({ language_info: { name: this.language } });
  }
  registerCommTarget(name: string, cb: any) {
    this.targets.set(name, cb);
  }
  removeCommTarget(name: string, cb: any) {
    if (this.targets.get(name) === cb) {
      this.targets.delete(name);
    }
  }
  hasComm(id: string) {
    return this.comms.has(id);
  }
  createComm(_: string, id: string) {
    const c = new FakeComm(id);
    this.comms.set(id, c);
    return c;
  }
  requestExecute(content: any) {
    this.executed.push(content);
    return { done: Promise.resolve(this.reply) };
  }
  /** The kernel library opens its comm with the run state. */
  openComm(
    state: Partial<Wire.Kernel.IState>,
    version = Wire.Kernel.PROTOCOL_VERSION
  ) {
    const comm = this.createComm(COMM_TARGET, `c${this.comms.size}`);
    this.targets.get(COMM_TARGET)(comm, {
      metadata: { version },
      content: {
        data: {
          method: 'state',
          state: {
            parameters: {},
            labels: {},
            metrics: {},
            inputs: [],
            outputs: [],
            active: true,
            start: null,
            published: null,
            ...state
          }
        }
      }
    });
    return comm;
  }
}

class FakeContext {
  session: any = null;
  kernelChanged = new Signal<any, any>(this);
  kernelDisplayName = 'Python 3';
  isDisposed = false;
  setKernel(kernel: FakeKernel | null) {
    this.session = kernel ? { kernel } : null;
    this.kernelChanged.emit({ newValue: kernel });
  }
}

const flush = () => new Promise(r => setTimeout(r, 0));

/**
 * A bridge for notebook `a.ipynb`, with its session context and run model.
 */
function newBridge() {
  const context = new FakeContext();
  const model = new KernelRunModel('a.ipynb');
  const bridge = new KernelBridge({
    sessionContext: context as any,
    model,
    notebookPath: () => 'a.ipynb'
  });
  return { context, model, bridge };
}

describe('KernelBridge', () => {
  it('registers the target, imports the bridge silently and shows the state', async () => {
    // Given a notebook whose kernel is Python
    const { context, model, bridge } = newBridge();
    const kernel = new FakeKernel('k1');
    // When the kernel starts
    context.setKernel(kernel);
    await flush();
    // Then the comm target is registered and one silent import ran
    expect(kernel.targets.has(COMM_TARGET)).toBe(true);
    expect(kernel.executed).toEqual([
      expect.objectContaining({
        code: ATTACH_CODE,
        silent: true,
        store_history: false
      })
    ]);
    // When the kernel library opens its comm with a parameter
    const comm = kernel.openComm({
      parameters: { a: { value: 1, text: '1' } }
    });
    // Then the run shows it, and the kernel is told its id, notebook and kernelspec (which
    // its run records carry, so a reproduction starts the same kind of kernel)
    expect(model.bridge).toBe('attached');
    expect(model.state!.parameters.a.text).toBe('1');
    expect(comm.sent[0]).toMatchObject({
      method: 'hello',
      kernel_id: 'k1',
      notebook: 'a.ipynb',
      kernel_name: 'python3'
    });
    // And UI declarations go through the comm
    model.declare({ kind: 'label', key: 't', value: 'x' });
    expect(comm.sent[1]).toMatchObject({
      method: 'declare',
      kind: 'label',
      key: 't'
    });
    bridge.dispose();
  });

  it('moves to a new kernel and drops the old one', async () => {
    // Given a notebook bridged to kernel k1
    const { context, model, bridge } = newBridge();
    const k1 = new FakeKernel('k1');
    const k2 = new FakeKernel('k2');
    context.setKernel(k1);
    await flush();
    // When the notebook changes to kernel k2
    context.setKernel(k2);
    await flush();
    // Then only k2 has the comm target, and the run follows k2
    expect(k1.targets.has(COMM_TARGET)).toBe(false);
    expect(k2.targets.has(COMM_TARGET)).toBe(true);
    expect(model.kernelId).toBe('k2');
    bridge.dispose();
  });

  it('does nothing in a kernel that is not Python', async () => {
    // Given a notebook
    const { context, model, bridge } = newBridge();
    const kernel = new FakeKernel('k1', 'R');
    // When an R kernel starts
    context.setKernel(kernel);
    await flush();
    // Then nothing is executed in it and the run says why
    expect(kernel.executed).toHaveLength(0);
    expect(model.bridge).toBe('not-python');
    bridge.dispose();
  });

  it('says plainly when the kernel cannot import the library', async () => {
    // Given a Python kernel without the library
    const { context, model, bridge } = newBridge();
    const kernel = new FakeKernel('k1');
    kernel.reply = {
      content: {
        status: 'error',
        ename: 'ModuleNotFoundError',
        evalue: "No module named 'dotscience'"
      }
    };
    // When the bridge tries to import it
    context.setKernel(kernel);
    await flush();
    await flush();
    // Then the run says the import failed, with the kernel's message
    expect(model.bridge).toBe('failed');
    expect(model.bridgeError).toContain("No module named 'dotscience'");
    bridge.dispose();
  });

  it('reattaches after a kernel restart', async () => {
    // Given a bridged kernel with a run
    const { context, model, bridge } = newBridge();
    const kernel = new FakeKernel('k1');
    context.setKernel(kernel);
    await flush();
    kernel.openComm({ parameters: { a: { value: 1, text: '1' } } });
    // When the kernel restarts
    kernel.statusChanged.emit('restarting');
    // Then the run is forgotten while it restarts
    expect(model.bridge).toBe('restarting');
    expect(model.state).toBeNull();
    kernel.statusChanged.emit('idle');
    await flush();
    // Then the bridge is imported again in the fresh kernel
    expect(kernel.executed).toHaveLength(2);
    // And the fresh kernel's comm attaches
    kernel.openComm({});
    expect(model.bridge).toBe('attached');
    bridge.dispose();
  });

  it('refuses a kernel library speaking another protocol major version', async () => {
    // Given a bridged kernel
    const { context, model, bridge } = newBridge();
    const kernel = new FakeKernel('k1');
    context.setKernel(kernel);
    await flush();
    // When its library opens the comm with an older protocol
    kernel.openComm({}, '1.0.0');
    // Then the run says both versions and does not attach
    expect(model.bridge).toBe('failed');
    expect(model.bridgeError).toContain('2.0.0');
    bridge.dispose();
  });

  it("adopts the kernel's comm from iopub after a page reload mid-cell", async () => {
    // Given a reloaded page and a kernel busy in a cell, whose comm this page did not open
    const { context, model, bridge } = newBridge();
    const kernel = new FakeKernel('k1');
    kernel.reply = new Promise(() => undefined); // the kernel is busy: no reply yet
    context.setKernel(kernel);
    await flush();
    // When an update of that comm comes by on iopub
    kernel.iopubMessage.emit({
      header: { msg_type: 'comm_msg' },
      content: {
        comm_id: 'old',
        data: {
          method: 'update',
          events: [],
          run: { active: true, unpublished: true },
          reset_metrics: false,
          cells: [],
          metrics: {
            loss: {
              count: 5,
              text: '0.5',
              points: [[4, 0.5, 't']],
              reset: false
            }
          }
        }
      }
    });
    // Then the page adopts the comm and shows the update
    expect(model.bridge).toBe('attached');
    expect(model.metrics.get('loss')!.text).toBe('0.5');
    bridge.dispose();
  });
});

describe('KernelBridge settings', () => {
  const settings = {
    autolog: true,
    publishAtCellEnd: true,
    systemMetrics: false,
    systemMetricsInterval: 2
  };

  function bridgeWith(current: () => any) {
    const context = new FakeContext();
    const model = new KernelRunModel('a.ipynb');
    const bridge = new KernelBridge({
      sessionContext: context as any,
      model,
      notebookPath: () => 'a.ipynb',
      kernelSettings: current
    });
    return { context, model, bridge };
  }

  it('applies switched-on settings in each kernel it attaches, as JSON data', async () => {
    // Given settings with autolog on
    const { context, bridge } = bridgeWith(() => settings);
    const kernel = new FakeKernel('k1');
    // When the kernel starts
    context.setKernel(kernel);
    await flush();
    await flush();
    // Then after the silent import, one silent configure call carries the settings
    expect(kernel.executed.map(e => e.code)).toEqual([
      ATTACH_CODE,
      configureCode(settings)
    ]);
    expect(kernel.executed[1]).toMatchObject({
      silent: true,
      store_history: false
    });
    const literal = /json\.loads\((".*")\)\)$/.exec(
      kernel.executed[1].code
    )![1];
    expect(JSON.parse(JSON.parse(literal))).toEqual(settings);
    bridge.dispose();
  });

  it('runs nothing extra when every setting is off, and a failure is a note', async () => {
    // Given settings all off
    let current: any = { ...settings, autolog: false, publishAtCellEnd: false };
    const { context, model, bridge } = bridgeWith(() => current);
    const kernel = new FakeKernel('k1');
    context.setKernel(kernel);
    await flush();
    await flush();
    // Then only the bridge was imported
    expect(kernel.executed.map(e => e.code)).toEqual([ATTACH_CODE]);
    // When a setting changes and the kernel's library cannot apply it
    current = { ...current, systemMetrics: true };
    kernel.reply = {
      content: { status: 'error', ename: 'ModuleNotFoundError', evalue: 'x' }
    };
    await bridge.applySettings();
    // Then the configure call ran and the run shows why it failed
    expect(kernel.executed[1].code).toBe(configureCode(current));
    expect(model.lastMessage).toContain('ModuleNotFoundError');
    bridge.dispose();
  });

  it('puts hostile values into the JSON as data, never as code', () => {
    // Given settings whose values are not what the schema allows
    const code = configureCode({
      autolog: '"); import os; os.system("x") #' as any,
      publishAtCellEnd: 1 as any,
      systemMetrics: true,
      systemMetricsInterval: 'nan' as any
    });
    // Then only booleans and a number reach the kernel
    const literal = /json\.loads\((".*")\)\)$/.exec(code)![1];
    expect(JSON.parse(JSON.parse(literal))).toEqual({
      autolog: false,
      publishAtCellEnd: false,
      systemMetrics: true,
      systemMetricsInterval: 1
    });
  });
});
