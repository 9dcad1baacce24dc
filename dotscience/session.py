"""The session: one object holding the mode, the current run and its declarations.

The module-level functions of :mod:`dotscience` forward to one default session, in the
manner of MLflow's fluent API.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import uuid
import warnings
from time import time as _time

from . import delivery as _delivery
from . import v1 as _v1
from .hashing import Hasher, StatCache
from .paths import Relativiser, check_path, workspace_root
from .values import PLAIN, declared, typed

AUTO_START_MESSAGE = "You have not called ds.start() yet, so I'm doing it for you!"
SUPPORTED_FRAMEWORKS = {
    "keras": "tensorflow",
    "onnx": "onnx",
    "sklearn": "sklearn",
    "tensorflow": "tensorflow",
    "torch": "torch",
}
_UTC = _dt.timezone.utc


def _now() -> _dt.datetime:
    return _dt.datetime.now(_UTC)


def _iso(when: _dt.datetime | None) -> str | None:
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iso_epoch(seconds: float) -> str:
    return _dt.datetime.fromtimestamp(seconds, _UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _key(key, what: str) -> str:
    if type(key) is str:
        return key
    try:
        return str(key)
    except Exception as exc:
        raise TypeError(f"cannot use the {type(key).__name__} as a {what} name: {exc}") from exc


def _label_text(key: str, value) -> str:
    if type(value) is str:
        return value
    try:
        return str(value)
    except Exception as exc:
        raise TypeError(
            f"cannot record label {key!r}: str() of the {type(value).__name__} value failed ({exc})"
        ) from exc


def _error_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check_step(key: str, step) -> int:
    try:
        return step.__index__()
    except (AttributeError, TypeError):
        raise TypeError(f"metric {key!r}: step must be an int, got {type(step).__name__}") from None


def _numbered(series: list) -> list:
    """The series with every missing step filled in (previous step + 1, from 0)."""
    out, previous = [], -1
    for value, step, when in series:
        if step is None:
            step = previous + 1
        out.append((value, step, when))
        previous = step
    return out


def _pairs(function: str, args: tuple, kwargs: dict) -> list[tuple]:
    if len(args) % 2:
        raise ValueError(
            f"{function}() takes (key, value) pairs, but got an odd number ({len(args)}) of "
            "positional arguments"
        )
    return list(kwargs.items()) + [(args[i], args[i + 1]) for i in range(0, len(args), 2)]


class _Run:
    """Declarations of the current run (they carry over between publishes)."""

    __slots__ = ("start", "end", "error", "description", "inputs", "outputs", "labels",
                 "parameters", "metrics", "models")  # fmt: skip

    def __init__(self):
        self.start = self.end = self.error = self.description = None
        self.inputs: dict[str, dict] = {}  # recorded path -> file entry (hashed at declaration)
        self.outputs: dict[str, None] = {}  # absolute path -> None (expanded at publish)
        self.labels: dict[str, str] = {}
        self.parameters: dict[str, object] = {}
        self.metrics: dict[str, list] = {}  # name -> [(value, step, epoch seconds)]
        self.models: list[dict] = []


class RunContext:
    """``with ds.run("description") as r:`` starts a run, publishes it on exit.

    If the block raises, the exception becomes the run's error, the run is published and the
    exception propagates. ``r.record`` is the published run record afterwards; other
    attributes forward to the session (``r.metric(...)``).
    """

    def __init__(self, session: Session, description=None, **publish_kwargs):
        self.session = session
        self.description = description
        self.publish_kwargs = publish_kwargs
        self.record: dict | None = None

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


class Session:
    """Mode, current run, delivery and listeners.

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
        self._mode: str | None = None
        self._workload_file: str | None = None
        self._remote: tuple | None = None
        self._run: _Run | None = None
        self._relativiser = Relativiser(self.root)
        self._cache = StatCache(os.path.join(self.root, ".dotscience", "statcache.sqlite"))
        self._hasher = Hasher(self._relativiser, self._cache)

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
        from . import remote as _remote

        host = hostname or _remote.default_hostname()
        if not isinstance(host, str):
            raise TypeError(f"connect(): hostname must be a str, got {type(host).__name__}")
        client = _remote.Client(host, username, apikey)
        try:
            key = client.check()
        except _remote.ConnectionError as e:
            if not e.unreachable:
                raise _remote.ConnectionError(str(e), e.status) from None
            print(f"{e} Runs will be kept in the local spool until `dotscience sync` sends them.")
            key = None
        limit = key.get("project") if isinstance(key, dict) and "username" in key else None
        if limit and limit != project:
            raise _remote.ConnectionError(
                f"This API key is limited to project {limit!r}, so it cannot publish to "
                f"project {project!r}.",
                403,
            ) from None
        self.project = project
        self._remote = (client.base, (username, apikey))

    def _effective_mode(self) -> str | None:
        if self._mode is not None:
            return self._mode
        workload_type = os.environ.get("DOTSCIENCE_WORKLOAD_TYPE", "")
        if workload_type == "jupyter" or self.extension_attached:
            return "interactive"
        if workload_type == "command":
            return "script"
        return None

    # -- run lifecycle -----------------------------------------------------------------------

    def _auto_start(self) -> _Run:
        print(AUTO_START_MESSAGE)
        self.start()
        return self._run

    def start(self, description=None) -> None:
        """Begin a new run: forget earlier declarations, record the start time."""
        run = _Run()
        run.start = _now()
        if description is not None:
            run.description = str(description)
        self._run = run
        if self._listeners:
            self._emit("start", time=_iso(run.start), description=run.description)

    def end(self) -> None:
        """Record the end time (the first ``end()`` of a run wins)."""
        run = self._run or self._auto_start()
        if run.end is None:
            run.end = _now()
        if self._listeners:
            self._emit("end", time=_iso(run.end))

    def set_error(self, error) -> None:
        """Mark the run failed with ``str(error)``."""
        run = self._run or self._auto_start()
        run.error = str(error)
        if self._listeners:
            self._emit("error", error=run.error)

    def error(self, error):
        """Like :meth:`set_error`; returns ``error`` unchanged."""
        self.set_error(error)
        return error

    def set_description(self, description) -> None:
        """Set the run's description (``str(description)``)."""
        run = self._run or self._auto_start()
        run.description = str(description)
        if self._listeners:
            self._emit("description", description=run.description)

    def description(self, description):
        """Like :meth:`set_description`; returns ``description`` unchanged."""
        self.set_description(description)
        return description

    # -- files -------------------------------------------------------------------------------

    def add_inputs(self, *paths) -> None:
        """Declare input files; directories are expanded and every file hashed now."""
        checked = [check_path(p, "input path") for p in paths]
        run = self._run or self._auto_start()
        entries = self._hasher.describe(checked)
        for entry in entries:
            run.inputs[entry["path"]] = entry
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
        checked = [os.path.abspath(check_path(p, "output path")) for p in paths]
        run = self._run or self._auto_start()
        for path in checked:
            run.outputs[path] = None
        if self._listeners:
            self._emit("output", paths=[self._relativiser.name(p)[0] for p in checked])

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
        text = _label_text(key, value)
        run = self._run or self._auto_start()
        run.labels[key] = text
        if self._listeners:
            self._emit("label", key=key, value=text)

    def add_labels(self, *args, **kwargs) -> None:
        """Set labels from keyword pairs, then positional ``key, value`` pairs."""
        items = [(_key(k, "label"), v) for k, v in _pairs("add_labels", args, kwargs)]
        self._run or self._auto_start()
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
        run = self._run or self._auto_start()
        run.parameters[key] = value
        if self._listeners:
            self._emit("parameter", key=key, value=typed(value), text=str(value))

    def add_parameters(self, *args, **kwargs) -> None:
        """Record parameters from keyword pairs, then positional ``key, value`` pairs."""
        items = [(_key(k, "parameter"), v) for k, v in _pairs("add_parameters", args, kwargs)]
        self._run or self._auto_start()
        items = [(k, v if type(v) in PLAIN else declared(k, v, "parameter")) for k, v in items]
        for key, value in items:
            self.add_parameter(key, value)

    def parameter(self, key, value):
        """Like :meth:`add_parameter`; returns ``value`` unchanged."""
        self.add_parameter(key, value)
        return value

    def add_metric(self, key, value, step=None) -> None:
        """Append ``value`` to metric ``key``'s series (with a step and the time).

        Kept to a few hundred nanoseconds: values are converted at publish, and a step left
        out is numbered at publish (previous step + 1).
        """
        run = self._run
        if run is None:
            run = self._auto_start()
        if type(key) is not str:
            key = _key(key, "metric")
        if type(value) not in PLAIN:
            value = declared(key, value, "metric")
        if step is not None and type(step) is not int:
            step = _check_step(key, step)
        now = _time()
        try:
            run.metrics[key].append((value, step, now))
        except KeyError:
            run.metrics[key] = [(value, step, now)]
        if self._listeners:
            if not self._metric_listeners:
                return
            series = run.metrics[key]
            if step is None:  # number it now so the listener sees the step
                previous = series[-2][1] if len(series) > 1 else -1
                if previous is None:
                    previous = _numbered(series[:-1])[-1][1]
                step = previous + 1
                series[-1] = (value, step, now)
            self._emit_to(self._metric_listeners, "metric", key=key, value=typed(value),
                          text=str(value), step=step, time=_iso_epoch(now))  # fmt: skip

    def add_metrics(self, *args, **kwargs) -> None:
        """Record metrics from keyword pairs, then positional ``key, value`` pairs."""
        items = [(_key(k, "metric"), v) for k, v in _pairs("add_metrics", args, kwargs)]
        self._run or self._auto_start()
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

    def model(self, framework, name, path, classes=None):
        """Register a model saved at ``path``; returns ``path`` unchanged.

        Parameters
        ----------
        framework : module
            The framework module (``sklearn``, ``tensorflow``/``keras``, ``torch``, ``onnx``).
        name : str
            Model name (label ``artefact:<name>``).
        path : str or os.PathLike
            The model file or directory; becomes an output.
        classes : str or os.PathLike, optional
            A file inside the model directory; becomes an output.
        """
        kind, version = _identify_framework(framework)
        if not isinstance(name, str) or not name:
            raise ValueError(f"model(): name must be a non-empty str, got {name!r}")
        model_path = os.path.abspath(check_path(path, "model(): path"))
        model_dir = model_path if os.path.isdir(model_path) else os.path.dirname(model_path)
        classes_path = None
        if classes is not None:
            classes_path = os.path.abspath(check_path(classes, "model(): classes"))
            if not classes_path.startswith(model_dir.rstrip(os.sep) + os.sep):
                raise ValueError(
                    f"model(): classes {os.fspath(classes)!r} must be inside the model "
                    f"directory {self._relativiser.name(model_dir)[0]!r}"
                )
            _check_classes(classes_path, classes)
        rel_model = self._relativiser.name(model_path)[0]
        rel_classes = self._relativiser.name(classes_path)[0] if classes_path else None
        files = {"model": rel_model}
        if rel_classes is not None:
            files["classes"] = rel_classes
        label = json.dumps(
            {"files": files, "type": f"{kind}-model", "version": version},
            sort_keys=True, separators=(",", ":"),
        )  # fmt: skip
        self.add_outputs(*([model_path] + ([classes_path] if classes_path else [])))
        run = self._run
        run.labels[f"artefact:{name}"] = label
        run.models = [m for m in run.models if m["name"] != name]
        run.models.append({"name": name, "framework": kind, "framework_version": version,
                           "path": rel_model, "classes": rel_classes})  # fmt: skip
        if self._listeners:
            self._emit("model", name=name, framework=kind, path=rel_model)
        return path

    def add_model(self, framework, name, path, classes=None) -> None:
        """Like :meth:`model`, returning None (documented for 0.8.7, missing there)."""
        self.model(framework, name, path, classes)

    # -- publishing --------------------------------------------------------------------------

    def _record(self, run: _Run, build=False, deploy=False) -> dict:
        mode = self._effective_mode()
        workload = None
        if mode == "script":
            path = self._workload_file or (os.path.abspath(sys.argv[0]) if sys.argv[0] else None)
            workload = self._relativiser.name(path)[0] if path else None
        outputs = {e["path"]: e for e in self._hasher.describe(list(run.outputs))}
        output_list = [outputs[k] for k in sorted(outputs)]
        models = []
        for m in run.models:
            prefix = m["path"] + "/"
            files = [
                e for e in output_list if e["path"] == m["path"] or e["path"].startswith(prefix)
            ]
            models.append(
                {**m, "files": [{k: e[k] for k in ("path", "sha256", "size")} for e in files]}
            )
        try:
            from . import environment as _environment

            environment = _environment.capture(self.root)
        except Exception:
            environment = None
        record = {
            "schema": "dotscience.run/2",
            "id": str(uuid.uuid4()),
            "project": self.project,
            "description": run.description,
            "error": run.error,
            "mode": mode,
            "workload_file": workload,
            "notebook": self.notebook or self._notebook_from_env(),
            "argv": [str(a) for a in sys.argv],
            "start": _iso(run.start),
            "end": _iso(run.end),
            "published": _iso(_now()),
            "inputs": [run.inputs[k] for k in sorted(run.inputs)],
            "outputs": output_list,
            "parameters": {
                k: {"value": typed(v), "text": str(v)} for k, v in run.parameters.items()
            },
            "labels": dict(run.labels),
            "metrics": {
                k: [
                    {"value": typed(v), "text": str(v), "step": s, "time": _iso_epoch(t)}
                    for v, s, t in _numbered(series)
                ]  # fmt: skip
                for k, series in run.metrics.items()
            },
            "models": models,
            "environment": environment,
            "cells": [],
            "kernel_id": None,
            "build": bool(build),
            "deploy": bool(deploy),
        }
        record.update(self.extra)
        return record

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
        return _delivery.default_delivery(self.root, stream)

    def publish(self, description=None, stream=None, build=False, deploy=False) -> dict:
        """Finish the run and deliver it; returns the run record as delivered (with ``id``).

        Declarations carry over to the next publish unless :meth:`start` is called; every
        publish gets a new id.
        """
        run = self._run or self._auto_start()
        if run.end is None:
            run.end = _now()
        if description is not None:
            run.description = str(description)
        record = self._record(run, build, deploy)
        stored = self._delivery_for(stream).deliver(record)
        run.start = run.end = None
        if self._listeners:
            self._emit("publish", id=stored.get("id", record["id"]))
        return stored

    def debug(self) -> None:
        """Print the current run's v1 metadata as JSON (no markers)."""
        run = self._run or self._auto_start()
        record = self._record(run)
        print(json.dumps(_v1.v1_from_record(record), sort_keys=True, indent=4))

    def run(self, description=None, **publish_kwargs) -> RunContext:
        """A context manager making its block one run (see :class:`RunContext`)."""
        return RunContext(self, description, **publish_kwargs)


def _check_classes(path: str, given) -> None:
    """The classes file must be a JSON list of names or an object ``{"0": "name", ...}``."""
    where = f"model(): classes {os.fspath(given)!r}"
    if not os.path.isfile(path):
        raise ValueError(f"{where} must be a JSON file (it is not a file)")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"{where} must be a JSON file: {e}") from None
    if not isinstance(data, list | dict):
        raise ValueError(f"{where} must hold a JSON list of class names or an object")


def _identify_framework(framework) -> tuple[str, str]:
    name = getattr(framework, "__name__", None)
    supported = ", ".join(sorted(SUPPORTED_FRAMEWORKS))
    if not isinstance(name, str):
        raise TypeError(
            "model(): framework must be the framework module (e.g. `import sklearn; "
            f"ds.model(sklearn, ...)`), got {type(framework).__name__}; supported: {supported}"
        )
    top = name.split(".")[0]
    if top not in SUPPORTED_FRAMEWORKS:
        raise ValueError(f"model(): unsupported framework {top!r}; supported: {supported}")
    version = getattr(framework, "__version__", None)
    if version is None:
        version = getattr(sys.modules.get(top), "__version__", None)
    return SUPPORTED_FRAMEWORKS[top], str(version) if version is not None else "unknown"
