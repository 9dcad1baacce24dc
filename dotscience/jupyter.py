"""The kernel side of the JupyterLab bridge: a comm that mirrors the current run live.

The JupyterLab extension runs ``import dotscience.jupyter as _ds_bridge; _ds_bridge.attach()``
silently in every Python notebook kernel. :func:`attach` opens a comm to the target
``dotscience`` (protocol version in the comm metadata, as ipywidgets does) and sends the
current run state; afterwards declarations are queued by a session listener (an O(1)
append; metrics are not even queued: the flusher reads the run's series) and sent by a
background thread at most every :data:`FLUSH_INTERVAL` seconds.

Messages are ``{"method": ..., ...}`` dictionaries, described once by the JSON Schema
``protocol/kernel-comm.schema.json`` (the frontend's types are generated from it; the tests
validate every message this module sends and every request it accepts against it).

Kernel to frontend:
    ``state``      ``{"state": snapshot}`` (the comm-open data, and the answer to ``state``)
    ``update``     ``{"events": [event], "run": {changed fields of the run}, "metrics": {key:
                   series tail}, "reset_metrics", "cells": [cell]}``: the kernel decides what
                   its run is (``active``, ``unpublished``, ``start``...); the frontend applies
                   ``run`` as it is
    ``ack``        ``{"request_id", "ok", "error", "message"}`` after a frontend request
    ``published``  ``{"id", "since", "request_id"}`` when a run was published

Frontend to kernel (each with a ``request_id``):
    ``hello``      ``{"kernel_id", "notebook", "kernel_name"?}``: who the kernel is (its
                   kernelspec name goes into run records' ``kernel.name``), which notebook
                   it runs
    ``state``      ask for a snapshot
    ``declare``    ``{"kind": input|output|parameter|label|metric|description, "key",
                   "value", "path", "root_relative"}``
    ``start``      ``{"description"}``
    ``publish``    ``{"description", "build"?, "deploy"?}``

``start``, ``declare`` and ``publish`` are recorded as executions of generated code
(``origin`` "sidebar", e.g. ``import dotscience as ds\nds.add_parameter('C', 1.0)``), so a
run record replays what the sidebar did, in order.
"""

from __future__ import annotations

import collections
import io
import os
import threading
import time

import dotscience as _ds

from . import executions as _executions
from .steps import last_step, numbered
from .timestamps import iso_from_epoch
from .values import typed

#: Version of the comm protocol (in the comm's open metadata as ``version``).
PROTOCOL_VERSION = "2.0.0"
#: The comm target the frontend registers.
TARGET_NAME = "dotscience"
#: Seconds between two messages at most; events in between are coalesced.
FLUSH_INTERVAL = 0.05
#: Points of a metric series sent per message (the tail; the chart needs no more).
MAX_POINTS = 200
#: The fields of the run (``RunFields`` in the schema) each event changes; an event of a kind
#: not listed here sends them all.
_FIELDS: dict[str, tuple[str, ...]] = {
    "start": ("start", "description", "error", "inputs", "outputs", "parameters", "labels"),
    "end": (),
    "error": ("error",),
    "description": ("description",),
    "input": ("inputs",),
    "output": ("outputs",),
    "parameter": ("parameters",),
    "label": ("labels",),
    "model": ("outputs", "labels"),
    "publish": ("published", "start"),
}
_ALL_FIELDS = ("published", "start", "description", "error", "inputs", "outputs", "parameters",
               "labels")  # fmt: skip

_bridge: Bridge | None = None
_lock = threading.Lock()


def _kernel_id() -> str | None:
    """The kernel id from the connection file name (``kernel-<id>.json``), when known."""
    try:
        from ipykernel.connect import get_connection_file

        name = os.path.basename(get_connection_file())
    except Exception:
        return None
    if name.startswith("kernel-") and name.endswith(".json"):
        return name[len("kernel-") : -len(".json")]
    return None


def _default_comm_factory(**kwargs):
    import comm

    return comm.create_comm(**kwargs)


def _is_dummy(c) -> bool:
    """True for the comm ``comm.create_comm`` returns outside a kernel (drops messages)."""
    try:
        import comm

        if isinstance(c, comm.DummyComm):
            return True
    except (ImportError, AttributeError):
        pass
    if type(c).__name__ == "DummyComm":
        return True
    if type(c).__module__.startswith("ipykernel"):  # its comms drop messages without a kernel
        try:
            from ipykernel.kernelbase import Kernel

            return not Kernel.initialized()
        except Exception:
            return False
    return False


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


class Bridge:
    """One comm to the frontend, a session listener and a flusher thread.

    Parameters
    ----------
    comm_factory : callable
        ``comm_factory(target_name=..., data=..., metadata=...)`` returns an open comm.
    session : Session, optional
        A fixed session (tests); by default the module's default session at each use.
    shell : InteractiveShell, optional
        For ``pre/post_run_cell`` (which cell declared what); ``None`` outside IPython.
    kernel_id : str, optional
        Recorded into published runs.
    """

    def __init__(self, comm_factory, session=None, shell=None, kernel_id=None,
                 interval: float = FLUSH_INTERVAL):  # fmt: skip
        self._factory = comm_factory
        self._fixed_session = session
        self._shell = shell
        self.kernel_id = kernel_id
        self.interval = interval
        self.comm = None
        self.published: str | None = None  # id of the last published run
        self._queue: collections.deque = collections.deque()
        self._send_lock = threading.Lock()
        self._cell: dict | None = None  # the executing cell: {"cell_id", "count"}
        self._declared_cells: dict = {}  # cell_id or count -> cell (since the last message)
        self._sent: dict = {}  # metric key -> (points sent, step of the last one sent)
        self._run = None  # the run object the metric state refers to
        self._since: str | None = None  # start of the current run (or the last publish)
        self._metric_total = 0
        self._events_seen = 0
        self._events_at_start = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._request_id = None  # the frontend request being handled

    # -- session -----------------------------------------------------------------------------

    @property
    def session(self):
        return self._fixed_session if self._fixed_session is not None else _ds._default_session()

    def _listen(self) -> None:
        session = self.session
        if self._on_event not in session._listeners:
            session.add_listener(self._on_event, metrics=False)
        session.extension_attached = True
        if self.kernel_id:
            session.extra["kernel_id"] = self.kernel_id

    def _on_event(self, event: dict) -> None:
        # Called on every declaration (never for metrics): an O(1) append.
        self._queue.append((event, self._cell))
        self._events_seen += 1
        if event.get("event") == "publish":  # rare: tell the frontend at once
            self.published = event.get("id")  # the update flushed now carries it
            self.flush()
            since, self._since = self._since, iso_from_epoch(time.time())
            self._send({"method": "published", "id": self.published, "since": since,
                        "request_id": self._request_id})  # fmt: skip

    # -- cells -------------------------------------------------------------------------------

    def _pre_run_cell(self, info=None) -> None:
        # The execution count is known for sure only at the end (IPython versions differ
        # on when they increment it); JupyterLab sends the cell id, which is enough.
        self._cell = {"cell_id": getattr(info, "cell_id", None), "count": None}
        self._metric_total = self._count_points()
        self._events_at_start = self._events_seen

    def _post_run_cell(self, result=None) -> None:
        cell, self._cell = self._cell, None
        if cell is None:
            return
        cell["count"] = getattr(result, "execution_count", None)
        if (self._events_seen != self._events_at_start
                or self._count_points() != self._metric_total):  # fmt: skip
            self._mark(cell)

    def _mark(self, cell: dict) -> None:
        with self._send_lock:
            self._declared_cells[cell["cell_id"] or cell["count"]] = cell

    def _count_points(self) -> int:
        run = self.session._run
        if run is None:
            return 0
        return sum(len(s) for s in list(run.metrics.values()))

    # -- comm --------------------------------------------------------------------------------

    def open(self) -> bool:
        """Open the comm, sending the snapshot as its open data; False outside a kernel."""
        self._listen()
        with self._send_lock:
            self._queue.clear()
            self._sent.clear()
            state = self._snapshot()
        comm = self._factory(
            target_name=TARGET_NAME,
            data={"method": "state", "state": state},
            metadata={"version": PROTOCOL_VERSION},
        )
        if _is_dummy(comm):
            self.close()
            return False
        comm.on_msg(self._on_msg)
        self.comm = comm
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="dotscience-bridge",
                                            daemon=True)  # fmt: skip
            self._thread.start()
        if self._shell is not None:
            events = self._shell.events
            for name, fn in (("pre_run_cell", self._pre_run_cell),
                             ("post_run_cell", self._post_run_cell)):  # fmt: skip
                if fn not in events.callbacks.get(name, []):
                    events.register(name, fn)
        return True

    def close(self) -> None:
        """Stop the flusher, drop the listener and hooks, close the comm."""
        self._stop.set()
        session = self.session
        if self._on_event in session._listeners:
            session.remove_listener(self._on_event)
        if self._shell is not None:
            for name, fn in (("pre_run_cell", self._pre_run_cell),
                             ("post_run_cell", self._post_run_cell)):  # fmt: skip
                try:
                    self._shell.events.unregister(name, fn)
                except ValueError:
                    pass
        comm, self.comm = self.comm, None
        if comm is not None:
            try:
                comm.close()
            except Exception:
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)
        self._thread = None

    def _send(self, data: dict) -> None:
        comm = self.comm
        if comm is not None:
            comm.send(data)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # the bridge must never take the kernel down
                pass

    def flush(self) -> bool:
        """Send what changed since the last message (one message); True if one was sent."""
        with self._send_lock:
            message = self._update()
            if message is not None:
                self._send(message)
        return message is not None

    # -- state -------------------------------------------------------------------------------

    def _metric_tails(self, full: bool) -> tuple[dict, bool]:
        """New points of every series, and whether the run was replaced since the last call."""
        run = self.session._run
        if run is None:
            return {}, False
        replaced = run is not self._run
        if replaced:
            self._run, full = run, True
        if full:
            self._sent.clear()
        out = {}
        for key, series in list(run.metrics.items()):
            n = len(series)
            sent, last = self._sent.get(key, (0, -1))
            if n == sent:
                continue
            first = max(sent, n - MAX_POINTS)
            # only the tail is sent, numbered as at publish: from the step of the point
            # before it (a loop may have added a million points since the last message:
            # numbering each in Python here took the GIL from it)
            last = last_step(series[sent:first], last)
            points = []
            for value, step, when in numbered(series[first:n], last):
                last = step
                points.append([step, typed(value), iso_from_epoch(when)])
            value = series[n - 1][0]
            out[key] = {"count": n, "points": points, "text": str(value), "reset": sent == 0}
            self._sent[key] = (n, last)
        return out, replaced

    def _fields(self, names) -> dict:
        """The named fields of the current run (``RunFields``), as the frontend shows them."""
        session = self.session
        run = session._run
        out: dict = {}
        for name in names:
            if name == "published":
                out[name] = self.published
            elif run is None:
                out[name] = [] if name in ("inputs", "outputs") else \
                    {} if name in ("parameters", "labels") else None  # fmt: skip
            elif name == "start":
                out[name] = iso_from_epoch(run.start_time.timestamp()) if run.start_time else None
            elif name == "description":
                out[name] = run.description_text
            elif name == "error":
                out[name] = run.error_text
            elif name == "inputs":
                out[name] = [run.inputs[k] for k in sorted(run.inputs)]
            elif name == "outputs":
                out[name] = sorted(session._relativiser.name(p)[0] for p in run.outputs)
            elif name == "parameters":
                out[name] = {k: {"value": typed(v), "text": str(v)}
                             for k, v in run.parameters.items()}  # fmt: skip
            elif name == "labels":
                out[name] = dict(run.labels)
        return out

    def _unpublished(self) -> bool:
        """Whether the run has declarations not yet published: it is running (published runs
        stop their clock until the next declaration) and declares something."""
        run = self.session._run
        return bool(run is not None and run.start_time and (
            run.inputs or run.outputs or run.parameters or run.labels or run.metrics))  # fmt: skip

    def _snapshot(self) -> dict:
        session = self.session
        run = session._run
        metrics, _ = self._metric_tails(full=True)
        fields = self._fields(_ALL_FIELDS)
        state = {
            "protocol": PROTOCOL_VERSION,
            "library_version": _ds.__version__,
            "kernel_id": self.kernel_id,
            "notebook": session.notebook,
            "active": run is not None,
            "unpublished": self._unpublished(),
            **fields,
            "metrics": metrics,
        }
        if run is not None and run.start_time and self._since is None:
            self._since = state["start"]
        return state

    def _update(self) -> dict | None:
        events = []
        changed: set[str] = set()
        queue = self._queue
        while queue:
            event, cell = queue.popleft()
            kind = event.get("event")
            if kind == "start":
                self._since = event.get("time")
            if cell is not None and kind != "publish":
                self._declared_cells[cell["cell_id"] or cell["count"]] = cell
            changed.update(_FIELDS.get(kind, _ALL_FIELDS))
            events.append({**event, "cell": cell})
        metrics, replaced = self._metric_tails(full=False)
        if metrics and self._cell is not None:
            self._declared_cells[self._cell["cell_id"] or self._cell["count"]] = self._cell
        cells = list(self._declared_cells.values())
        self._declared_cells.clear()
        if not events and not metrics and not cells and not replaced:
            return None
        # the clock (start) restarts with the first declaration after a publish: always sent
        run = {"active": self.session._run is not None, "unpublished": self._unpublished(),
               **self._fields(sorted(changed | {"start"}))}  # fmt: skip
        return {"method": "update", "events": events, "run": run, "metrics": metrics,
                "reset_metrics": replaced, "cells": cells}  # fmt: skip

    # -- requests from the frontend ----------------------------------------------------------

    def _on_msg(self, msg) -> None:
        data = (msg.get("content") or {}).get("data") or {}
        method = data.get("method")
        request_id = data.get("request_id")
        handler = getattr(self, f"_do_{method}", None) if isinstance(method, str) else None
        if handler is None:
            self._ack(request_id, False, f"unknown method {method!r}")
            return
        self._request_id = request_id
        try:
            message = handler(data)
        except Exception as exc:
            text = str(exc)
            self._ack(request_id, False, f"{type(exc).__name__}: {text}" if text else
                      type(exc).__name__)  # fmt: skip
        else:
            self._ack(request_id, True, None, message)
        finally:
            self._request_id = None

    def _ack(self, request_id, ok: bool, error: str | None, message: str | None = None):
        self.flush()  # the declaration's event goes out before its acknowledgement
        self._send({"method": "ack", "request_id": request_id, "ok": ok, "error": error,
                    "message": message})  # fmt: skip

    def _do_hello(self, data: dict):
        session = self.session
        name = data.get("kernel_name")
        if name is not None and (not isinstance(name, str) or len(name) > 200 or "\x00" in name):
            raise ValueError("kernel_name must be the kernelspec's name (at most 200 characters)")
        if name:
            _executions.RECORDER.kernel_name = name
        if data.get("kernel_id"):
            self.kernel_id = str(data["kernel_id"])
            session.extra["kernel_id"] = self.kernel_id
        if data.get("notebook"):
            session.notebook = str(data["notebook"])
        return None

    def _do_state(self, data: dict):
        with self._send_lock:
            self._queue.clear()
            state = self._snapshot()
        self._send({"method": "state", "state": state})
        return None

    def _path(self, data: dict) -> str:
        path = data.get("path")
        if not isinstance(path, str) or not path.strip():
            raise ValueError("a path is required")
        if data.get("root_relative"):
            path = os.path.join(self.session.root, path)
        return path

    def _generated(self, call: str, args: tuple, action):
        """Run ``action()``, recorded as an execution of ``ds.<call>(*args)`` (``origin``
        "sidebar"; nothing is recorded outside IPython)."""
        entry = None
        if _executions.installed():
            entry = _executions.RECORDER.begin(_executions.sidebar_source(call, *args),
                                               "sidebar")  # fmt: skip
        try:
            result = action()
        except BaseException as exc:
            _executions.RECORDER.finish(entry, False, _executions.error_text(exc))
            raise
        _executions.RECORDER.finish(entry, True)
        return result

    def _replay_path(self, data: dict, path: str) -> str:
        """``path`` as the generated code names it: relative to the kernel's directory."""
        if not data.get("root_relative"):
            return data["path"]
        try:
            return os.path.relpath(path, os.getcwd())
        except (ValueError, OSError):  # another drive, or the directory was removed
            return path

    def _do_declare(self, data: dict):
        session, kind = self.session, data.get("kind")
        key, value = data.get("key"), data.get("value")
        if kind in ("parameter", "label", "metric") and (not isinstance(key, str) or not key):
            raise ValueError(f"a {kind} needs a name")
        if kind in ("input", "output"):
            path = self._path(data)
            call = "add_input" if kind == "input" else "add_output"
            method = session.add_inputs if kind == "input" else session.add_outputs
            self._generated(call, (self._replay_path(data, path),), lambda: method(path))
        elif kind in ("parameter", "label", "metric"):
            call = f"add_{kind}"
            method = getattr(session, call)
            self._generated(call, (key, value), lambda: method(key, value))
        elif kind == "description":
            self._generated("set_description", (value,), lambda: session.set_description(value))
        else:
            raise ValueError(f"cannot declare a {kind!r}")
        return None

    def _do_start(self, data: dict):
        description = data.get("description") or None
        self._generated("start", (description,), lambda: self.session.start(description))
        return None

    def _do_publish(self, data: dict):
        out = io.StringIO()
        description = data.get("description") or None
        # a replay never builds or deploys: the generated code publishes only
        self._generated("publish", (description,), lambda: self.session.publish(
            description, stream=out, build=bool(data.get("build")),
            deploy=bool(data.get("deploy"))))  # fmt: skip
        return out.getvalue().strip() or None


def attach(comm_factory=None, session=None, shell=None) -> Bridge | None:
    """Connect the current kernel to the JupyterLab extension (idempotent).

    A second call (page reload, a second browser tab, a kernel restart of the frontend)
    replaces the comm and sends the state again.

    Parameters
    ----------
    comm_factory : callable, optional
        Opens the comm (default ``comm.create_comm``; tests pass a fake).
    session : Session, optional
        The session to mirror (default: the module's default session).
    shell : InteractiveShell, optional
        Shell whose cell events tell which cell declared what (default: the running
        IPython when ``comm_factory`` is not given).

    Returns
    -------
    Bridge or None
        ``None`` outside a kernel, where ``comm.create_comm`` returns a comm that drops
        every message.
    """
    global _bridge
    with _lock:
        old, _bridge = _bridge, None
        if old is not None:
            old.close()
        if shell is None and comm_factory is None:
            shell = _shell()
        bridge = Bridge(comm_factory or _default_comm_factory, session=session, shell=shell,
                        kernel_id=_kernel_id())  # fmt: skip
        if old is not None:
            bridge.published, bridge._since = old.published, old._since
        if not bridge.open():
            return None
        _bridge = bridge
        return bridge


def detach() -> None:
    """Close the bridge (the comm, the listener and the flusher thread)."""
    global _bridge
    with _lock:
        bridge, _bridge = _bridge, None
    if bridge is not None:
        bridge.close()
