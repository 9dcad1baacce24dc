"""CSV exports waiting to be downloaded: a Runs table too wide for a download address posts
its columns (``POST runs/csv/exports``) and gets a one-use address the browser downloads
itself (``GET runs/csv/exports/{id}``), so the file streams to disk like any other.

An export is what was asked for, already checked: the filters (the caller's projects
applied), sort, limit and columns. It belongs to who made it, is downloaded once, and is
forgotten after :data:`TTL` seconds; each owner has at most :data:`PER_OWNER` waiting.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

#: Seconds an export waits to be downloaded
TTL = 120.0
#: Exports one owner may have waiting at once
PER_OWNER = 8


class TooMany(Exception):
    """The owner has :data:`PER_OWNER` exports waiting already."""


class PendingExports:
    """The exports waiting to be downloaded, in memory (a server's own: the browser that
    posts one downloads it from the same server)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # id -> (owner, expires, plan)
        self._waiting: dict[str, tuple[Hashable, float, Any]] = {}

    def add(self, owner: Hashable, plan: Any) -> str:
        """Keep ``plan`` for ``owner`` and return its id (unguessable: 144 random bits).

        Raises
        ------
        TooMany
            When ``owner`` has :data:`PER_OWNER` exports waiting.
        """
        with self._lock:
            self._forget_expired()
            if sum(1 for o, _, _ in self._waiting.values() if o == owner) >= PER_OWNER:
                raise TooMany(
                    f"{PER_OWNER} CSV exports are waiting to be downloaded already; download "
                    f"them, or wait {TTL:.0f} s for them to expire."
                )
            export_id = secrets.token_urlsafe(18)
            self._waiting[export_id] = (owner, self._clock() + TTL, plan)
            return export_id

    def take(self, owner: Hashable, export_id: str) -> Any | None:
        """The plan of export ``export_id``, forgotten as it is given (None when there is
        none: never made, downloaded already, expired, or another owner's)."""
        with self._lock:
            self._forget_expired()
            entry = self._waiting.get(export_id)
            if entry is None or entry[0] != owner:
                return None
            del self._waiting[export_id]
            return entry[2]

    def __len__(self) -> int:
        with self._lock:
            self._forget_expired()
            return len(self._waiting)

    def _forget_expired(self) -> None:
        now = self._clock()
        for export_id in [k for k, (_, expires, _) in self._waiting.items() if expires <= now]:
            del self._waiting[export_id]
