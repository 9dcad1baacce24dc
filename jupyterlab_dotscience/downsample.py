"""Downsampling of long metric series for charts: a few thousand points that keep the shape.

A chart a few hundred pixels wide cannot show more than about one point per pixel column, so
``GET runs/{id}/metrics/{key}?points=N`` answers at most N points chosen by :func:`pick`.

Why min/max per bucket and not LTTB (largest triangle three buckets): a line chart drawn
from the minimum and the maximum of every bucket of consecutive points covers exactly the
vertical extent the full series covers in that pixel column, so every spike (a loss that
blew up for one step, a NaN-free outlier) is drawn at its true height, and a sine keeps its
peaks and troughs. LTTB picks one point per bucket by visual area; it usually keeps spikes
but gives no guarantee, and it needs a numeric x, which series of text or non-finite values
do not have. Min/max also runs as a few passes of C-level ``min``/``max``/``list.index`` per
bucket, so a million points take tens of milliseconds in pure Python (numpy not required).

The first and the last point of the series (or of the window asked for) are always kept
exactly, so the value a chart ends on is the value the run ended on.

Reading a million numbers out of the store is what costs (0.5 to 1.5 s here); a long series
is therefore summarised when its run is stored (:class:`Summary`: the extremes of each of
up to 20,000 blocks, kept packed beside the series, :meth:`Summary.pack`), so even its first
chart reads a few hundred KB of blocks instead of every point, and picks from them in
milliseconds; a series stored before summaries were kept is summarised on its first chart
and the summary stored then. Summaries read are also kept in a small LRU
(:class:`SummaryCache`). A stored series never changes, so a summary never goes stale.
A window (a zoom, ``from``/``to``) is picked from its own points, exactly.
"""

from __future__ import annotations

import math
import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence

#: The most points a caller may ask for.
MAX_POINTS = 10_000


def parse_points(text: str | None) -> int | None:
    """The ``points`` query parameter: how many points a chart wants at most.

    Parameters
    ----------
    text : str or None
        The parameter's text as sent (None: not sent).

    Returns
    -------
    int or None
        The number (1..MAX_POINTS), or None when the parameter was not sent (the whole
        series is wanted).

    Raises
    ------
    ValueError
        With one sentence, when the text is not a whole number from 1 to MAX_POINTS.
    """
    if text is None:
        return None
    stripped = text.strip()
    if not stripped.isascii() or not stripped.isdigit() or len(stripped) > 6:
        raise ValueError(f"points must be a whole number from 1 to {MAX_POINTS:,}.")
    points = int(stripped)
    if not 1 <= points <= MAX_POINTS:
        raise ValueError(f"points must be a whole number from 1 to {MAX_POINTS:,}.")
    return points


def parse_step(text: str | None, name: str) -> int | None:
    """A step bound of the window asked for (``from``/``to``).

    Parameters
    ----------
    text : str or None
        The parameter's text (None: not sent, the window is open on that side).
    name : str
        The parameter's name, for the error.

    Returns
    -------
    int or None
        The bound.

    Raises
    ------
    ValueError
        With one sentence, when the text is not a whole number within 64 bits.
    """
    if text is None:
        return None
    stripped = text.strip()
    digits = stripped[1:] if stripped[:1] == "-" else stripped
    if not digits.isascii() or not digits.isdigit() or len(digits) > 19:
        raise ValueError(f"{name} must be a whole number (a step).")
    value = int(stripped)
    if abs(value) >= 2**63:
        raise ValueError(f"{name} must be a whole number (a step).")
    return value


def numbered_steps(steps: Sequence[int | None]) -> list[int]:
    """Every point's step, a missing one numbered as the kernel library numbers it.

    Parameters
    ----------
    steps : sequence of int or None
        The stored steps in logged order (None where the point was logged without one).

    Returns
    -------
    list of int
        The previous point's step + 1 for each missing step (the first point: 0), as
        :func:`dotscience.steps.numbered` does.
    """
    out = []
    previous = -1
    for step in steps:
        previous = previous + 1 if step is None else step
        out.append(previous)
    return out


def window(steps: Sequence[int], start: int | None, end: int | None) -> list[int]:
    """The positions of the points whose step lies in ``[start, end]``.

    Parameters
    ----------
    steps : sequence of int
        Numbered steps, in logged order.
    start, end : int or None
        Inclusive bounds; None leaves that side open.

    Returns
    -------
    list of int
        Positions in logged order.
    """
    if start is None and end is None:
        return list(range(len(steps)))
    lo = -math.inf if start is None else start
    hi = math.inf if end is None else end
    return [i for i, s in enumerate(steps) if lo <= s <= hi]


def pick(values: Sequence[float | None], points: int) -> list[int]:
    """The positions to keep so that at most ``points`` points draw the series' shape.

    The series is cut into ``(points - 2) // 2`` buckets of consecutive points between the
    first and the last point; each bucket gives the position of its smallest and of its
    largest finite value (one position when they coincide), a bucket without a finite
    value gives its first position (so text, NaN and infinities still show where they
    are). The first and the last position are always kept.

    Parameters
    ----------
    values : sequence of float or None
        The numeric value of each point in logged order; None (or a non-finite float) for a
        point a chart cannot place.
    points : int
        The most positions to return (at least 1). A series that short or shorter is kept
        whole.

    Returns
    -------
    list of int
        Increasing positions: all of them when ``len(values) <= points``; else the last
        one alone for ``points == 1``, and the first, the last and each bucket's extremes
        for more.

    Raises
    ------
    ValueError
        When ``points`` is below 1.
    """
    if points < 1:
        raise ValueError("points must be at least 1")
    n = len(values)
    if n <= points:
        return list(range(n))
    if points == 1:
        return [n - 1]
    buckets = (points - 2) // 2
    inner = n - 2  # positions 1 .. n-2
    keep = [0]
    for b in range(buckets):
        a = 1 + (b * inner) // buckets
        z = 1 + ((b + 1) * inner) // buckets
        if a >= z:
            continue
        found = _extremes(values[a:z])
        if found is None:
            keep.append(a)
            continue
        low, high = a + found[0], a + found[1]
        if low == high:
            keep.append(low)
        else:
            keep.extend((low, high) if low < high else (high, low))
    keep.append(n - 1)
    return keep


class Summary:
    """The smallest and largest finite value of each block of consecutive points of a long
    series (its first and last point left out), so that later requests are answered from
    a few thousand blocks instead of a million points.

    :meth:`pick` then makes each bucket of whole blocks: the same rule as :func:`pick`, with
    bucket edges on block edges (buckets differ in size by at most one block).

    Parameters
    ----------
    values : sequence of float or None
        The numeric value of each point (None or non-finite: a gap).
    blocks : int
        About how many blocks to make (at least twice the buckets of the largest request).
    """

    def __init__(self, values: Sequence[float | None], blocks: int = 2 * MAX_POINTS):
        n = len(values)
        self.n = n
        inner = max(0, n - 2)
        self.size = max(1, -(-inner // blocks))  # points per block, rounded up
        self.starts: list[int] = []
        self.low: list[tuple[float, int] | None] = []
        self.high: list[tuple[float, int] | None] = []
        for a in range(1, 1 + inner, self.size):
            z = min(a + self.size, 1 + inner)
            segment = values[a:z]
            found = _extremes(segment)
            self.starts.append(a)
            if found is None:
                self.low.append(None)
                self.high.append(None)
            else:
                self.low.append((segment[found[0]], a + found[0]))
                self.high.append((segment[found[1]], a + found[1]))

    #: one block packed: its smallest value and position, its largest value and position
    #: (positions -1 and values NaN for a block without a finite value)
    _BLOCK = struct.Struct("<dqdq")

    def pack(self) -> bytes:
        """The blocks as bytes (32 per block, little-endian), for :meth:`unpack`.

        Returns
        -------
        bytes
            The smallest and largest value of each block and their positions.
        """
        block = self._BLOCK.pack
        gap = (math.nan, -1)
        return b"".join(
            block(*(low or gap), *(high or gap))
            for low, high in zip(self.low, self.high, strict=True)
        )

    @classmethod
    def unpack(cls, n: int, size: int, data: bytes) -> Summary | None:
        """The summary :meth:`pack` made of a series of ``n`` points in blocks of ``size``.

        Parameters
        ----------
        n : int
            Points in the series.
        size : int
            Points per block.
        data : bytes
            What :meth:`pack` returned.

        Returns
        -------
        Summary or None
            None when the bytes do not describe such a series (then summarise its points).
        """
        if n < 0 or size < 1 or len(data) % cls._BLOCK.size:
            return None
        inner = max(0, n - 2)
        starts = list(range(1, 1 + inner, size))
        if len(starts) * cls._BLOCK.size != len(data):
            return None
        summary = cls.__new__(cls)
        summary.n, summary.size, summary.starts = n, size, starts
        summary.low, summary.high = [], []
        for a, (lv, lp, hv, hp) in zip(starts, cls._BLOCK.iter_unpack(data), strict=True):
            if lp < 0:
                summary.low.append(None)
                summary.high.append(None)
            elif not (a <= lp < a + size and a <= hp < a + size):
                return None
            else:
                summary.low.append((lv, lp))
                summary.high.append((hv, hp))
        return summary

    def pick(self, points: int) -> list[int] | None:
        """The positions to keep for ``points`` points, as :func:`pick` keeps them.

        Returns
        -------
        list of int or None
            Increasing positions; None when the blocks are too coarse for that many buckets
            (read the points and use :func:`pick`).
        """
        n = self.n
        if n <= points:
            return list(range(n))
        if points == 1:
            return [n - 1]
        buckets = (points - 2) // 2
        count = len(self.starts)
        if buckets > count:
            return None
        keep = [0]
        for b in range(buckets):
            first, last = (b * count) // buckets, ((b + 1) * count) // buckets
            lows = [x for x in self.low[first:last] if x is not None]
            if not lows:
                keep.append(self.starts[first])
                continue
            low = min(lows)[1]  # the smallest value, the earliest on ties
            high = max(self.high[first:last], key=_largest_earliest)[1]
            if low == high:
                keep.append(low)
            else:
                keep.extend((low, high) if low < high else (high, low))
        keep.append(n - 1)
        return keep

    @property
    def weight(self) -> int:
        """How many blocks it holds (what a cache counts)."""
        return len(self.starts)


def _extremes(segment: Sequence[float | None]) -> tuple[int, int] | None:
    """Where the smallest and the largest finite value of a segment first occur (None when
    it has none). All-finite segments, the common case, take C-level passes only."""
    if None not in segment:
        try:
            finite = math.isfinite(sum(segment))
        except TypeError:  # not numbers
            finite = False
        if finite:
            return segment.index(min(segment)), segment.index(max(segment))
    numbers = [v for v in segment if v is not None and math.isfinite(v)]
    if not numbers:
        return None
    return segment.index(min(numbers)), segment.index(max(numbers))


def _largest_earliest(entry: tuple[float, int] | None) -> tuple[float, int]:
    return (-math.inf, 0) if entry is None else (entry[0], -entry[1])


class SummaryCache:
    """The summaries of the series read last, at most ``capacity`` blocks in all (least
    recently used first out). Safe to share between threads. A stored series never changes
    (a run is stored once), so an entry stays right for as long as it is kept.

    Parameters
    ----------
    capacity : int
        Blocks kept in all (a block costs about 150 bytes).
    """

    def __init__(self, capacity: int = 64 * 2 * MAX_POINTS):
        self.capacity = capacity
        self._entries: OrderedDict[object, Summary] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key) -> Summary | None:
        """The summary kept for ``key``, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key, summary: Summary) -> None:
        """Keep a summary, dropping the least recently used ones beyond the capacity."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._weight -= old.weight
            self._entries[key] = summary
            self._weight += summary.weight
            while self._weight > self.capacity and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                self._weight -= dropped.weight
