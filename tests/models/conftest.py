"""Fixtures: a real Jupyter server with the extension, and scripts that publish to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest

from tests.server.live import LiveServer


def post_json(url: str, body, timeout: float = 30):
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def run_script(server: LiveServer, code: str, timeout: float = 240) -> dict:
    """Run ``code`` as a script in the server's root, publishing to it; returns the JSON
    object the script prints on its last line."""
    path = os.path.join(str(server.root), f"script_{time.monotonic_ns()}.py")
    with open(path, "w") as f:
        f.write(textwrap.dedent(code))
    env = dict(os.environ)
    env.update(
        DOTSCIENCE_SERVER_URL=server.url, DOTSCIENCE_TOKEN=server.token,
        DOTSCIENCE_PROJECT_DOT_ROOT=str(server.root), DOTSCIENCE_FOLLOW_TIMEOUT="120",
    )  # fmt: skip
    proc = subprocess.run(
        [sys.executable, path], cwd=str(server.root), env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    result["stdout"] = proc.stdout
    return result


def model_server_pids(dep_id: str) -> list[int]:
    """The pids of every live model server process of deployment ``dep_id`` on this machine,
    read from ``/proc`` independently of the supervisor's own search (zombies left out)."""
    from jupyterlab_dotscience.models.supervisor import pid_alive

    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if argv[1:3] == ["-m", "model_server"] and "--deployment" in argv:
            if argv[argv.index("--deployment") + 1] == dep_id and pid_alive(int(entry.name)):
                pids.append(int(entry.name))
    return pids


def wait_for(fn, timeout: float = 60, interval: float = 0.2):
    """Call ``fn`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    root = tmp_path_factory.mktemp("models-root")
    server = LiveServer(root)
    server.extra_args += ["--DotscienceApp.model_ready_timeout=30"]
    server.start()
    yield server
    server.stop()
    stop_model_servers(root)


def stop_model_servers(root) -> None:
    """Stop every model server of the workspace ``root`` (found by their command lines)."""
    import pathlib

    from jupyterlab_dotscience.models.supervisor import Process, model_server_pids

    for pid in model_server_pids(pathlib.Path(str(root), ".dotscience", "deployments")).values():
        Process(pid).stop(grace=2)
