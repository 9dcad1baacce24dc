"""A real Jupyter server with the extension, in its own process (for crash and fuzz tests)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``jupyter server`` on 127.0.0.1 with a token, rooted at ``root``."""

    def __init__(self, root, store_url: str | None = None, port: int | None = None):
        self.root = root
        self.port = port or free_port()
        self.token = secrets.token_hex(16)
        self.store_url = store_url
        self.proc: subprocess.Popen | None = None
        self.extra_args: list[str] = []
        self.log_path = os.path.join(str(root), "..", f"server-{self.port}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 60) -> LiveServer:
        args = [
            sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
            f"--port={self.port}", "--ip=127.0.0.1", f"--ServerApp.root_dir={self.root}",
            f"--IdentityProvider.token={self.token}", "--ServerApp.port_retries=0",
            "--DotscienceApp.spool_interval=0",
        ]  # fmt: skip
        if self.store_url:
            args.append(f"--DotscienceApp.store_url={self.store_url}")
        args += self.extra_args
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {open(self.log_path).read()[-3000:]}")
            try:
                self.request("GET", "dotscience/api/version", timeout=2)
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError("server did not start in time")

    def request(self, method: str, path: str, body=None, timeout: float = 30):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()
