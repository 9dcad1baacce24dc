"""Dotscience: record the provenance of data science runs.

``import dotscience as ds`` is a drop-in replacement for the ``dotscience`` 0.8.7 package,
with its two public classes: :class:`Run` (one run; ``str(run)`` is its v1 block) and
:class:`Dotscience` (an independent session). Every module-level function forwards to one
default :class:`Dotscience` instance, ``dotscience._defaultDS``, as in 0.8.7.
Only the standard library is imported here; IPython magics are registered when imported
inside IPython (or with ``%load_ext dotscience``).
"""

from __future__ import annotations

import sys as _sys
import types as _types

from .delivery import (
    DeliveryError,
    HttpDelivery,
    MultiDelivery,
    SpoolDelivery,
    StreamDelivery,
)
from .published import PublishedRun
from .runs import Run
from .session import AUTO_START_MESSAGE, Dotscience, RunContext, Session


def _read_version() -> str:
    try:
        from ._version import __version__ as version

        return version
    except ImportError:
        pass
    import json
    import os

    package_json = os.path.join(os.path.dirname(os.path.dirname(__file__)), "package.json")
    try:
        with open(package_json, encoding="utf-8") as f:
            return str(json.load(f)["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return "0+unknown"


__version__ = _read_version()


class _RemoteModule(_types.ModuleType):
    """``dotscience.remote`` names both the hub client module and 0.8.7's ``remote()``.

    The module's class is set to this one when it is imported, so ``ds.remote()`` selects
    remote mode while ``from dotscience import remote`` still gives the module.
    """

    def __call__(self) -> None:
        """Select remote mode: runs go to the hub given to :func:`connect`."""
        _defaultDS.remote()


def __getattr__(name):
    # ``dotscience.ConnectionError`` and ``dotscience.remote`` without importing the HTTP
    # client at ``import dotscience``
    if name == "ConnectionError":
        from .client import ConnectionError as error

        return error
    if name == "remote":
        import importlib

        return importlib.import_module(f"{__name__}.remote")
    if name == "autolog":  # the package, callable as ds.autolog(...); imports no framework
        import importlib

        return importlib.import_module(f"{__name__}.autolog")
    if name == "system_metrics":
        from .sysmetrics import system_metrics

        return system_metrics
    raise AttributeError(f"module 'dotscience' has no attribute {name!r}")


#: The default instance the module-level functions forward to (the 0.8.7 name).
_defaultDS = Dotscience()


def _default_session() -> Dotscience:
    """The session the module-level functions use."""
    return _defaultDS


def _reset_session(root: str | None = None, delivery=None) -> Dotscience:
    """Replace the default session with a fresh one (mode unset, no run); returns it."""
    global _defaultDS
    old = _defaultDS
    _defaultDS = Dotscience(root, delivery)
    _defaultDS._listeners.extend(old._listeners)
    _defaultDS._metric_listeners.extend(f for f in old._metric_listeners if f in old._listeners)
    return _defaultDS


def interactive():
    """Select interactive mode (runs have no workload file)."""
    _defaultDS.interactive()


def script(workload_file=None):
    """Select script mode; the workload file is ``workload_file`` or ``sys.argv[0]``."""
    _defaultDS.script(workload_file)


def connect(username, apikey, project, hostname=None):
    """Publish to a Dotscience hub for ``project`` (see :meth:`Session.connect`).

    Raises ``dotscience.ConnectionError`` (one sentence) when the hub refuses the key; when
    it cannot be reached, runs are spooled for ``dotscience sync``.
    """
    _defaultDS.connect(username, apikey, project, hostname)


def start(description=None):
    """Begin a new run, forgetting earlier declarations."""
    _defaultDS.start(description)


def end():
    """Record the end time of the run (the first call wins)."""
    _defaultDS.end()


def publish(description=None, stream=None, build=False, deploy=False):
    """Publish the run; returns it as a read-only :class:`PublishedRun` (``run["id"]``)."""
    return _defaultDS.publish(description, stream, build, deploy)


def set_error(error):
    """Mark the run failed with ``str(error)``."""
    _defaultDS.set_error(error)


def error(error):
    """Mark the run failed; returns ``error`` unchanged."""
    return _defaultDS.error(error)


def set_description(description):
    """Set the run's description."""
    _defaultDS.set_description(description)


def description(description):
    """Set the run's description; returns it unchanged."""
    return _defaultDS.description(description)


def add_input(filename):
    """Declare an input file or directory (hashed now)."""
    _defaultDS.add_inputs(filename)


def add_inputs(*filenames):
    """Declare input files or directories."""
    _defaultDS.add_inputs(*filenames)


def input(filename):  # noqa: A001 - the 0.8.7 name
    """Declare an input; returns ``filename`` unchanged."""
    _defaultDS.add_inputs(filename)
    return filename


def add_output(filename):
    """Declare an output file or directory (hashed at publish)."""
    _defaultDS.add_outputs(filename)


def add_outputs(*filenames):
    """Declare output files or directories."""
    _defaultDS.add_outputs(*filenames)


def output(filename):
    """Declare an output; returns ``filename`` unchanged."""
    _defaultDS.add_outputs(filename)
    return filename


def add_label(label, value):
    """Set a label (``str(value)``)."""
    _defaultDS.add_label(label, value)


def add_labels(*args, **kwargs):
    """Set labels from keyword pairs, then positional ``key, value`` pairs."""
    _defaultDS.add_labels(*args, **kwargs)


def label(label, value):
    """Set a label; returns ``value`` unchanged."""
    _defaultDS.add_label(label, value)
    return value


def add_metric(label, value, step=None):
    """Record a metric value (repeated calls build a series)."""
    _defaultDS.add_metric(label, value, step)


def add_metrics(*args, **kwargs):
    """Record metrics from keyword pairs, then positional ``key, value`` pairs."""
    _defaultDS.add_metrics(*args, **kwargs)


def metric(label, value, step=None):
    """Record a metric value; returns ``value`` unchanged."""
    _defaultDS.add_metric(label, value, step)
    return value


def add_parameter(label, value):
    """Record a parameter."""
    _defaultDS.add_parameter(label, value)


def add_parameters(*args, **kwargs):
    """Record parameters from keyword pairs, then positional ``key, value`` pairs."""
    _defaultDS.add_parameters(*args, **kwargs)


def parameter(label, value):
    """Record a parameter; returns ``value`` unchanged (in a sweep's trial, ``value`` is the
    default: the trial's value of ``label`` is recorded and returned when the sweep sets it)."""
    return _defaultDS.parameter(label, value)


def model(framework, name, path, classes=None, *, trusted_pickle=False):
    """Register a model (see :meth:`Session.model`); returns ``path`` unchanged."""
    return _defaultDS.model(framework, name, path, classes, trusted_pickle=trusted_pickle)


def add_model(framework, name, path, classes=None, *, trusted_pickle=False):
    """Register a model; returns None."""
    _defaultDS.add_model(framework, name, path, classes, trusted_pickle=trusted_pickle)


def debug():
    """Print the current run's v1 metadata as JSON."""
    _defaultDS.debug()


def run(description=None, **publish_kwargs):
    """``with ds.run("desc") as r:`` makes the block one run, published on exit."""
    return _defaultDS.run(description, **publish_kwargs)


param = parameter
summary = metric
add_summary = add_metric
add_summaries = add_metrics


def load_ipython_extension(shell):
    """Register the ``%ds`` / ``%%ds`` magics (``%load_ext dotscience``)."""
    from .magics import register

    register(shell)


def _register_in_running_ipython() -> None:
    ipython = _sys.modules.get("IPython")  # never import IPython ourselves
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return
    try:
        shell = get_ipython()
    except Exception:
        return
    if shell is None:
        return
    try:
        load_ipython_extension(shell)
    except Exception:  # magics are a convenience; never break the import
        pass
    from .executions import install

    install(shell)  # record every execution of this kernel session (idempotent)


_register_in_running_ipython()

__all__ = [
    "AUTO_START_MESSAGE", "DeliveryError", "Dotscience", "HttpDelivery", "MultiDelivery",
    "PublishedRun", "Run", "RunContext", "Session", "SpoolDelivery", "StreamDelivery",
    "__version__", "add_input", "add_inputs", "autolog", "system_metrics",
    "add_label", "add_labels", "add_metric", "add_metrics", "add_model", "add_output",
    "add_outputs", "add_parameter", "add_parameters", "add_summaries", "add_summary", "connect",
    "debug", "description", "end", "error", "input", "interactive", "label",
    "load_ipython_extension", "metric", "model", "output", "param", "parameter", "publish",
    "remote", "run", "script", "set_description", "set_error", "start", "summary",
]  # fmt: skip
