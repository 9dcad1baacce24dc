"""Reproduce & verify: re-execute a published run from its own record and compare.

- :mod:`.replay` turns the recorded executions into a notebook (no code runs there);
- :mod:`.workspace` makes the scratch workspace and restores the inputs, verified by hash;
- :mod:`.runner` is the subprocess that executes the replay notebook with nbclient;
- :mod:`.verdict` compares the original run with its replay;
- :mod:`.engine` puts them together on a thread pool of its own.
"""

from __future__ import annotations

from .engine import SERVER_STOPPED, Engine
from .verdict import VERDICTS, NotReproducible, compare

__all__ = ["SERVER_STOPPED", "VERDICTS", "Engine", "NotReproducible", "compare"]
