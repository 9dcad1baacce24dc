"""Step numbering of a metric series: a point declared without a step gets the previous
point's step + 1 (the first point: 0).

A series is a list of ``(value, step, time)`` with ``step`` None where it was left out. The
record published (:mod:`dotscience.session`) and the live comm messages
(:mod:`dotscience.jupyter`) number steps with these helpers, so the sidebar shows the steps
the store will keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import itemgetter


def numbered(points: Iterable[tuple], previous: int = -1) -> Iterator[tuple]:
    """Yield each ``(value, step, time)`` with its missing step filled in.

    Parameters
    ----------
    points : iterable of (value, step or None, time)
        A series, or the part of one after a point whose step is ``previous``.
    previous : int
        The step of the point before the first one given (-1: none, so it gets 0).
    """
    for value, step, when in points:
        if step is None:
            step = previous + 1
        previous = step
        yield value, step, when


def last_step(points: list, previous: int = -1) -> int:
    """The step the last point of ``points`` has once numbered (``previous`` for none).

    Parameters
    ----------
    points : list of (value, step or None, time)
        A series, or the part of one after a point whose step is ``previous``.
    previous : int
        The step of the point before the first one given (-1: none).

    Walks back only to the nearest point whose step is known. A long stretch of points
    without one (a loop can add a million between two looks of the sidebar's bridge) is
    counted in C, not walked in Python.
    """
    n = len(points)
    near = min(n, _NEAR)
    for back in range(near):
        step = points[-1 - back][1]
        if step is not None:
            return step + back
    if n == near:
        return previous + n
    steps = list(map(itemgetter(1), points[: n - near]))
    if steps.count(None) == len(steps):
        return previous + n
    for back, step in enumerate(reversed(steps), near):
        if step is not None:
            return step + back
    raise AssertionError("unreachable: a step was counted")  # pragma: no cover


#: Points walked back one by one before the rest is counted in C
_NEAR = 8
