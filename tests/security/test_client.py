"""The kernel library's HTTP clients against hostile servers and hostile names.

- A server that redirects elsewhere must not receive the credentials meant for the first:
  two local HTTP servers, one redirecting to the other, which records the headers it got.
- Credentials over plain http to another machine are warned about (once).
- The curl command printed after a deploy is safe to paste into a shell whatever the model
  is called: it is run by ``/bin/sh`` against a real model server.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import pathlib
import socket
import subprocess
import sys
import threading
import warnings

import joblib
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from dotscience import remote
from dotscience.delivery import HttpDelivery, curl_command, shell_quote
from jupyterlab_dotscience.artifacts import ArtifactStore
from jupyterlab_dotscience.models import build
from jupyterlab_dotscience.models.supervisor import start_server, wait_ready

KEY = "dsk_0123456789ab_" + "s" * 32


class _Server:
    """A local HTTP server in a thread; ``handle(handler)`` answers each request."""

    def __init__(self, handle, host: str = "127.0.0.1"):
        self.seen: list[dict] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.seen.append({"method": self.command, "path": self.path,
                                   "headers": dict(self.headers.items()), "body": body})  # fmt: skip
                handle(self)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _json(handler, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _answer_as_hub(handler) -> None:
    """What a Dotscience server answers: the key for GET keys/..., the run for POST runs."""
    if handler.command == "POST":
        _json(handler, 201, {"id": "run-1"})
    else:
        _json(handler, 200, {"id": "0123456789ab", "username": "alice", "project": "iris"})


@pytest.fixture
def recorder():
    """The server a redirect points to: records every request's headers."""
    server = _Server(_answer_as_hub)
    yield server
    server.close()


def _redirector(target: str, code: int):
    """A server answering every request with a redirect to ``target`` + the same path."""

    def handle(handler):
        handler.send_response(code)
        handler.send_header("Location", target.rstrip("/") + handler.path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return _Server(handle)


def _auth_seen(server: _Server) -> list:
    return [r["headers"].get("Authorization") for r in server.seen]


@pytest.mark.parametrize(
    ("username", "scheme"), [("alice", "Basic"), (None, "Bearer")], ids=["basic", "bearer"]
)
def test_api_key_is_not_sent_on_to_another_host_by_a_redirect(recorder, username, scheme):
    # Given a hub that redirects every request to another server (another port: another origin)
    hub = _redirector(recorder.url(), 302)
    try:
        client = remote.Client(hub.url(), username, KEY)
        # When the client checks its key there
        key = client.check()
    finally:
        hub.close()
    # Then the hub got the credentials, and the other server answered without getting them
    assert len(hub.seen) == 1
    assert hub.seen[0]["headers"]["Authorization"].startswith(scheme + " ")
    assert key["username"] == "alice"
    assert _auth_seen(recorder) == [None]
    assert KEY not in json.dumps(recorder.seen[0]["headers"])
    assert base64.b64encode(f"alice:{KEY}".encode()).decode() not in json.dumps(
        recorder.seen[0]["headers"]
    )


def test_kernel_token_is_not_sent_on_to_another_host_by_a_redirect(recorder):
    # Given the server a kernel publishes to answers POST runs with 303 to another server
    hub = _redirector(recorder.url(), 303)
    try:
        delivery = HttpDelivery(hub.url(), token="kernel-token", stream=io.StringIO())
        # When a run is published
        delivery.deliver({"id": "run-1", "parameters": {}})
    finally:
        hub.close()
    # Then only the first server saw the token; the redirect was followed (as a GET)
    assert hub.seen[0]["headers"]["Authorization"] == "token kernel-token"
    assert [(r["method"], r["path"]) for r in recorder.seen] == [("GET", "/dotscience/api/runs")]
    assert _auth_seen(recorder) == [None]


def test_credentials_are_kept_on_a_redirect_within_the_same_server():
    # Given a hub that moves a path to another path on itself
    def handle(handler):
        if handler.path.startswith("/old/"):
            handler.send_response(301)
            handler.send_header("Location", "/dotscience/api/keys/0123456789ab")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            _answer_as_hub(handler)

    hub = _Server(handle)
    try:
        client = remote.Client(hub.url().rstrip("/") + "/old/", "alice", KEY)
        key = client.check()
    finally:
        hub.close()
    # Then the second request (same scheme, host and port) still carries the credentials
    assert key["project"] == "iris"
    assert [a.split()[0] for a in _auth_seen(hub)] == ["Basic", "Basic"]


def test_same_origin_means_scheme_host_and_port():
    # Default ports are filled in; a scheme change (https -> http) is another origin
    assert remote.origin("http://hub/") == remote.origin("http://HUB:80/x")
    assert remote.origin("https://hub/") == remote.origin("https://hub:443/")
    assert remote.origin("https://hub/") != remote.origin("http://hub/")
    assert remote.origin("http://hub:8888/") != remote.origin("http://hub:8889/")
    assert remote.origin("http://hub/") != remote.origin("http://hub.evil/")


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this picks the outgoing address
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_connect_warns_once_about_credentials_over_plain_http(tmp_path, monkeypatch):
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address other than loopback")
    import dotscience as ds

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOTSCIENCE_PROJECT_DOT_ROOT", str(tmp_path))
    hub = _Server(_answer_as_hub, host="0.0.0.0")
    try:
        url = hub.url(address)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # When a script connects twice over plain http to a machine that is not this one
            ds.connect("alice", KEY, "iris", hostname=url)
            ds.connect("alice", KEY, "iris", hostname=url)
            # And to this machine over http (loopback), which is fine
            ds.connect("alice", KEY, "iris", hostname=hub.url())
    finally:
        hub.close()
    # Then exactly one warning says the credentials travel unencrypted, naming the server
    insecure = [w for w in caught if issubclass(w.category, remote.InsecureTransportWarning)]
    assert len(insecure) == 1
    assert url in str(insecure[0].message) and "https://" in str(insecure[0].message)


def test_no_warning_for_https_or_loopback():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for base in ("https://hub.example.com/", "http://127.0.0.1:8888/",
                     "http://localhost:8888/", "http://[::1]:8888/"):  # fmt: skip
            assert remote.warn_if_plain_http(base) is False
    assert not caught


def test_shell_quote_keeps_any_text_literal():
    # Given text full of shell syntax, When sh reads it as one quoted word
    for text in ["x; rm -rf ~", "a'b", "$(id)", "`id`", "a\nb", "", "'''"]:
        out = subprocess.run(["/bin/sh", "-c", f"printf %s {shell_quote(text)}"],
                             capture_output=True, text=True, check=True)  # fmt: skip
        # Then the shell passes it on unchanged
        assert out.stdout == text


HOSTILE = "x; touch pwned; $(touch pwned2) `touch pwned3` 'q'"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """A real model server for a model whose name is a shell command."""
    tmp = tmp_path_factory.mktemp("hostile")
    X, y = load_iris(return_X_y=True)
    (tmp / "m").mkdir()
    joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), tmp / "m" / "model.joblib")
    arts = ArtifactStore(tmp / "arts")
    sha = arts.put_file(tmp / "m" / "model.joblib")
    # allow_pickle: the server's decision for a model published with the deploy privilege
    version = {"name": HOSTILE, "version": 1, "framework": "sklearn", "path": "m/model.joblib",
               "files": [{"path": "m/model.joblib", "sha256": sha}], "allow_pickle": True}  # fmt: skip
    bundle = build.write_bundle(version, None, arts, tmp / "bundle", log=lambda s: None)
    proc = start_server(sys.executable, bundle["bundle"], tmp / "w", "hostile")
    ok, reason, port = wait_ready(proc, tmp / "w", "127.0.0.1", "hostile", 60)
    assert ok, reason
    yield f"http://127.0.0.1:{port}/"
    proc.stop()


def test_printed_curl_for_a_hostile_model_name_is_harmless_and_works(hostile_server, tmp_path):
    # Given a deployment of a model whose name is a shell command, followed after publish
    out = io.StringIO()
    delivery = HttpDelivery("http://127.0.0.1:9/", stream=out)
    delivery._follow({"deployments": [{"id": "d1", "state": "running", "model": HOSTILE,
                                       "version": 1, "url": hostile_server}]})  # fmt: skip
    lines = [ln.strip() for ln in out.getvalue().splitlines() if ln.strip().startswith("curl ")]
    assert lines == [curl_command({"url": hostile_server, "model": HOSTILE})]
    # When a user pastes it into a shell (with a real row instead of the placeholder)
    command = lines[0].replace("[[...]]", "[[5.1, 3.5, 1.4, 0.2]]")
    work = tmp_path / "cwd"
    work.mkdir()
    proc = subprocess.run(["/bin/sh", "-c", command], cwd=work, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "HOME": str(work)})  # fmt: skip
    # Then nothing but curl ran, and the model answered
    assert list(pathlib.Path(work).iterdir()) == []
    assert json.loads(proc.stdout) == {"predictions": [0]}, proc.stderr
