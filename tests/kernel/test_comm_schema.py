"""The kernel side of the comm speaks protocol/kernel-comm.schema.json, the one description
of the messages the frontend's types are generated from."""

from __future__ import annotations

import io
import json
import math
import pathlib

import jsonschema
import pytest

import dotscience as ds
from dotscience import jupyter as bridge_mod
from dotscience.delivery import SpoolDelivery
from tests.kernel.test_jupyter_bridge import FakeComm, FakeShell

SCHEMA_PATH = pathlib.Path(__file__).parents[2] / "protocol" / "kernel-comm.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())


def validator(definition: str) -> jsonschema.Draft7Validator:
    """A validator for one definition of the schema (with the others to refer to)."""
    return jsonschema.Draft7Validator(
        {"$ref": f"#/definitions/{definition}", "definitions": SCHEMA["definitions"]}
    )


KERNEL_MESSAGE = validator("KernelMessage")
FRONTEND_REQUEST = validator("FrontendRequest")
OPEN_METADATA = validator("CommOpenMetadata")


def problems(v: jsonschema.Draft7Validator, instance) -> list[str]:
    """Every way ``instance`` breaks the schema, one line each (empty when it conforms)."""
    return [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(instance)]


class CheckedComm(FakeComm):
    """A fake comm that plays the frontend: it refuses to take a request the schema does
    not describe, so every request the tests make is one the frontend may send."""

    def receive(self, data: dict):
        assert problems(FRONTEND_REQUEST, data) == [], data
        super().receive(data)


@pytest.fixture
def comms():
    made: list[CheckedComm] = []

    def factory(**kwargs):
        made.append(CheckedComm(**kwargs))
        return made[-1]

    yield made, factory
    bridge_mod.detach()


def frontend_apply(state: dict, message: dict) -> dict:
    """What the frontend does with a message (src/kernel/kernelRun.ts): take the state, or
    apply the fields of the run an update carries, as they are."""
    if message["method"] == "state":
        return {k: v for k, v in message["state"].items() if k != "metrics"}
    if message["method"] == "update":
        return {**state, **message["run"]}
    return state


def shown(state: dict) -> dict:
    """The parts of a state the sidebar shows (everything but the metric tails)."""
    return {k: v for k, v in state.items() if k != "metrics"}


def test_every_message_sent_during_a_session_matches_the_schema(comms, tmp_path):
    # Given a kernel with the bridge attached to its shell, publishing to the spool
    made, factory = comms
    ds._reset_session(str(tmp_path), delivery=SpoolDelivery(str(tmp_path)))
    shell = FakeShell()
    bridge = bridge_mod.attach(factory, shell=shell)
    bridge._stop.set()  # flushed by hand: every message is the result of a step below
    comm = made[0]
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.txt").write_text("x")

    # When cells declare every kind of thing, with awkward values, and the run is published
    def cell_one():
        ds.start("baseline")
        ds.add_parameter("alpha", 0.5)
        ds.add_parameter("nan", math.nan)
        ds.add_parameter("obj", object())
        ds.add_label("team", "ml")
        ds.add_input("data.csv")
        ds.add_input("d")
        ds.add_output("model.bin")
        for i in range(3):
            ds.add_metric("loss", 1 / (i + 1))
        ds.add_metric("loss", math.inf, step=10)
        ds.add_metric("acc", None)

    shell.run("cell-1", cell_one)
    bridge.flush()
    shell.run("cell-2", lambda: (ds.set_error("boom"), ds.set_description("d2"), ds.end()))
    bridge.flush()
    ds.publish(stream=io.StringIO())
    # And the frontend says hello, asks for the state, declares, starts and publishes
    comm.receive({"method": "hello", "request_id": "hello", "kernel_id": "k-1",
                  "notebook": "nb.ipynb"})  # fmt: skip
    comm.receive({"method": "state", "request_id": "s"})
    for i, declaration in enumerate([
        {"kind": "parameter", "key": "epochs", "value": 3},
        {"kind": "label", "key": "stage", "value": "dev"},
        {"kind": "metric", "key": "f1", "value": {"$float": "nan"}},
        {"kind": "description", "value": "from the UI"},
        {"kind": "input", "path": "data.csv", "root_relative": True},
        {"kind": "output", "path": "out.csv"},
        {"kind": "input", "path": "missing.csv"},
        {"kind": "parameter", "key": ""},
    ]):  # fmt: skip
        comm.receive({"method": "declare", "request_id": f"d{i}", **declaration})
    comm.receive({"method": "start", "request_id": "st", "description": None})
    comm.receive({"method": "publish", "request_id": "p", "description": "ui",
                  "build": False, "deploy": False})  # fmt: skip
    bridge.flush()

    # Then the comm was opened with schema-conforming metadata and data
    assert problems(OPEN_METADATA, comm.metadata) == []
    assert problems(KERNEL_MESSAGE, comm.open_data) == []
    # And every message sent matches the schema
    for message in comm.sent:
        assert problems(KERNEL_MESSAGE, message) == [], message
    # And each kind of message was among them (the check above covered all four)
    assert {m["method"] for m in comm.sent} == {"state", "update", "ack", "published"}
    # And the refused declaration was answered as the schema says, with the reason
    refused = [m for m in comm.of("ack") if not m["ok"]]
    assert [m["request_id"] for m in refused] == ["d7"]
    assert "name" in refused[0]["error"]


def test_a_request_the_schema_does_not_describe_is_refused():
    # Given requests the frontend never sends
    bad = [
        {"method": "reboot", "request_id": "x"},
        {"method": "declare", "request_id": "x", "kind": "secret"},
        {"method": "publish", "request_id": "x"},
    ]
    # Then the schema rejects each of them
    for request in bad:
        assert problems(FRONTEND_REQUEST, request), request


def test_unknown_methods_are_acknowledged_as_refused(comms):
    # Given an attached bridge
    made, factory = comms
    bridge_mod.attach(factory)
    comm = made[0]
    # When a message with a method the protocol does not have arrives (bypassing the
    # frontend's schema check, as a hand-made comm message would)
    FakeComm.receive(comm, {"method": "reboot", "request_id": "x"})
    # Then the kernel refuses it in a message that conforms to the schema
    ack = comm.of("ack")[-1]
    assert ack["ok"] is False and "reboot" in ack["error"]
    assert problems(KERNEL_MESSAGE, ack) == []


def test_the_frontend_rebuilds_the_kernels_run_from_the_updates_alone(comms, tmp_path):
    # Given a frontend that applies the kernel's messages as they are
    made, factory = comms
    ds._reset_session(str(tmp_path), delivery=SpoolDelivery(str(tmp_path)))
    bridge = bridge_mod.attach(factory)
    bridge._stop.set()
    comm = made[0]
    (tmp_path / "a.csv").write_text("a")
    steps = [
        lambda: ds.start("first"),
        lambda: ds.add_parameter("lr", 0.1),
        lambda: (ds.add_input("a.csv"), ds.add_output("m.bin"), ds.add_label("k", "v")),
        lambda: ds.add_metric("loss", 0.5),
        lambda: ds.set_error("bad"),
        lambda: ds.publish(stream=io.StringIO()),
        lambda: ds.add_parameter("lr", 0.2),
        lambda: ds.start("second"),
        lambda: ds.publish(stream=io.StringIO()),
    ]
    state = frontend_apply({}, comm.open_data)
    for step in steps:
        # When the kernel changes its run and the bridge sends what changed
        step()
        bridge.flush()
        for message in comm.sent:
            state = frontend_apply(state, message)
        comm.sent.clear()
        # Then what the frontend holds is what a fresh snapshot of the kernel says
        comm.receive({"method": "state", "request_id": "s"})
        snapshot = comm.of("state")[-1]["state"]
        comm.sent.clear()
        assert state == shown(snapshot)
    # And after the last publish nothing is left to publish, and the run's clock is stopped
    assert state["unpublished"] is False and state["start"] is None
    assert state["published"] == bridge.published
