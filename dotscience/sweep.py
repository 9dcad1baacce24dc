"""The kernel side of a sweep trial (issue 17).

A sweep runs a notebook once per trial with the trial's values in the environment variable
``DOTSCIENCE_SWEEP_TRIAL`` (JSON, made by the server): ``{"sweep": id, "trial": n,
"parameters": {name: value}, "objective": metric name or null, "report": path or null}``.

- :func:`value` gives ``ds.parameter(name, default)`` the trial's value of ``name`` (the
  default when the trial does not set it);
- each point of the objective metric is appended to the ``report`` file (JSON lines
  ``{"step", "value"}``) for the sweep's pruner; when the pruner decides to stop the trial
  the server creates ``<report>.prune``: the next point publishes the run (labelled
  ``sweep_pruned``) and raises :class:`TrialPruned`, which stops the notebook.
"""

from __future__ import annotations

import json
import math
import os

ENV = "DOTSCIENCE_SWEEP_TRIAL"


class TrialPruned(Exception):
    """The sweep stopped this trial early: its objective was clearly worse than earlier
    trials' at the same step (the run was published, marked pruned)."""


def _load() -> dict | None:
    text = os.environ.get(ENV)
    if not text:
        return None
    try:
        trial = json.loads(text)
    except ValueError:
        return None
    if not isinstance(trial, dict) or not isinstance(trial.get("parameters", {}), dict):
        return None
    return trial


#: The trial this kernel runs (None outside a sweep)
TRIAL = _load()
#: The objective metric's name (None outside a sweep, or without pruning)
OBJECTIVE = TRIAL.get("objective") if TRIAL and TRIAL.get("report") else None

_MISSING = object()


def value(name, default):
    """The trial's value of parameter ``name``, else ``default``.

    Parameters
    ----------
    name : str
        The parameter's name.
    default : object
        The value outside a sweep, or when the sweep does not set it.

    Returns
    -------
    object
        The value to use.
    """
    if TRIAL is None:
        return default
    found = TRIAL.get("parameters", {}).get(name, _MISSING) if isinstance(name, str) else _MISSING
    return default if found is _MISSING else found


def labels() -> dict:
    """The labels of a trial's run: ``sweep`` (its id) and ``sweep_trial`` (its number)."""
    if TRIAL is None:
        return {}
    return {"sweep": str(TRIAL.get("sweep")), "sweep_trial": str(TRIAL.get("trial"))}


def report(step, point) -> bool:
    """Report a point of the objective to the sweep; True when the trial is to stop.

    Parameters
    ----------
    step : int or None
        The point's step (None: numbered by the sweep as the previous one + 1).
    point : object
        The metric value (only finite numbers are reported).

    Returns
    -------
    bool
        The sweep's pruner decided to stop this trial.
    """
    path = TRIAL.get("report") if TRIAL else None
    if not isinstance(path, str):
        return False
    try:
        number = float(point)
    except (TypeError, ValueError):
        return False
    if not math.isfinite(number):
        return False
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"step": step, "value": number}) + "\n")
        return os.path.exists(path + ".prune")
    except OSError:
        return False
