"""The execution recorder: every execution of this kernel session, for the run record.

Under IPython, ``import dotscience`` installs one :class:`Recorder` on the shell's
``pre_run_cell``/``post_run_cell`` events (idempotent). For each execution it keeps the cell
id (from the execute request, IPython >= 8), the execution count, the sha256 of the exact
source that ran, the start and end times, success and the error; each distinct source is
kept once, by its sha256. A publish copies them into the run record (``executions``,
``sources``, ``kernel``, ``published_from``), so a run published with the browser tab
closed, from ``jupyter nbconvert --execute`` or from papermill carries its code.

State set up outside cells is recorded as generated code with the same shape: the
JupyterLab sidebar's requests (``origin`` "sidebar", see :func:`sidebar_source`) and the
autolog setting (``origin`` "setting", :func:`record_setting`). Silent executions (the
extension's own bridge code) fire no cell events and are not recorded; nor are empty ones.

The cost per execution is a few microseconds: one sha256 of the source and two clock reads;
no I/O. Timestamps are formatted at publish. Outside IPython (scripts) nothing is recorded
here; a script run records its git commit and patch instead
(:func:`dotscience.environment.git_patch`).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import sys
import threading
import time
import uuid

from .timestamps import iso_from_epoch

__all__ = [
    "RECORDER",
    "Recorder",
    "error_text",
    "install",
    "kernel_info",
    "record_setting",
    "sha256_text",
    "sidebar_source",
]

#: Characters of an execution's error text kept.
MAX_ERROR_CHARS = 10_000
#: Most executions one run record carries (the server refuses more): the newest are kept
MAX_EXECUTIONS = 100_000
#: Most UTF-8 bytes of source text one run record carries (the server refuses more)
MAX_SOURCE_BYTES = 20 * 2**20
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")

#: This process's kernel session: a uuid4 and the time the kernel library was imported.
SESSION_ID = str(uuid.uuid4())
STARTED = time.time()


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the directory was removed
        return ""


#: The working directory at import (where a replay starts).
START_CWD = _cwd()

# An execution is a list (cheap to make and to update in place):
_CELL_ID, _COUNT, _SHA, _START, _END, _SUCCESS, _ERROR, _ORIGIN, _FORMATTED = range(9)


def sha256_text(text: str) -> str:
    """The sha256 (hex) of ``text`` encoded as UTF-8: the key of a source."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _storable(text: str) -> str:
    """``text``, with a NUL or a lone surrogate (which no store keeps, and no Python source
    can hold outside an escape) written as a backslash escape."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def error_text(exc) -> str | None:
    """``Type: message`` of an exception (at most :data:`MAX_ERROR_CHARS`), None for None."""
    if exc is None:
        return None
    text = str(exc)
    out = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return out[:MAX_ERROR_CHARS]


def _cell_id(value) -> str | None:
    """A cell id as the execute request gave it; None when absent or not a plausible id
    (not text, over 200 characters, a NUL)."""
    if type(value) is not str or not value or len(value) > 200 or "\x00" in value:
        return None
    return value


class Recorder:
    """The executions of one kernel session and their sources (one per process).

    ``executions`` holds lists ``[cell_id, execution_count, source_sha256, start, end,
    success, error, origin, formatted]`` in the order the executions started (times as epoch
    seconds; ``formatted`` is the record entry, made at the first publish after the
    execution ended); ``sources`` maps sha256 to text. An execution that is still running
    (the cell calling ``ds.publish()``) has ``end`` None.
    """

    def __init__(self):
        self.executions: list[list] = []
        self.sources: dict[str, str] = {}
        self._running: list[list] = []  # executions started and not ended, innermost last
        self._lock = threading.Lock()
        self.shell = None
        #: The kernelspec name, when the JupyterLab frontend said it (``hello``).
        self.kernel_name: str | None = None

    # -- recording ---------------------------------------------------------------------------

    def begin(self, source: str, origin: str = "cell", cell_id=None, count=None, start=None):
        """Record that ``source`` starts executing now; returns the execution (or None for
        an empty source)."""
        if not source or source.isspace():
            return None
        try:
            sha = hashlib.sha256(source.encode("utf-8")).hexdigest()
        except UnicodeEncodeError:
            source = _storable(source)
            sha = sha256_text(source)
        if "\x00" in source:
            source = _storable(source)
            sha = sha256_text(source)
        sources = self.sources
        if sha not in sources:
            sources[sha] = source
        entry = [cell_id, count, sha, time.time() if start is None else start, None, None, None,
                 origin, None]  # fmt: skip
        with self._lock:
            self.executions.append(entry)
            self._running.append(entry)
        return entry

    def finish(self, entry, success: bool, error: str | None = None, count=None,
               end=None) -> None:  # fmt: skip
        """Record the end of ``entry`` (from :meth:`begin`), now unless ``end`` is given."""
        if entry is None:
            return
        end = time.time() if end is None else end
        entry[_SUCCESS] = bool(success)
        entry[_ERROR] = None if success else error
        if count is not None:
            entry[_COUNT] = count
        entry[_END] = end  # last: an execution with an end is complete (see snapshot)
        with self._lock:
            running = self._running
            if running and running[-1] is entry:
                running.pop()
            elif entry in running:
                running.remove(entry)

    def pre_run_cell(self, info=None) -> None:
        """IPython's ``pre_run_cell`` event: a cell starts (silent ones fire no event)."""
        source = getattr(info, "raw_cell", None)
        if not isinstance(source, str) or not source or source.isspace():
            return
        shell = self.shell
        count = getattr(shell, "execution_count", None)
        if type(count) is int and getattr(info, "store_history", False):
            count -= 1  # IPython counts this execution before the event
        self.begin(source, "cell", _cell_id(getattr(info, "cell_id", None)), count)

    def post_run_cell(self, result=None) -> None:
        """IPython's ``post_run_cell`` event: the cell ended (``result`` says how)."""
        source = getattr(getattr(result, "info", None), "raw_cell", None)
        if isinstance(source, str) and (not source or source.isspace()):
            return  # an empty cell: IPython fires no pre_run_cell for it
        with self._lock:
            running = self._running
            entry = running[-1] if running else None
        if entry is None or entry[_ORIGIN] != "cell":
            return
        if result is None:
            self.finish(entry, False, "the execution did not complete")
            return
        error = getattr(result, "error_before_exec", None) or getattr(result, "error_in_exec",
                                                                      None)  # fmt: skip
        count = getattr(result, "execution_count", None)
        self.finish(entry, error is None, error_text(error), count if type(count) is int else None)

    # -- reading -----------------------------------------------------------------------------

    def publishing_origin(self) -> str | None:
        """The origin of the innermost running execution (what is publishing), else None."""
        with self._lock:
            return self._running[-1][_ORIGIN] if self._running else None

    def snapshot(self, run_start: float | None) -> tuple[list[dict], dict[str, str]]:
        """The ``executions`` and ``sources`` of a run record.

        Parameters
        ----------
        run_start : float or None
            Epoch seconds the run started: an execution is in the run when it was running
            then or started later (so the cell that called ``ds.start()`` is in it).

        Returns
        -------
        (list of dict, dict)
            The executions in the order they ran (``seq`` 0, 1, ...) and the sources they
            use, by sha256. A session over the record's limits gives its newest executions
            only: the first ``seq`` is then the number left out.
        """
        with self._lock:
            entries = list(self.executions)
        sources = self.sources
        first = self._first_kept(entries, sources)
        out = []
        used = {}
        for seq in range(first, len(entries)):
            entry = entries[seq]
            formatted = entry[_FORMATTED]  # an ended execution is formatted once
            end = entry[_END]
            if formatted is None:
                formatted = {"cell_id": entry[_CELL_ID], "execution_count": entry[_COUNT],
                             "source_sha256": entry[_SHA], "start": iso_from_epoch(entry[_START]),
                             "end": None if end is None else iso_from_epoch(end),
                             "success": entry[_SUCCESS], "error": entry[_ERROR],
                             "origin": entry[_ORIGIN]}  # fmt: skip
                if end is not None:
                    entry[_FORMATTED] = formatted
            in_run = run_start is not None and (end is None or end >= run_start)
            out.append({"seq": seq, **formatted, "in_run": in_run})
            sha = entry[_SHA]
            used[sha] = sources[sha]
        return out, used

    @staticmethod
    def _first_kept(entries: list[list], sources: dict[str, str]) -> int:
        """The index of the oldest execution a record carries: all of them, unless the
        session is over :data:`MAX_EXECUTIONS` or :data:`MAX_SOURCE_BYTES`, then the newest
        that fit (their ``seq`` keeps its number, so the gap says what was left out)."""
        first = max(0, len(entries) - MAX_EXECUTIONS)
        if sum(map(len, sources.values())) * 4 <= MAX_SOURCE_BYTES:
            return first  # even at 4 bytes a character every source fits
        seen: set[str] = set()
        total = 0
        for i in range(len(entries) - 1, first - 1, -1):
            sha = entries[i][_SHA]
            if sha not in seen:
                size = len(sources[sha].encode("utf-8", "surrogatepass"))
                if total + size > MAX_SOURCE_BYTES:
                    return i + 1
                seen.add(sha)
                total += size
        return first

    def clear(self) -> None:
        """Forget every execution (tests)."""
        with self._lock:
            self.executions.clear()
            self._running.clear()
            self.sources.clear()

    # -- installing --------------------------------------------------------------------------

    def install(self, shell) -> bool:
        """Register on ``shell``'s cell events (once); True if it was registered now.

        Executions that ran before (read from IPython's history: no cell id, times of the
        import) and the cell running now (the one importing dotscience) are recorded first.
        """
        events = getattr(shell, "events", None)
        if events is None:
            return False
        callbacks = getattr(events, "callbacks", {})
        if self.pre_run_cell in callbacks.get("pre_run_cell", []):
            return False
        self.shell = shell
        self._backfill(shell)
        events.register("pre_run_cell", self.pre_run_cell)
        events.register("post_run_cell", self.post_run_cell)
        return True

    def _backfill(self, shell) -> None:
        current = getattr(getattr(shell, "displayhook", None), "exec_result", None)
        info = getattr(current, "info", None)
        if info is not None and getattr(info, "silent", False):
            info = None  # the extension's own silent code
        count = getattr(current, "execution_count", None) if info is not None else None
        history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
        failures = getattr(getattr(shell, "history_manager", None), "exceptions", None) or {}
        now = time.time()
        if isinstance(history, list):
            last = count if type(count) is int else len(history)
            for n in range(1, min(last, len(history))):
                source = history[n]
                if not isinstance(source, str) or not source.strip():
                    continue
                failure = failures.get(n) if isinstance(failures, dict) else None
                entry = self.begin(source, "cell", None, n, start=now)
                error = None
                if failure is not None:
                    if isinstance(failure, dict):
                        name, value = failure.get("ename") or "Error", failure.get("evalue")
                        error = f"{name}: {value}" if value else str(name)
                    else:
                        error = str(failure)
                    error = error[:MAX_ERROR_CHARS]
                self.finish(entry, failure is None, error, end=now)
        if info is not None:
            source = getattr(info, "raw_cell", None)
            if isinstance(source, str):
                self.begin(source, "cell", _cell_id(getattr(info, "cell_id", None)),
                           count if type(count) is int else None)  # fmt: skip


#: The one recorder of this process.
RECORDER = Recorder()


def install(shell=None) -> bool:
    """Install :data:`RECORDER` on the running IPython shell (idempotent).

    Parameters
    ----------
    shell : InteractiveShell, optional
        Default: the running IPython, if IPython is imported and running (it is never
        imported here).

    Returns
    -------
    bool
        True when it was installed by this call.
    """
    if shell is None:
        ipython = sys.modules.get("IPython")
        get_ipython = getattr(ipython, "get_ipython", None)
        if get_ipython is None:
            return False
        try:
            shell = get_ipython()
        except Exception:
            return False
        if shell is None:
            return False
    try:
        return RECORDER.install(shell)
    except Exception:  # recording is provenance; it must never break the import
        return False


def installed() -> bool:
    """Whether the recorder listens to an IPython shell in this process."""
    return RECORDER.shell is not None


def record_setting(source: str) -> None:
    """Record ``source`` as an execution with ``origin`` "setting" that succeeded.

    For state a JupyterLab setting set up with silent code (e.g. autolog enabled in every
    kernel: ``import dotscience as ds\\nds.autolog()``), so the record replays it in order.
    Nothing is recorded outside IPython.
    """
    if not installed():
        return
    RECORDER.finish(RECORDER.begin(source, "setting"), True)


def _literal(value) -> str:
    """Python source for a JSON value (non-finite floats included)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, dict):
        items = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def sidebar_source(call: str, *args) -> str:
    """The Python a sidebar request is equivalent to, e.g. ``ds.parameter('C', 1.0)``.

    Parameters
    ----------
    call : str
        The ``dotscience`` function (``start``, ``add_parameter``, ``publish``...).
    *args
        Its arguments (JSON values), written with ``repr()``.
    """
    return f"import dotscience as ds\nds.{call}({', '.join(_literal(a) for a in args)})"


def kernel_info(root: str) -> dict:
    """The ``kernel`` object of a run record: session id, start, kernelspec name and the
    root-relative working directory at import (``''`` for the root, None outside it)."""
    cwd = None
    try:
        rel = os.path.relpath(os.path.realpath(START_CWD), os.path.realpath(root)) \
            if START_CWD else None  # fmt: skip
    except ValueError:  # another drive
        rel = None
    if rel is not None and rel != ".." and not rel.startswith(".." + os.sep):
        cwd = "" if rel == "." else rel.replace(os.sep, "/")
    return {"session": SESSION_ID, "started": iso_from_epoch(STARTED),
            "name": RECORDER.kernel_name, "cwd": cwd}  # fmt: skip


def reproduces() -> str | None:
    """The run a replay reproduces (env ``DOTSCIENCE_REPRODUCES``, when it is a uuid)."""
    value = os.environ.get("DOTSCIENCE_REPRODUCES", "").strip().lower()
    return value if _UUID.match(value) else None
