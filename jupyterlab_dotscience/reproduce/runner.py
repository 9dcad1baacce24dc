"""Runs a replay notebook headless in a fresh kernel (the subprocess of a reproduction).

Usage: ``python runner.py JOB_FILE PROGRESS_FD``. Both come from the server: ``JOB_FILE``
is the JSON job it wrote (``notebook``, ``executed``, ``cwd``, ``kernel``), ``PROGRESS_FD``
the write end of a pipe this process inherited. Progress goes to that pipe as JSON lines
(never to stdout, which the kernel shares): ``{"event": "kernel", "pgid"}``,
``{"event": "start", "cells"}``, ``{"event": "cell", "cell", "cells"}`` after each cell,
then ``{"event": "done"}`` or ``{"event": "failed", "cell", "error"}``.

The kernel is the job's kernelspec when it is installed, else the default one; it runs in
``cwd`` with this process's environment (chosen by the server). This file imports only
the standard library, nbformat, nbclient and jupyter_client, so any interpreter with
nbclient can run it.
"""

from __future__ import annotations

import json
import os
import sys


def _kernel_name(wanted) -> str:
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager

    try:
        installed = KernelSpecManager().find_kernel_specs()
    except Exception:
        installed = {}
    if isinstance(wanted, str) and wanted in installed:
        return wanted
    return NATIVE_KERNEL_NAME


def _error_text(exc) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}" if evalue else str(ename)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1]}" if text else type(exc).__name__


def _watch_parent(state: dict) -> None:
    """Kill the kernel and exit when the server that started this process is gone (killed,
    or restarted): a reproduction is never finished by nobody, nor left running."""
    import signal
    import threading
    import time

    parent = os.getppid()

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                if state.get("pgid"):
                    try:
                        os.killpg(state["pgid"], signal.SIGKILL)
                    except OSError:
                        pass
                os._exit(3)

    threading.Thread(target=watch, daemon=True, name="watch-server").start()


def run(job: dict, progress) -> int:
    """Execute the job's notebook, reporting to ``progress``; 0 when every cell ran."""
    import nbformat
    from nbclient import NotebookClient

    def say(**message) -> None:
        try:
            progress.write(json.dumps(message) + "\n")
            progress.flush()
        except OSError:  # the server stopped listening (it has the outcome, or is gone)
            pass

    nb = nbformat.read(job["notebook"], as_version=4)
    cells = len(nb.cells)
    state = {"cell": 0, "pgid": None}
    _watch_parent(state)

    def started(**_):
        provisioner = getattr(client.km, "provisioner", None)
        pgid = getattr(provisioner, "pgid", None)
        if pgid:
            state["pgid"] = pgid
            say(event="kernel", pgid=pgid)
        say(event="start", cells=cells)

    def cell_started(cell_index, **_):
        state["cell"] = cell_index + 1

    def cell_done(cell_index, execute_reply=None, **_):
        content = (execute_reply or {}).get("content") or {}
        if content.get("status", "ok") == "ok":  # a cell that raised is not done
            say(event="cell", cell=cell_index + 1, cells=cells)
            if cell_index + 1 == cells:  # the outcome is known before the kernel shuts down
                state["done"] = True
                say(event="done")

    client = NotebookClient(
        nb,
        kernel_name=_kernel_name(job.get("kernel")),
        timeout=None,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": job["cwd"]}},
        on_notebook_start=started,
        on_cell_start=cell_started,
        on_cell_executed=cell_done,
    )
    code = 0
    try:
        client.execute()
        if not state.get("done"):
            say(event="done")
    except Exception as e:  # a cell failed, the kernel died or could not start
        if not state.get("done"):
            say(event="failed", cell=state["cell"], error=_error_text(e)[:10000])
            code = 1
    try:  # a new file only: never through a link the replay's code may have planted
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(job["executed"], flags, 0o600), "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
    except Exception as e:
        print(f"runner: could not write the executed notebook: {e}", file=sys.stderr)
    return code


def main(argv=None) -> int:
    """Entry point: ``runner.py JOB_FILE PROGRESS_FD``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: runner.py JOB_FILE PROGRESS_FD", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        job = json.load(f)
    progress = os.fdopen(int(argv[1]), "w", encoding="utf-8")
    try:
        return run(job, progress)
    finally:
        try:
            progress.close()
        except OSError:  # the server closed its end first
            pass


if __name__ == "__main__":
    sys.exit(main())
