"""Autologging: a ``fit()`` records its parameters, metrics, data and model with no ``ds.*``.

``ds.autolog()`` patches the training entry points of the supported frameworks that are
imported now, and of those imported later (a ``sys.meta_path`` hook: nothing is imported
here, so ``import dotscience`` stays as fast as it was). What a fit records is ordinary run
data, declared through the session like ``ds.parameter``/``ds.metric``/``ds.model``:

- parameters (typed values; anything else its ``str()``), metric series with steps, the
  fitted model or best checkpoint as a registered model, files (feature importance) as
  outputs under ``<root>/.dotscience/autolog/``;
- the in-memory data passed to ``fit()`` as inputs ``memory:<role>`` whose ``sha256`` is a
  content fingerprint (:mod:`dotscience.autolog.datasets`); a DataFrame read unchanged from
  a declared input file is recorded with that file's hash instead, so it links to the file.

Only the outermost fit logs (a pipeline's steps, a search's candidates and a wrapper's
booster do not log again). With no active run, a fit starts one; the next ``ds.publish()``
publishes it (or the end of the cell, with ``publish_at_cell_end=True``). The second and
later fits of one run are kept apart by a prefix ``fit<n>.`` on their keys.
Anything that goes wrong while logging becomes one warning; the user's ``fit()`` is never
changed or broken by it.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import inspect
import json.encoder as _json_encoder
import os
import sys
import threading
import types
import warnings
from time import time as _time

from .. import runs as _runs
from ..values import PLAIN, declared
from . import datasets as _datasets

__all__ = ["FRAMEWORKS", "SUPPORTED_VERSIONS", "autolog", "configure", "enabled", "state"]

#: Framework switch -> (top-level modules that carry it, supported versions, low, high).
FRAMEWORKS = {
    "sklearn": (("sklearn",), ">=1.2,<2", (1, 2), (2,)),
    "xgboost": (("xgboost",), ">=1.7,<4", (1, 7), (4,)),
    "lightgbm": (("lightgbm",), ">=3.3,<5", (3, 3), (5,)),
    "lightning": (("lightning", "pytorch_lightning"), ">=2.0,<3", (2, 0), (3,)),
    "keras": (("keras",), ">=3.0,<4", (3, 0), (4,)),
}
#: Framework switch -> the supported version range, as text (README, warnings).
SUPPORTED_VERSIONS = {name: spec[1] for name, spec in FRAMEWORKS.items()}
#: Module (fully qualified) whose import triggers patching of a framework.
_TRIGGERS = {
    "sklearn.base": "sklearn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "lightning.pytorch": "lightning",
    "pytorch_lightning": "lightning",
    "keras": "keras",
    "pandas": "pandas",
}


class _State:
    def __init__(self):
        self.lock = threading.RLock()
        self.enabled: dict[str, bool] = dict.fromkeys(FRAMEWORKS, False)
        self.log_models = True
        self.log_datasets = True
        self.publish_at_cell_end = False
        self.session = None
        self.silent = False
        #: framework -> list of undo callables (patches applied)
        self.patched: dict[str, list] = {}
        self.finder: _Finder | None = None
        self.depth = 0  # fits in progress in this process (only the outermost logs)
        self.fit_run = None  # the run the last fit logged into, and its fit count
        self.fit_count = 0
        self.autostarted = None  # the run a fit started (published at cell end)
        self.cell_hook = None  # (shell, callback)
        self.warned: set = set()
        self.by_settings = False  # autolog was switched on by configure(), not the user


state = _State()


def _session():
    if state.session is not None:
        return state.session
    import dotscience

    return dotscience._defaultDS


def enabled(framework: str) -> bool:
    """True when autologging is on for ``framework`` (a key of :data:`FRAMEWORKS`)."""
    return state.enabled.get(framework, False)


def warn_once(key: str, message: str) -> None:
    """One warning per ``key`` per process (``silent=True`` suppresses them)."""
    if state.silent or key in state.warned:
        return
    state.warned.add(key)
    warnings.warn(f"dotscience autolog: {message}", stacklevel=3)


def _version_tuple(text: str) -> tuple:
    parts = []
    for piece in str(text).split(".")[:3]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def version_supported(framework: str, version: str) -> bool:
    """True when ``version`` of ``framework`` lies in its supported range."""
    _, _, low, high = FRAMEWORKS[framework]
    v = _version_tuple(version)
    return bool(v) and low <= v < high


# -- one fit ---------------------------------------------------------------------------------


class Fit:
    """What one logged fit records into the current run (keys prefixed ``fit<n>.`` for n>0).

    Parameters
    ----------
    session : dotscience.Dotscience
        The session to declare into.
    index : int
        The fit's index in its run (0 for the first).
    framework : str
        The framework switch that logs it.
    run : dotscience.Run, optional
        The run it records into (default: the session's current run).
    """

    __slots__ = ("session", "index", "framework", "run", "prefix", "_base", "_directory",
                 "_leaf", "_created", "_hook", "_actions")  # fmt: skip

    def __init__(self, session, index: int, framework: str, run=None):
        self.session = session
        self.index = index
        self.framework = framework
        self.run = run if run is not None else session._run
        self.prefix = "" if index == 0 else f"fit{index}."
        self._directory: str | None = None
        self._base = ""  # the directory's parent's parent, <root>/.dotscience/autolog
        self._leaf = ""  # the directory's last two names, "<id>/fit<n>"
        self._created = False
        self._hook: _Pending | None = None
        self._actions: list | None = None  # what waits for the publish, in order

    def safe(self, function, *args, **kwargs):
        """Call ``function``; anything it raises becomes one warning (returns None then)."""
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            warn_once(f"{self.framework}:{getattr(function, '__name__', function)}",
                      f"could not record part of a {self.framework} fit "
                      f"({type(exc).__name__}: {exc}); the fit itself is unaffected")  # fmt: skip
            return None

    def parameters(self, mapping: dict) -> None:
        """Record each ``key: value`` as a parameter (values kept typed when they can be)."""
        session = self.session
        if session._listeners or session._run is not self.run or self.run._start is None:
            for key, value in mapping.items():
                session.add_parameter(self.prefix + str(key), plain(value))
            return
        # what add_parameter stores, with no one to tell: the same dict, in the same order
        stored = self.run.parameters
        prefix = self.prefix
        for key, value in mapping.items():
            key = prefix + str(key)
            if type(value) not in PLAIN:
                value = plain(value)
                if type(value) not in PLAIN:
                    value = declared(key, value, "parameter")
            stored[key] = value

    def metric(self, key: str, value, step=None) -> None:
        """Append ``value`` to the metric series ``key`` at ``step``."""
        self.session.add_metric(self.prefix + str(key), plain(value), step)

    def dataset(self, role: str, data) -> dict | None:
        """Record ``data`` as the input ``memory:<role>`` by its content fingerprint.

        A numeric array is copied and hashed when the run is published (its ``sha256`` is
        None until then) unless a listener (JupyterLab) is told about inputs as they come.
        """
        if not state.log_datasets or data is None:
            return None
        session = self.session
        run = session._run
        later = pending = None
        if not session._listeners and run is self.run:  # no one reads the entry before publish
            pending = self._pending()
            if pending is not None:
                later = _datasets.fingerprint_later(data)
        if later is not None:  # hashed at publish (a copy of the data as it is now)
            entry = {"path": f"memory:{self.prefix}{role}", "sha256": None, "size": later[0],
                     "outside": False, "missing": False}  # fmt: skip
            run.inputs[entry["path"]] = entry
            self.later(functools.partial(_fill_sha256, run, entry, later[1]))
            return entry
        fp = _datasets.fingerprint(data)
        if fp is None:
            return None
        entry = {"path": f"memory:{self.prefix}{role}", "sha256": fp.sha256, "size": fp.size,
                 "outside": False, "missing": False}  # fmt: skip
        source = _datasets.source_file(data, fp)
        if source is not None:
            recorded = session._relativiser.name(source)[0]
            declared = run.inputs.get(recorded)
            if declared is not None and declared.get("sha256"):
                entry["sha256"], entry["size"] = declared["sha256"], declared["size"]
        run.inputs[entry["path"]] = entry
        if session._listeners:
            session._emit("input", files=[dict(entry)])
        return entry

    def directory(self, create: bool = True) -> str:
        """A fresh directory for this fit's files, ``<root>/.dotscience/autolog/<id>/fit<n>``.

        Parameters
        ----------
        create : bool
            Create it now (False: only its path, for files written at publish).
        """
        if self._directory is None:
            root = self.session.root
            base = _autolog_dirs.get(root)
            if base is None:  # absolute and normal, as every path made from it
                base = os.path.normpath(os.path.abspath(os.path.join(root, ".dotscience")))
                base = _autolog_dirs[root] = f"{base}{os.sep}autolog"
            self._base = base
            self._leaf = f"{_fresh_id()}{os.sep}fit{self.index}"
            self._directory = f"{base}{os.sep}{self._leaf}"
        if create and not self._created:
            os.makedirs(self._directory, exist_ok=True)
            self._created = True
        return self._directory

    def write_later(self, path: str, data: bytes) -> None:
        """Write ``data`` to ``path`` when the run is published (now when it is large).

        The bytes are taken now, so what is written is what was fitted even if the object
        changes later; a run that is discarded (``ds.start()``) writes nothing. The file's
        directories are created then.
        """
        if len(data) > WRITE_LATER_LIMIT or not self.later(
            functools.partial(_write_file, path, data)
        ):
            _write_file(path, data)

    def deferrable(self) -> bool:
        """True when work may wait for the publish: no listener wants values as they come
        (the JupyterLab sidebar shows them live) and the fit records into the current run."""
        session = self.session
        return not session._listeners and session._run is self.run and self._pending() is not None

    def metric_later(self, key: str, compute) -> bool:
        """Append a point to the metric series ``key`` now whose value ``compute()`` gives
        when the run is published (or when the run is read before: see :class:`_Later`).

        The point takes its place and time now, as :meth:`metric` would. ``compute`` must
        use only what it was given (copies taken now). Returns False, recording nothing,
        when the value is wanted now (see :meth:`deferrable`): compute it and call
        :meth:`metric` then.
        """
        if not self.deferrable():
            return False
        self._point_later(key, compute)
        return True

    def _point_later(self, key: str, compute) -> None:
        """:meth:`metric_later` once it is known that the value may wait."""
        key = self.prefix + str(key)
        later = _Later(compute)
        point = (later, None, _time())
        series = self.run.metrics.get(key)
        if series is None:
            self.run.metrics[key] = [point]
        else:
            series.append(point)
        self.later(functools.partial(_fill_metric, self, key, later))

    def write_later_from(self, path: str, make) -> None:
        """Write the bytes ``make()`` returns to ``path`` when the run is published.

        ``make`` must give then what it would give now (it reads a copy taken now); if it
        raises, the file is not written and one warning says why.
        """
        action = functools.partial(_write_made, self.framework, path, make)
        if not self.later(action):
            action()

    def later(self, action) -> bool:
        """Call ``action()`` when this fit's run is published (False: no publish hook).

        The fit's actions run in the order given; one that raises ``OSError`` is kept and
        called again at the next publish (with a warning), the others are done.
        """
        actions = self._actions
        if actions is None:
            pending = self._pending()
            if pending is None:
                return False
            actions = self._actions = []
            pending.add(self.run, self._finish)
        actions.append(action)
        return True

    def _finish(self) -> None:
        failed, error = [], None
        for action in self._actions or ():
            try:
                action()
            except OSError as exc:
                failed.append(action)
                error = exc
        self._actions = failed or None  # a later action would need the hook again
        if error is not None:
            raise error

    def _pending(self):
        """The session's :class:`_Pending` publish hook (None for a session without hooks)."""
        if self._hook is not None:
            return self._hook
        self._hook = self._find_pending()
        return self._hook

    def _find_pending(self):
        hooks = getattr(self.session, "_before_publish", None)
        if hooks is None:
            return None
        for hook in hooks:
            if isinstance(hook, _Pending):
                return hook
        pending = _Pending()
        hooks.append(pending)
        return pending

    def file(self, name: str, text: str) -> str:
        """Write ``text`` to ``name`` in :meth:`directory`, declare it an output; its path."""
        path = os.path.join(self.directory(), name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        self.session.add_outputs(path)
        return path

    def model(self, framework_module, name: str, path: str) -> None:
        """Register the model saved at ``path`` (see ``ds.model``)."""
        session = self.session
        if session._listeners or session._run is not self.run or self.run._start is None:
            session.model(framework_module, name, path)
        elif name and path == os.path.normpath(path) and os.path.isabs(path):
            _register(self.run, framework_module, name, path)
        else:  # what ds.model does in the current run, with no one to tell
            self.run._model(framework_module, name, path)

    def own_model(self, framework_module, name: str, entry: str) -> str:
        """Register the model saved at ``entry`` (a plain name) in :meth:`directory`, as
        :meth:`model` does; returns its path."""
        path = f"{self.directory(create=False)}{os.sep}{entry}"
        session = self.session
        run = self.run
        if name and not session._listeners and session._run is run and run._start:
            # absolute and normal already; its recorded form that of the autolog directory
            # (found once per workspace) followed by its own last names
            relativiser = run._relativiser
            known = _relative_bases.get(self._base)
            if known is None or known[0] is not relativiser:
                known = (relativiser, _relative_base(relativiser, self._base))
                _relative_bases[self._base] = known
            relative = None
            if known[1]:
                relative = f"{known[1]}/{self._leaf}/{entry}"
                if os.sep != "/":
                    relative = relative.replace(os.sep, "/")
            _register(run, framework_module, name, path, relative)
        else:
            self.model(framework_module, name, path)
        return path


#: Autolog directory -> (a run's relativiser, the directory's recorded form by it, "" when
#: it is not in the relativiser's root).
_relative_bases: dict = {}

#: Fresh directory ids, drawn from os.urandom a block at a time (a forked child drops them).
_ids: list = []


def _fresh_id() -> str:
    """16 random hex digits, unique to one fit's directory."""
    while True:
        try:
            return _ids.pop()
        except IndexError:
            block = os.urandom(8 * 64).hex()
            _ids.extend(block[i : i + 16] for i in range(0, len(block), 16))


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.clear)


def _relative_base(relativiser, base: str) -> str:
    """The recorded form of ``base`` when it lies lexically in the relativiser's root (so
    the recorded form of a path in it is that followed by ``/`` and the path's own names),
    else ""."""
    root = relativiser.root
    prefix = root if root.endswith(os.sep) else root + os.sep
    if not base.startswith(prefix) or base == root:
        return ""
    return relativiser.name(base)[0]


def _register(run, framework_module, name: str, path: str, relative: str | None = None) -> None:
    """What ``run.model(framework_module, name, path)`` does for a named model without a
    classes file at an absolute, normalised ``path`` (recorded as ``relative``: by default
    what the run's relativiser names it), without re-checking what is known
    (``tests/autolog/test_sklearn_snapshot.py`` holds the two to the same result)."""
    kind, version, label_end = _frameworks.get(framework_module) or _identify(framework_module)
    if relative is None:
        relative = run._relativiser.name(path)[0]
    run.outputs[path] = None
    # the JSON text of {"files": {"model": relative}, "type": ..., "version": ...} with sorted
    # keys and no spaces, as Run.model encodes it
    run.labels[f"artefact:{name}"] = f'{{"files":{{"model":{_json_text(relative)}{label_end}'
    run._model_dir = path
    entry = {"name": name, "framework": kind, "framework_version": version, "path": relative,
             "classes": None}  # fmt: skip
    models = run.models
    run.models = [m for m in models if m["name"] != name] + [entry] if models else [entry]
    run._model_files[name] = (path, None)


_json_text = _json_encoder.encode_basestring_ascii  # a str as json.dumps writes it

#: Framework module -> ``runs.identify_framework`` of it, and the end of a model label's
#: JSON text for it (after the model's path).
_frameworks: dict = {}


def _identify(framework_module) -> tuple[str, str, str]:
    kind, version = _runs.identify_framework(framework_module)
    label_end = f'}},"type":{_json_text(kind + "-model")},"version":{_json_text(version)}}}'
    found = _frameworks[framework_module] = (kind, version, label_end)
    return found


#: Session root -> its ``<root>/.dotscience/autolog``.
_autolog_dirs: dict = {}

#: Files of up to this many bytes are kept in memory until publish; larger ones are written
#: at once (their fit takes far longer than the write).
WRITE_LATER_LIMIT = 1 << 20


def _write_file(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _write_made(framework: str, path: str, make) -> None:
    try:
        data = make()
    except Exception as exc:
        warn_once(f"{framework}:{os.path.basename(path)}",
                  f"could not write {os.path.basename(path)} of a {framework} fit "
                  f"({type(exc).__name__}: {exc}); the run is published without it")  # fmt: skip
        return
    _write_file(path, data)


class _Later:
    """A metric value computed when first wanted: at publish, or when the run is read before
    (``str()``, as the v1 block does; ``float()``). A failure is kept and raised again."""

    __slots__ = ("_compute", "_value", "_error")

    def __init__(self, compute):
        self._compute = compute
        self._value = self._error = None

    def value(self):
        """The value (computed once); raises what the computation raised."""
        if self._compute is not None:
            compute, self._compute = self._compute, None
            try:
                self._value = compute()
            except Exception as exc:
                self._error = exc
        if self._error is not None:
            raise self._error
        return self._value

    def __str__(self) -> str:
        try:
            return str(self.value())
        except Exception as exc:
            return f"(not recorded: {type(exc).__name__})"

    def __float__(self) -> float:
        return float(self.value())

    def __repr__(self) -> str:
        return f"<dotscience autolog value {self}>"


def _fill_metric(fit, key: str, later: _Later) -> None:
    """Put ``later``'s value in its point of ``fit.run``'s series ``key``, as
    :meth:`Fit.metric` would have recorded it; a value that could not be computed leaves no
    point (and one warning), as a failing :meth:`Fit.safe` does."""
    run = fit.run
    series = run.metrics.get(key)
    index = next((i for i, p in enumerate(series or ()) if p[0] is later), None)
    if index is None:
        return
    _, step, when = series[index]
    try:
        value = plain(later.value())
        if type(value) not in PLAIN:
            value = declared(key, value, "metric")
    except Exception as exc:
        del series[index]
        if not series:
            del run.metrics[key]
        warn_once(f"{fit.framework}:{key}",
                  f"could not record part of a {fit.framework} fit ({type(exc).__name__}: "
                  f"{exc}); the fit itself is unaffected")  # fmt: skip
        return
    series[index] = (value, step, when)


def _fill_sha256(run, entry: dict, fingerprint) -> None:
    fp = fingerprint()
    if fp is None:  # not expected for a numeric array; an input without a hash is not kept
        if run.inputs.get(entry["path"]) is entry:
            del run.inputs[entry["path"]]
        return
    entry["sha256"] = fp.sha256


def _fill_sha256s(run, copies: list) -> None:
    """Fingerprint each ``(entry, copy)`` of data passed to a fit (its content then) into
    its input entry, as :func:`_fill_sha256` does."""
    for entry, copy in copies:
        _fill_sha256(run, entry, functools.partial(_datasets.fingerprint, copy))


class _Pending:
    """A session's ``_before_publish`` hook: finishes what fits left for the run being
    published (files to write, data to hash); what runs discarded since left is dropped."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items: list = []  # (run, action)

    def add(self, run, action) -> None:
        """Call ``action()`` when ``run`` is published (other runs' actions are dropped)."""
        with self.lock:
            if self.items and self.items[-1][0] is not run:
                self.items = [item for item in self.items if item[0] is run]
            self.items.append((run, action))

    def __call__(self, run) -> None:
        with self.lock:
            items = [item for item in self.items if item[0] is run]
            self.items = []
        failed = []
        for item in items:
            try:
                item[1]()
            except OSError as exc:
                failed.append(item)
                warnings.warn(f"dotscience autolog: could not write a fit's file ({exc}); it "
                              "is kept and written at the next publish", stacklevel=3)  # fmt: skip
        if failed:
            with self.lock:
                self.items = failed + [item for item in self.items if item[0] is run]


def plain(value):
    """A parameter or metric value: numbers, strings, bools, None as they are; a model or
    other object with parameters as its class name; anything else as given (``str()``)."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if hasattr(value, "get_params") and hasattr(value, "fit"):
        return type(value).__name__
    if (
        isinstance(value, list | tuple)
        and value
        and all(isinstance(v, tuple) and len(v) >= 2 and isinstance(v[0], str) for v in value)
    ):  # a pipeline's steps, a union's transformers: "name=Class, ..."
        return ", ".join(f"{v[0]}={plain(v[1])}" for v in value)
    if callable(value) and hasattr(value, "__name__") and not hasattr(value, "item"):
        return value.__name__
    return value


class _Scope:
    """``with fit_scope("sklearn") as fit:`` gives a :class:`Fit` for the outermost fit, or
    None for a nested one (or when no run could be started)."""

    __slots__ = ("framework", "fit")

    def __init__(self, framework: str):
        self.framework = framework
        self.fit = None

    def __enter__(self) -> Fit | None:
        self.fit = enter_fit(self.framework)
        return self.fit

    def __exit__(self, *exc) -> bool:
        exit_fit()
        return False


def enter_fit(framework: str) -> Fit | None:
    """Begin one fit of ``framework``: its :class:`Fit` when it is the outermost, else None
    (also when no run could be started). Every call must be followed by :func:`exit_fit`
    (``fit_scope`` does both)."""
    with state.lock:
        state.depth += 1
        if state.depth > 1:
            return None
    try:
        return _begin(framework)
    except Exception as exc:
        warn_once(f"{framework}:begin",
                  f"could not start recording a {framework} fit ({exc})")  # fmt: skip
        return None


def exit_fit() -> None:
    """End the fit begun by the matching :func:`enter_fit`."""
    with state.lock:
        state.depth -= 1


def fit_scope(framework: str) -> _Scope:
    """The scope of one fit of ``framework`` (see :class:`_Scope`)."""
    return _Scope(framework)


def nested() -> bool:
    """True while a fit is being logged (an inner fit must not log again)."""
    return state.depth > 0


def wrap_train(framework: str, original, holders, record_before, make_callback, record_after):
    """Log a boosting library's ``train(params, data, ..., callbacks=...)`` function.

    The wrapper records the bound arguments before training (``record_before(fit,
    arguments)``), appends ``make_callback(fit)`` to the callbacks for the per-round series,
    and records the booster after (``record_after(fit, booster)``); arguments ``train`` does
    not accept are passed through untouched, so the library reports them itself.

    Parameters
    ----------
    framework : str
        The autolog switch and fit label (``"xgboost"``, ``"lightgbm"``).
    original : callable
        The library's ``train``.
    holders : iterable of str
        Modules holding their own reference to ``train``: each that holds ``original`` is
        pointed at the wrapper.

    Returns
    -------
    list
        Callables that put ``original`` back.
    """
    signature = inspect.signature(original)

    @functools.wraps(original)
    def train(*args, **kwargs):
        if not enabled(framework) or nested():
            return original(*args, **kwargs)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return original(*args, **kwargs)  # let the library say what is wrong
        with fit_scope(framework) as fit:
            if fit is None:
                return original(*args, **kwargs)
            fit.safe(record_before, fit, dict(bound.arguments))
            callbacks = list(bound.arguments.get("callbacks") or [])
            callbacks.append(make_callback(fit))
            bound.arguments["callbacks"] = callbacks
            booster = original(*bound.args, **bound.kwargs)
            fit.safe(record_after, fit, booster)
        return booster

    train.__dotscience_wrapped__ = original
    undo = []
    for name in holders:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "train", None) is original:
            module.train = train
            undo.append(functools.partial(setattr, module, "train", original))
    return undo


def _begin(framework: str) -> Fit:
    session = _session()
    run = session._run
    if run is None or run._start is None:
        session.start()
        run = session._run
        state.autostarted = run
    if state.fit_run is run:
        state.fit_count += 1
    else:
        state.fit_run, state.fit_count = run, 0
    return Fit(session, state.fit_count, framework, run)


# -- patching on import ----------------------------------------------------------------------


class _Loader(importlib.abc.Loader):
    """Runs the real loader, then patches the framework the module belongs to."""

    def __init__(self, loader, fullname: str):
        self._loader = loader
        self._fullname = fullname

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _patch_trigger(self._fullname)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Notices the import of a watched module and patches it once it has run."""

    def __init__(self):
        self._busy = threading.local()

    def find_spec(self, fullname, path, target=None):
        if fullname not in _TRIGGERS or getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            spec = None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.on = False
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Loader(spec.loader, fullname)
        return spec


def _patch_trigger(fullname: str) -> None:
    framework = _TRIGGERS.get(fullname)
    if framework == "pandas":
        if state.log_datasets and any(state.enabled.values()):
            _datasets.watch_pandas(sys.modules[fullname])
        return
    if framework and state.enabled.get(framework):
        _patch(framework)


def _module_for(framework: str):
    if framework == "sklearn":
        return sys.modules.get("sklearn.base")
    if framework == "lightning":
        return sys.modules.get("lightning.pytorch") or sys.modules.get("pytorch_lightning")
    return sys.modules.get(FRAMEWORKS[framework][0][0])


def _patch(framework: str) -> None:
    """Patch ``framework`` if imported and not patched yet (one warning when unsupported)."""
    with state.lock:
        if framework in state.patched:
            return
        module = _module_for(framework)
        if module is None:
            return
        top = sys.modules.get(module.__name__.split(".")[0])
        version = str(getattr(top, "__version__", "") or "")
        if not version_supported(framework, version):
            warn_once(f"{framework}:version",
                      f"{framework} {version or '(unknown version)'} is not supported "
                      f"(supported: {SUPPORTED_VERSIONS[framework]}), so its fits are not "
                      "autologged")  # fmt: skip
            state.patched.setdefault(framework, [])
            return
        import importlib

        integration = importlib.import_module(f"{__name__}.{framework}")
        try:
            undo = integration.patch(module)
        except Exception as exc:
            warn_once(f"{framework}:patch",
                      f"could not hook into {framework} {version} ({type(exc).__name__}: "
                      f"{exc}); its fits are not autologged")  # fmt: skip
            undo = []
        state.patched[framework] = undo  # the same list: later patches add their undo to it


def _unpatch(framework: str) -> None:
    for undo in reversed(state.patched.pop(framework, [])):
        try:
            undo()
        except Exception:
            pass


# -- publishing at the end of a cell ---------------------------------------------------------


def _post_run_cell(result=None) -> None:
    run = state.autostarted
    session = _session()
    if run is None or session._run is not run or run._start is None:
        return
    state.autostarted = None
    try:
        published = session.publish()
    except Exception as exc:
        warn_once("publish", f"could not publish the autologged run at the end of the cell "
                             f"({exc}); it is kept: call ds.publish()")  # fmt: skip
        state.warned.discard("publish")
        return
    try:
        from IPython.display import display

        display(published)
    except Exception:
        pass


def _set_cell_hook(on: bool) -> None:
    shell = None
    ipython = sys.modules.get("IPython")
    if ipython is not None:
        try:
            shell = ipython.get_ipython()
        except Exception:
            shell = None
    current = state.cell_hook
    if current is not None and (not on or current[0] is not shell):
        try:
            current[0].events.unregister("post_run_cell", current[1])
        except Exception:
            pass
        state.cell_hook = None
    if on and shell is not None and state.cell_hook is None:
        shell.events.register("post_run_cell", _post_run_cell)
        state.cell_hook = (shell, _post_run_cell)


# -- the public switch -----------------------------------------------------------------------


def autolog(
    disable: bool = False,
    *,
    sklearn: bool = True,
    xgboost: bool = True,
    lightgbm: bool = True,
    lightning: bool = True,
    keras: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    publish_at_cell_end: bool | None = None,
    silent: bool = False,
    session=None,
) -> None:
    """Record every ``fit()`` of the supported frameworks into the current run.

    Parameters
    ----------
    disable : bool
        Turn autologging off for every framework (undoing the patches).
    sklearn, xgboost, lightgbm, lightning, keras : bool
        Per-framework switches (all on by default). scikit-learn: ``get_params`` (nested
        pipelines included), the training score and, for searches, the best parameters and
        cross-validated score, the fitted model. XGBoost/LightGBM: parameters, every
        evaluation metric per round, the best iteration, feature importance as a file.
        PyTorch Lightning: hyperparameters, everything ``self.log`` records, the best
        checkpoint as a model. Keras 3: ``fit`` arguments and the history per epoch.
    log_models : bool
        Register fitted models (scikit-learn) and best checkpoints (Lightning).
    log_datasets : bool
        Record the data passed to ``fit()`` as inputs by content fingerprint.
    publish_at_cell_end : bool, optional
        In IPython: publish a run that a fit started when the cell ends. None keeps the
        current setting (off at first).
    silent : bool
        Suppress autolog's warnings.
    session : dotscience.Dotscience, optional
        The session to record into (default: the module's).

    Raises
    ------
    TypeError
        A switch is not a bool.
    """
    switches = {"sklearn": sklearn, "xgboost": xgboost, "lightgbm": lightgbm,
                "lightning": lightning, "keras": keras}  # fmt: skip
    flags = dict(switches, disable=disable, log_models=log_models, log_datasets=log_datasets,
                 silent=silent)  # fmt: skip
    if publish_at_cell_end is not None:
        flags["publish_at_cell_end"] = publish_at_cell_end
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise TypeError(f"autolog(): {name} must be True or False, got "
                            f"{type(value).__name__}")  # fmt: skip
    with state.lock:
        state.silent = silent
        if disable:
            for framework in list(state.patched):
                _unpatch(framework)
            state.enabled = dict.fromkeys(FRAMEWORKS, False)
            if "pandas" in sys.modules:
                _datasets.unwatch_pandas(sys.modules["pandas"])
            _set_cell_hook(False)
            state.publish_at_cell_end = False
            return
        state.session = session
        state.log_models = log_models
        state.log_datasets = log_datasets
        if publish_at_cell_end is not None:
            state.publish_at_cell_end = publish_at_cell_end
        for framework, on in switches.items():
            state.enabled[framework] = on
            if not on:
                _unpatch(framework)
        if state.finder is None:
            state.finder = _Finder()
        if state.finder not in sys.meta_path:
            sys.meta_path.insert(0, state.finder)
        for framework, on in switches.items():
            if on:
                _patch(framework)
        if "pandas" in sys.modules:
            if log_datasets and any(switches.values()):
                _datasets.watch_pandas(sys.modules["pandas"])
            else:
                _datasets.unwatch_pandas(sys.modules["pandas"])
        _set_cell_hook(state.publish_at_cell_end)


#: The settings :func:`configure` accepts, with their types.
SETTINGS = {"autolog": bool, "publishAtCellEnd": bool, "systemMetrics": bool,
            "systemMetricsInterval": (int, float)}  # fmt: skip


def configure(settings) -> None:
    """Apply the JupyterLab extension's settings in this kernel.

    Parameters
    ----------
    settings : dict
        ``autolog`` (autolog every fit; off switches off only what settings switched on),
        ``publishAtCellEnd`` (publish a run a fit started when its cell ends),
        ``systemMetrics`` (sample system metrics into every run, paused between runs) and
        ``systemMetricsInterval`` (seconds). Keys left out keep their current state.

    Raises
    ------
    TypeError, ValueError
        Unknown keys, values of the wrong type, or an interval out of range; nothing is
        changed then.
    """
    if not isinstance(settings, dict):
        raise TypeError(f"configure(): settings must be an object, got {type(settings).__name__}")
    for key, value in settings.items():
        kind = SETTINGS.get(key)
        if kind is None:
            raise ValueError(f"configure(): unknown setting {key!r}; known: {', '.join(SETTINGS)}")
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise TypeError(f"configure(): {key} must be "
                            f"{'true or false' if kind is bool else 'a number'}, got "
                            f"{type(value).__name__}")  # fmt: skip
    from .. import sysmetrics

    interval = settings.get("systemMetricsInterval", 1.0)
    if settings.get("systemMetrics"):
        sysmetrics._check_interval(interval)
    at_cell_end = settings.get("publishAtCellEnd")
    from ..executions import record_setting  # the run record replays what settings did

    if "autolog" in settings:
        if settings["autolog"]:
            if not any(state.enabled.values()):
                autolog(publish_at_cell_end=at_cell_end, silent=True)
                state.by_settings = True
                record_setting("import dotscience as ds\nds.autolog("
                               f"{'publish_at_cell_end=True' if at_cell_end else ''})")  # fmt: skip
        elif state.by_settings:
            autolog(disable=True)
            state.by_settings = False
            record_setting("import dotscience as ds\nds.autolog(disable=True)")
    if at_cell_end is not None:
        with state.lock:
            changed = bool(state.publish_at_cell_end) != at_cell_end
            state.publish_at_cell_end = at_cell_end
            _set_cell_hook(at_cell_end and any(state.enabled.values()))
        if changed:
            record_setting("import dotscience as ds\nds.autolog.configure("
                           f"{{'publishAtCellEnd': {at_cell_end!r}}})")  # fmt: skip
    if "systemMetrics" in settings:
        if settings["systemMetrics"]:
            sysmetrics.system_metrics(interval, keep=True, start_run=False)
        else:
            sysmetrics.system_metrics(disable=True)


class _AutologModule(types.ModuleType):
    """``dotscience.autolog`` is this package and, called, :func:`autolog` (``ds.autolog()``)."""

    def __call__(self, *args, **kwargs):
        """Same as :func:`autolog`."""
        return autolog(*args, **kwargs)


sys.modules[__name__].__class__ = _AutologModule
