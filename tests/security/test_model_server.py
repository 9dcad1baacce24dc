"""Hostile clients against a real model server process (``python -m model_server``).

Each test starts the server the way the supervisor does (from a build bundle, in its own
process) and attacks it with raw sockets, the way a client that does not follow the rules
would: headers sent a byte at a time, heads and bodies larger than allowed, requests without
the token a server bound beyond loopback requires. Each asserts the refusal a client sees and
that other clients were answered meanwhile.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import joblib
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from jupyterlab_dotscience.artifacts import ArtifactStore
from jupyterlab_dotscience.models import build
from jupyterlab_dotscience.models.supervisor import auth_headers, start_server, wait_ready

ROW = [5.1, 3.5, 1.4, 0.2]
PREDICT = "/v1/models/iris:predict"
#: The read timeout the attacked servers are started with (seconds).
READ_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> str:
    """A build bundle serving an iris LogisticRegression named ``iris``."""
    tmp = tmp_path_factory.mktemp("bundle")
    X, y = load_iris(return_X_y=True)
    (tmp / "m").mkdir()
    joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), tmp / "m" / "model.joblib")
    arts = ArtifactStore(tmp / "arts")
    sha = arts.put_file(tmp / "m" / "model.joblib")
    # allow_pickle: the server's decision for a model published with the deploy privilege
    version = {"name": "iris", "version": 1, "framework": "sklearn", "path": "m/model.joblib",
               "files": [{"path": "m/model.joblib", "sha256": sha}], "allow_pickle": True}  # fmt: skip
    return build.write_bundle(version, None, arts, tmp / "bundle", log=lambda s: None)["bundle"]


class Served:
    """A model server process started with ``extra`` arguments; ``port`` once it listens."""

    def __init__(self, bundle: str, workdir: pathlib.Path, *extra: str, env=None):
        workdir.mkdir(parents=True, exist_ok=True)
        self.status = workdir / "status.json"
        self.log = workdir / "server.log"
        argv = [sys.executable, "-m", "model_server", "--bundle", bundle, "--port", "0",
                "--status-file", str(self.status), "--deployment", "attacked", *extra]  # fmt: skip
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                argv, cwd=bundle, stdout=log, stderr=subprocess.STDOUT,
                env={**{k: v for k, v in os.environ.items() if not k.startswith("MODEL_")},
                     **(env or {})},
            )  # fmt: skip
        self.port = None

    def state(self, timeout: float = 60) -> dict:
        """The status file once the server has written one (or exited)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                state = json.loads(self.status.read_text())
            except (OSError, ValueError):
                state = {}
            if state.get("state") in ("running", "failed"):
                self.port = state.get("port")
                return state
            if self.proc.poll() is not None:
                return {"state": "exited", "code": self.proc.returncode,
                        "log": self.log.read_text()}  # fmt: skip
            time.sleep(0.05)
        raise AssertionError(f"no status within {timeout} s: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture(scope="module")
def server(bundle, tmp_path_factory):
    """A model server on loopback with a short read timeout (and the default body limit)."""
    s = Served(bundle, tmp_path_factory.mktemp("w"), "--read-timeout", str(READ_TIMEOUT))
    state = s.state()
    assert state["state"] == "running", state
    yield s
    s.stop()


def predict(port: int, headers=None, timeout: float = 30) -> tuple[int, dict]:
    """POST one row; ``(status, decoded JSON answer)``."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{PREDICT}", data=json.dumps({"instances": [ROW]}).encode(),
        headers={"Content-Type": "application/json", **(headers or {})}, method="POST",
    )  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def raw_exchange(port: int, data: bytes, timeout: float = 30) -> bytes:
    """Send ``data`` on a fresh connection; everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def read_one_answer(sock: socket.socket) -> bytes:
    """Exactly one answer (its head and its Content-Length body) read from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the connection was closed before the answer was complete"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    fields = (line.partition(b":") for line in head.split(b"\r\n")[1:])
    length = int(next(v for k, _, v in fields if k.strip().lower() == b"content-length"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection was closed before the answer was complete"
        body += chunk
    return head + b"\r\n\r\n" + body


def split_answer(raw: bytes) -> tuple[int, dict, dict]:
    """``(status, headers, JSON body)`` of one HTTP/1.1 answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    length = int(headers.get("content-length", len(body)))
    return status, headers, json.loads(body[:length])


def test_slowloris_connections_are_closed_and_never_stop_other_clients(server):
    # Given 30 connections that each send a request head one small piece at a time, never
    # finishing it (a slowloris attack)
    stop = threading.Event()
    closed_after: list[float] = []
    started = time.monotonic()

    def loris():
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        try:
            sock.sendall(f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\n".encode())
            i = 0
            while not stop.is_set():
                sock.sendall(f"X-Slow-{i}: y\r\n".encode())
                i += 1
                time.sleep(0.2)
        except OSError:  # the server closed the connection
            closed_after.append(time.monotonic() - started)
        finally:
            sock.close()

    lorises = [threading.Thread(target=loris, daemon=True) for _ in range(30)]
    for t in lorises:
        t.start()
    # When other clients ask for predictions meanwhile
    latencies = []
    while len(latencies) < 20:
        t0 = time.perf_counter()
        status, answer = predict(server.port)
        latencies.append(time.perf_counter() - t0)
        assert status == 200 and answer["predictions"] == [0]
    # Then they are answered quickly (the median, so one scheduling hiccup does not decide)
    assert statistics.median(latencies) <= 0.1, latencies
    # And every slow connection is closed by the server once the read timeout has passed
    for t in lorises:
        t.join(timeout=READ_TIMEOUT + 30)
    stop.set()
    assert len(closed_after) == 30, f"{30 - len(closed_after)} slow connections are still open"
    assert max(closed_after) < READ_TIMEOUT + 30
    # And the server still answers afterwards
    assert predict(server.port)[0] == 200


def test_an_idle_keep_alive_connection_is_closed_after_the_read_timeout(server):
    # Given a client that made one request on a keep-alive connection and then sent nothing
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        body = json.dumps({"instances": [ROW]}).encode()
        sock.sendall(
            f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        first = read_one_answer(sock)
        assert b" 200 " in first.split(b"\r\n", 1)[0]
        # When it stays idle, Then the server closes the connection (recv returns b"")
        t0 = time.monotonic()
        sock.settimeout(READ_TIMEOUT + 30)
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
        assert rest == b"" and time.monotonic() - t0 < READ_TIMEOUT + 30


def test_oversized_request_head_is_refused_with_431(server):
    # Given a request whose headers (20 KiB) exceed the 16 KiB limit
    body = json.dumps({"instances": [ROW]}).encode()
    head = (f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nX-Padding: {'a' * 20_000}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
    # When it is sent
    status, headers, answer = split_answer(raw_exchange(server.port, head + body))
    # Then the answer is 431 with a sentence naming the limit, and the connection closes
    assert status == 431
    assert "16384 bytes" in answer["error"] and answer["error"].count(".") <= 1
    assert headers.get("connection") == "close"
    # And a head far beyond any limit (1 MiB of headers) is not read: the connection closes
    # without an answer, and the server lives on
    huge = f"GET /v2 HTTP/1.1\r\nX-Huge: {'b' * (1 << 20)}\r\n\r\n".encode()
    answer = raw_exchange(server.port, huge)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431")
    assert predict(server.port) == (200, {"predictions": [0]})


def test_oversized_body_is_refused_with_413_before_it_is_read(server):
    # Given a request announcing a 100 MiB body (the limit is 64 MiB) and sending none of it
    head = (f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {100 << 20}\r\n\r\n").encode()  # fmt: skip
    # When it is sent
    t0 = time.monotonic()
    status, _, answer = split_answer(raw_exchange(server.port, head))
    # Then 413 comes at once (the server did not wait for the body), with one sentence
    assert status == 413 and time.monotonic() - t0 < READ_TIMEOUT
    assert answer["error"] == (
        f"the body is {100 << 20} bytes; this server accepts at most {64 << 20} bytes"
    )


def test_chunked_body_over_the_limit_is_refused_with_413(server):
    # Given a chunked body (no length announced) of exactly the 64 MiB limit, then one byte
    # more; the client sends nothing after that byte and waits for the answer
    piece = b"1," * (512 * 1024)  # 1 MiB
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())  # fmt: skip
        for _ in range(64):
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        sock.sendall(b"1\r\nX")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    # Then the answer is 413 with a sentence, and the connection is closed
    status, headers, answer = split_answer(raw)
    assert status == 413 and headers.get("connection") == "close"
    assert answer["error"] == (
        "the body is larger than 67108864 bytes, the most this server accepts"
    )
    # And the server keeps answering others correctly
    assert predict(server.port) == (200, {"predictions": [0]})


def test_chunked_body_within_the_limit_is_accepted(server):
    # Given a well-formed chunked request (tornado decodes it; the old server answered 411)
    body = json.dumps({"instances": [ROW, ROW]}).encode()
    data = (f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n").encode()  # fmt: skip
    data += f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    # Then it is answered like any other
    status, _, answer = split_answer(raw_exchange(server.port, data))
    assert (status, answer) == (200, {"predictions": [0, 0]})


def test_binding_beyond_loopback_without_a_token_refuses_to_start(bundle, tmp_path):
    # Given a model server asked to listen on every interface with no token
    s = Served(bundle, tmp_path / "w", "--host", "0.0.0.0")
    try:
        state = s.state()
        s.proc.wait(timeout=60)
    finally:
        s.stop()
    # Then it does not serve, and says why in one sentence
    assert state["state"] == "failed"
    assert "requires a token" in state["reason"] and "0.0.0.0" in state["reason"]
    assert s.proc.returncode == 2


def test_binding_beyond_loopback_needs_the_token_on_every_request(bundle, tmp_path):
    # Given the supervisor starting a model server on 0.0.0.0 (it writes a fresh token)
    workdir = tmp_path / "w"
    proc = start_server(sys.executable, bundle, workdir, "dep-open", host="0.0.0.0")
    try:
        ok, reason, port = wait_ready(proc, workdir, "0.0.0.0", "dep-open", 60)
        assert ok, reason
        token_file = workdir / "token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        token = token_file.read_text().strip()
        # The token is not on the command line (other local users can read that)
        assert token not in pathlib.Path(f"/proc/{proc.pid}/cmdline").read_text()
        # When a client sends no token, a wrong one, or another scheme
        for headers in ({}, {"Authorization": "Bearer wrong"},
                        {"Authorization": f"token {token}"},
                        {"Authorization": "Bearer " + token[:-1]}):  # fmt: skip
            status, answer = predict(port, headers)
            # Then it is refused with 401 and a sentence, and predicts nothing
            assert status == 401, headers
            assert "Authorization: Bearer" in answer["error"]
        for path in ("/metrics", "/v2", "/v2/models/iris", "/v1/models/iris"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30)
            assert e.value.code == 401, path
        # And with the token it predicts; health probes need none
        assert predict(port, auth_headers(workdir)) == (200, {"predictions": [0]})
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=30) as r:
            assert r.status == 200
        # And no refused request was counted as a prediction
        req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                     headers=auth_headers(workdir))  # fmt: skip
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
        assert 'dotscience_model_rows_total{model="iris",version="1"} 1.0' in text
    finally:
        proc.stop()


def test_on_loopback_no_token_is_needed(server):
    # Given the server on 127.0.0.1 started without a token, Then requests need none
    assert predict(server.port) == (200, {"predictions": [0]})


def test_head_request_is_answered_with_headers_only(server):
    # Given a HEAD request for the readiness probe, then a GET on the same connection
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"HEAD /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            assert chunk, "the connection was closed without an answer"
            head += chunk
        # Then the answer is 200 with the GET answer's length, and no body follows it
        status_line, _, rest = head.partition(b"\r\n")
        assert status_line == b"HTTP/1.1 200 OK"
        assert b"Content-Length: 14" in rest and rest.endswith(b"\r\n\r\n")
        # And the connection goes on to answer the next request
        sock.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    assert split_answer(raw)[0::2] == (200, {"ready": True})
