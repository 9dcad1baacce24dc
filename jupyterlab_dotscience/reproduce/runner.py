"""Runs a notebook headless in a fresh kernel (the subprocess of a reproduction or a sweep).

Usage: ``python runner.py JOB_FILE PROGRESS_FD`` runs one job; ``python runner.py --serve
PROGRESS_FD`` runs the jobs it reads from its standard input (one JSON line each, written
by the server), one after another, each in a fresh kernel, so a sweep pays this process's
start and imports once per parallel slot instead of once per trial. Both come from the
server: ``JOB_FILE`` is the JSON job it wrote (``notebook``, ``executed``, ``cwd``,
``kernel``, optionally ``shutdown``; in serve mode also ``id`` and ``env``, the kernel's
environment), ``PROGRESS_FD`` the write end of a pipe this process inherited. Progress goes
to that pipe as JSON lines (never to stdout, which the kernels share): ``{"event": "kernel",
"pgid"}``, ``{"event": "start", "cells"}``, ``{"event": "cell", "cell", "cells"}`` after
each cell, then ``{"event": "done"}`` or ``{"event": "failed", "cell", "error"}``; in serve
mode each line also carries the job's ``id``, and ``{"event": "closed"}`` follows once the
job's kernel has shut down (the next job's kernel may start before that). A job's
``shutdown`` of ``immediate`` kills its kernel once the last cell has run, without the
interpreter's teardown; else the kernel is asked to shut down.

The kernel is the job's kernelspec when it is installed, else the default one; it runs in
``cwd`` with the job's environment (chosen by the server), else this process's. It listens
on Unix sockets in the directory ``DOTSCIENCE_KERNEL_SOCKETS`` names (the server's, private
to its user), not on TCP ports another process could take first; over TCP when there is
none. This file imports only the standard library, nbformat, nbclient and jupyter_client
(with its traitlets), so any interpreter with nbclient can run it.
"""

from __future__ import annotations

import json
import os
import sys

# jsonschema (which nbformat imports) imports rfc3987_syntax, when it is installed, for its
# "iri" format checks, and that module builds a Lark grammar when imported: seconds of every
# execution's start on a loaded machine. No notebook schema uses that format, so this
# process goes without it.
sys.modules.setdefault("rfc3987_syntax", None)


def _kernel_name(wanted) -> str:
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager

    try:
        installed = KernelSpecManager().find_kernel_specs()
    except Exception:
        installed = {}
    if isinstance(wanted, str) and wanted in installed:
        return wanted
    return NATIVE_KERNEL_NAME


#: The directory for the kernels' Unix sockets (see the module's doc), taken out of this
#: process's environment so that a kernel inheriting it does not see it
_SOCKETS = os.environ.pop("DOTSCIENCE_KERNEL_SOCKETS", "")


def _sockets_dir() -> str | None:
    """The sockets' directory when it is one only this user can open, else None."""
    import stat

    if not os.path.isabs(_SOCKETS):
        return None
    try:
        info = os.lstat(_SOCKETS)
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and not info.st_mode & 0o077
    return _SOCKETS if private and info.st_uid == os.geteuid() else None


def _transport() -> dict:
    """The kernel manager's settings for one new kernel: Unix sockets in the sockets'
    directory, named afresh, when their paths fit (107 bytes); else none (TCP)."""
    import uuid

    directory = _sockets_dir()
    if directory is None:
        return {}
    base = os.path.join(directory, uuid.uuid4().hex[:16])
    if len(os.fsencode(base + "-ipc-99")) > 107:
        return {}
    return {"transport": "ipc", "ip": base + "-ipc", "connection_file": base + ".json"}


def _error_text(exc) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}" if evalue else str(ename)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1]}" if text else type(exc).__name__


def _watch_parent(kernels: set) -> None:
    """Kill the kernels and exit when the server that started this process is gone
    (killed, or restarted): an execution is never finished by nobody, nor left running."""
    import signal
    import threading
    import time

    parent = os.getppid()

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                for pgid in list(kernels):
                    try:
                        os.killpg(pgid, signal.SIGKILL)
                    except OSError:
                        pass
                os._exit(3)

    threading.Thread(target=watch, daemon=True, name="watch-server").start()


def _write(progress, message: dict) -> None:
    try:
        progress.write(json.dumps(message) + "\n")
        progress.flush()
    except (OSError, ValueError):  # the server stopped listening (it has the outcome)
        pass


class _Job:
    """One job's notebook client, reporting to ``progress``."""

    def __init__(self, job: dict, progress, kernels: set):
        import nbformat
        from nbclient import NotebookClient
        from traitlets.config import Config

        self.job, self.progress, self.kernels = job, progress, kernels
        self.tag = {"id": job["id"]} if "id" in job else {}
        self.nb = nbformat.read(job["notebook"], as_version=4)
        self.cells = len(self.nb.cells)
        self.cell, self.pgid, self.done = 0, None, False
        env = job.get("env")
        self.kwargs = {"env": env} if isinstance(env, dict) else {}
        self.client = NotebookClient(
            self.nb,
            kernel_name=_kernel_name(job.get("kernel")),
            timeout=None,
            allow_errors=False,
            record_timing=False,
            resources={"metadata": {"path": job["cwd"]}},
            on_notebook_start=self._started,
            on_cell_start=self._cell_started,
            on_cell_executed=self._cell_done,
            # "immediate": killed once the last cell has run, without the interpreter's
            # teardown (a sweep trial, whose outcome and files the server has read by then)
            shutdown_kernel="immediate" if job.get("shutdown") == "immediate" else "graceful",
            config=Config({"KernelManager": _transport()}),
        )

    def say(self, **message) -> None:
        _write(self.progress, {**message, **self.tag})

    def _started(self, **_):
        provisioner = getattr(self.client.km, "provisioner", None)
        pgid = getattr(provisioner, "pgid", None)
        if pgid:
            self.pgid = pgid
            self.kernels.add(pgid)
            self.say(event="kernel", pgid=pgid)
        self.say(event="start", cells=self.cells)

    def _cell_started(self, cell_index, **_):
        self.cell = cell_index + 1

    def _cell_done(self, cell_index, execute_reply=None, **_):
        content = (execute_reply or {}).get("content") or {}
        if content.get("status", "ok") == "ok":  # a cell that raised is not done
            self.say(event="cell", cell=cell_index + 1, cells=self.cells)
            if cell_index + 1 == self.cells:  # the outcome is known before the kernel shuts down
                self.done = True
                self.say(event="done")

    def ended(self, error) -> int:
        """Report the outcome (``error``: what ``execute`` raised, or None) unless the last
        cell did, and write the executed notebook; 0 when every cell ran."""
        import nbformat

        self.kernels.discard(self.pgid)
        code = 0
        if error is None:
            if not self.done:
                self.say(event="done")
        elif not self.done:  # a cell failed, the kernel died or could not start
            self.say(event="failed", cell=self.cell, error=_error_text(error)[:10000])
            code = 1
        executed = self.job.get("executed")
        if executed:
            try:  # a new file only: never through a link the notebook's code may have planted
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                with os.fdopen(os.open(executed, flags, 0o600), "w", encoding="utf-8") as f:
                    nbformat.write(self.nb, f)
            except Exception as e:
                print(f"runner: could not write the executed notebook: {e}", file=sys.stderr)
        return code


def run(job: dict, progress) -> int:
    """Execute the job's notebook, reporting to ``progress``; 0 when every cell ran."""
    kernels: set = set()
    _watch_parent(kernels)
    one = _Job(job, progress, kernels)
    error = None
    try:
        one.client.execute(**one.kwargs)
    except Exception as e:
        error = e
    return one.ended(error)


async def _serve_one(job: dict, progress, kernels: set) -> None:
    """Run one job of serve mode; ``closed`` follows its outcome once its kernel is gone."""
    tag = {"id": job.get("id")}
    try:
        one = _Job(job, progress, kernels)
    except Exception as e:  # the notebook could not be read
        _write(progress, {"event": "failed", "cell": 0, "error": _error_text(e)[:10000], **tag})
    else:
        error = None
        try:
            await one.client.async_execute(**one.kwargs)
        except Exception as e:
            error = e
        one.ended(error)
    _write(progress, {"event": "closed", **tag})


def serve(progress, jobs=None) -> int:
    """Run the jobs read from ``jobs`` (default: standard input), one JSON line each, until
    it is closed; each job's kernel may still shut down while the next one starts."""
    import asyncio
    import threading

    jobs = sys.stdin if jobs is None else jobs
    kernels: set = set()
    _watch_parent(kernels)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def read() -> None:
            for line in jobs:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, None)

        threading.Thread(target=read, daemon=True, name="read-jobs").start()
        running: set = set()
        while (line := await queue.get()) is not None:
            try:
                job = json.loads(line)
            except ValueError:
                continue
            if not isinstance(job, dict):
                continue
            task = asyncio.ensure_future(_serve_one(job, progress, kernels))
            running.add(task)
            task.add_done_callback(running.discard)
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    asyncio.run(main())
    return 0


def main(argv=None) -> int:
    """Entry point: ``runner.py JOB_FILE PROGRESS_FD`` or ``runner.py --serve PROGRESS_FD``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: runner.py JOB_FILE PROGRESS_FD | runner.py --serve PROGRESS_FD",
              file=sys.stderr)  # fmt: skip
        return 2
    progress = os.fdopen(int(argv[1]), "w", encoding="utf-8")
    try:
        if argv[0] == "--serve":
            return serve(progress)
        with open(argv[0], encoding="utf-8") as f:
            job = json.load(f)
        return run(job, progress)
    finally:
        try:
            progress.close()
        except OSError:  # the server closed its end first
            pass


if __name__ == "__main__":
    sys.exit(main())
