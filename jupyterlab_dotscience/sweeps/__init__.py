"""Sweeps (issue 17): run a notebook over a parameter search, here or on a Dask cluster.

- :mod:`.spec` reads and checks the spec (W&B's sweep format plus ``parallelism``) and
  holds the strategies (grid, random, bayes through Optuna's TPE) and Optuna's pruners;
- :mod:`.trial` runs one trial headless in a scratch workspace (importable on Dask workers);
- :mod:`.engine` drives sweeps on the ``local`` or ``dask`` backend and publishes each
  trial's run.
"""

from __future__ import annotations

from .engine import BACKENDS, SERVER_STOPPED, SweepEngine, SweepError, with_trials
from .spec import SpecError

__all__ = ["BACKENDS", "SERVER_STOPPED", "SpecError", "SweepEngine", "SweepError", "with_trials"]
