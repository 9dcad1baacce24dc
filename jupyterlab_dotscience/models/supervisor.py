"""Local deployer: model servers as separate processes on 127.0.0.1, persisted across restarts.

Each deployment is a ``python -m model_server`` process started from its build bundle, in its
own session (it outlives the Jupyter server), bound to a free port unless one is configured.
Deployments are kept in the store (``models/registry.py``); ``deployments.json``, where earlier
versions kept them, is read once to move them there.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

# the model server's own rule, so both agree on when a token is required
from .server.__main__ import is_loopback

#: Variables a model server inherits from the Jupyter server (exact names), besides the
#: locale (``LC_*``) and the Python settings in :data:`_PYTHON_KEEP`. Everything else, in
#: particular tokens, passwords, cloud credentials and the store URL, stays behind.
_KEEP_ENV = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM", "TMPDIR",
    "TEMP", "TMP", "SYSTEMROOT", "LD_LIBRARY_PATH", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS", "CUDA_VISIBLE_DEVICES", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "VIRTUAL_ENV", "CONDA_PREFIX",
})  # fmt: skip
#: Python settings a model server keeps (``PYTHONPATH``/``PYTHONHOME`` would let the
#: Jupyter server's environment choose the code it imports, so they are not kept).
_PYTHON_KEEP = frozenset(
    {"PYTHONIOENCODING", "PYTHONUTF8", "PYTHONHASHSEED", "PYTHONWARNINGS", "PYTHONNOUSERSITE"}
)
#: Parts of a name that mark a secret even in a variable that would otherwise be kept.
_SECRET_PARTS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "AUTH", "COOKIE")


def model_server_env(environ=None, **extra: str) -> dict[str, str]:
    """The environment of a model server: an allow-list of the server's own, plus ``extra``.

    Parameters
    ----------
    environ : mapping, optional
        The environment to filter (default: this process's).
    **extra
        Variables set for the model server (after filtering).

    Returns
    -------
    dict
        Only ``PATH``, ``HOME``, the locale, temp dirs, thread-count and TLS settings and a few
        ``PYTHON*`` settings survive; a name containing TOKEN, SECRET, PASSWORD, KEY, ... is
        dropped even then. ``JUPYTER*``, ``JPY_*``, ``DOTSCIENCE_*``, ``AWS_*`` and every
        other variable are not passed on.
    """
    environ = os.environ if environ is None else environ
    env = {}
    for name, value in environ.items():
        upper = name.upper()
        if any(part in upper for part in _SECRET_PARTS):
            continue
        if upper in _KEEP_ENV or upper.startswith("LC_") or upper in _PYTHON_KEEP:
            env[name] = value
    env.update(extra)
    return env


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id is running (a zombie is not).

    Parameters
    ----------
    pid : int or None
        The process id.

    Returns
    -------
    bool
        False for None or 0.
    """
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def probe(url: str, deployment: str | None = None, timeout: float = 2.0) -> bool:
    """True when ``url`` answers ready (and, if given, as this deployment).

    Parameters
    ----------
    url : str
        The model server's base URL.
    deployment : str, optional
        The deployment id the server must report (``X-Dotscience-Deployment``).
    timeout : float
        Seconds to wait.

    Returns
    -------
    bool
        Whether ``GET v2/health/ready`` answered 200 (from that deployment).
    """
    try:
        with urllib.request.urlopen(url + "v2/health/ready", timeout=timeout) as resp:
            if resp.status != 200:
                return False
            return deployment is None or resp.headers.get("X-Dotscience-Deployment") == deployment
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Process:
    """One model server process (started here, or adopted by pid)."""

    def __init__(self, pid: int, popen: subprocess.Popen | None = None):
        self.pid, self.popen = pid, popen

    def alive(self) -> bool:
        """Whether the process is still running."""
        if self.popen is not None:
            return self.popen.poll() is None
        return pid_alive(self.pid)

    def exit_code(self) -> int | None:
        """The exit code of a process this server started and that ended, else None."""
        return self.popen.poll() if self.popen is not None else None

    def stop(self, grace: float = 5.0) -> None:
        """Stop the process group: SIGTERM, then SIGKILL after ``grace`` seconds.

        Parameters
        ----------
        grace : float
            Seconds to wait after SIGTERM.
        """
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if not self.alive():
                return
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and self.alive():
                time.sleep(0.05)


def start_server(
    python: str,
    bundle: str,
    workdir: pathlib.Path,
    deployment: str,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Process:
    """Start ``python -m model_server`` from ``bundle``; output goes to ``workdir/server.log``.

    ``python`` comes from the server's configuration (``DotscienceApp.model_python``), never
    from a run record; the process gets :func:`model_server_env`, not the server's secrets.

    Parameters
    ----------
    python : str
        The interpreter.
    bundle : str
        The bundle directory.
    workdir : pathlib.Path
        The deployment's directory (log, status file, token).
    deployment : str
        The deployment id (the server reports it on its health probe).
    host : str
        Where it listens; beyond loopback it gets a token (:func:`write_token`).
    port : int
        The port (0: a free one).

    Returns
    -------
    Process
        The started process (its own process group).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    status = workdir / "status.json"
    with contextlib.suppress(FileNotFoundError):
        status.unlink()
    env = model_server_env(
        PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", DOTSCIENCE_DEPLOYMENT=deployment
    )
    argv = [python, "-m", "model_server", "--bundle", bundle, "--host", host,
            "--port", str(port), "--status-file", str(status), "--deployment", deployment]  # fmt: skip
    if not is_loopback(host):  # beyond loopback every request but health probes needs a token
        argv += ["--token-file", str(write_token(workdir))]
    with open(workdir / "server.log", "ab") as log:
        log.write(f"$ {' '.join(argv)}\n".encode())
        log.flush()
        popen = subprocess.Popen(
            argv, cwd=bundle, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
        )  # fmt: skip
    return Process(popen.pid, popen)


def write_token(workdir: pathlib.Path) -> pathlib.Path:
    """A new random token for a model server, in ``workdir/token`` (mode 0600).

    Parameters
    ----------
    workdir : pathlib.Path
        The deployment's directory.

    Returns
    -------
    pathlib.Path
        The token file (passed to the model server, never the token itself).
    """
    import secrets

    path = workdir / "token"
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_urlsafe(32) + "\n")
    return path


def auth_headers(workdir: pathlib.Path) -> dict:
    """``{"Authorization": "Bearer <token>"}`` for a model server that has a token, else {}.

    Parameters
    ----------
    workdir : pathlib.Path
        The deployment's directory.

    Returns
    -------
    dict
        Headers for a request to that model server.
    """
    try:
        token = (workdir / "token").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return {}
    return {"Authorization": f"Bearer {token}"} if token else {}


def wait_ready(
    proc: Process, workdir: pathlib.Path, host: str, deployment: str, timeout: float
) -> tuple[bool, str, int | None]:
    """Wait until the server is healthy, never longer than ``timeout``.

    Parameters
    ----------
    proc : Process
        The started model server.
    workdir : pathlib.Path
        Its directory (the status file it writes).
    host : str
        Where it listens.
    deployment : str
        Its deployment id.
    timeout : float
        Seconds to wait at most.

    Returns
    -------
    (bool, str, int or None)
        ``(ok, reason, port)``: the reason says why it is not ready (its log's last lines).
    """
    status = workdir / "status.json"
    deadline = time.monotonic() + timeout
    port = None
    while time.monotonic() < deadline:
        state = {}
        with contextlib.suppress(OSError, ValueError):
            state = json.loads(status.read_text())
        if state.get("state") == "failed":
            return False, state.get("reason") or "the model server failed", None
        if state.get("state") == "running":
            port = state.get("port")
            if probe(url_for(host, port), deployment):
                return True, "", port
        if not proc.alive():
            code = proc.exit_code()
            return (
                False,
                f"the model server exited (code {code}): {tail(workdir / 'server.log')}",
                None,
            )
        time.sleep(0.05)
    proc.stop()
    return False, f"the model server was not ready within {timeout:g} s; it was stopped", port


def url_for(host: str, port) -> str:
    """The base URL of a model server on this machine.

    Parameters
    ----------
    host : str
        Where it listens (a wildcard is shown as ``127.0.0.1``).
    port : int
        Its port.

    Returns
    -------
    str
        ``http://<host>:<port>/``.
    """
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def tail(path: pathlib.Path, lines: int = 3) -> str:
    """The last lines of a log, joined with `` | `` (empty when unreadable).

    Parameters
    ----------
    path : pathlib.Path
        The log.
    lines : int
        How many lines.

    Returns
    -------
    str
        One line of text.
    """
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def model_server_pids(deploy_dir: pathlib.Path | None = None) -> dict[str, int]:
    """The model servers running on this machine, by deployment id (read from each process's
    command line, so a pid reused by another program is never taken for one).

    Parameters
    ----------
    deploy_dir : pathlib.Path, optional
        Only those whose status file is under this directory (one workspace's deployments).

    Returns
    -------
    dict
        ``{deployment id: pid}`` of live ``python -m model_server ... --deployment <id>``
        processes (zombies left out).
    """
    found: dict[str, int] = {}
    prefix = str(deploy_dir.resolve()) + os.sep if deploy_dir is not None else None
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if argv[1:3] != ["-m", "model_server"]:
            continue
        options = dict(zip(argv[3::2], argv[4::2], strict=False))
        dep_id = options.get("--deployment")
        if not dep_id:
            continue
        if prefix is not None and not options.get("--status-file", "").startswith(prefix):
            continue
        pid = int(entry.name)
        if pid_alive(pid):
            found[dep_id] = pid
    return found


class DeploymentTable:
    """``deployments.json``: where earlier versions kept deployments (read to migrate them
    into the store)."""

    def __init__(self, path: pathlib.Path):
        self.path = path
        self.lock = threading.RLock()

    def load(self) -> dict[str, dict]:
        """The deployments saved last, by id (empty when there are none)."""
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        deployments = data.get("deployments") if isinstance(data, dict) else None
        return {
            d["id"]: d
            for d in deployments or []
            if isinstance(d, dict) and isinstance(d.get("id"), str)
        }
