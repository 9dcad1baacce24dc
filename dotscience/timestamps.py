"""Timestamps as every part of Dotscience writes them: ISO 8601 UTC with microseconds and
``Z`` (``2026-11-27T06:30:00.123456Z``), which sorts as text.

The kernel library's records and comm messages, and the server's store, use these helpers
(the server imports them from here: this module is stdlib only).
"""

from __future__ import annotations

import datetime as _dt

#: The one timestamp format (``strftime``/``strptime``).
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_UTC = _dt.timezone.utc


def utc_now() -> _dt.datetime:
    """The current time, timezone-aware in UTC."""
    return _dt.datetime.now(_UTC)


def iso(when: _dt.datetime | None) -> str | None:
    """``when`` in the one format (None stays None).

    Parameters
    ----------
    when : datetime or None
        An aware datetime (converted to UTC) or a naive one (taken as UTC).

    Returns
    -------
    str or None
        E.g. ``2026-11-27T06:30:00.123456Z``.
    """
    if when is None:
        return None
    if when.tzinfo is not None and when.utcoffset():
        when = when.astimezone(_UTC)
    # not strftime: its %Y writes year 999 as "999" on Linux, which neither sorts as text
    # nor reads back as the one format
    return (
        f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:{when.minute:02d}:"
        f"{when.second:02d}.{when.microsecond:06d}Z"
    )


def iso_from_epoch(seconds: float) -> str:
    """A ``time.time()`` value in the one format."""
    return iso(_dt.datetime.fromtimestamp(seconds, _UTC))


def now() -> str:
    """The current time in the one format."""
    return iso(utc_now())


def parse_iso(text: str) -> _dt.datetime:
    """The aware UTC datetime of a timestamp in the one format.

    Raises
    ------
    ValueError
        When ``text`` is not in that format.
    """
    return _dt.datetime.strptime(text, ISO_FORMAT).replace(tzinfo=_UTC)
