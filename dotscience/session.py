"""The session: one object holding the mode, the current run, delivery and listeners.

:class:`Dotscience` is the ``dotscience.Dotscience`` class of 0.8.7: an independent session
whose current run is a :class:`~dotscience.runs.Run`. The module-level functions of
:mod:`dotscience` forward to one default instance, in the manner of MLflow's fluent API.
"""

from __future__ import annotations

import os
import sys
import warnings

from . import delivery as _delivery
from . import executions as _executions
from . import sweep as _sweep
from .hashing import Hasher, StatCache
from .paths import Relativiser, check_path, workspace_root
from .published import PublishedRun
from .runs import SUPPORTED_FRAMEWORKS, Run, _key, _label_text, _pairs, identify_framework
from .steps import last_step, numbered
from .timestamps import iso, iso_from_epoch, utc_now
from .values import PLAIN, declared, typed

__all__ = ["AUTO_START_MESSAGE", "SUPPORTED_FRAMEWORKS", "Dotscience", "RunContext", "Session"]

AUTO_START_MESSAGE = "You have not called ds.start() yet, so I'm doing it for you!"


def _error_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class RunContext:
    """``with ds.run("description") as r:`` starts a run, publishes it on exit.

    If the block raises, the exception becomes the run's error, the run is published and the
    exception propagates. ``r.record`` is the published run record afterwards; other
    attributes forward to the session (``r.metric(...)``).
    """

    def __init__(self, session: Dotscience, description=None, **publish_kwargs):
        self.session = session
        self.description = description
        self.publish_kwargs = publish_kwargs
        self.record: PublishedRun | None = None

    def __enter__(self) -> RunContext:
        self.session.start(self.description)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is not None:
            self.session.set_error(_error_text(exc))
        try:
            self.record = self.session.publish(**self.publish_kwargs)
        except Exception as publish_error:
            if exc is None:
                raise
            warnings.warn(f"dotscience: could not publish the failed run: {publish_error}",
                          stacklevel=2)  # fmt: skip
        return False

    def __getattr__(self, name):
        return getattr(self.session, name)


class Dotscience:
    """An independent session: its own mode, workload file and current run.

    Every module-level function of :mod:`dotscience` is a method (the module's functions
    are one default instance); the current run is :attr:`currentRun`.

    Parameters
    ----------
    root : str, optional
        Workspace root (default: ``DOTSCIENCE_PROJECT_DOT_ROOT``, else the cwd at import).
    delivery : Delivery, optional
        Fixed delivery; by default it is chosen from the environment at each publish.
    """

    def __init__(self, root: str | None = None, delivery=None):
        self.root = os.path.abspath(root) if root else workspace_root()
        self.delivery = delivery
        self.project = "default"
        #: Notebook path (root-relative) when known; the JupyterLab bridge sets it.
        self.notebook: str | None = None
        #: True once this project's JupyterLab extension is attached to the kernel.
        self.extension_attached = False
        #: Extra top-level record fields (e.g. ``cells``, ``kernel_id`` from the bridge).
        self.extra: dict = {}
        self._listeners: list = []
        self._metric_listeners: list = []  # the listeners also told about metrics
        #: Called with the run before it is recorded at publish (autolog writes its files).
        self._before_publish: list = []
        self._mode: str | None = None
        self._workload_file: str | None = None
        self._remote: tuple | None = None
        self._run: Run | None = None
        self._relativiser = Relativiser(self.root)
        self._cache = StatCache(os.path.join(self.root, ".dotscience", "statcache.sqlite"))
        self._hasher = Hasher(self._relativiser, self._cache)

    @property
    def currentRun(self) -> Run | None:  # noqa: N802 - the 0.8.7 name
        """The current :class:`~dotscience.runs.Run` (None before the first declaration)."""
        return self._run

    # -- listeners ---------------------------------------------------------------------------

    def add_listener(self, callback, metrics: bool = True) -> None:
        """Call ``callback(event: dict)`` on every declaration (``{"event": "metric", ...}``).

        With ``metrics=False`` the callback is not called for metrics, which keeps
        ``add_metric`` as cheap as with no listener (the JupyterLab bridge reads the series
        from the run instead).
        """
        self._listeners.append(callback)
        if metrics:
            self._metric_listeners.append(callback)

    def remove_listener(self, callback) -> None:
        """Stop notifying ``callback``."""
        self._listeners.remove(callback)
        if callback in self._metric_listeners:
            self._metric_listeners.remove(callback)

    def _emit(self, event: str, **fields) -> None:
        self._emit_to(self._listeners, event, **fields)

    def _emit_to(self, listeners: list, event: str, **fields) -> None:
        message = {"event": event, **fields}
        for listener in list(listeners):
            try:
                listener(message)
            except Exception as exc:  # a broken listener must not break user code
                warnings.warn(f"dotscience listener {listener!r} failed: {exc}", stacklevel=3)

    # -- modes -------------------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        if self._mode not in (None, mode):
            raise RuntimeError(
                f"An attempt was made to select {mode} mode for the Dotscience Python Library "
                f"when it was in {self._mode} mode"
            )
        self._mode = mode

    def interactive(self) -> None:
        """Select interactive mode (runs have no workload file)."""
        self._set_mode("interactive")
        self._workload_file = None

    def remote(self) -> None:
        """Select remote mode: runs go to the hub given to :meth:`connect` (no workload file)."""
        self._set_mode("remote")
        self._workload_file = None

    def script(self, workload_file=None) -> None:
        """Select script mode; the workload file is ``workload_file`` or ``sys.argv[0]``."""
        path = sys.argv[0] if workload_file is None else check_path(workload_file, "workload_file")
        self._set_mode("script")
        self._workload_file = os.path.abspath(path) if path else None

    def connect(self, username, apikey, project, hostname=None) -> None:
        """Publish to a Dotscience hub (HTTP Basic ``username:apikey``) for ``project``.

        ``hostname`` defaults to ``DOTSCIENCE_HOSTNAME``, else ``DOTSCIENCE_SERVER_URL``,
        else a local server (``http://127.0.0.1:8888/``). The credentials are checked now;
        when the hub cannot be reached a sentence says so and runs go to the spool until
        ``dotscience sync`` sends them.

        Raises
        ------
        ValueError
            Empty project, username or API key.
        dotscience.ConnectionError
            The hub refused the credentials (wrong, revoked or another user's key) or the
            key is limited to another project.
        """
        for name, value in (("username", username), ("apikey", apikey), ("project", project)):
            if not isinstance(value, str):
                raise TypeError(f"connect(): {name} must be a str, got {type(value).__name__}")
            if not value.strip():
                raise ValueError(f"connect(): {name} must not be empty; give the {name} to use")
        from . import client as _client

        host = hostname or _client.default_hostname()
        if not isinstance(host, str):
            raise TypeError(f"connect(): hostname must be a str, got {type(host).__name__}")
        client = _client.Client(host, username, apikey)
        try:
            key = client.check()
        except _client.ConnectionError as e:
            if not e.unreachable:
                raise _client.ConnectionError(str(e), e.status) from None
            print(f"{e} Runs will be kept in the local spool until `dotscience sync` sends them.")
            key = None
        limit = key.get("project") if isinstance(key, dict) and "username" in key else None
        if limit and limit != project:
            raise _client.ConnectionError(
                f"This API key is limited to project {limit!r}, so it cannot publish to "
                f"project {project!r}.",
                403,
            ) from None
        self.project = project
        self._remote = (client.base, (username, apikey))

    def _guess_mode(self) -> None:
        """With no mode chosen, take it from ``DOTSCIENCE_WORKLOAD_TYPE`` (kept, as 0.8.7)."""
        if self._mode is None:
            workload_type = os.environ.get("DOTSCIENCE_WORKLOAD_TYPE", "")
            if workload_type == "jupyter":
                self.interactive()
            elif workload_type == "command":
                self.script()

    def _record_mode(self) -> str | None:
        """The record's ``mode``: interactive, script or None (remote or unknown)."""
        if self._mode in ("interactive", "script"):
            return self._mode
        if self._mode is None and self.extension_attached:
            return "interactive"
        return None

    # -- run lifecycle -----------------------------------------------------------------------

    def _check_started(self) -> Run:
        """The current run: started now (with the 0.8.7 message) when there is none, and
        its clock restarted when it was published since (each publish gets its own times)."""
        run = self._run
        if run is None:
            print(AUTO_START_MESSAGE)
            self.start()
            return self._run
        if run._start is None:
            run.lazy_start()
        return run

    def start(self, description=None) -> None:
        """Begin a new run: forget earlier declarations, record the start time."""
        run = Run(self.root, _hasher=self._hasher)
        run.start()
        if description is not None:
            run.set_description(description)
        self._run = run
        if self._listeners:
            self._emit("start", time=iso(run._start), description=run._description)

    def end(self) -> None:
        """Record the end time (the first ``end()`` of a run wins)."""
        run = self._check_started()
        run.end()
        if self._listeners:
            self._emit("end", time=iso(run._end))

    def set_error(self, error) -> None:
        """Mark the run failed with ``str(error)``."""
        run = self._check_started()
        run.set_error(error)
        if self._listeners:
            self._emit("error", error=run._error)

    def error(self, error):
        """Like :meth:`set_error`; returns ``error`` unchanged."""
        self.set_error(error)
        return error

    def set_description(self, description) -> None:
        """Set the run's description (``str(description)``)."""
        run = self._check_started()
        run.set_description(description)
        if self._listeners:
            self._emit("description", description=run._description)

    def description(self, description):
        """Like :meth:`set_description`; returns ``description`` unchanged."""
        self.set_description(description)
        return description

    # -- files -------------------------------------------------------------------------------

    def add_inputs(self, *paths) -> None:
        """Declare input files; directories are expanded and every file hashed now."""
        for p in paths:
            check_path(p, "input path")
        entries = self._check_started()._add_inputs(paths)
        if self._listeners:
            self._emit("input", files=entries)

    def add_input(self, path) -> None:
        """Declare one input file or directory."""
        self.add_inputs(path)

    def input(self, path):
        """Declare an input; returns ``path`` unchanged (the same object)."""
        self.add_inputs(path)
        return path

    def add_outputs(self, *paths) -> None:
        """Declare output files; directories are expanded and hashed at publish."""
        for p in paths:
            check_path(p, "output path")
        added = self._check_started()._add_outputs(paths)
        if self._listeners:
            self._emit("output", paths=[self._relativiser.name(p)[0] for p in added])

    def add_output(self, path) -> None:
        """Declare one output file or directory."""
        self.add_outputs(path)

    def output(self, path):
        """Declare an output; returns ``path`` unchanged."""
        self.add_outputs(path)
        return path

    # -- values ------------------------------------------------------------------------------

    def add_label(self, key, value) -> None:
        """Set label ``key`` to ``str(value)``."""
        key = _key(key, "label")
        run = self._check_started()
        run.add_label(key, value)
        if self._listeners:
            self._emit("label", key=key, value=run.labels[key])

    def add_labels(self, *args, **kwargs) -> None:
        """Set labels from keyword pairs, then positional ``key, value`` pairs."""
        items = [(_key(k, "label"), v) for k, v in _pairs("add_labels", args, kwargs)]
        self._check_started()
        items = [(k, _label_text(k, v)) for k, v in items]
        for key, text in items:
            self.add_label(key, text)

    def label(self, key, value):
        """Like :meth:`add_label`; returns ``value`` unchanged."""
        self.add_label(key, value)
        return value

    def add_parameter(self, key, value) -> None:
        """Record parameter ``key`` (the typed value and its ``str()``; last value wins)."""
        if type(key) is not str:
            key = _key(key, "parameter")
        if type(value) not in PLAIN:
            value = declared(key, value, "parameter")
        self._check_started().parameters[key] = value
        if self._listeners:
            self._emit("parameter", key=key, value=typed(value), text=str(value))

    def add_parameters(self, *args, **kwargs) -> None:
        """Record parameters from keyword pairs, then positional ``key, value`` pairs."""
        items = [(_key(k, "parameter"), v) for k, v in _pairs("add_parameters", args, kwargs)]
        self._check_started()
        items = [(k, v if type(v) in PLAIN else declared(k, v, "parameter")) for k, v in items]
        for key, value in items:
            self.add_parameter(key, value)

    def parameter(self, key, value):
        """Like :meth:`add_parameter`; returns ``value`` unchanged.

        In a sweep's trial ``value`` is the default: the trial's value of ``key`` (when the
        sweep sets it) is recorded and returned instead.
        """
        if _sweep.TRIAL is not None:
            value = _sweep.value(key, value)
        self.add_parameter(key, value)
        return value

    def add_metric(self, key, value, step=None) -> None:
        """Append ``value`` to metric ``key``'s series (with a step and the time).

        Kept to a few hundred nanoseconds: values are converted at publish, and a step left
        out is numbered at publish (previous step + 1).
        """
        run = self._run
        if run is None or run._start is None:
            run = self._check_started()
        run.add_metric(key, value, step)
        if _sweep.OBJECTIVE is not None and key == _sweep.OBJECTIVE:
            self._sweep_point(run, key)
        if self._metric_listeners:
            if type(key) is not str:
                key = _key(key, "metric")
            series = run.metrics[key]
            value, step, now = series[-1]
            if step is None:  # number it now so the listener sees the step
                step = last_step(series)
                series[-1] = (value, step, now)
            self._emit_to(self._metric_listeners, "metric", key=key, value=typed(value),
                          text=str(value), step=step, time=iso_from_epoch(now))  # fmt: skip

    def _sweep_point(self, run: Run, key: str) -> None:
        """Report the objective's newest point to the sweep; when the sweep's pruner has
        stopped this trial, publish the run marked ``sweep_pruned`` and raise
        :class:`dotscience.sweep.TrialPruned`."""
        series = run.metrics[key]
        value, step, _ = series[-1]
        if step is None:
            step = last_step(series)
        if _sweep.report(step, value):
            run.add_label("sweep_pruned", "true")
            self.publish()
            raise _sweep.TrialPruned(
                f"The sweep stopped this trial at step {step}: its {key} was clearly worse "
                "than earlier trials' at that step."
            )

    def add_metrics(self, *args, **kwargs) -> None:
        """Record metrics from keyword pairs, then positional ``key, value`` pairs."""
        items = [(_key(k, "metric"), v) for k, v in _pairs("add_metrics", args, kwargs)]
        self._check_started()
        items = [(k, v if type(v) in PLAIN else declared(k, v, "metric")) for k, v in items]
        for key, value in items:
            self.add_metric(key, value)

    def metric(self, key, value, step=None):
        """Like :meth:`add_metric`; returns ``value`` unchanged."""
        self.add_metric(key, value, step)
        return value

    summary = metric
    add_summary = add_metric
    add_summaries = add_metrics
    param = parameter

    # -- models ------------------------------------------------------------------------------

    def model(self, framework, name, path, classes=None, *, trusted_pickle=False):
        """Register a model saved at ``path`` in the current run; returns ``path`` unchanged.

        The parameters are those of :meth:`dotscience.Run.model`. A framework that is not
        supported raises before any run is started; listeners (the JupyterLab sidebar) are
        told about the new outputs and the model.
        """
        identify_framework(framework)  # a wrong framework starts no run
        entry, outputs = self._check_started()._model(framework, name, path, classes,
                                                      trusted_pickle)  # fmt: skip
        if self._listeners:
            self._emit("output", paths=[self._relativiser.name(p)[0] for p in outputs])
            if entry is not None:
                self._emit("model", name=entry["name"], framework=entry["framework"],
                           path=entry["path"])  # fmt: skip
        return path

    def add_model(self, framework, name, path, classes=None, *, trusted_pickle=False) -> None:
        """Like :meth:`model`, returning None (documented for 0.8.7, missing there)."""
        self.model(framework, name, path, classes, trusted_pickle=trusted_pickle)

    # -- publishing --------------------------------------------------------------------------

    def _record(self, run: Run, build=False, deploy=False) -> dict:
        mode = self._record_mode()
        workload = None
        if mode == "script":
            path = self._workload_file or (os.path.abspath(sys.argv[0]) if sys.argv[0] else None)
            workload = self._relativiser.name(path)[0] if path else None
        outputs = {e["path"]: e for e in self._hasher.describe(list(run.outputs))}
        output_list = [outputs[k] for k in sorted(outputs)]
        try:
            from . import environment as _environment

            environment = _environment.capture(self.root)
        except Exception:
            environment = None
        published_from = _executions.RECORDER.publishing_origin()
        if published_from is None:
            # in IPython a publish outside an execution comes from a cell-end hook (autolog)
            published_from = "cell" if _executions.installed() else \
                "script" if mode == "script" else None  # fmt: skip
        start = run._start.timestamp() if run._start is not None else None
        executions, sources = _executions.RECORDER.snapshot(start)
        git = self._git(environment, published_from, sources)
        record = {
            "schema": "dotscience.run/2",
            "id": run.id,
            "project": self.project,
            "description": run._description,
            "error": run._error,
            "mode": mode,
            "workload_file": workload,
            "notebook": self.notebook or self._notebook_from_env(),
            # a kernel's argv is its launcher's (and names its connection file): not a command
            "argv": [] if _executions.installed() else [str(a) for a in sys.argv],
            "start": iso(run._start),
            "end": iso(run._end),
            "published": iso(utc_now()),
            "inputs": [run.inputs[k] for k in sorted(run.inputs)],
            "outputs": output_list,
            "parameters": {
                k: {"value": typed(v), "text": str(v)} for k, v in run.parameters.items()
            },
            "labels": dict(run.labels),
            "metrics": {
                k: [
                    {"value": typed(v), "text": str(v), "step": s, "time": iso_from_epoch(t)}
                    for v, s, t in numbered(series)
                ]  # fmt: skip
                for k, series in run.metrics.items()
            },
            "models": run._published_models(output_list),
            "environment": environment,
            "cells": [],
            "executions": executions,
            "sources": sources,
            "kernel": _executions.kernel_info(self.root),
            "published_from": published_from,
            "reproduces": _executions.reproduces(),
            "git": git,
            "kernel_id": None,
            "build": bool(build),
            "deploy": bool(deploy),
        }
        record.update(self.extra)
        return record

    def _git(self, environment, published_from, sources: dict) -> dict | None:
        """The record's ``git``: the environment's git state, and for a script run the
        uncommitted changes as a patch (put in ``sources``) or why there is none."""
        state = (environment or {}).get("git")
        if not isinstance(state, dict):
            return None
        git = {**state, "patch_sha256": None}
        if published_from == "script" and not state.get("commit"):
            git["patch_error"] = "The git repository has no commit yet, so no patch was made."
        elif published_from == "script":
            from . import environment as _environment

            workload = self._workload_file or (os.path.abspath(sys.argv[0]) if sys.argv[0]
                                               else None)  # fmt: skip
            patch, error = _environment.git_patch(self.root, workload)
            if patch is not None:
                sha = _executions.sha256_text(patch)
                sources[sha] = patch
                git["patch_sha256"] = sha
            if error is not None:
                git["patch_error"] = error
        return git

    def _notebook_from_env(self) -> str | None:
        path = os.environ.get("JPY_SESSION_NAME")
        if not path or not path.endswith(".ipynb"):
            return None
        return self._relativiser.name(os.path.abspath(os.path.join(self.root, path)))[0]

    def _delivery_for(self, stream):
        if self.delivery is not None:
            return self.delivery
        if self._remote is not None:
            from . import remote as _remote

            host, (username, apikey) = self._remote
            client = _remote.Client(host, username, apikey)
            return _remote.RemoteDelivery(client, self.root, stream)
        delivery = _delivery.default_delivery(self.root, stream)
        if self.extension_attached and isinstance(delivery, _delivery.HttpDelivery):
            delivery.announce = False  # in JupyterLab the returned run's card says it
        return delivery

    def publish(self, description=None, stream=None, build=False, deploy=False) -> PublishedRun:
        """Finish the run and deliver it; returns the published run (read-only, with ``id``).

        Declarations carry over to the next publish unless :meth:`start` is called; every
        publish gets a new id, and a publish without a new :meth:`start` gets fresh start
        and end times (the clock restarts at the next declaration or publish).

        Raises
        ------
        RuntimeError
            Remote mode was selected but :meth:`connect` was not called (the run is kept).
        """
        self._guess_mode()
        if self._mode == "remote" and self._remote is None and self.delivery is None:
            raise RuntimeError(
                "ds.remote() was selected but ds.connect(username, apikey, project, hostname) "
                "was not called, so there is no hub to publish to; connect and publish again "
                "(the run is kept)"
            )
        run = self._check_started()
        for hook in list(self._before_publish):
            hook(run)
        run.end()
        if description is not None:
            run.set_description(description)
        run.newID()
        record = self._record(run, build, deploy)
        run._set_workload_file(record["workload_file"])
        delivery = self._delivery_for(stream)
        stored = delivery.deliver(record)
        run.forget_times()
        if self._listeners:
            self._emit("publish", id=stored.get("id", record["id"]))
        return PublishedRun(stored, *self._where(delivery, stored))

    def _where(self, delivery, stored: dict) -> tuple[str, bool]:
        """Where the published run can be seen, and whether JupyterLab can open it."""
        spool = _delivery.SpoolDelivery(self.root).path_for(str(stored.get("id")))
        server = getattr(delivery, "server", None)
        hub = None  # the hub of ds.connect() (a RemoteDelivery)
        if not isinstance(delivery, _delivery.HttpDelivery):
            hub = getattr(getattr(delivery, "client", None), "base", None)
        if server or hub:
            if os.path.exists(spool):
                later = "`dotscience sync` sends it" if hub else "the server imports it"
                return (f"The server could not be reached: kept in {spool} until {later}.",
                        False)  # fmt: skip
            if hub:
                return f"Stored on {hub}: see Runs in its Dotscience sidebar.", False
            if self.extension_attached:
                return "Stored: see Runs in the Dotscience sidebar.", True
            return f"Stored on {server}: see Runs in its Dotscience sidebar.", False
        if os.path.exists(spool):
            return (f"Printed above as a v1 block, and kept in {spool}: JupyterLab with "
                    "Dotscience imports it when it starts.", False)  # fmt: skip
        return f"Delivered by {type(delivery).__name__}.", False

    def debug(self) -> None:
        """Print the current run's v1 metadata as JSON (no markers)."""
        self._check_started().debug()

    def run(self, description=None, **publish_kwargs) -> RunContext:
        """A context manager making its block one run (see :class:`RunContext`)."""
        return RunContext(self, description, **publish_kwargs)

    def autolog(self, disable=False, **switches) -> None:
        """Record every ``fit()`` into this session (see :func:`dotscience.autolog.autolog`)."""
        from .autolog import autolog

        autolog(disable, session=self, **switches)

    def system_metrics(self, interval=1.0, **options):
        """Sample system metrics into this session's run (see
        :func:`dotscience.sysmetrics.system_metrics`)."""
        from .sysmetrics import system_metrics

        return system_metrics(interval, session=self, **options)


#: The 0.8.7-era name of :class:`Dotscience` (kept for existing code).
Session = Dotscience
