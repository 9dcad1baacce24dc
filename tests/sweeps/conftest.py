"""Sweep fixtures: a workspace with notebooks, an engine on its own SQLite store, waiting."""

from __future__ import annotations

import os
import pathlib
import sys
import time

import nbformat
import pytest

from jupyterlab_dotscience.artifacts import open_artifact_store
from jupyterlab_dotscience.store import open_store
from jupyterlab_dotscience.sweeps import SweepEngine

from ..remote.conftest import _isolated  # noqa: F401 - autouse isolation

#: Seconds a test waits for a sweep (fresh kernels on a loaded 2-core machine)
DEADLINE = 300

#: A small scikit-learn training: C and max_iter come from the papermill-style parameters
#: cell, the solver from ds.parameter; the objective is the test accuracy
SKLEARN_CELLS = [
    ("C = 1.0\nmax_iter = 200", ["parameters"]),
    (
        "import dotscience as ds\n"
        "from sklearn.datasets import load_iris\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.model_selection import train_test_split\n"
        "ds.start()\n"
        "solver = ds.parameter('solver', 'lbfgs')\n"
        "ds.parameter('C', C)\n"
        "X, y = load_iris(return_X_y=True)\n"
        "Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.6, random_state=0)\n"
        "model = LogisticRegression(C=C, solver=solver, max_iter=max_iter).fit(Xtr, ytr)\n"
        "ds.metric('accuracy', model.score(Xte, yte))\n"
        "ds.publish()",
        [],
    ),
]


def write_notebook(path: pathlib.Path, cells) -> pathlib.Path:
    """Write a notebook of ``cells`` (source, or ``(source, tags)``) at ``path``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        c = nbformat.v4.new_code_cell(source)
        if tags:
            c.metadata["tags"] = list(tags)
        nb.cells.append(c)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_slow_notebook(path: pathlib.Path, pids: pathlib.Path) -> pathlib.Path:
    """Write a notebook whose trial writes its kernel's process id to ``pids`` (a line per
    trial), then sleeps for its ``wait`` parameter (seconds) and publishes."""
    return write_notebook(path, [
        "import os, time, dotscience as ds\nds.start()\nwait = ds.parameter('wait', 0)\n"
        f"with open({str(pids)!r}, 'a') as f:\n    f.write(f'{{os.getpid()}}\\n')\n"
        "time.sleep(wait)\nds.publish()",
    ])  # fmt: skip


def alive(pid: int) -> bool:
    """Whether process ``pid`` is running (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie left for its parent is not running
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Workspace:
    """A workspace root, its store and artifacts, and a sweep engine on them."""

    def __init__(self, root: pathlib.Path, **engine_args):
        self.root = root
        (root / ".dotscience").mkdir(parents=True, exist_ok=True)
        self.store = open_store(f"sqlite:///{root}/.dotscience/dotscience.db")
        self.artifacts = open_artifact_store(str(root / ".dotscience" / "artifacts"))
        args = {"timeout": 240, "cores": 2, **engine_args}
        self.engine = SweepEngine(self.store, self.artifacts, str(root), sys.executable, **args)

    def wait(self, sweep_id: str, until=lambda s: s["state"] != "running",
             deadline: float = DEADLINE) -> dict:  # fmt: skip
        """Poll the sweep until ``until(sweep)`` (default: it ended); the sweep."""
        end = time.monotonic() + deadline
        while True:
            sweep = self.engine.get(sweep_id)
            if until(sweep):
                return sweep
            assert time.monotonic() < end, f"sweep did not get there in time: {sweep}"
            time.sleep(0.2)

    def runs_of(self, sweep_id: str) -> list[dict]:
        """The stored runs labelled with the sweep, by trial number."""
        page, _ = self.store.list_runs(labels={"sweep": sweep_id}, limit=1000)
        runs = [self.store.get_run(r["id"]) for r in page]
        return sorted(runs, key=lambda r: int(r["labels"]["sweep_trial"]))

    def close(self):
        self.engine.shutdown()
        self.store.close()


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace(tmp_path / "root")
    yield ws
    ws.close()
