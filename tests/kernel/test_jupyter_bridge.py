"""The kernel side of the JupyterLab bridge, with a fake comm (no kernel needed)."""

from __future__ import annotations

import io
import time
import types

import pytest

import dotscience as ds
from dotscience import jupyter as bridge_mod
from dotscience.delivery import SpoolDelivery


class FakeComm:
    """Records what the bridge sends; ``receive`` plays a message from the frontend."""

    def __init__(self, target_name, data=None, metadata=None):
        self.target_name, self.open_data, self.metadata = target_name, data, metadata
        self.sent: list[dict] = []
        self.closed = False
        self._handler = None

    def send(self, data):
        self.sent.append(data)

    def on_msg(self, handler):
        self._handler = handler

    def close(self):
        self.closed = True

    def receive(self, data: dict):
        self._handler({"content": {"comm_id": "c", "data": data}})

    def of(self, method: str) -> list[dict]:
        return [m for m in self.sent if m["method"] == method]


class FakeEvents:
    def __init__(self):
        self.callbacks = {"pre_run_cell": [], "post_run_cell": []}

    def register(self, name, fn):
        self.callbacks[name].append(fn)

    def unregister(self, name, fn):
        self.callbacks[name].remove(fn)


class FakeShell:
    """Just enough of IPython's shell for the cell hooks."""

    def __init__(self):
        self.execution_count = 1
        self.events = FakeEvents()

    def run(self, cell_id: str, body):
        info = types.SimpleNamespace(cell_id=cell_id)
        for fn in self.events.callbacks["pre_run_cell"]:
            fn(info)
        body()
        for fn in self.events.callbacks["post_run_cell"]:
            fn(types.SimpleNamespace(execution_count=self.execution_count))
        self.execution_count += 1


@pytest.fixture
def comms():
    made: list[FakeComm] = []

    def factory(**kwargs):
        made.append(FakeComm(**kwargs))
        return made[-1]

    yield made, factory
    bridge_mod.detach()


def test_attach_opens_a_versioned_comm_with_the_current_state(comms):
    # Given a run with a parameter, an input and a metric series, declared before attaching
    made, factory = comms
    ds.start("baseline")
    ds.add_parameter("alpha", 0.5)
    ds.add_label("team", "ml")
    with open("data.csv", "w") as f:
        f.write("a,b\n")
    ds.add_input("data.csv")
    for i in range(3):
        ds.add_metric("loss", 1 / (i + 1))
    # When the bridge attaches (a page reload does the same)
    bridge = bridge_mod.attach(factory)
    # Then the comm opens on the dotscience target with the protocol version
    comm = made[0]
    assert bridge is not None and comm.target_name == "dotscience"
    assert comm.metadata == {"version": bridge_mod.PROTOCOL_VERSION}
    # And its open data is the whole current run
    state = comm.open_data["state"]
    assert comm.open_data["method"] == "state"
    assert state["description"] == "baseline"
    assert state["parameters"] == {"alpha": {"value": 0.5, "text": "0.5"}}
    assert state["labels"] == {"team": "ml"}
    assert [e["path"] for e in state["inputs"]] == ["data.csv"]
    assert state["inputs"][0]["size"] == 4 and len(state["inputs"][0]["sha256"]) == 64
    loss = state["metrics"]["loss"]
    assert loss["count"] == 3 and loss["text"] == str(1 / 3)
    assert [p[0] for p in loss["points"]] == [0, 1, 2]


def test_attach_outside_a_kernel_returns_none():
    # Given no kernel: comm.create_comm gives the dummy comm that drops messages
    # When attach is called
    bridge = bridge_mod.attach()
    # Then it says so instead of pretending to be connected
    assert bridge is None
    assert bridge_mod._bridge is None


def test_declarations_are_coalesced_into_one_message(comms):
    # Given an attached bridge with a slow flusher
    made, factory = comms
    bridge = bridge_mod.attach(factory)
    bridge._stop.set()  # flush by hand in this test
    comm = made[0]
    # When a run declares a parameter and 10,000 metric values between two flushes
    ds.start()
    ds.add_parameter("lr", 0.1)
    for i in range(10_000):
        ds.add_metric("loss", float(i))
    bridge.flush()
    # Then one message carries them: the events, and the metric's count and tail
    updates = comm.of("update")
    assert len(updates) == 1
    kinds = [e["event"] for e in updates[0]["events"]]
    assert kinds == ["start", "parameter"]
    loss = updates[0]["metrics"]["loss"]
    assert loss["count"] == 10_000
    assert len(loss["points"]) == bridge_mod.MAX_POINTS
    assert loss["points"][-1][:2] == [9_999, 9_999.0]
    # And a flush with nothing new sends nothing
    assert bridge.flush() is False


def test_the_sidebar_gets_the_steps_the_published_run_keeps(comms, tmp_path):
    # Given an attached bridge flushed by hand, and a series whose first point has an
    # explicit step, followed by more unnumbered points than one message carries
    made, factory = comms
    bridge = bridge_mod.attach(factory)
    bridge._stop.set()
    ds.start()
    ds.add_metric("loss", 0.0, step=100)
    for i in range(bridge_mod.MAX_POINTS + 50):
        ds.add_metric("loss", float(i + 1))
    # When the bridge sends the series, and the run is published
    bridge.flush()
    sent = made[0].of("update")[-1]["metrics"]["loss"]["points"]
    published = [p["step"] for p in ds.publish(stream=io.StringIO())["metrics"]["loss"]]
    # Then the steps shown live are those the published record keeps for its last points
    assert len(sent) == bridge_mod.MAX_POINTS
    assert [p[0] for p in sent] == published[-len(sent) :]
    assert sent[-1][0] == 100 + bridge_mod.MAX_POINTS + 50


def test_the_flusher_thread_sends_within_the_interval(comms):
    # Given an attached bridge
    made, factory = comms
    bridge_mod.attach(factory)
    comm = made[0]
    # When a metric is declared and nothing calls flush
    ds.add_metric("acc", 0.9)
    deadline = time.monotonic() + 2
    while not comm.of("update") and time.monotonic() < deadline:
        time.sleep(0.01)
    # Then the background thread sent it within a couple of intervals
    assert comm.of("update"), "no update was sent"
    assert comm.of("update")[0]["metrics"]["acc"]["text"] == "0.9"


def test_frontend_declarations_are_applied_and_acknowledged(comms, tmp_path):
    # Given an attached bridge and a file in the workspace
    made, factory = comms
    bridge_mod.attach(factory)
    comm = made[0]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "in.txt").write_text("hello")
    # When the frontend declares a parameter, a label and a root-relative input
    comm.receive({"method": "declare", "request_id": "r1", "kind": "parameter",
                  "key": "epochs", "value": 3})  # fmt: skip
    comm.receive({"method": "declare", "request_id": "r2", "kind": "label", "key": "team",
                  "value": "ml"})  # fmt: skip
    comm.receive({"method": "declare", "request_id": "r3", "kind": "input",
                  "path": "sub/in.txt", "root_relative": True})  # fmt: skip
    comm.receive({"method": "declare", "request_id": "r4", "kind": "parameter", "key": ""})
    # Then each is acknowledged, the bad one with the reason
    acks = {m["request_id"]: m for m in comm.of("ack")}
    assert [acks[r]["ok"] for r in ("r1", "r2", "r3", "r4")] == [True, True, True, False]
    assert "name" in acks["r4"]["error"]
    # And the run holds them, and their events were sent before the acknowledgement
    run = ds._default_session().currentRun
    assert run.parameters == {"epochs": 3} and run.labels == {"team": "ml"}
    assert list(run.inputs) == ["sub/in.txt"]
    methods = [m["method"] for m in comm.sent]
    assert methods.index("update") < methods.index("ack")


def test_publish_request_reports_the_run_id(comms, tmp_path):
    # Given a run with a parameter, published to the spool
    made, factory = comms
    ds._reset_session(str(tmp_path), delivery=SpoolDelivery(str(tmp_path)))
    bridge_mod.attach(factory)
    comm = made[0]
    comm.receive({"method": "hello", "request_id": "h", "kernel_id": "k-1",
                  "notebook": "nb/a.ipynb"})  # fmt: skip
    ds.start("first")
    ds.add_parameter("p", 1)
    # When the frontend asks to publish with a description
    comm.receive({"method": "publish", "request_id": "pub", "description": "from the UI"})
    # Then a published message carries the run id and the request it answers
    published = comm.of("published")
    assert len(published) == 1 and published[0]["request_id"] == "pub"
    run_id = published[0]["id"]
    assert published[0]["since"].endswith("Z")
    # And the stored record has the description, notebook and kernel id
    import json

    record = json.loads((tmp_path / ".dotscience" / "spool" / f"{run_id}.json").read_text())
    assert record["description"] == "from the UI"
    assert record["notebook"] == "nb/a.ipynb" and record["kernel_id"] == "k-1"
    assert comm.of("ack")[-1] == {"method": "ack", "request_id": "pub", "ok": True,
                                  "error": None, "message": None}  # fmt: skip


def test_cells_that_declare_are_reported(comms):
    # Given a shell running cells, with the bridge attached to it
    made, factory = comms
    shell = FakeShell()
    bridge = bridge_mod.attach(factory, shell=shell)
    bridge._stop.set()
    comm = made[0]
    # When one cell logs metrics, another declares a parameter and a third does nothing
    shell.run("cell-a", lambda: [ds.add_metric("loss", i) for i in range(5)])
    shell.run("cell-b", lambda: ds.add_parameter("k", 2))
    shell.run("cell-c", lambda: None)
    bridge.flush()
    # Then the declaring cells (and only they) are named, with their execution counts
    cells = comm.of("update")[-1]["cells"]
    assert sorted((c["cell_id"], c["count"]) for c in cells) == [("cell-a", 1), ("cell-b", 2)]
    # And the parameter event says which cell made it
    event = [e for e in comm.of("update")[-1]["events"] if e["event"] == "parameter"][0]
    assert event["cell"] == {"cell_id": "cell-b", "count": 2}


def test_reattach_replaces_the_comm(comms):
    # Given an attached bridge
    made, factory = comms
    bridge_mod.attach(factory)
    ds.add_parameter("a", 1)
    # When the frontend attaches again (page reload)
    bridge_mod.attach(factory)
    # Then the old comm is closed, only one listener remains and the new comm has the state
    assert made[0].closed and not made[1].closed
    session = ds._default_session()
    assert len(session._listeners) == 1
    assert made[1].open_data["state"]["parameters"]["a"]["value"] == 1


def _loop_seconds(n: int) -> float:
    ds.start()
    started = time.perf_counter()
    for i in range(n):
        ds.add_metric("loss", i * 0.5)
    return time.perf_counter() - started


def test_add_metric_costs_about_the_same_with_the_bridge(comms):
    # Given the cost of 100,000 add_metric calls without the bridge (best of several runs,
    # alternated with runs with the bridge so that machine load affects both alike)
    made, factory = comms
    n, without, with_bridge = 100_000, [], []
    for _ in range(5):
        bridge_mod.detach()
        without.append(_loop_seconds(n))
        # When the bridge is attached (its flusher thread running)
        bridge_mod.attach(factory)
        with_bridge.append(_loop_seconds(n))
    # Then the loop costs at most twice as much
    ratio = min(with_bridge) / min(without)
    assert ratio < 2.0, f"{ratio:.2f}x slower with the bridge"
    # And the frontend got the whole series' count
    bridge_mod._bridge.flush()
    counts = [m["metrics"]["loss"]["count"] for m in made[-1].of("update") if m["metrics"]]
    assert counts[-1] == n
