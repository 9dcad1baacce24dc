"""One sweep trial: the notebook run headless with the trial's values, in a scratch workspace.

:func:`run_trial` is what a backend calls: in a thread of the server (``local``) or as a
task on a Dask worker (``dask``: this module is importable wherever the project's
environment is installed, and the trial carries everything it needs, the notebook's
directory as a tar archive included). It executes through the same path as Reproduce
(:mod:`jupyterlab_dotscience.headless`) and returns the outcome, the run the notebook
published (read from the scratch workspace's spool) and that run's output files, so the
server publishes the run and captures its files wherever the trial ran.

The notebook's own file is never opened for writing: the trial runs a copy (with a cell of
the trial's values after the ``parameters`` cell, as papermill does) in its scratch
workspace, which is deleted afterwards.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import io
import json
import os
import pathlib
import shutil
import stat
import tarfile
import tempfile
import threading
import time

from .. import headless

#: Directories of the notebook's directory never copied into a trial's workspace
SKIPPED_DIRS = (".dotscience", ".git", ".ipynb_checkpoints", "__pycache__", "node_modules")
#: Seconds between looks at a trial's objective points and its stop signal
POLL = 0.1


class TooLarge(ValueError):
    """The notebook's directory is larger than the sweep's copy limit."""


def pack_directory(directory, max_bytes: int) -> bytes:
    """A tar archive of what a notebook needs: its directory (regular files and directories;
    no ``.dotscience``, ``.git``, checkpoints, links or special files).

    Parameters
    ----------
    directory : path
        The notebook's directory.
    max_bytes : int
        Largest total size of the files copied (``DotscienceApp.sweep_copy_max_bytes``).

    Raises
    ------
    TooLarge
        The files add up to more than ``max_bytes``.
    """
    base = pathlib.Path(directory)
    buf = io.BytesIO()
    total = 0
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for top, dirs, files in os.walk(base, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS
                             and not os.path.islink(os.path.join(top, d)))  # fmt: skip
            for name in sorted(files):
                path = pathlib.Path(top) / name
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                if not stat.S_ISREG(info.st_mode):
                    continue
                total += info.st_size
                if total > max_bytes:
                    raise TooLarge(
                        f"The notebook's directory holds more than {max_bytes:,} bytes of files "
                        "(the server's sweep_copy_max_bytes), so it is not copied for each trial."
                    )
                arcname = str(path.relative_to(base))
                try:
                    with open(path, "rb") as f:
                        ti = tar.gettarinfo(arcname=arcname, fileobj=f)
                        ti.mode, ti.uid, ti.gid, ti.uname, ti.gname = 0o644, 0, 0, "", ""
                        tar.addfile(ti, f)
                except OSError:
                    continue
    return buf.getvalue()


def _unpack(data: bytes, dest: pathlib.Path) -> None:
    """Unpack an archive of regular files only, each inside ``dest``."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        tar.extractall(dest, filter="data")


def inject(notebook: dict, values: dict) -> dict:
    """The notebook with the trial's values as a cell of assignments (tagged
    ``injected-parameters``) after the cell tagged ``parameters``, or first when there is
    none (papermill's rule); the values are JSON scalars, written with ``repr``.
    """
    nb = copy.deepcopy(notebook)
    cells = nb.get("cells") or []
    lines = ["# Parameters of this sweep trial"]
    lines += [f"{name} = {value!r}" for name, value in values.items()]
    cell = {"cell_type": "code", "execution_count": None, "id": "dotscience-injected-parameters",
            "metadata": {"tags": ["injected-parameters"]}, "outputs": [],
            "source": "\n".join(lines)}  # fmt: skip
    at = 0
    for i, c in enumerate(cells):
        tags = (c.get("metadata") or {}).get("tags") or []
        if c.get("cell_type") == "code" and "parameters" in tags:
            at = i + 1
            break
    cells = [c for c in cells if "injected-parameters" not in
             ((c.get("metadata") or {}).get("tags") or [])]  # fmt: skip
    cells.insert(min(at, len(cells)), cell)
    nb["cells"] = cells
    return nb


def _pack_outputs(scratch: pathlib.Path, record: dict, max_bytes: int) -> bytes:
    """A tar archive of the run's output files inside the scratch workspace (up to
    ``max_bytes`` in all), so the server captures them wherever the trial ran."""
    from ..artifacts import UnsafePathError, safe_join

    buf = io.BytesIO()
    total = 0
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for f in record.get("outputs") or []:
            path = f.get("path") if isinstance(f, dict) else None
            if not isinstance(path, str) or f.get("outside") or f.get("missing"):
                continue
            try:
                real = safe_join(scratch, path)
                info = os.lstat(real)
            except (UnsafePathError, OSError):
                continue
            if not stat.S_ISREG(info.st_mode) or total + info.st_size > max_bytes:
                continue
            total += info.st_size
            with contextlib.suppress(OSError), open(real, "rb") as fh:
                ti = tar.gettarinfo(arcname=path, fileobj=fh)
                ti.mode, ti.uid, ti.gid, ti.uname, ti.gname = 0o644, 0, 0, "", ""
                tar.addfile(ti, fh)
    return buf.getvalue()


def unpack_outputs(data: bytes, dest) -> None:
    """Put a trial's output files (from :func:`run_trial`) inside ``dest``."""
    if data:
        _unpack(data, pathlib.Path(dest))


class WorkerPool:
    """Long-lived runners (:class:`headless.Worker`, at most one per running trial): a trial
    takes an idle one, or starts one, and gives it back unless it was stopped, timed out or
    died (then it is closed and never used again).

    A local sweep has a pool of its own (closed when the sweep ends); a Dask worker process
    has one for all the trials it runs (:func:`process_pool`).

    Parameters
    ----------
    python : str
        The interpreter of the runners (``DotscienceApp.reproduce_python``).
    directory : path
        The runners' working directory, holding their logs.
    kernel_path : str, optional
        A directory holding only the ``dotscience`` package (see
        :func:`headless.environment`).
    idle_seconds : float, optional
        Close a runner left idle this long (default: keep it until :meth:`close`).
    """

    def __init__(self, python: str, directory, kernel_path: str | None = None,
                 idle_seconds: float | None = None):  # fmt: skip
        self.python, self.kernel_path, self.idle_seconds = python, kernel_path, idle_seconds
        self.directory = pathlib.Path(directory)
        self._lock = threading.Lock()
        self._idle: list = []  # (runner, when it was given back)
        self._all: list = []
        self._started = 0
        self._closed = False

    def acquire(self) -> headless.Worker:
        """An idle runner, or a new one."""
        with self._lock:
            if self._closed:
                raise RuntimeError("The sweep's runners are closed.")
            while self._idle:
                worker, _ = self._idle.pop()
                if not worker.broken and worker.proc.poll() is None:
                    return worker
                self._all.remove(worker)
                _close_later(worker)
            number, self._started = self._started, self._started + 1
        self.directory.mkdir(parents=True, exist_ok=True)
        env = headless.environment(self.directory, self.kernel_path)
        worker = headless.Worker(self.python, self.directory, env,
                                 self.directory / f"runner-{number}.log")  # fmt: skip
        with self._lock:
            self._all.append(worker)
        return worker

    def release(self, worker: headless.Worker) -> None:
        """Give ``worker`` back after its trial's outcome (its kernel may still shut down)."""
        with self._lock:
            keep = not worker.broken and not self._closed
            if keep:
                entry = (worker, time.monotonic())
                self._idle.append(entry)
            elif worker in self._all:
                self._all.remove(worker)
        if not keep:
            _close_later(worker)
        elif self.idle_seconds is not None:
            timer = threading.Timer(self.idle_seconds, self._expire, args=(entry,))
            timer.daemon = True
            timer.start()

    def _expire(self, entry) -> None:
        with self._lock:
            idle = entry in self._idle
            if idle:
                self._idle.remove(entry)
                self._all.remove(entry[0])
        if idle:
            _close(entry[0])

    def close(self, wait: bool = False) -> None:
        """Close every runner (each exits once its kernels have shut down; killed after
        10 s); in the background unless ``wait``."""
        with self._lock:
            self._closed = True
            workers, self._all, self._idle = list(self._all), [], []
        for worker in workers:
            if wait:
                _close(worker)
            else:
                _close_later(worker)


def _close(worker: headless.Worker) -> None:
    """Close a runner and delete its log."""
    worker.close()
    with contextlib.suppress(OSError):
        os.unlink(worker.log_path)


def _close_later(worker: headless.Worker) -> None:
    threading.Thread(target=_close, args=(worker,), daemon=True,
                     name="sweep-runner-close").start()  # fmt: skip


_process_pool: WorkerPool | None = None
_process_pool_lock = threading.Lock()


def process_pool(python: str) -> WorkerPool:
    """The runners of this process's trials on a Dask worker (``python``: the worker's own
    interpreter); a runner idle for a minute is closed, and each one exits with the worker,
    whose exit removes the runners' directory."""
    global _process_pool
    with _process_pool_lock:
        if _process_pool is None:
            directory = tempfile.mkdtemp(prefix="dotscience-sweep-runners-")
            atexit.register(shutil.rmtree, directory, True)
            _process_pool = WorkerPool(python, directory, idle_seconds=60.0)
        return _process_pool


class LocalChannel:
    """How a trial talks to its sweep in the same process: ``report(points)`` feeds the
    pruner and says whether to stop; ``cancelled()`` says whether the sweep stopped it."""

    def __init__(self, report, cancelled):
        self.report, self.cancelled = report, cancelled


class DaskChannel:
    """The same over Dask: points go to a ``distributed.Queue``, decisions come back as
    ``distributed.Event`` s (``prune`` and ``stop``) named after the sweep and trial."""

    def __init__(self, name: str):
        self.name = name
        self._queue = self._prune = self._stop = None
        self._open()  # in the task's own thread, where the worker's client is found

    def _open(self):
        if self._queue is None:
            from distributed import Event, Queue, get_client

            client = get_client()
            self._queue = Queue(f"{self.name}-points", client=client)
            self._prune = Event(f"{self.name}-prune", client=client)
            self._stop = Event(f"{self.name}-stop", client=client)

    def report(self, points) -> bool:
        self._open()
        for p in points:
            self._queue.put(p)
        return self._prune.is_set()

    def cancelled(self) -> bool:
        self._open()
        return self._stop.is_set()


def run_trial(job: dict, channel=None, workers=None) -> dict:
    """Run one trial; its outcome, published record and output files.

    Parameters
    ----------
    job : dict
        Made by the sweep engine: ``sweep``, ``trial`` (number), ``values``, ``objective``
        (metric name or None), ``prune`` (bool), ``notebook`` (root-relative path),
        ``notebook_json`` (the notebook), ``files`` (tar of its directory), ``directory``
        (the directory's root-relative path), ``python``, ``kernel_path``, ``timeout``,
        ``scratch_parent`` (or None: the system's temporary directory), ``kernel``,
        ``max_output_bytes``, ``keep`` (keep the scratch workspace), ``threads`` (optional:
        the math libraries' thread counts, :func:`headless.thread_limits`; a Dask worker's
        own environment has them, its nanny sets them to 1).
    channel : LocalChannel or DaskChannel, optional
        Where objective points go and where a stop comes from; a Dask task makes a
        :class:`DaskChannel` from ``job["channel"]``.
    workers : WorkerPool, optional
        Long-lived runners to execute the notebook with (else a runner of its own starts).

    Returns
    -------
    dict
        ``{"outcome": {"event", ...}, "record": dict | None, "outputs": bytes,
        "pruned": bool, "seconds": float}``.
    """
    started = time.monotonic()
    if channel is None and job.get("channel"):
        channel = DaskChannel(job["channel"])
    parent = job.get("scratch_parent")
    if parent:
        pathlib.Path(parent).mkdir(parents=True, exist_ok=True)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix=f"trial-{int(job['trial'])}-", dir=parent))
    handle = headless.Handle()
    worker = None
    state = {"pruned": False}
    done = threading.Event()
    try:
        directory = scratch / job["directory"] if job["directory"] else scratch
        directory.mkdir(parents=True, exist_ok=True)
        _unpack(job["files"], directory)
        control = scratch / ".dotscience" / "sweep"
        control.mkdir(parents=True)
        notebook_path = scratch / job["notebook"]
        notebook_path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            notebook_path.unlink()  # the copy; never the notebook's own file
        notebook_path.write_text(json.dumps(inject(job["notebook_json"], job["values"])),
                                 encoding="utf-8")  # fmt: skip
        report_path = control / "objective.jsonl"
        trial_env = {"sweep": job["sweep"], "trial": job["trial"], "parameters": job["values"],
                     "objective": job.get("objective"),
                     "report": str(report_path) if job.get("prune") else None}  # fmt: skip
        env = headless.environment(
            scratch, job.get("kernel_path"),
            extra={**_threads(job.get("threads")),
                   "DOTSCIENCE_SWEEP_TRIAL": json.dumps(trial_env),
                   "JPY_SESSION_NAME": job["notebook"]},
        )  # fmt: skip
        watcher = threading.Thread(target=_watch, daemon=True, name="sweep-trial-watch",
                                   args=(handle, channel, report_path, state, done))  # fmt: skip
        watcher.start()
        try:
            if workers is not None:
                # the kernel is killed once the outcome is known (its teardown is CPU the
                # next trial needs); the executed notebook is written only for a kept trial
                run = {"notebook": str(notebook_path), "cwd": str(notebook_path.parent),
                       "executed": str(control / "trial.executed.ipynb")
                       if job.get("keep") else None,
                       "kernel": job.get("kernel"), "env": env, "shutdown": "immediate"}  # fmt: skip
                for attempt in (1, 2):
                    worker = workers.acquire()
                    try:
                        outcome = worker.run(handle, run, float(job["timeout"]))
                        break
                    except headless.Gone:  # it died while idle: nothing ran, use a new one
                        if attempt == 2:
                            raise
                    finally:
                        workers.release(worker)
            else:
                outcome = headless.run_notebook(
                    handle, job["python"], notebook_path, control, notebook_path.parent, env,
                    float(job["timeout"]), kernel=job.get("kernel"), name="trial",
                )  # fmt: skip
        except headless.Stopped:
            outcome = {"event": "cancelled"}
        # the outcome is known: the kernel shuts down while the run is read and published
        state["ended"] = outcome.get("event") in ("done", "failed")
        done.set()
        watcher.join(5)
        record = headless.last_spooled(scratch)
        outputs = b""
        if record is not None:
            outputs = _pack_outputs(scratch, record, int(job.get("max_output_bytes") or 0))
        return {"outcome": outcome, "record": record, "outputs": outputs,
                "pruned": state["pruned"], "seconds": time.monotonic() - started}  # fmt: skip
    finally:
        done.set()
        if worker is not None or state.get("ended"):
            threading.Thread(target=_clean_up, daemon=True, name="sweep-trial-clean-up",
                             args=(handle, scratch, bool(job.get("keep")), True, worker),
                             ).start()  # fmt: skip
        else:
            _clean_up(handle, scratch, bool(job.get("keep")), wait=False)


def _threads(limits) -> dict:
    """The job's thread settings (the engine's :func:`headless.thread_limits`): only those
    variables, each a whole number."""
    if not isinstance(limits, dict):
        return {}
    return {k: v for k, v in limits.items()
            if k in headless.THREAD_ENV and isinstance(v, str) and v.isdigit()}  # fmt: skip


def _clean_up(handle, scratch: pathlib.Path, keep: bool, wait: bool = True,
              worker=None) -> None:  # fmt: skip
    """Let the runner shut its kernel down (killed after 30 s; at once without ``wait``),
    then delete the scratch workspace. With a ``worker``, only the trial's kernel is
    waited for and killed (a worker that was stopped is dead already)."""
    if worker is not None:
        worker.finish(handle)
    else:
        if wait:
            headless.reap(handle)
        headless.kill(handle)
    if not keep:
        _remove(scratch)


def _remove(path: pathlib.Path) -> None:
    from ..reproduce.workspace import remove_scratch

    with contextlib.suppress(OSError):
        remove_scratch(path)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _watch(handle, channel, report_path: pathlib.Path, state: dict, done) -> None:
    """Pass the objective's new points to the channel; create the prune mark when it says
    to stop, and stop the notebook when the sweep cancelled it. The last points are passed
    on when the notebook has ended (the pruner compares later trials with them)."""
    if channel is None:
        return
    read = _PointReader(report_path)
    while not done.wait(POLL):
        try:
            if channel.cancelled():
                handle.stop.set()
                return
        except Exception:  # the scheduler is gone: the trial goes on by itself
            pass
        points = read()
        if not points or state["pruned"]:
            continue
        try:
            prune = channel.report(points)
        except Exception:
            prune = False
        if prune:
            state["pruned"] = True
            with contextlib.suppress(OSError):
                pathlib.Path(str(report_path) + ".prune").touch()
    points = read()
    if points and not state["pruned"]:
        with contextlib.suppress(Exception):
            channel.report(points)


class _PointReader:
    """The objective points appended to the report file since the last call."""

    def __init__(self, path: pathlib.Path):
        self.path, self.offset, self.buffer = path, 0, b""

    def __call__(self) -> list[dict]:
        points = []
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read(1024 * 1024)
        except OSError:
            return points
        self.offset += len(chunk)
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError):
                p = json.loads(line)
                if isinstance(p, dict) and isinstance(p.get("value"), (int, float)):
                    points.append({"step": p.get("step"), "value": p["value"]})
        return points
