"""Autolog fixtures: a session of its own per test, its records captured as delivered."""

from __future__ import annotations

import os

# Keras 3 on PyTorch (no TensorFlow in the test extras); set before anything imports keras.
os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest  # noqa: E402

import dotscience as ds  # noqa: E402
from dotscience.autolog import autolog  # noqa: E402
from jupyterlab_dotscience.store.validate import normalize_record  # noqa: E402


class Capture:
    """A delivery that keeps every record it is given (as the server would receive it)."""

    def __init__(self):
        self.records: list[dict] = []

    def deliver(self, run: dict) -> dict:
        """Keep ``run``; returns it, as a delivery does."""
        self.records.append(run)
        return run

    @property
    def last(self) -> dict:
        """The last record delivered, checked by the store's own validation."""
        return normalize_record(self.records[-1])


@pytest.fixture
def capture():
    """Where the session's published records go."""
    return Capture()


@pytest.fixture
def session(tmp_path, capture, monkeypatch):
    """A session rooted at ``tmp_path`` with autologging on (all frameworks), off after."""
    monkeypatch.chdir(tmp_path)
    s = ds.Dotscience(str(tmp_path), delivery=capture)
    s.interactive()
    autolog(session=s)
    yield s
    autolog(disable=True)


def series(record: dict, key: str) -> list:
    """The values of metric ``key`` in a record, in order."""
    return [p["value"] for p in record["metrics"][key]]


def steps(record: dict, key: str) -> list:
    """The steps of metric ``key`` in a record, in order."""
    return [p["step"] for p in record["metrics"][key]]


def params(record: dict) -> dict:
    """Parameter name -> typed value."""
    return {k: v["value"] for k, v in record["parameters"].items()}


def inputs(record: dict) -> dict:
    """Input path -> sha256."""
    return {i["path"]: i["sha256"] for i in record["inputs"]}
