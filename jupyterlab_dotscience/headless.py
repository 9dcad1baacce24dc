"""Headless execution of a notebook in a fresh kernel: the one path Reproduce and Sweeps share.

A notebook runs in a subprocess (``reproduce/runner.py`` under a configured interpreter; its
command line holds only paths the server made) with an allow-listed environment whose
``DOTSCIENCE_PROJECT_DOT_ROOT`` is a scratch workspace and which has no server URL or token,
so the notebook's ``ds.publish()`` goes to the scratch workspace's spool, read back with
:func:`last_spooled`. The runner reports progress as JSON lines on a pipe only it holds;
:func:`execute` follows it until the notebook is done, fails, times out or is stopped
(:class:`Handle.stop`), and kills the runner's and the kernel's process groups when needed.

A :class:`Worker` is a long-lived runner (``runner.py --serve``) that executes notebooks one
after another, each in a fresh kernel with its own environment and directory: a sweep keeps
one per parallel slot, so the interpreter's start and the imports of nbclient, nbformat and
jupyter_client are paid once per slot, not once per trial.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pathlib
import queue
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import uuid

RUNNER = str(pathlib.Path(__file__).resolve().parent / "reproduce" / "runner.py")

#: The math libraries' thread counts (OpenMP, OpenBLAS, MKL, Accelerate, numexpr)
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")  # fmt: skip

#: Environment variables a headless notebook inherits from the server (nothing else: no
#: tokens, passwords, store URL or server URL)
ALLOWED_ENV = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM",
    "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "PYTHONPATH", "PYTHONHASHSEED",
    "JUPYTER_PATH", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR",
    "JUPYTER_PLATFORM_DIRS", "IPYTHONDIR", "MPLBACKEND", "MPLCONFIGDIR",
    "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "SSL_CERT_FILE", "SSL_CERT_DIR",
    *THREAD_ENV,
)  # fmt: skip


def thread_limits(parallel: int) -> dict:
    """The thread settings of one of ``parallel`` notebooks executing at once on this machine
    (each gets its share of the cores, at least one), as joblib and Dask give theirs: the
    math libraries' thread pools (OpenMP, OpenBLAS, MKL, Accelerate, numexpr) otherwise
    start a thread per core in every kernel, and idle threads spin on the cores the other
    notebooks need. A variable the server's own environment sets is left as it is (it
    reaches the notebook through :data:`ALLOWED_ENV`).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    share = str(max(1, cores // max(1, int(parallel))))
    return {name: share for name in THREAD_ENV if name not in os.environ}


#: The runner's environment variable naming the directory its kernels' sockets go in
KERNEL_SOCKETS = "DOTSCIENCE_KERNEL_SOCKETS"

_sockets_lock = threading.Lock()
_sockets: str | None = None  # made on first use


def kernel_sockets() -> str | None:
    """The directory (this server's, mode 0700, removed when it exits) in which the kernels
    of headless executions listen on Unix sockets instead of TCP ports; None when no
    directory short enough for a socket's path can be made (they use TCP then).

    Over TCP, jupyter_client picks a kernel's five ports by binding port 0 and closing the
    socket, and the kernel binds them about a second later: a port that another process
    took in between (another trial's kernel, a kernel of the Jupyter server, any program)
    kills the kernel with "Address already in use" or leaves its client waiting for an
    answer that never comes. Measured here with kernels started four at a time: 2 of 455
    failed so. Socket files in a private directory cannot be taken by anyone else.

    The directory's name carries this process's id: one a killed process left behind (no
    exit handler runs on SIGKILL) is removed by the next process that makes its own.
    """
    global _sockets
    with _sockets_lock:
        if _sockets is not None:
            return _sockets
        for base in dict.fromkeys((tempfile.gettempdir(), "/tmp")):
            if len(os.fsencode(base)) > 40:  # a socket's path is at most 107 bytes
                continue
            try:
                path = tempfile.mkdtemp(prefix=f"{SOCKETS_PREFIX}{os.getpid()}-", dir=base)
            except OSError:
                continue
            atexit.register(shutil.rmtree, path, True)
            _remove_left_sockets(base)
            _sockets = path
            return path
        return None


#: How the kernels' socket directories are named: this, the process id, "-", a random part
SOCKETS_PREFIX = "ds-kernels-"


def _remove_left_sockets(base: str) -> None:
    """Remove the kernels' socket directories in ``base`` whose processes have ended: this
    user's own (``base`` is shared), real directories (not links), named with a process id
    that no process has now. One whose process lives, or whose id was taken again by
    another process, is left."""
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        if not name.startswith(SOCKETS_PREFIX):
            continue
        pid, sep, _ = name[len(SOCKETS_PREFIX) :].partition("-")
        if not sep or not pid.isdigit() or _alive(int(pid)):
            continue
        path = os.path.join(base, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        shutil.rmtree(path, ignore_errors=True)  # (by descriptors: links are not followed)


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (another user's counts)."""
    if pid <= 0:
        return True  # (0 and negative ids name process groups: never ours to judge)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # (it exists, and is not ours to signal)
    return True


def _runner_env(env: dict) -> dict:
    """``env`` with the directory of the runner's kernels' sockets, when there is one."""
    sockets = kernel_sockets()
    return {**env, KERNEL_SOCKETS: sockets} if sockets else dict(env)


#: Largest spooled run record that is read (bytes)
MAX_RECORD_BYTES = 256 * 1024**2
#: Seconds a stopped notebook gets to shut its kernel down before it is killed
GRACE = 3.0
#: Seconds between progress callbacks (cell i of n)
PROGRESS_INTERVAL = 0.25


class Stopped(Exception):
    """The execution was stopped (cancelled, or the server is stopping)."""


class Gone(Exception):
    """A :class:`Worker` had ended before it was handed the execution (nothing ran)."""


class Handle:
    """What a caller holds of one execution: ``stop`` (set it to stop the notebook), the
    runner process and its kernel's process group, under ``lock``."""

    def __init__(self):
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.proc: subprocess.Popen | None = None
        self.kernel_pgid: int | None = None
        self.closed: threading.Event | None = None  # set once a Worker's job kernel is gone


def environment(root, kernel_path: str | None = None, script: bool = False,
                extra: dict | None = None) -> dict:  # fmt: skip
    """The allow-listed environment of a headless execution in scratch workspace ``root``.

    Parameters
    ----------
    root : path
        The scratch workspace (``DOTSCIENCE_PROJECT_DOT_ROOT``; its ``.dotscience/tmp`` is
        ``TMPDIR``).
    kernel_path : str, optional
        A directory holding only the ``dotscience`` package, put first on ``PYTHONPATH``.
    script : bool
        A script, not a notebook (no ``DOTSCIENCE_WORKLOAD_TYPE``).
    extra : dict, optional
        More variables, set last (made by the server, e.g. a sweep trial's values).

    Returns
    -------
    dict
        The environment.
    """
    env = {k: v for k, v in os.environ.items() if k in ALLOWED_ENV or k.startswith("LC_")}
    if kernel_path:
        parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join([kernel_path, *parts])
    tmp = pathlib.Path(root) / ".dotscience" / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(DOTSCIENCE_PROJECT_DOT_ROOT=str(root), TMPDIR=str(tmp))
    if not script:
        env["DOTSCIENCE_WORKLOAD_TYPE"] = "jupyter"
    env.update(extra or {})
    return env


def run_notebook(handle: Handle, python: str, notebook, control, cwd, env, timeout: float,
                 kernel: str | None = None, on_cell=None, name: str = "run") -> dict:  # fmt: skip
    """Execute ``notebook`` with the runner under ``python``; the outcome event.

    ``control`` (a directory the server made) receives ``job.json``, the executed notebook
    ``<name>.executed.ipynb`` and the log ``<name>.log``. See :func:`execute` for the outcome
    and ``on_cell``.
    """
    control = pathlib.Path(control)
    job_file = control / "job.json"
    job_file.write_text(json.dumps({
        "notebook": str(notebook), "executed": str(control / f"{name}.executed.ipynb"),
        "cwd": str(cwd), "kernel": kernel,
    }), encoding="utf-8")  # fmt: skip
    argv = [python, RUNNER, str(job_file)]
    return execute(handle, argv, cwd, env, control / f"{name}.log", timeout, pipe=True,
                   on_cell=on_cell)  # fmt: skip


def execute(handle: Handle, argv, cwd, env, log_path, timeout: float, pipe: bool = True,
            on_cell=None) -> dict:  # fmt: skip
    """Run ``argv`` (the runner, or a script when ``pipe`` is False) until it ends, fails,
    times out or is stopped.

    Parameters
    ----------
    handle : Handle
        Its ``stop`` stops the execution (then :class:`Stopped` is raised).
    argv : list of str
        The command (made by the server); with ``pipe`` the write end of the progress pipe
        is appended.
    cwd, env
        Working directory and environment.
    log_path : path
        A new file receiving stdout and stderr.
    timeout : float
        Seconds before the execution is killed.
    pipe : bool
        Follow the runner's progress pipe.
    on_cell : callable, optional
        ``on_cell(cells_done)``, at most every ``PROGRESS_INTERVAL`` seconds and at the end.

    Returns
    -------
    dict
        ``{"event": "done"}``, ``{"event": "failed", "cell", "error"}`` or
        ``{"event": "timeout", "cell"}``.

    Raises
    ------
    Stopped
        ``handle.stop`` was set.
    """
    read_fd = write_fd = None
    if pipe:
        read_fd, write_fd = os.pipe()
        argv = [*argv, str(write_fd)]
    # the log is read back through this descriptor, never by its name (which the notebook's
    # code could replace with a link)
    log_fd = _open_log(log_path)
    try:
        return _run_process(handle, argv, cwd, env, log_fd, read_fd, write_fd, timeout,
                            on_cell)  # fmt: skip
    finally:
        os.close(log_fd)


def _run_process(handle, argv, cwd, env, log_fd, read_fd, write_fd, timeout, on_cell) -> dict:
    pipe = read_fd is not None
    try:
        proc = subprocess.Popen(
            argv, cwd=str(cwd), env=_runner_env(env) if pipe else env,
            stdin=subprocess.DEVNULL, stdout=log_fd,
            stderr=subprocess.STDOUT, start_new_session=True,
            pass_fds=(write_fd,) if pipe else (),
        )  # fmt: skip
    except BaseException:
        if pipe:
            os.close(read_fd)
        raise
    finally:
        if write_fd is not None:
            os.close(write_fd)
    with handle.lock:
        handle.proc = proc
    deadline = time.monotonic() + timeout
    source = _PipeEvents(read_fd, proc) if pipe else _ExitEvents(proc)
    try:
        last, cell, _ = _follow(handle, source, deadline, on_cell)
    finally:
        source.close()
    kind = last.get("event")
    if handle.stop.is_set():  # stopped, even as it ended
        kill(handle)
        raise Stopped
    if kind == "timeout":
        kill(handle)
        return last
    if kind in ("done", "failed"):  # the outcome is known: the kernel shuts down meanwhile
        return last
    code = proc.wait()  # it ended (and exited) without saying how
    kill(handle)  # the kernel of a runner that died without saying how
    if not pipe:
        if code == 0:
            return {"event": "done"}
        return {"event": "failed", "cell": 1, "error": tail(log_fd, code)}
    return {"event": "failed", "cell": cell + 1 if cell else None, "error": tail(log_fd, code)}


class _ExitEvents:
    """The events of a process that says nothing (a script): ``ended`` once it exited."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc

    def __call__(self, wait: float) -> dict | None:
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            return None
        return {"event": "ended"}

    def close(self) -> None:
        pass


class _PipeEvents:
    """The progress lines a one-shot runner writes to the pipe ``fd``, one event per call;
    ``ended`` once the runner closed the pipe and exited."""

    def __init__(self, fd: int, proc: subprocess.Popen):
        self.fd, self.proc = fd, proc
        self.sel = selectors.DefaultSelector()
        self.sel.register(fd, selectors.EVENT_READ)
        self.buffer, self.pending, self.eof = b"", [], False

    def __call__(self, wait: float) -> dict | None:
        while not self.pending:
            if self.eof:  # the pipe is closed: wait for the runner to exit
                return _ExitEvents(self.proc)(wait)
            if not self.sel.select(wait):
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.eof = True
                continue
            *lines, self.buffer = (self.buffer + chunk).split(b"\n")
            self.pending.extend(lines)
            wait = 0
        return _event(self.pending.pop(0))

    def close(self) -> None:
        self.sel.close()
        os.close(self.fd)


def _event(line: bytes) -> dict:
    """A progress line as an event (``{}``: not one)."""
    try:
        event = json.loads(line)
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}


def _follow(handle: Handle, next_event, deadline: float, on_cell) -> tuple[dict, int, bool]:
    """Follow an execution's events until its outcome (``done`` or ``failed``), its end
    (``ended``: it stopped without saying how), the deadline (``timeout``) or its stop
    (``stopped``); the one event loop of a one-shot runner and of a :class:`Worker`.

    Parameters
    ----------
    handle : Handle
        Receives the kernel's process group; its ``stop`` ends the loop.
    next_event : callable
        ``next_event(wait)``: the next event (a dict), or None when there was none within
        ``wait`` seconds.
    deadline : float
        ``time.monotonic()`` at which the execution times out.
    on_cell : callable, optional
        ``on_cell(cells_done)``, at most every ``PROGRESS_INTERVAL`` seconds and at the end.

    Returns
    -------
    tuple
        ``(the last event, cells done, whether the runner said anything)``.
    """
    cell, stored, stored_at, heard = 0, 0, 0.0, False

    def progress(force: bool = False) -> None:
        nonlocal stored, stored_at
        if on_cell is not None and cell != stored and (
                force or time.monotonic() - stored_at >= PROGRESS_INTERVAL):  # fmt: skip
            on_cell(cell)
            stored, stored_at = cell, time.monotonic()

    while True:
        if handle.stop.is_set():
            last = {"event": "stopped"}
            break
        left = deadline - time.monotonic()
        if left <= 0:
            last = {"event": "timeout", "cell": cell + 1}
            break
        event = next_event(min(left, PROGRESS_INTERVAL)) or {}
        kind = event.get("event")
        if kind not in (None, "ended"):
            heard = True
        if kind == "kernel" and isinstance(event.get("pgid"), int):
            with handle.lock:
                handle.kernel_pgid = event["pgid"]
        elif kind == "cell" and isinstance(event.get("cell"), int):
            cell = event["cell"]
        elif kind in ("done", "failed", "ended"):
            last = event
            break
        progress()
    progress(force=True)
    return last, cell, heard


def reap(handle: Handle) -> None:
    """Wait for a runner that reported its outcome to shut its kernel down and exit (killed
    after 30 s)."""
    with handle.lock:
        proc = handle.proc
    if proc is None:
        return
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        kill(handle)


def kill(handle: Handle) -> None:
    """Stop the execution: SIGTERM to the runner's process group (it shuts its kernel down),
    then SIGKILL to the kernel's and the runner's groups."""
    with handle.lock:
        proc, pgid = handle.proc, handle.kernel_pgid
    if proc is None:
        return
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(GRACE)
    own = os.getpgid(0)
    for group in (pgid, proc.pid):
        if group and group > 1 and group != own:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)


def tail(fd: int, code) -> str:
    """The last line of an execution's log (an open descriptor), as its error."""
    try:
        size = os.fstat(fd).st_size
        data = os.pread(fd, 4000, max(0, size - 4000))
        lines = data.decode("utf-8", "replace").strip().splitlines()
    except OSError:
        lines = []
    text = lines[-1] if lines else ""
    exit_text = f"exit code {code}" if code is not None and code >= 0 else f"signal {-code}"
    return f"The execution ended with {exit_text}: {text}"[:2000] if text else (
        f"The execution ended with {exit_text}.")  # fmt: skip


def last_spooled(root) -> dict | None:
    """The last run the notebook published (the scratch workspace's spool), or None."""
    from dotscience.paths import spool_directory

    found = []
    directory = pathlib.Path(spool_directory(str(root)))
    if not directory.is_dir() or not directory.resolve().is_relative_to(
        pathlib.Path(root).resolve()
    ):
        return None  # none, or a link the notebook's code made to somewhere else
    for path in directory.glob("*.json"):
        try:
            if path.is_symlink() or path.stat().st_size > MAX_RECORD_BYTES:
                continue
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict):
            found.append((str(record.get("published") or ""), path.stat().st_mtime_ns, record))
    if not found:
        return None
    return max(found, key=lambda t: (t[0], t[1]))[2]


def _open_log(log_path) -> int:
    """A new log file (never through a link), as a descriptor the execution writes to."""
    return os.open(log_path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)


class Worker:
    """A long-lived runner executing notebooks one after another, each in a fresh kernel.

    Parameters
    ----------
    python : str
        The interpreter (made by the server).
    cwd : path
        The runner's own working directory (each notebook runs in its job's ``cwd``).
    env : dict
        The runner's own environment (each kernel gets its job's, see :meth:`run`).
    log_path : path
        A new file receiving the runner's and its kernels' stdout and stderr.

    Notes
    -----
    One :meth:`run` at a time. A worker whose execution was stopped or timed out is killed
    with its kernel's process group, as :func:`kill` does, and a worker that died fails only
    the execution it was running: either way it is ``broken`` and is not used again.
    """

    def __init__(self, python: str, cwd, env: dict, log_path):
        self.log_path = str(log_path)
        self.log_fd: int | None = _open_log(log_path)
        read_fd, write_fd = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [python, RUNNER, "--serve", str(write_fd)], cwd=str(cwd), env=_runner_env(env),
                stdin=subprocess.PIPE, stdout=self.log_fd, stderr=subprocess.STDOUT,
                start_new_session=True, pass_fds=(write_fd,),
            )  # fmt: skip
        except BaseException:
            os.close(read_fd)
            os.close(self.log_fd)
            raise
        finally:
            os.close(write_fd)
        self._lock = threading.Lock()
        self._jobs: dict[str, tuple[queue.Queue, threading.Event]] = {}
        self._gone = False
        self.broken = False
        self._reader = threading.Thread(target=self._read, args=(read_fd,), daemon=True,
                                        name="headless-worker-read")  # fmt: skip
        self._reader.start()

    def _read(self, fd: int) -> None:
        """Hand each progress line to its job; when the runner is gone, end every job."""
        buffer = b""
        try:
            while chunk := os.read(fd, 65536):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    if not isinstance(event, dict):
                        continue
                    with self._lock:
                        entry = self._jobs.get(event.get("id"))
                    if entry is None:
                        continue
                    if event.get("event") == "closed":
                        entry[1].set()
                    else:
                        entry[0].put(event)
        except OSError:
            pass
        finally:
            os.close(fd)
            with self._lock:
                self._gone = self.broken = True
                entries = list(self._jobs.values())
            for events, closed in entries:
                events.put({"event": "ended"})
                closed.set()

    def run(self, handle: Handle, job: dict, timeout: float, on_cell=None) -> dict:
        """Execute one notebook; the outcome event, as :func:`execute` returns it.

        Parameters
        ----------
        handle : Handle
            Its ``stop`` stops the execution (the worker is killed; :class:`Stopped` is
            raised). Once the outcome is known, :meth:`finish` waits for the kernel to go.
        job : dict
            ``notebook``, ``cwd``, ``kernel``, ``env`` (the kernel's environment) and
            ``executed`` (a new file for the executed notebook, or None), all made by the
            server.
        timeout : float
            Seconds before the execution (and the worker) is killed.
        on_cell : callable, optional
            ``on_cell(cells_done)``, at most every ``PROGRESS_INTERVAL`` seconds.

        Raises
        ------
        Stopped
            ``handle.stop`` was set.
        Gone
            The worker had ended before it got the execution: use another.
        """
        jid = uuid.uuid4().hex
        events: queue.Queue = queue.Queue()
        closed = threading.Event()
        with handle.lock:
            handle.proc, handle.kernel_pgid, handle.closed = self.proc, None, closed
        with self._lock:
            gone = self._gone
            self._jobs[jid] = (events, closed)
        if not gone:
            try:
                self.proc.stdin.write((json.dumps({**job, "id": jid}) + "\n").encode())
                self.proc.stdin.flush()
            except (OSError, ValueError):
                gone = True
        if gone:  # it ended before this execution was handed to it
            with self._lock:
                self.broken = True
                self._jobs.pop(jid, None)
            raise Gone("The runner ended before it was given the notebook.")
        deadline = time.monotonic() + timeout

        def next_event(wait: float) -> dict | None:
            try:
                return events.get(timeout=wait)
            except queue.Empty:
                return None

        try:
            last, cell, heard = _follow(handle, next_event, deadline, on_cell)
            kind = last.get("event")
            if kind in ("done", "failed"):
                return {k: v for k, v in last.items() if k != "id"}
            self._kill(handle)  # stopped, timed out or dead: its kernels go with it
            if kind == "stopped":
                raise Stopped
            if kind == "timeout":
                return last
            if not heard:  # it died before it took this job
                raise Gone("The runner ended before it started the notebook.")
            code = self.proc.wait()  # the runner died: this execution fails, no other
            return {"event": "failed", "cell": cell + 1 if cell else None,
                    "error": tail(self.log_fd, code)}  # fmt: skip
        finally:
            if self.broken:  # killed, or dead: its kernels were killed with it
                with self._lock:
                    self._jobs.pop(jid, None)
                closed.set()

    def _kill(self, handle: Handle) -> None:
        self.broken = True
        kill(handle)

    def finish(self, handle: Handle, wait: float = 30.0) -> None:
        """After :meth:`run` returned: wait (at most ``wait`` seconds) for the execution's
        kernel to shut down, then kill whatever is left in its process group."""
        with handle.lock:
            closed, pgid = handle.closed, handle.kernel_pgid
        if closed is not None:
            closed.wait(wait)
        if pgid and pgid > 1 and pgid not in (os.getpgid(0), self.proc.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        with self._lock:
            for jid, (_, event) in list(self._jobs.items()):
                if event is closed:
                    self._jobs.pop(jid)

    def close(self, wait: float = 10.0) -> None:
        """Let the runner finish (its kernels shut down) and exit; killed after ``wait``
        seconds."""
        with self._lock:
            if self.log_fd is None:
                return
            self.broken = True
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.close()
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._reader.join(10)
        with self._lock:
            fd, self.log_fd = self.log_fd, None
        with contextlib.suppress(OSError, TypeError):
            os.close(fd)
