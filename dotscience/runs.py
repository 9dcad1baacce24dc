"""One run: the ``dotscience.Run`` class of 0.8.7, which every session also records into.

A :class:`Run` holds the declarations, times and id of one run. ``str(run)`` is its v1 block
(``[[DOTSCIENCE-RUN:<id>]]{...}[[/DOTSCIENCE-RUN:<id>]]``, no trailing newline), with paths
relative to the run's own workspace root; a :class:`~dotscience.session.Dotscience` session
adds what lies beyond one run (mode, workload file, environment, delivery, listeners).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import uuid
import warnings
from time import time as _time

from . import v1 as _v1
from .hashing import Hasher, StatCache
from .paths import Relativiser, check_path
from .timestamps import utc_now
from .values import PLAIN, declared

#: Framework module name -> the framework recorded for the model.
SUPPORTED_FRAMEWORKS = {
    "keras": "tensorflow",
    "onnx": "onnx",
    "sklearn": "sklearn",
    "tensorflow": "tensorflow",
    "torch": "torch",
}


#: The clock of start and end times (a test may replace it).
_now = utc_now


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


def _check_step(key: str, step) -> int:
    try:
        return step.__index__()
    except (AttributeError, TypeError):
        raise TypeError(f"metric {key!r}: step must be an int, got {type(step).__name__}") from None


def _pairs(function: str, args: tuple, kwargs: dict) -> list[tuple]:
    if len(args) % 2:
        raise ValueError(
            f"{function}() takes (key, value) pairs, but got an odd number ({len(args)}) of "
            "positional arguments"
        )
    return list(kwargs.items()) + [(args[i], args[i + 1]) for i in range(0, len(args), 2)]


def _inside(path: str, directory: str) -> bool:
    return path.startswith(directory.rstrip(os.sep) + os.sep)


def _classes_problem(path: str, given) -> str | None:
    """Why the classes file is unusable (it must be a JSON list or object), else None."""
    where = f"classes {os.fspath(given)!r}"
    if not os.path.isfile(path):
        return f"{where} must be a JSON file (it is not a file)"
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return f"{where} must be a JSON file: {e}"
    if not isinstance(data, list | dict):
        return f"{where} must hold a JSON list of class names or an object"
    return None


#: ``json.dumps(value, sort_keys=True, separators=(",", ":"))`` without a new encoder per call.
_LABEL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def identify_framework(framework) -> tuple[str, str]:
    """``(framework, version)`` of a framework module (``sklearn``, ``torch``, ...).

    Raises
    ------
    TypeError
        ``framework`` is not a module-like object with a ``__name__``.
    ValueError
        The framework is not supported; the message lists the supported ones.
    """
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


class Run:
    """One run: declarations, start and end times, error, description and id.

    The public methods are those of ``dotscience.Run`` in 0.8.7; values are kept typed
    (metrics as series with steps and times) and files with their content hashes.

    Parameters
    ----------
    workspace_root : str or os.PathLike
        Paths are recorded relative to it; paths outside it are recorded absolute and
        flagged, and never read.
    """

    __slots__ = ("_root", "_hasher", "_relativiser", "_id", "_start", "_end", "_error",
                 "_description", "_workload_file", "_model_dir", "_model_files", "inputs",
                 "outputs", "labels", "parameters", "metrics", "models")  # fmt: skip

    def __init__(self, workspace_root, *, _hasher: Hasher | None = None):
        root = os.path.abspath(check_path(workspace_root, "workspace_root"))
        if _hasher is None:
            cache = StatCache(os.path.join(root, ".dotscience", "statcache.sqlite"))
            _hasher = Hasher(Relativiser(root), cache)
        self._root = root
        self._hasher = _hasher
        self._relativiser = _hasher.rel
        self._id = str(uuid.uuid4())
        self._start = self._end = self._error = self._description = None
        self._workload_file: str | None = None
        self._model_dir: str | None = None
        self._model_files: dict[str, tuple] = {}  # model name -> (model, classes) abspaths
        #: recorded input path -> file entry (hashed when declared)
        self.inputs: dict[str, dict] = {}
        #: absolute output path -> None (expanded and hashed at publish)
        self.outputs: dict[str, None] = {}
        self.labels: dict[str, str] = {}
        self.parameters: dict[str, object] = {}
        #: metric name -> [(value, step or None, epoch seconds)]
        self.metrics: dict[str, list] = {}
        self.models: list[dict] = []

    # -- identity and times --------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The run id printed in the block's markers (a new uuid4 after :meth:`newID`)."""
        return self._id

    @property
    def start_time(self) -> _dt.datetime | None:
        """When the run started (UTC), or None."""
        return self._start

    @property
    def end_time(self) -> _dt.datetime | None:
        """When the run ended (UTC), or None."""
        return self._end

    @property
    def error_text(self) -> str | None:
        """The run's error, or None."""
        return self._error

    @property
    def description_text(self) -> str | None:
        """The run's description, or None."""
        return self._description

    def newID(self) -> None:  # noqa: N802 - the 0.8.7 name
        """Give the run a new id (a publish does, so that no two published runs share one)."""
        self._id = str(uuid.uuid4())

    def start(self) -> None:
        """Record the start time.

        Raises
        ------
        RuntimeError
            The run was already started.
        """
        if self._start is not None:
            raise RuntimeError("Run.start() has been called more than once")
        self._start = _now()

    def lazy_start(self) -> None:
        """Record the start time unless it is set (a run declared into after a publish)."""
        if self._start is None:
            self._start = _now()

    def forget_times(self) -> None:
        """Clear the start and end times (done after each publish)."""
        self._start = self._end = None

    def end(self) -> None:
        """Record the end time; the first ``end()`` wins."""
        if self._end is None:
            self._end = _now()

    def set_error(self, error) -> None:
        """Mark the run failed with ``str(error)``."""
        self._error = str(error)

    def error(self, error):
        """Like :meth:`set_error`; returns ``error`` unchanged."""
        self.set_error(error)
        return error

    def set_description(self, description) -> None:
        """Set the description (``str(description)``)."""
        self._description = str(description)

    def description(self, description):
        """Like :meth:`set_description`; returns ``description`` unchanged."""
        self.set_description(description)
        return description

    def _set_workload_file(self, workload_file) -> None:
        self._workload_file = None if workload_file is None else str(workload_file)

    # -- files ---------------------------------------------------------------------------------

    def _add_inputs(self, paths) -> list[dict]:
        checked = [check_path(p, "input path") for p in paths]
        entries = self._hasher.describe(checked)
        for entry in entries:
            self.inputs[entry["path"]] = entry
        return entries

    def add_inputs(self, *filenames) -> None:
        """Declare input files; directories are expanded and every file hashed now."""
        self._add_inputs(filenames)

    def add_input(self, filename) -> None:
        """Declare one input file or directory."""
        self._add_inputs((filename,))

    add_input_file = add_input

    def input(self, filename):
        """Declare an input; returns ``filename`` unchanged (the same object)."""
        self._add_inputs((filename,))
        return filename

    def _add_outputs(self, paths) -> list[str]:
        checked = [os.path.abspath(check_path(p, "output path")) for p in paths]
        for path in checked:
            self.outputs[path] = None
        return checked

    def add_outputs(self, *filenames) -> None:
        """Declare output files; directories are expanded (and hashed) when published."""
        self._add_outputs(filenames)

    def add_output(self, filename) -> None:
        """Declare one output file or directory."""
        self._add_outputs((filename,))

    def output(self, filename):
        """Declare an output; returns ``filename`` unchanged."""
        self._add_outputs((filename,))
        return filename

    @property
    def _inputs(self) -> set[str]:
        return set(self.inputs)

    @property
    def _outputs(self) -> set[str]:
        return {self._relativiser.name(p)[0] for p in self.outputs}

    # -- values --------------------------------------------------------------------------------

    def add_label(self, label, value) -> None:
        """Set label ``label`` to ``str(value)``."""
        label = _key(label, "label")
        self.labels[label] = _label_text(label, value)

    def add_labels(self, *args, **kwargs) -> None:
        """Set labels from keyword pairs, then positional ``key, value`` pairs (all or none)."""
        items = [(_key(k, "label"), v) for k, v in _pairs("add_labels", args, kwargs)]
        for key, value in [(k, _label_text(k, v)) for k, v in items]:
            self.labels[key] = value

    def label(self, label, value):
        """Like :meth:`add_label`; returns ``value`` unchanged."""
        self.add_label(label, value)
        return value

    def add_parameter(self, label, value) -> None:
        """Record a parameter (the typed value; the block shows its ``str()``)."""
        if type(label) is not str:
            label = _key(label, "parameter")
        if type(value) not in PLAIN:
            value = declared(label, value, "parameter")
        self.parameters[label] = value

    def add_parameters(self, *args, **kwargs) -> None:
        """Record parameters from keyword pairs, then positional pairs (all or none)."""
        items = [(_key(k, "parameter"), v) for k, v in _pairs("add_parameters", args, kwargs)]
        for key, value in [(k, v if type(v) in PLAIN else declared(k, v, "parameter"))
                           for k, v in items]:  # fmt: skip
            self.parameters[key] = value

    def parameter(self, label, value):
        """Like :meth:`add_parameter`; returns ``value`` unchanged."""
        self.add_parameter(label, value)
        return value

    param = parameter

    def add_metric(self, label, value, step=None) -> None:
        """Append ``value`` to metric ``label``'s series, with ``step`` and the time.

        A step left out is numbered at publish (previous step + 1); the block shows the
        last value.
        """
        if type(label) is not str:
            label = _key(label, "metric")
        if type(value) not in PLAIN:
            value = declared(label, value, "metric")
        if step is not None and type(step) is not int:
            step = _check_step(label, step)
        point = (value, step, _time())
        try:
            self.metrics[label].append(point)
        except KeyError:
            self.metrics[label] = [point]

    def add_metrics(self, *args, **kwargs) -> None:
        """Record metrics from keyword pairs, then positional pairs (all or none)."""
        items = [(_key(k, "metric"), v) for k, v in _pairs("add_metrics", args, kwargs)]
        for key, value in [(k, v if type(v) in PLAIN else declared(k, v, "metric"))
                           for k, v in items]:  # fmt: skip
            self.add_metric(key, value)

    def metric(self, label, value, step=None):
        """Like :meth:`add_metric`; returns ``value`` unchanged."""
        self.add_metric(label, value, step)
        return value

    summary = metric
    add_summary = add_metric
    add_summaries = add_metrics

    # -- models --------------------------------------------------------------------------------

    def _model(self, framework, name, path, classes=None, trusted_pickle=False
               ) -> tuple[dict | None, list[str]]:  # fmt: skip
        """Register a model; returns its registry entry (None when unnamed) and outputs."""
        kind, version = identify_framework(framework)
        if not isinstance(trusted_pickle, bool):
            raise TypeError(
                f"model(): trusted_pickle must be True or False, got {type(trusted_pickle).__name__}"
            )
        if not isinstance(name, str):
            raise TypeError(f"model(): name must be a str, got {type(name).__name__}")
        model_path = os.path.abspath(check_path(path, "model(): path"))
        classes_path = None
        if classes is not None:
            classes_path = os.path.abspath(check_path(classes, "model(): classes"))
        # Files may be written after they are registered (0.8.7 allowed it): what exists now
        # is checked now, the rest when the run is published.
        if classes_path is not None and os.path.exists(model_path):
            model_dir = model_path if os.path.isdir(model_path) else os.path.dirname(model_path)
            if not _inside(classes_path, model_dir):
                raise ValueError(
                    f"model(): classes {os.fspath(classes)!r} must be inside the model "
                    f"directory {self._relativiser.name(model_dir)[0]!r}"
                )
        if classes_path is not None and os.path.exists(classes_path):
            problem = _classes_problem(classes_path, classes)
            if problem:
                raise ValueError(f"model(): {problem}")
        rel_model = self._relativiser.name(model_path)[0]
        rel_classes = self._relativiser.name(classes_path)[0] if classes_path else None
        files = {"model": rel_model}
        if rel_classes is not None:
            files["classes"] = rel_classes
        label = _LABEL_JSON({"files": files, "type": f"{kind}-model", "version": version})
        outputs = self._add_outputs([model_path] + ([classes_path] if classes_path else []))
        self.labels[f"artefact:{name}"] = label
        self._model_dir = model_path
        if not name:
            warnings.warn(
                f"dotscience: the model at {rel_model!r} was registered with an empty name; it "
                "is recorded (label 'artefact:') but cannot be built or deployed without a name",
                stacklevel=3,
            )
            return None, outputs
        entry = {"name": name, "framework": kind, "framework_version": version,
                 "path": rel_model, "classes": rel_classes}  # fmt: skip
        if trusted_pickle:  # the server honours it only for the Jupyter user and its kernels
            entry["trusted_pickle"] = True
        self.models = [m for m in self.models if m["name"] != name] + [entry]
        self._model_files[name] = (model_path, classes_path)
        return entry, outputs

    def model(self, framework, name, path, classes=None, *, trusted_pickle=False):
        """Register a model saved at ``path``; returns ``path`` unchanged.

        Parameters
        ----------
        framework : module
            The framework module (``sklearn``, ``tensorflow``/``keras``, ``torch``, ``onnx``).
        name : str
            Model name (label ``artefact:<name>``).
        path : str or os.PathLike
            The model file or directory; becomes an output. It may be written later.
        classes : str or os.PathLike, optional
            A JSON file of class names inside the model directory; becomes an output.
        trusted_pickle : bool, optional
            PyTorch only: let the model server load the file with
            ``torch.load(weights_only=False)``, which runs any code pickled in it. Honoured
            only for runs published from JupyterLab (or its kernels), never with an API key.
        """
        self._model(framework, name, path, classes, trusted_pickle)
        return path

    def add_model(self, framework, name, path, classes=None, *, trusted_pickle=False) -> None:
        """Like :meth:`model`, returning None."""
        self._model(framework, name, path, classes, trusted_pickle)

    def getModelDir(self) -> str | None:  # noqa: N802 - the 0.8.7 name
        """The path of the model registered last (absolute), or None."""
        return self._model_dir

    def _published_models(self, output_entries: list[dict]) -> list[dict]:
        """Registry entries with their files; a misplaced classes file is dropped, with a
        warning (the run is still published)."""
        models = []
        for m in self.models:
            entry = dict(m)
            model_path, classes_path = self._model_files.get(m["name"], (None, None))
            if classes_path is not None:
                model_dir = model_path if os.path.isdir(model_path) else os.path.dirname(
                    model_path)  # fmt: skip
                problem = None
                if not _inside(classes_path, model_dir):
                    problem = (f"classes {m['classes']!r} is not inside the model directory "
                               f"{self._relativiser.name(model_dir)[0]!r}")  # fmt: skip
                else:
                    problem = _classes_problem(classes_path, m["classes"])
                if problem:
                    warnings.warn(f"dotscience: model {m['name']!r}: {problem}, so it is "
                                  "published without class names", stacklevel=4)  # fmt: skip
                    entry["classes"] = None
            prefix = m["path"] + "/"
            entry["files"] = [
                {k: e[k] for k in ("path", "sha256", "size")}
                for e in output_entries
                if e["path"] == m["path"] or e["path"].startswith(prefix)
            ]
            models.append(entry)
        return models

    # -- the v1 block --------------------------------------------------------------------------

    def metadata(self) -> dict:
        """The run's v1 metadata: what ``str(run)`` prints between the markers.

        Output directories are expanded now (their files are not read).
        """
        outputs = self._hasher.describe(list(self.outputs), hash_files=False)
        meta = {
            "version": "1",
            "input": sorted(self.inputs),
            "output": sorted({e["path"] for e in outputs}),
            "labels": dict(self.labels),
            "summary": {k: str(s[-1][0]) for k, s in self.metrics.items() if s},
            "parameters": {k: str(v) for k, v in self.parameters.items()},
        }
        if self._error is not None:
            meta["error"] = self._error
        if self._description is not None:
            meta["description"] = self._description
        if self._start is not None:
            meta["start"] = _v1.format_v1_time(self._start)
        if self._end is not None:
            meta["end"] = _v1.format_v1_time(self._end)
        if self._workload_file is not None:
            meta["workload-file"] = self._workload_file
        return meta

    def __str__(self) -> str:
        return _v1.format_block(self._id, self.metadata(), newline=False)

    def __repr__(self) -> str:
        return f"<dotscience.Run {self._id} in {self._root!r}>"

    def debug(self) -> None:
        """Print the v1 metadata as JSON (no markers)."""
        print(json.dumps(self.metadata(), sort_keys=True, indent=4))
