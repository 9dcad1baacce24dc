"""Reproductions: restore a run's inputs, replay its code in a fresh kernel, compare.

:class:`Engine` does the work on a thread pool of its own (one reproduction at a time), so
neither the event loop nor the store's executor ever waits for a replay. Each reproduction:

1. builds the replay from the record (a notebook of the recorded executions, or for a script
   run a git worktree at the recorded commit with the recorded patch applied);
2. makes a scratch workspace ``<root>/.dotscience/reproductions/<id>/`` and restores every
   input there, verified by hash;
3. runs it in a subprocess (``reproduce_python``; its command line is made of paths the
   server made) with an allow-listed environment whose ``DOTSCIENCE_PROJECT_DOT_ROOT`` is the
   scratch workspace and which has no server URL or token, so the replay's ``ds.publish()``
   goes to the scratch workspace's spool; ``reproduce_timeout`` kills it;
4. publishes the replay's run (``reproduces`` the original, in its project, authored by the
   requesting user, its files captured from the scratch workspace) and compares the two.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import subprocess
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from dotscience.timestamps import now

from .. import headless, publishing
from ..artifacts import UnsafePathError, is_file, safe_join
from . import replay as _replay
from . import verdict as _verdict
from . import workspace as _workspace
from .verdict import NotReproducible

log = logging.getLogger(__name__)

#: Sentence of a reproduction the server stopped (or restarted) in the middle of
SERVER_STOPPED = "The server stopped during the reproduction, so it was not finished."

#: File in a scratch workspace's control directory when the requester asked to keep it
KEEP_MARKER = "keep"


class _Job(headless.Handle):
    """One reproduction while this server runs it."""

    def __init__(self, rid: str, run_id: str, requested_by: str, tolerance: float, keep: bool):
        super().__init__()
        self.rid, self.run_id, self.requested_by = rid, run_id, requested_by
        self.tolerance, self.keep = tolerance, keep
        self.finished = False


_Stopped = headless.Stopped


class Engine:
    """Runs reproductions for one server.

    Parameters
    ----------
    store : Store
        The run store.
    artifacts : ArtifactStore
        Where captured inputs are restored from and the replay's files are captured to.
    root : str
        The workspace root; scratch workspaces go under ``<root>/.dotscience/reproductions``.
    python : str
        The interpreter that runs replays (``DotscienceApp.reproduce_python``).
    timeout : float
        Seconds a replay may run before it is killed (``DotscienceApp.reproduce_timeout``).
    kernel_path : str, optional
        A directory holding only the ``dotscience`` package, put first on the replay's
        ``PYTHONPATH``.
    """

    def __init__(self, store, artifacts, root: str, python: str, timeout: float,
                 kernel_path: str | None = None):  # fmt: skip
        self.store, self.artifacts, self.root = store, artifacts, str(root)
        self.dot_dir = pathlib.Path(self.root) / ".dotscience"
        self.python, self.timeout, self.kernel_path = python, float(timeout), kernel_path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dotscience-reproduce")
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    # -- requests (blocking: call them on an executor) -----------------------------------

    def request(self, run: dict, requested_by: str, tolerance: float = 0.0,
                keep: bool = False) -> dict:  # fmt: skip
        """Queue a reproduction of ``run``; returns the stored reproduction (state queued).

        Parameters
        ----------
        run : dict
            The original run (its ``id``).
        requested_by : str
            Who asked; the replay's run is published as theirs.
        tolerance : float
            Relative tolerance of metric points (``>= 0``).
        keep : bool
            Keep the scratch workspace afterwards.
        """
        rid = str(uuid.uuid4())
        rep = self.store.put_reproduction({
            "id": rid, "run_id": run["id"], "requested_by": requested_by,
            "tolerance": float(tolerance), "result": _verdict.empty_result(),
        })  # fmt: skip
        job = _Job(rid, run["id"], requested_by, float(tolerance), bool(keep))
        with self._lock:
            self._jobs[rid] = job
        self._pool.submit(self._work, job)
        return rep

    def cancel(self, rid: str) -> dict | None:
        """Stop a queued or running reproduction (state ``cancelled``); the reproduction
        as stored afterwards, None when it does not exist."""
        with self._lock:
            job = self._jobs.get(rid)
        if job is not None:
            self._stop(job, "cancelled")
        return self.store.get_reproduction(rid)

    def recover(self) -> int:
        """At server start: mark reproductions left queued or running by an earlier server
        process ``done``/``failed`` (they are never started again) and delete the scratch
        workspaces it left (unless kept on request). Returns how many were marked."""
        count = 0
        for rep in self.store.list_reproductions(states=("queued", "running")):
            with self._lock:
                if rep["id"] in self._jobs:
                    continue
            self._remove_left_scratch(rep["id"])
            result = dict(_verdict.empty_result(), **(rep.get("result") or {}))
            result["failed"] = {"cell": rep.get("cell") or None, "execution_count": None,
                                "error": SERVER_STOPPED, "source": None}  # fmt: skip
            with contextlib.suppress(KeyError, ValueError):
                self.store.update_reproduction(
                    rep["id"], state="done", verdict=_verdict.FAILED, result=result,
                    finished=now(),
                )  # fmt: skip
                count += 1
        return count

    def _remove_left_scratch(self, rid: str) -> None:
        """Delete the scratch workspace (and git worktree) an earlier server process left
        for reproduction ``rid``, unless its requester asked to keep it."""
        try:
            scratch = _workspace.scratch_path(self.dot_dir, rid)
        except ValueError:
            return
        if not scratch.is_dir() or (scratch / ".dotscience" / "reproduce" / KEEP_MARKER).exists():
            return
        worktree = scratch / ".dotscience" / "worktree"
        if worktree.exists():
            self._remove_worktree(worktree, keep=False)
        _workspace.remove_scratch(scratch)

    def shutdown(self) -> None:
        """Stop every reproduction (marked failed: the server stopped) and the pool."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            self._stop(job, "failed")
            self._kill(job)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- the work ------------------------------------------------------------------------

    def _stop(self, job: _Job, state: str) -> None:
        """Finish ``job`` as ``state`` now (unless it finished); its worker sees the stop and
        kills the replay."""
        with job.lock:
            if not job.finished:
                job.finished = True
                fields = {"state": "cancelled", "finished": now()}
                if state == "failed":
                    result = _verdict.empty_result()
                    result["failed"] = {"cell": None, "execution_count": None,
                                        "error": SERVER_STOPPED, "source": None}  # fmt: skip
                    fields = {"state": "done", "verdict": _verdict.FAILED, "result": result,
                              "finished": now()}  # fmt: skip
                with contextlib.suppress(KeyError, ValueError):
                    self.store.update_reproduction(job.rid, **fields)
            job.stop.set()

    def _update(self, job: _Job, **fields) -> bool:
        """Store progress of a job that is not finished (False, storing nothing, when it was
        cancelled or stopped meanwhile)."""
        with job.lock:
            if job.finished:
                return False
            self.store.update_reproduction(job.rid, **fields)
            return True

    def _finish(self, job: _Job, **fields) -> None:
        """Store the outcome, unless the job was cancelled or stopped meanwhile."""
        with job.lock:
            if job.finished:
                return
            job.finished = True
            self.store.update_reproduction(job.rid, state="done", finished=now(), **fields)

    def _work(self, job: _Job) -> None:
        scratch = worktree = None
        result = _verdict.empty_result()
        try:
            if not self._update(job, state="running"):
                return
            run = self.store.get_run(job.run_id)
            if run is None:
                raise NotReproducible(f"The run {job.run_id} no longer exists.")
            script = _is_script(run)
            if script:
                executions = []
                cells = 1
            else:
                executions = self.store.run_executions(job.run_id)
                notebook, result["skipped"] = _replay.build_notebook(run, executions)
                cells = len(notebook["cells"])
            self._update(job, cells=cells, result=result)
            scratch = _workspace.create_scratch(self.dot_dir, job.rid)
            control = scratch / ".dotscience" / "reproduce"
            control.mkdir(parents=True)
            if job.keep:  # read by recover() when this server dies before the end
                (control / KEEP_MARKER).touch()
            if script:
                worktree, root = self._worktree(run, scratch, control)
            else:
                root = scratch
            reasons = {
                f["path"]: f.get("reason")
                for f in self.store.run_files(job.run_id)
                if f.get("role") == "input" and not f.get("captured")
            }
            _workspace.restore_inputs(run, root, self.artifacts, self.root, reasons)
            cwd = _workspace.working_directory(root, (run.get("kernel") or {}).get("cwd"))
            env = self._environment(root, script)
            if script:
                argv, cwd = self._script_command(run, root, cwd)
                outcome = self._execute(job, argv, cwd, env, control / "replay.log", pipe=False)
            else:
                outcome = self._replay_notebook(job, run, notebook, cwd, env, control)
            if outcome["event"] != "done":
                result["failed"] = self._failure(outcome, notebook if not script else None,
                                                 executions, control)  # fmt: skip
                self._finish(job, verdict=_verdict.FAILED, result=result)
                return
            record = _last_spooled(root)
            if record is None:
                raise _ReplayFailed("The replay finished without publishing a run.")
            replay_run = self._publish_replay(job, run, record, root)
            verdict, parts = _verdict.compare(run, replay_run, job.tolerance)
            result.update(parts)
            self._finish(job, verdict=verdict, result=result, replay_run_id=replay_run["id"],
                         cell=cells)  # fmt: skip
        except _Stopped:
            pass
        except NotReproducible as e:
            result["missing"] = e.missing
            self._finish(job, verdict=_verdict.NOT_REPRODUCIBLE, result=result)
        except _ReplayFailed as e:
            result["failed"] = {"cell": None, "execution_count": None, "error": str(e),
                                "source": None}  # fmt: skip
            self._finish(job, verdict=_verdict.FAILED, result=result)
        except Exception as e:
            log.exception("Dotscience: reproduction %s of run %s failed", job.rid, job.run_id)
            result["failed"] = {"cell": None, "execution_count": None,
                                "error": f"The reproduction stopped on an error of the server: "
                                         f"{type(e).__name__}: {e}"[:2000],
                                "source": None}  # fmt: skip
            with contextlib.suppress(Exception):
                self._finish(job, verdict=_verdict.FAILED, result=result)
        finally:
            self._reap(job)
            if worktree is not None:
                self._remove_worktree(worktree, job.keep)
            if scratch is not None and not job.keep:
                _workspace.remove_scratch(scratch)
            with self._lock:
                self._jobs.pop(job.rid, None)

    def _replay_notebook(self, job, run, notebook, cwd, env, control) -> dict:
        nb_path = control / "replay.ipynb"
        nb_path.write_text(_replay.dumps(notebook), encoding="utf-8")
        return headless.run_notebook(
            job, self.python, nb_path, control, cwd, env, self.timeout,
            kernel=(run.get("kernel") or {}).get("name"),
            on_cell=lambda cell: self._update(job, cell=cell), name="replay",
        )  # fmt: skip

    def _environment(self, root, script: bool) -> dict:
        return headless.environment(root, self.kernel_path, script)

    def _execute(self, job: _Job, argv, cwd, env, log_path, pipe: bool) -> dict:
        return headless.execute(job, argv, cwd, env, log_path, self.timeout, pipe=pipe)

    def _reap(self, job: _Job) -> None:
        headless.reap(job)

    def _kill(self, job: _Job) -> None:
        headless.kill(job)

    def _failure(self, outcome: dict, notebook, executions, control) -> dict:
        """``result.failed`` of a replay that did not finish."""
        cell = outcome.get("cell")
        source = count = None
        if notebook is not None and isinstance(cell, int) and 1 <= cell <= len(notebook["cells"]):
            nb_cell = notebook["cells"][cell - 1]
            source = nb_cell["source"]
            count = nb_cell["metadata"]["dotscience"].get("execution_count")
        if outcome.get("event") == "timeout":
            where = f" while cell {cell} was running" if notebook is not None and cell else ""
            error = (
                f"The replay was stopped after {self.timeout:g} seconds (the server's "
                f"reproduce_timeout){where}."
            )
        else:
            error = outcome.get("error") or "The replay failed."
        return {"cell": cell, "execution_count": count, "error": error, "source": source}

    def _publish_replay(self, job: _Job, run: dict, record: dict, root) -> dict:
        """Store the replay's run: linked to the original, in its project, authored by the
        requesting user, its files captured from the scratch workspace; never built or
        deployed."""
        record = dict(record)
        record.update(
            reproduces=run["id"], project=run.get("project") or "default", build=False,
            deploy=False, notebook=run.get("notebook"), workload_file=run.get("workload_file"),
        )  # fmt: skip
        try:
            stored, _ = publishing.publish(
                self.store, self.artifacts, str(root), record, job.requested_by
            )
        except ValueError as e:
            raise _ReplayFailed(f"The replay's run could not be stored: {e}") from None
        return stored

    # -- script runs ---------------------------------------------------------------------

    def _git(self, *args, cwd, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        env.update(LC_ALL="C", GIT_TERMINAL_PROMPT="0")
        try:
            return subprocess.run(
                ["git", *args], cwd=str(cwd), input=stdin, capture_output=True, text=True,
                timeout=120, env=env,
            )  # fmt: skip
        except FileNotFoundError:
            raise NotReproducible(
                "git is not installed on the server, so a script run cannot be replayed."
            ) from None
        except subprocess.TimeoutExpired:
            raise _ReplayFailed(f"git {args[0]} took longer than 120 seconds.") from None

    def _worktree(self, run: dict, scratch: pathlib.Path, control: pathlib.Path):
        """A git worktree of the workspace's repository at the run's commit with its patch
        applied, inside ``scratch``; ``(worktree, the workspace root inside it)``."""
        git = run.get("git") or (run.get("environment") or {}).get("git") or {}
        commit = git.get("commit")
        if not commit:
            raise NotReproducible("The script run recorded no git commit, so its code is unknown.")
        patch_sha = git.get("patch_sha256")
        if git.get("dirty") and not patch_sha:
            raise NotReproducible(
                "The script ran in a git tree with uncommitted changes and no patch of them "
                "was recorded."
            )
        top = self._git("rev-parse", "--show-toplevel", cwd=self.root)
        if top.returncode != 0:
            raise NotReproducible("The workspace is not in a git repository any more.")
        toplevel = pathlib.Path(top.stdout.strip()).resolve()
        # the commit is looked up through stdin, never passed as an argument
        found = self._git("cat-file", "--batch-check", cwd=toplevel, stdin=f"{commit}^{{commit}}\n")
        words = found.stdout.split()
        if found.returncode != 0 or len(words) < 2 or words[1] != "commit":
            raise NotReproducible(f"Commit {commit} is not in the workspace's git repository.")
        full = words[0]
        worktree = scratch / ".dotscience" / "worktree"
        added = self._git("worktree", "add", "--detach", str(worktree), full, cwd=toplevel)
        if added.returncode != 0:
            raise _ReplayFailed(f"git worktree add failed: {added.stderr.strip()[:500]}")
        try:
            inner = pathlib.Path(self.root).resolve().relative_to(toplevel)
            root = (worktree / inner).resolve()
            root.mkdir(parents=True, exist_ok=True)
            if patch_sha:
                text = self.store.source(patch_sha)
                if text is None:
                    raise NotReproducible("The run's git patch was not stored.")
                patch = control / "changes.patch"
                patch.write_text(text, encoding="utf-8")
                applied = self._git("apply", "--whitespace=nowarn", str(patch), cwd=worktree)
                if applied.returncode != 0:
                    raise NotReproducible(
                        f"The run's git patch does not apply to commit {full[:12]}: "
                        f"{applied.stderr.strip()[:300]}"
                    )
        except BaseException:
            self._remove_worktree(worktree, keep=False)
            raise
        return worktree, root

    def _script_command(self, run: dict, root, cwd):
        """``[reproduce_python, <workload file in the worktree>, *argv[1:]]`` and the cwd."""
        workload = run.get("workload_file")
        try:
            path = safe_join(root, workload)
        except UnsafePathError:
            raise NotReproducible("The script run recorded no workload file inside the "
                                  "workspace.") from None  # fmt: skip
        if not is_file(path):
            raise NotReproducible(f"The script {workload[:200]} is not in the recorded commit.")
        argv = [a for a in (run.get("argv") or [])[1:] if isinstance(a, str)]
        if not (run.get("kernel") or {}).get("cwd"):
            cwd = path.parent
        return [self.python, str(path), *argv], cwd

    def _remove_worktree(self, worktree: pathlib.Path, keep: bool) -> None:
        if keep:
            return
        try:
            self._git("worktree", "remove", "--force", str(worktree), cwd=self.root)
            self._git("worktree", "prune", cwd=self.root)
        except (NotReproducible, _ReplayFailed) as e:
            log.warning("Dotscience: could not remove the git worktree %s: %s", worktree, e)


class _ReplayFailed(Exception):
    """The replay could not run or publish (one sentence)."""


def _is_script(run: dict) -> bool:
    return run.get("published_from") == "script" or (
        run.get("mode") == "script" and not run.get("notebook")
    )


_last_spooled = headless.last_spooled
