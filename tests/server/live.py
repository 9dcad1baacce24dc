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

# Ports handed out by this process: never handed out twice, so a port reserved for a server
# that starts later (a restart on the same port) is not given to another server meanwhile.
_handed_out: set[int] = set()
_next_port: dict[int, int] = {}  # per block: where the next search starts

# Under pytest-xdist each worker takes ports from its own block, below Linux's ephemeral range
# (32768-60999) where the kernel picks client ports: two workers never pick the same port,
# and no client connection can take a port between free_port() and the server's bind.
_BLOCK_START, _BLOCK_SIZE = 20000, 2000


def _worker_block() -> range | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not worker[2:].isdigit():
        return None
    index = int(worker[2:]) % ((32768 - _BLOCK_START) // _BLOCK_SIZE)
    start = _BLOCK_START + index * _BLOCK_SIZE
    return range(start, start + _BLOCK_SIZE)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on, for a server a test starts.

    Under pytest-xdist the port comes from the worker's own block of 2,000 ports (outside
    the ephemeral range), taken in turn from a point that depends on the process id, so
    parallel workers and parallel runs do not collide; otherwise the kernel picks one.
    Never the same port twice in one process.

    Returns
    -------
    int
        The port.
    """
    block = _worker_block()
    if block is None:
        while True:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port
    port = _next_port.get(block.start, block.start + os.getpid() % len(block))
    for _ in range(len(block)):
        _next_port[block.start] = block.start + (port + 1 - block.start) % len(block)
        if port not in _handed_out and _bindable(port):
            _handed_out.add(port)
            return port
        port = _next_port[block.start]
    raise RuntimeError(f"no free port left in {block.start}-{block.stop - 1}")


# The server extensions a LiveServer loads: ours alone. JupyterLab, its language-server
# scanner, terminals and the notebook shim serve nothing these tests ask for and double the
# time a server takes to start and stop (tests/packaging/test_make_lab.py runs the full lab).
ONLY_OURS = {
    "jupyterlab_dotscience": True,
    "jupyterlab": False,
    "jupyter_lsp": False,
    "jupyter_server_terminals": False,
    "notebook_shim": False,
}


# jupyter_server imports jsonschema (through jupyter_events), and jsonschema imports
# rfc3987_syntax when it is installed, for its "iri" format checks: that module builds about
# 35 Lark grammars when imported, 3 s of CPU in every server start (the rest of the start
# takes 1 s). No Jupyter, JupyterHub or Dotscience schema uses those formats, so the servers
# tests start go without the module, as the replay runner does (reproduce/runner.py). The
# main job (make lab) and the UI tests run the real `jupyter lab`.
NO_IRI = "import sys; sys.modules.setdefault('rfc3987_syntax', None)"


def without_iri(module: str) -> list[str]:
    """The command line that runs ``main()`` of ``module`` with this interpreter, without
    rfc3987_syntax (its arguments follow)."""
    return [sys.executable, "-c", f"{NO_IRI}; from {module} import main; main()"]


SERVE = without_iri("jupyter_server.serverapp")


class _PortTaken(Exception):
    """The server exited because its port was already in use."""


class LiveServer:
    """``jupyter server`` on 127.0.0.1 with a token, rooted at ``root``."""

    def __init__(self, root, store_url: str | None = None, port: int | None = None):
        self.root = root
        self._chosen_port = port is None  # a port taken meanwhile is replaced by another
        self.port = port or free_port()
        self.token = secrets.token_hex(16)
        self.store_url = store_url
        self.proc: subprocess.Popen | None = None
        self.extra_args: list[str] = []

    @property
    def log_path(self) -> str:
        """The server's log, beside its root (under the test's temporary directory)."""
        return os.path.join(str(self.root), "..", f"server-{self.port}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 60) -> LiveServer:
        """Start the server and wait until it answers; returns ``self``.

        If the port this server chose was taken meanwhile (by another process on the
        machine), the server starts again on another free port; a port given by the test
        is kept, and a server that cannot bind it fails.
        """
        for _ in range(5):
            try:
                return self._start(timeout)
            except _PortTaken:
                if not self._chosen_port:
                    raise RuntimeError(f"port {self.port} is in use") from None
                self.port = free_port()
        raise RuntimeError("no free port could be bound after 5 attempts")

    def _start(self, timeout: float) -> LiveServer:
        args = [
            *SERVE, "--no-browser", "--allow-root",
            f"--port={self.port}", "--ip=127.0.0.1", f"--ServerApp.root_dir={self.root}",
            f"--IdentityProvider.token={self.token}", "--ServerApp.port_retries=0",
            f"--ServerApp.jpserver_extensions={ONLY_OURS!r}",
        ]  # fmt: skip
        # no spool scans unless the test asks for them (an option given twice is an error)
        if not any(a.startswith("--DotscienceApp.spool_interval=") for a in self.extra_args):
            args.append("--DotscienceApp.spool_interval=0")
        if self.store_url:
            args.append(f"--DotscienceApp.store_url={self.store_url}")
        args += self.extra_args
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        written_before = self._log.tell()  # a restart on the same port appends to its log
        # Jupyter's runtime files (and the kernel library directory) beside the root, not in
        # the shared ~/.local/share/jupyter/runtime that servers of parallel workers would race
        # on; a test that chose a runtime directory keeps it.
        env = dict(os.environ)
        env.setdefault(
            "JUPYTER_RUNTIME_DIR", os.path.join(str(self.root), "..", f"runtime-{self.port}")
        )
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                with open(self.log_path, "rb") as f:
                    f.seek(written_before)
                    log = f.read().decode(errors="replace")[-3000:]
                if f"port {self.port} is not available" in log:
                    raise _PortTaken(self.port)
                raise RuntimeError(f"server exited: {log}")
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
