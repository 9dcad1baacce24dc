"""Sweeps: run a notebook for many parameter values, each trial an ordinary run.

:class:`SweepEngine` drives each sweep from a thread of its own: it asks the strategy
(:mod:`.spec`) for a trial's values, stores the trial (``running``; a trial number is stored
once, so no trial is started twice), hands it to the backend and, as trials finish,
publishes each one's run (labelled ``sweep`` and ``sweep_trial``; ``sweep_pruned`` for a
trial the pruner stopped; a trial that raised is a failed run with its error), tells the
strategy the objective and keeps the sweep's counts and best trial in the store.

Backends: ``local`` runs trials in threads of the server (at most ``parallelism`` and the
machine's cores at a time), ``dask`` submits :func:`.trial.run_trial` to the ``distributed``
scheduler at ``DotscienceApp.sweep_dask_address`` (its workers need the project's
environment). Either way a trial executes through :mod:`jupyterlab_dotscience.headless`, the
path Reproduce uses.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import pathlib
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from dotscience.timestamps import now

from .. import headless, publishing
from ..artifacts import UnsafePathError, is_file, safe_join
from ..store.interface import sweep_counts
from . import spec as _spec
from . import trial as _trial

log = logging.getLogger(__name__)

BACKENDS = ("local", "dask")
#: Sentence of a trial the server stopped (or restarted) in the middle of
SERVER_STOPPED = "The server stopped during this trial, so it was not finished."
#: Largest notebook file a sweep reads (bytes)
MAX_NOTEBOOK_BYTES = 64 * 1024**2
#: Sweep states, and those of a sweep that is over
SWEEP_STATES = ("running", "done", "cancelled", "stopped")
FINISHED = ("done", "cancelled", "stopped")
#: Seconds between looks at a running sweep's row for a cancel made on another server
MARK_POLL = 1.0


class SweepError(ValueError):
    """A sweep cannot be started (one sentence); ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class _Sweep:
    """One sweep while this server drives it."""

    def __init__(self, sweep: dict, spec: dict, job: dict):
        self.id, self.spec, self.job = sweep["id"], spec, job
        self.owner, self.project = sweep.get("owner"), sweep["project"]
        self.notebook = sweep["notebook"]
        self.backend = sweep["backend"]
        self.cancel = threading.Event()
        self.strategy = _spec.Strategy(spec)
        self.lock = threading.Lock()
        self.points: dict[int, int] = {}  # trial -> last step fed to the pruner


class SweepEngine:
    """Runs sweeps for one server.

    Parameters
    ----------
    store : Store
        Where sweeps, trials and runs are kept.
    artifacts : ArtifactStore
        Where the trials' files are captured.
    root : str
        The workspace root; a notebook is named relative to it.
    python : str
        The interpreter that runs local trials (``DotscienceApp.reproduce_python``).
    timeout : float
        Seconds a trial may run (``DotscienceApp.sweep_trial_timeout``).
    kernel_path : str, optional
        A directory holding only the ``dotscience`` package, first on a local trial's path.
    cores : int, optional
        Most local trials at a time (default: the machine's cores).
    dask_address : str, optional
        The ``distributed`` scheduler of the ``dask`` backend (``sweep_dask_address``).
    copy_max_bytes : int
        Largest notebook directory copied into each trial's workspace.
    server_id : str, optional
        This server's name in the store (sweeps it drives are recovered by it only).
    """

    def __init__(self, store, artifacts, root: str, python: str, timeout: float,
                 kernel_path: str | None = None, cores: int | None = None,
                 dask_address: str = "", copy_max_bytes: int = 100 * 1024**2,
                 server_id: str | None = None):  # fmt: skip
        self.store, self.artifacts, self.root = store, artifacts, str(root)
        self.dot_dir = pathlib.Path(self.root) / ".dotscience"
        self.python, self.timeout, self.kernel_path = python, float(timeout), kernel_path
        self.cores = max(1, int(cores or os.cpu_count() or 1))
        self.dask_address = dask_address or ""
        self.copy_max_bytes = int(copy_max_bytes)
        self.server_id = server_id
        self._sweeps: dict[str, _Sweep] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = False

    # -- requests (blocking: call them on an executor) -----------------------------------

    def start(self, notebook: str, spec, backend: str = "local", owner: str | None = None,
              project: str | None = None) -> dict:  # fmt: skip
        """Start a sweep of ``notebook`` (root-relative); returns the stored sweep.

        Parameters
        ----------
        notebook : str
            The notebook's path relative to the workspace root.
        spec : dict or str
            The sweep spec (a mapping, or YAML/JSON text; see :mod:`.spec`).
        backend : str
            ``local`` or ``dask``.
        owner : str, optional
            Who started it; the trials' runs are published as theirs.
        project : str, optional
            The runs' project (default ``default``).

        Raises
        ------
        SweepError
            The notebook, spec or backend cannot be used (one sentence, with a status).
        """
        try:
            checked = _spec.parse_text(spec) if isinstance(spec, str) else _spec.check(spec)
        except _spec.SpecError as e:
            raise SweepError(str(e)) from None
        if backend not in BACKENDS:
            raise SweepError("backend must be local or dask.")
        if backend == "dask" and not self.dask_address:
            raise SweepError(
                "This server has no Dask scheduler configured "
                "(DotscienceApp.sweep_dask_address), so use the local backend."
            )
        path, nb = self._notebook(notebook)
        rel = path.relative_to(pathlib.Path(self.root).resolve()).as_posix()
        directory = path.parent
        try:
            files = _trial.pack_directory(directory, self.copy_max_bytes)
        except _trial.TooLarge as e:
            raise SweepError(str(e), 413) from None
        if project is not None and (not isinstance(project, str) or not project.strip()
                                    or len(project) > 200):  # fmt: skip
            raise SweepError("project must be a non-empty name of at most 200 characters.")
        sid = str(uuid.uuid4())
        kernel = ((nb.get("metadata") or {}).get("kernelspec") or {}).get("name")
        job = {
            "sweep": sid, "notebook": rel, "notebook_json": nb, "files": files,
            "directory": pathlib.Path(rel).parent.as_posix().lstrip("."),
            "objective": (checked.get("metric") or {}).get("name"),
            "prune": checked.get("early_terminate") is not None,
            "timeout": self.timeout, "kernel": kernel if isinstance(kernel, str) else None,
            "max_output_bytes": 1024**3,
        }  # fmt: skip
        sweep = self.store.put_sweep({
            "id": sid, "notebook": rel, "project": project or "default", "owner": owner,
            "state": "running", "backend": backend, "server": self.server_id,
            "spec": checked, "spec_yaml": _spec.to_yaml(checked), "best": None,
            "counts": _counts([]), "message": None, "finished": None,
        })  # fmt: skip
        state = _Sweep(sweep, checked, job)
        thread = threading.Thread(target=self._drive, args=(state,), daemon=True,
                                  name=f"dotscience-sweep-{sid[:8]}")  # fmt: skip
        with self._lock:
            self._sweeps[sid] = state
            self._threads[sid] = thread
        thread.start()
        return sweep

    def cancel(self, sweep_id: str) -> dict | None:
        """Stop a running sweep: its running trials are stopped (state ``cancelled``, no
        run), its finished trials and their runs are kept. The sweep afterwards (None when
        it does not exist)."""
        with self._lock:
            state = self._sweeps.get(sweep_id)
        if state is not None:
            state.cancel.set()
            thread = self._threads.get(sweep_id)
            if thread is not None:
                thread.join(60)
        else:
            sweep = self.store.get_sweep(sweep_id)
            if sweep is not None and sweep["state"] == "running":
                self.store.update_sweep(sweep_id, state="cancelled", finished=now())
        return self.get(sweep_id)

    def get(self, sweep_id: str) -> dict | None:
        """A sweep with its trials (``best`` marks the best one), or None."""
        sweep = self.store.get_sweep(sweep_id)
        if sweep is None:
            return None
        return with_trials(sweep, self.store.list_trials(sweep["id"]))

    def recover(self) -> int:
        """At server start: sweeps an earlier process of this server left running are
        marked ``stopped`` and their running trials ``failed`` (reported, never started
        again). Returns how many sweeps."""
        count = 0
        for sweep in self.store.list_sweeps(states=("running",)):
            if self.server_id is not None and sweep.get("server") not in (None, self.server_id):
                continue
            with self._lock:
                if sweep["id"] in self._sweeps:
                    continue
            stale = 0
            for t in self.store.list_trials(sweep["id"]):
                if t["state"] in ("queued", "running"):
                    self.store.update_trial(sweep["id"], t["number"], state="failed",
                                            error=SERVER_STOPPED, finished=now())  # fmt: skip
                    stale += 1
            trials = self.store.list_trials(sweep["id"])
            self.store.update_sweep(
                sweep["id"], state="stopped", finished=now(), counts=_counts(trials),
                message=f"The server stopped during the sweep; {stale} running trial(s) were "
                "marked failed and none was started again.",
            )  # fmt: skip
            count += 1
        return count

    def shutdown(self) -> None:
        """Stop every sweep (``stopped``: the server stopped) and its trials."""
        self._closed = True
        with self._lock:
            states = list(self._sweeps.values())
        for state in states:
            state.cancel.set()
        for state in states:
            thread = self._threads.get(state.id)
            if thread is not None:
                thread.join(30)

    # -- the work ------------------------------------------------------------------------

    def _notebook(self, notebook) -> tuple[pathlib.Path, dict]:
        if not isinstance(notebook, str) or not notebook.endswith(".ipynb"):
            raise SweepError("notebook must be the path of a .ipynb file in the workspace.")
        try:
            path = safe_join(self.root, notebook)
        except UnsafePathError:
            raise SweepError(f"The notebook {notebook[:200]!r} is not inside the workspace.") \
                from None  # fmt: skip
        parts = pathlib.Path(notebook).parts
        if any(p in _trial.SKIPPED_DIRS for p in parts):
            raise SweepError("The notebook is inside a directory sweeps do not copy.")
        if not is_file(path):
            raise SweepError(f"There is no notebook {notebook[:200]}.", 404)
        try:
            size = path.stat().st_size
            if size <= MAX_NOTEBOOK_BYTES:
                nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            raise SweepError(
                f"The notebook {notebook[:200]} is not a readable notebook (JSON)."
            ) from None
        if size > MAX_NOTEBOOK_BYTES:
            raise SweepError(
                f"The notebook is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MiB.", 413
            )
        if (
            not isinstance(nb, dict)
            or not isinstance(nb.get("cells"), list)
            or (nb.get("nbformat") != 4)
        ):
            raise SweepError(f"The notebook {notebook[:200]} is not an nbformat 4 notebook.")
        return path.resolve(), nb

    def _drive(self, state: _Sweep) -> None:
        """Run the sweep to its end: keep up to ``parallelism`` trials going."""
        backend = None
        running: dict[int, object] = {}
        number = 0
        started = time.monotonic()
        budget = state.spec.get("max_duration_seconds")
        message = None
        try:
            backend = _Local(self, state) if state.backend == "local" else _Dask(self, state)
            limit = backend.limit
            looked = time.monotonic()
            while True:
                if time.monotonic() - looked >= MARK_POLL:
                    looked = time.monotonic()
                    self._look_for_mark(state)
                if state.cancel.is_set():
                    break
                out_of_time = budget is not None and time.monotonic() - started >= budget
                while not out_of_time and len(running) < limit and not state.cancel.is_set():
                    values = state.strategy.ask(number)
                    if values is None:
                        break
                    stored = self.store.put_trial(state.id, {
                        "number": number, "state": "running", "values": values,
                        "started": now(), "run_id": None,
                    })  # fmt: skip
                    if stored is None:  # stored by an earlier process: never run twice
                        state.strategy.tell(number, None, "failed")
                    else:
                        running[number] = backend.submit(number, values)
                    number += 1
                if out_of_time and message is None:
                    message = f"The sweep's max_duration_seconds ({budget:g}) was reached."
                if not running:
                    break
                for n, result in backend.wait(running, 0.2):
                    running.pop(n)
                    self._finished(state, n, result)
            if running:  # cancelled (or the server is stopping): stop what still runs
                backend.stop(running)
                for n in list(running):
                    self._stopped_trial(state, n)
        except Exception as e:
            log.exception("Dotscience: sweep %s failed", state.id)
            message = f"The sweep stopped on an error of the server: {type(e).__name__}: {e}"
            if backend is not None and running:
                with contextlib.suppress(Exception):
                    backend.stop(running)
            for n in list(running):
                with contextlib.suppress(Exception):
                    self._stopped_trial(state, n)
            final = "stopped"
        else:
            final = "cancelled" if state.cancel.is_set() else "done"
            if self._closed and state.cancel.is_set():
                final = "stopped"
                message = "The server stopped during the sweep."
        finally:
            if backend is not None:
                with contextlib.suppress(Exception):
                    backend.close()
        with contextlib.suppress(Exception):
            trials = self.store.list_trials(state.id)
            self.store.update_sweep(state.id, state=final, finished=now(), message=message,
                                    counts=_counts(trials),
                                    best=_best(trials, state.spec))  # fmt: skip
        with self._lock:
            self._sweeps.pop(state.id, None)
            self._threads.pop(state.id, None)

    def _look_for_mark(self, state: _Sweep) -> None:
        """Cancel the sweep when its row says it is over: another server sharing the store
        (team servers share PostgreSQL) cancelled it, and only this one can stop its trials."""
        try:
            row = self.store.get_sweep(state.id)
        except Exception as e:  # the store is unreachable for now: look again later
            log.warning("Dotscience: sweep %s: cannot read its state: %s", state.id, e)
            return
        if row is not None and row.get("state") in FINISHED:
            log.info("Dotscience: sweep %s was marked %s elsewhere; stopping its trials",
                     state.id, row["state"])  # fmt: skip
            state.cancel.set()

    def _stopped_trial(self, state: _Sweep, number: int) -> None:
        state.strategy.tell(number, None, "failed")
        if self._closed:
            fields = {"state": "failed", "error": SERVER_STOPPED}
        else:
            fields = {
                "state": "cancelled",
                "error": "The sweep was cancelled while this trial ran.",
            }
        self.store.update_trial(state.id, number, finished=now(), **fields)

    def points(self, state: _Sweep, number: int, points) -> bool:
        """Feed a trial's new objective points to the pruner; True: stop the trial."""
        prune = False
        with state.lock:
            last = state.points.get(number, -1)
            for p in points:
                step = p.get("step")
                step = last + 1 if not isinstance(step, int) else step
                if step <= last:
                    continue
                last = step
                prune = state.strategy.report(number, step, p["value"]) or prune
            state.points[number] = last
        return prune

    def _finished(self, state: _Sweep, number: int, result) -> None:
        """Publish a finished trial's run and store its outcome."""
        if isinstance(result, BaseException):
            outcome, record, outputs, pruned = (
                {"event": "failed", "error": f"{type(result).__name__}: {result}"[:2000]},
                None, b"", False,
            )  # fmt: skip
        else:
            outcome, record = result.get("outcome") or {}, result.get("record")
            outputs, pruned = result.get("outputs") or b"", bool(result.get("pruned"))
        event = outcome.get("event")
        if event == "cancelled":
            self._stopped_trial(state, number)
            return
        error = None
        if event == "timeout":
            error = f"The trial was stopped after {self.timeout:g} seconds (sweep_trial_timeout)."
        elif event != "done":
            error = outcome.get("error") or "The trial failed."
        if pruned and record is not None:
            status = "pruned"
            error = None
        elif error is not None:
            status = "failed"
        elif record is None:
            status, error = "failed", "The notebook finished without publishing a run " \
                "(it needs ds.publish())."  # fmt: skip
        else:
            status = "done"
        trial = next((t for t in self.store.list_trials(state.id) if t["number"] == number), {})
        run = None
        try:
            run = self._publish(state, number, trial.get("values") or {}, record, outputs,
                                error, status)  # fmt: skip
        except Exception as e:
            log.warning("Dotscience: sweep %s trial %d: run not stored: %s", state.id, number, e)
            status = "failed"
            error = f"The trial's run could not be stored: {e}"[:2000]
        value = _objective(run, state.spec) if run is not None else None
        state.strategy.tell(number, value if status == "done" else None, status)
        self.store.update_trial(state.id, number, state=status, finished=now(), error=error,
                                objective=value, run_id=run["id"] if run else None,
                                seconds=None if isinstance(result, BaseException)
                                else result.get("seconds"))  # fmt: skip
        trials = self.store.list_trials(state.id)
        self.store.update_sweep(state.id, counts=_counts(trials), best=_best(trials, state.spec))

    def _publish(self, state: _Sweep, number, values, record, outputs, error, status):
        """Store the trial's run (labelled with the sweep and trial; its files captured from
        a local copy of the trial's outputs)."""
        if record is None:
            stamp = now()
            record = {
                "schema": "dotscience.run/2", "id": str(uuid.uuid4()), "start": stamp,
                "end": stamp, "published": stamp, "mode": "interactive",
                "parameters": {k: {"value": v, "text": str(v)} for k, v in values.items()},
            }  # fmt: skip
        record = dict(record)
        labels = dict(record.get("labels") or {})
        labels.update(sweep=state.id, sweep_trial=str(number))
        labels.pop("sweep_pruned", None)
        if status == "pruned":
            labels["sweep_pruned"] = "true"
        record.update(labels=labels, project=state.project, notebook=state.notebook,
                      build=False, deploy=False)  # fmt: skip
        if error is not None and not record.get("error"):
            record["error"] = error
        scratch = self.dot_dir / "sweeps" / state.id / f"publish-{number}"
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            _trial.unpack_outputs(outputs, scratch)
            stored, _ = publishing.publish(self.store, self.artifacts, str(scratch), record,
                                           state.owner or "unknown")  # fmt: skip
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return stored


class _Local:
    """Trials in threads of this server (at most ``parallelism`` and the cores at once)."""

    def __init__(self, engine: SweepEngine, state: _Sweep):
        self.engine, self.state = engine, state
        self.limit = max(1, min(state.spec["parallelism"], engine.cores))
        self.pool = ThreadPoolExecutor(
            max_workers=self.limit, thread_name_prefix=f"dotscience-trial-{state.id[:8]}"
        )
        # one long-lived runner per slot: a trial pays a fresh kernel, not a fresh runner
        self.workers = _trial.WorkerPool(engine.python, engine.dot_dir / "sweeps" / state.id,
                                         engine.kernel_path)  # fmt: skip

    def submit(self, number: int, values: dict):
        job = dict(self.state.job, trial=number, values=values, python=self.engine.python,
                   kernel_path=self.engine.kernel_path,
                   scratch_parent=str(self.engine.dot_dir / "sweeps" / self.state.id),
                   threads=headless.thread_limits(self.limit))  # fmt: skip
        channel = _trial.LocalChannel(
            report=lambda points: self.engine.points(self.state, number, points),
            cancelled=self.state.cancel.is_set,
        )
        return self.pool.submit(_trial.run_trial, job, channel, self.workers)

    def wait(self, running: dict, timeout: float):
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as _wait

        done, _ = _wait(list(running.values()), timeout=timeout, return_when=FIRST_COMPLETED)
        out = []
        for n, fut in list(running.items()):
            if fut in done:
                exc = fut.exception()
                out.append((n, exc if exc is not None else fut.result()))
        return out

    def stop(self, running: dict) -> None:
        from concurrent.futures import wait as _wait

        self.state.cancel.set()  # each trial's watcher stops its notebook
        _wait(list(running.values()), timeout=60)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.workers.close()
        shutil.rmtree(self.engine.dot_dir / "sweeps" / self.state.id, ignore_errors=True)


class _Dask:
    """Trials as tasks on a ``distributed`` cluster; objective points and stops travel as
    named Queues and Events of the scheduler."""

    def __init__(self, engine: SweepEngine, state: _Sweep):
        from distributed import Client

        self.engine, self.state = engine, state
        self.client = Client(engine.dask_address, timeout=30, set_as_default=False)
        self.limit = state.spec["parallelism"]
        self.queues: dict[int, object] = {}

    def _name(self, number: int) -> str:
        return f"dotscience-{self.state.id}-{number}"

    def submit(self, number: int, values: dict):
        from distributed import Queue

        job = dict(self.state.job, trial=number, values=values, python=None,
                   kernel_path=None, scratch_parent=None, channel=self._name(number))  # fmt: skip
        job["python"] = "python"  # replaced on the worker by its own interpreter
        self.queues[number] = Queue(f"{self._name(number)}-points", client=self.client)
        return self.client.submit(_run_on_worker, job, key=f"{self._name(number)}-trial",
                                  pure=False, retries=0)  # fmt: skip

    def _feed(self, running: dict) -> None:
        from distributed import Event

        for n in running:
            queue = self.queues.get(n)
            if queue is None:
                continue
            try:
                size = queue.qsize()
                points = queue.get(batch=size) if size else []
            except Exception:
                points = []
            if points and self.engine.points(self.state, n, points):
                Event(f"{self._name(n)}-prune", client=self.client).set()

    def wait(self, running: dict, timeout: float):
        self._feed(running)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(f.done() for f in running.values()):
                break
            time.sleep(0.05)
        out = []
        for n, fut in list(running.items()):
            if fut.done():
                self._feed({n: fut})
                try:
                    out.append((n, fut.result()))
                except Exception as e:
                    out.append((n, e))
                self.queues.pop(n, None)
        return out

    def stop(self, running: dict) -> None:
        from distributed import Event
        from distributed import wait as _wait

        for n in running:
            Event(f"{self._name(n)}-stop", client=self.client).set()
        with contextlib.suppress(Exception):
            _wait(list(running.values()), timeout=60)
        for fut in running.values():
            fut.cancel()

    def close(self) -> None:
        self.client.close()


def _run_on_worker(job: dict) -> dict:
    """A Dask task: run the trial with the worker's own interpreter, on one of the worker
    process's long-lived runners."""
    import sys

    return _trial.run_trial(dict(job, python=sys.executable),
                            workers=_trial.process_pool(sys.executable))  # fmt: skip


def _counts(trials: list) -> dict:
    return sweep_counts(t.get("state") for t in trials)


def _objective(run: dict, spec: dict):
    """The last value of the objective metric in ``run`` (a finite number), or None."""
    metric = (spec.get("metric") or {}).get("name")
    if not metric:
        return None
    series = (run.get("metrics") or {}).get(metric) or []
    if not series:
        return None
    value = series[-1].get("value") if isinstance(series[-1], dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _best(trials: list, spec: dict) -> dict | None:
    """The best finished trial by the objective (``{"trial", "run_id", "value"}``)."""
    goal = (spec.get("metric") or {}).get("goal", "minimize")
    best = None
    for t in trials:
        if t.get("state") != "done" or t.get("objective") is None:
            continue
        better = best is None or (
            t["objective"] > best["value"] if goal == "maximize" else t["objective"] < best["value"]
        )
        if better:
            best = {"trial": t["number"], "run_id": t.get("run_id"), "value": t["objective"]}
    return best


def with_trials(sweep: dict, trials: list) -> dict:
    """The sweep as the API shows it: its trials, each with ``best`` (the best one), and
    its counts taken from those trials (the stored counts are written after a trial's
    change, so a read between the two would show a trial its counts do not)."""
    best = (sweep.get("best") or {}).get("trial")
    out = dict(sweep)
    out["counts"] = _counts(trials)
    out["trials"] = [
        {"number": t["number"], "state": t["state"], "run_id": t.get("run_id"),
         "values": t.get("values") or {}, "objective": t.get("objective"),
         "error": t.get("error"), "started": t.get("started"), "finished": t.get("finished"),
         "best": best is not None and t["number"] == best}
        for t in trials
    ]  # fmt: skip
    return out
