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
    return when.strftime(ISO_FORMAT)


def iso_from_epoch(seconds: float) -> str:
    """A ``time.time()`` value in the one format."""
    return _dt.datetime.fromtimestamp(seconds, _UTC).strftime(ISO_FORMAT)


def now() -> str:
    """The current time in the one format."""
    return utc_now().strftime(ISO_FORMAT)


def parse_iso(text: str) -> _dt.datetime:
    """The aware UTC datetime of a timestamp in the one format.

    Raises
    ------
    ValueError
        When ``text`` is not in that format.
    """
    return _dt.datetime.strptime(text, ISO_FORMAT).replace(tzinfo=_UTC)
