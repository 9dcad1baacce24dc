"""Kernel library fixtures: every test gets a fresh default session in its own workspace."""

from __future__ import annotations

import io

import pytest

import dotscience as ds


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    """A fresh default session rooted at ``tmp_path``, cwd there, no server configured."""
    for name in ("DOTSCIENCE_SERVER_URL", "DOTSCIENCE_TOKEN", "DOTSCIENCE_WORKLOAD_TYPE",
                 "DOTSCIENCE_HOSTNAME", "JPY_SESSION_NAME"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOTSCIENCE_PROJECT_DOT_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    ds._reset_session()
    ds._default_session()._listeners.clear()
    yield tmp_path
    ds._default_session()._listeners.clear()
    ds._reset_session()


@pytest.fixture
def out():
    """A stream to publish to."""
    return io.StringIO()


def write(path, data: bytes | str = b"x") -> str:
    """Create ``path`` (and its parents) with ``data``; returns the path as str."""
    import pathlib

    p = pathlib.Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(p)
