"""What autolog and system metrics record reaches the JupyterLab sidebar live (the kernel
side of the bridge, with a fake comm), and prints in the v1 block like any declaration."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import dotscience as ds
from dotscience import jupyter as bridge_mod
from dotscience import sysmetrics, v1

DEADLINE = 20.0


class FakeComm:
    """Records what the bridge sends."""

    def __init__(self, target_name, data=None, metadata=None):
        self.open_data = data
        self.sent: list[dict] = []

    def send(self, data):
        self.sent.append(data)

    def on_msg(self, handler):
        pass

    def close(self):
        pass


@pytest.fixture
def live(tmp_path, monkeypatch):
    """The default session in ``tmp_path`` with the bridge attached to a fake comm."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOTSCIENCE_PROJECT_DOT_ROOT", str(tmp_path))
    for name in ("DOTSCIENCE_SERVER_URL", "DOTSCIENCE_TOKEN", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    session = ds._reset_session(str(tmp_path))
    made: list[FakeComm] = []

    def factory(**kwargs):
        made.append(FakeComm(**kwargs))
        return made[-1]

    bridge_mod.attach(factory, session=session)
    yield session, made
    ds.autolog(disable=True)
    sysmetrics.system_metrics(disable=True)
    bridge_mod.detach()
    ds._reset_session()


def sent_metrics(comm) -> set:
    return {k for m in comm.sent if m.get("method") == "update" for k in m.get("metrics", {})}


def sent_parameters(comm) -> set:
    return {e.get("key") for m in comm.sent if m.get("method") == "update"
            for e in m.get("events", []) if e.get("event") == "parameter"}  # fmt: skip


def wait_for(condition, what: str):
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_an_autologged_fit_reaches_the_sidebar_and_the_v1_block(live):
    # Given the sidebar attached and autolog on
    session, made = live
    ds.autolog()
    X = np.array([[0.0], [1.0], [0.1], [0.9]])
    # When a model is fitted (no run was started)
    LogisticRegression(C=0.25).fit(X, [0, 1, 0, 1])
    # Then its parameters and score are sent to the sidebar
    comm = made[-1]
    wait_for(lambda: {"C", "estimator_class"} <= sent_parameters(comm), "the parameters")
    wait_for(lambda: "training_score" in sent_metrics(comm), "the training score")
    # And the v1 block prints them with the str() rules, the data as inputs
    [(_, body)] = v1.find_blocks(str(session.currentRun))
    assert body["parameters"]["C"] == "0.25"
    assert body["summary"]["training_score"] == "1.0"
    assert "memory:X" in body["input"]


def test_system_metrics_reach_the_sidebar_as_series(live):
    # Given the sidebar attached
    session, made = live
    # When system metrics are sampled every 0.1 s
    ds.system_metrics(0.1)
    # Then the series arrive in the sidebar's updates as they grow
    comm = made[-1]
    wait_for(lambda: "system/cpu_percent" in sent_metrics(comm), "the cpu series")
    count = len(session.currentRun.metrics["system/cpu_percent"])
    wait_for(lambda: len(session.currentRun.metrics["system/cpu_percent"]) > count + 1,
             "more samples")  # fmt: skip
