"""Reproductions end to end: real notebooks executed by a real kernel (nbclient), published by
``import dotscience as ds`` to a live server with the kernel token, then reproduced there."""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import subprocess
import sys
import time
import uuid

import nbformat
import pytest
from nbclient import NotebookClient

from ..remote.conftest import _isolated, http, token_auth  # noqa: F401 - autouse isolation
from ..security.conftest import start_live
from ..security.test_kernel_path import kernel_environment

REPO = str(pathlib.Path(__file__).resolve().parents[2])
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

#: Seconds a test waits for a reproduction to finish (a fresh kernel on a loaded machine)
DEADLINE = 240


class Live:
    """A live server (alice is its user) and the publish token its kernels get."""

    def __init__(self, server):
        self.server = server
        self.url = server.url
        self.root = pathlib.Path(server.root)
        self.kernel_token = kernel_environment(server)["DOTSCIENCE_TOKEN"]

    def kernel_env(self, **extra) -> dict:
        """The environment of a kernel this server would start (so ``ds.publish()`` posts
        to it with the kernel token), without anything else of the test's own."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DOTSCIENCE_", "JPY_")) and k != "JUPYTER_TOKEN"}  # fmt: skip
        env.update(
            DOTSCIENCE_PROJECT_DOT_ROOT=str(self.root), DOTSCIENCE_SERVER_URL=self.url,
            DOTSCIENCE_TOKEN=self.kernel_token, DOTSCIENCE_WORKLOAD_TYPE="jupyter",
            PYTHONPATH=REPO,
        )  # fmt: skip
        env.update(extra)
        return env

    def api(self, method: str, path: str, body=None, headers=None):
        """``(status, body)`` of a request with the Jupyter token (or ``headers``)."""
        return http(method, self.url + "dotscience/api/" + path, body,
                    token_auth(self.server) if headers is None else headers)  # fmt: skip

    def execute(self, name: str, cells: list[str], allow_errors: bool = False, **env) -> str:
        """Write notebook ``name`` (in the workspace root) with ``cells``, execute it in a
        fresh kernel with nbclient (``env``: extra kernel environment) and return the id of
        the run its last cell published (the last cell must print it)."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
        nbformat.write(nb, path)
        client = NotebookClient(
            nb, kernel_name="python3", timeout=120, allow_errors=allow_errors,
            resources={"metadata": {"path": str(path.parent)}},
        )  # fmt: skip
        client.execute(env=self.kernel_env(JPY_SESSION_NAME=name, **env))
        nbformat.write(nb, path)
        text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
        found = _UUID.findall(text)
        assert found, f"the notebook's last cell printed no run id: {nb.cells[-1].outputs}"
        return found[-1]

    def reproduce(self, run_id: str, **body) -> dict:
        """Start a reproduction (202) and return it."""
        status, rep = self.api("POST", f"runs/{run_id}/reproductions", body)
        assert status == 202, rep
        return rep

    def wait(self, run_id: str, rid: str, deadline: float = DEADLINE, until=None) -> dict:
        """Poll a reproduction until it is finished (or ``until(rep)``)."""
        until = until or (lambda r: r["state"] in ("done", "cancelled"))
        end = time.monotonic() + deadline
        while True:
            status, rep = self.api("GET", f"runs/{run_id}/reproductions/{rid}")
            assert status == 200, rep
            if until(rep) or time.monotonic() > end:
                return rep
            time.sleep(0.2)

    def reproduced(self, run_id: str, **body) -> dict:
        """Reproduce a run and wait for the verdict."""
        rep = self.reproduce(run_id, **body)
        done = self.wait(run_id, rep["id"])
        assert done["state"] == "done", done
        return done

    def run(self, run_id: str) -> dict:
        status, run = self.api("GET", f"runs/{run_id}")
        assert status == 200, run
        return run


def start(root, *args) -> Live:
    """A live server on ``root`` (alice is its user) with its kernel token known."""
    return Live(start_live(root, *args))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One live server per test module."""
    server = start(tmp_path_factory.mktemp("reproduce-root"))
    yield server
    server.server.stop()


def git(cwd, *args) -> str:
    """Run git in ``cwd`` (a test's own repository); its stdout."""
    done = subprocess.run(
        ["git", "-C", str(cwd), "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def run_script(live: Live, directory, script: str, *args) -> subprocess.CompletedProcess:
    """``python <script> *args`` in ``directory`` with a kernel's environment (publishes to
    ``live`` with the kernel token)."""
    env = live.kernel_env()
    env.pop("DOTSCIENCE_WORKLOAD_TYPE")
    return subprocess.run([sys.executable, script, *args], cwd=directory, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def pid_alive(pid: int) -> bool:
    """Whether a process (not a zombie) with this pid exists."""
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, deadline: float = 60) -> bool:
    """Poll ``predicate()`` until it is true (True) or the deadline passes (False)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return bool(predicate())


def handmade(marker, *, inputs=None, author_code="") -> dict:
    """A run record with executions (as the kernel library sends them) whose code would
    create ``marker`` if it ever ran."""
    sources = [
        "import dotscience as ds\nds.start('handmade')",
        f"open({str(marker)!r}, 'w').write('the code ran'){author_code}",
        "ds.publish('handmade')",
    ]
    executions = [
        {"seq": i, "cell_id": None, "execution_count": i + 1,
         "source_sha256": hashlib.sha256(s.encode()).hexdigest(),
         "start": "2026-11-30T05:00:00.000000Z",
         "end": None if i == 2 else "2026-11-30T05:00:01.000000Z",
         "success": None if i == 2 else True, "error": None, "in_run": True, "origin": "cell"}
        for i, s in enumerate(sources)
    ]  # fmt: skip
    return {
        "schema": "dotscience.run/2", "id": str(uuid.uuid4()), "mode": "interactive",
        "executions": executions,
        "sources": {hashlib.sha256(s.encode()).hexdigest(): s for s in sources},
        "kernel": {"session": str(uuid.uuid4()), "started": "2026-11-30T05:00:00.000000Z",
                   "name": "python3", "cwd": ""},
        "published_from": "cell", "inputs": inputs or [],
    }  # fmt: skip
