"""Remote mode fixtures: a real hub (jupyter server subprocess), keys, scripts, the CLI."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from ..server.live import LiveServer

TRAIN = """\
import os, sys
import dotscience as ds

ds.connect(os.environ["DS_USER"], os.environ["DS_KEY"], os.environ.get("DS_PROJECT", "iris"),
           hostname=os.environ["DS_HOST"])
ds.script()
ds.start()
epochs = ds.parameter("epochs", int(sys.argv[sys.argv.index("--epochs") + 1]))
with open("model.txt", "w") as f:
    f.write(f"weights after {epochs} epochs")
ds.output("model.txt")
ds.metric("accuracy", 0.93)
ds.publish("trained from a script")
"""


def clean_env(home) -> dict:
    """The test process's environment without Dotscience/Jupyter settings, HOME at ``home``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DOTSCIENCE_") and k not in ("JUPYTER_TOKEN", "PYTHONPATH")
    }
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    return env


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No Dotscience settings leak in; the CLI's config lives in the test's directory."""
    for name in list(os.environ):
        if name.startswith("DOTSCIENCE_") or name == "JUPYTER_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))


@pytest.fixture(scope="session")
def hub(tmp_path_factory):
    """A hub whose configured user is alice (a 1 MB artifact limit keeps tests small)."""
    root = tmp_path_factory.mktemp("hub-root")
    server = LiveServer(root)
    server.extra_args = [
        "--DotscienceApp.kernel_user=alice",
        "--DotscienceApp.max_artifact_bytes=1000000",
    ]
    server.start()
    yield server
    server.stop()


def http(method: str, url: str, body=None, headers=None, timeout: float = 30):
    """``(status, decoded JSON or bytes)`` of one request; HTTP errors are answers too."""
    data = body
    headers = dict(headers or {})
    if body is not None and not isinstance(body, bytes):
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def put_head(port: int, path: str, length: int, headers: dict) -> socket.socket:
    """A connection to ``127.0.0.1:port`` that has sent the head of a ``length``-byte PUT to
    ``path`` (an octet stream), and none of its body yet."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    lines = [f"PUT {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
             "Content-Type: application/octet-stream", f"Content-Length: {length}",
             *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def read_answer(sock: socket.socket) -> tuple[int, object]:
    """The next answer on ``sock``: ``(status, decoded JSON or b"")``; a 100 is its own."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        assert byte, f"the server closed the connection after {head!r}"
        head += byte
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return status, json.loads(body) if body else body


def token_auth(server) -> dict:
    return {"Authorization": f"token {server.token}"}


def basic_auth(user: str, key: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()}


def create_key(server, name="test", project=None, scopes=None) -> dict:
    """A new API key made with the server's Jupyter token (``key`` holds the secret);
    ``scopes`` (e.g. ``["deploy"]``) is sent only when given."""
    body = {"name": name, "project": project}
    if scopes is not None:
        body["scopes"] = scopes
    status, key = http("POST", server.url + "dotscience/api/keys", body, token_auth(server))
    assert status == 201, key
    return key


def write_script(directory, git: bool = True) -> str:
    """``train.py`` in ``directory``, committed to a fresh git repository; returns the commit."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "train.py").write_text(TRAIN)
    if not git:
        return ""
    g = ["git", "-C", str(directory), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*g, "init", "-q"], check=True)
    subprocess.run([*g, "add", "train.py"], check=True)
    subprocess.run([*g, "commit", "-qm", "train"], check=True)
    return subprocess.run(
        [*g, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def run_script(directory, host: str, user: str, key: str, project="iris", *args):
    """``python train.py --epochs 3`` in ``directory``; the CompletedProcess."""
    env = clean_env(directory)
    env.update(DS_HOST=host, DS_USER=user, DS_KEY=key, DS_PROJECT=project)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = repo
    return subprocess.run(
        [sys.executable, "train.py", "--epochs", "3", *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def dotscience(*args, cwd, home, env=None):
    """The ``dotscience`` console script as a subprocess; the CompletedProcess."""
    full = clean_env(home)
    full.update(env or {})
    exe = os.path.join(os.path.dirname(sys.executable), "dotscience")
    return subprocess.run(
        [exe, *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=60
    )
