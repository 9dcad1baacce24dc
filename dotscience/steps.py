"""Step numbering of a metric series: a point declared without a step gets the previous
point's step + 1 (the first point: 0).

A series is a list of ``(value, step, time)`` with ``step`` None where it was left out. The
record published (:mod:`dotscience.session`) and the live comm messages
(:mod:`dotscience.jupyter`) number steps with these helpers, so the sidebar shows the steps
the store will keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator


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


def last_step(points: list) -> int:
    """The step the last point of a series has once numbered (-1 for an empty series).

    Walks back only to the nearest point whose step is known.
    """
    for back in range(len(points)):
        step = points[-1 - back][1]
        if step is not None:
            return step + back
    return len(points) - 1
