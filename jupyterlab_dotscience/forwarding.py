"""Best-effort forwarding of published runs to another system, off the event loop.

One worker thread of its own (so a slow receiver never takes the threads the store shares)
and a bounded queue: when the receiver falls behind by more than ``maxsize`` runs, newer
runs are dropped with a warning instead of piling up in memory.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

_STOP = object()


class Forwarder:
    """Hands each submitted item to ``send`` on one daemon worker thread, in order.

    Parameters
    ----------
    send : callable
        Called with one item at a time on the worker thread; its exceptions are logged.
    maxsize : int
        How many items may wait (the one being sent is not counted); at least 1.
    name : str
        What is forwarded where, for log messages (e.g. ``"OpenLineage"``).
    log : logging.Logger, optional
        Where warnings go (default: this module's logger).
    """

    def __init__(self, send: Callable[[object], None], maxsize: int = 100,
                 name: str = "forwarding", log: logging.Logger | None = None):  # fmt: skip
        self.send, self.name = send, name
        self.log = log or logging.getLogger(__name__)
        self.queue: queue.Queue = queue.Queue(maxsize=max(1, int(maxsize)))
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.dropped = 0

    def submit(self, item, label: str = "") -> bool:
        """Queue ``item`` without blocking; False (and a warning) when the queue is full."""
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            self.log.warning(
                "Dotscience: %s queue is full (%d waiting); %s is not forwarded",
                self.name, self.queue.maxsize, label or "an item",
            )  # fmt: skip
            return False
        self._ensure_worker()
        return True

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name=f"dotscience-{self.name.lower()}", daemon=True
                )
                self._thread.start()

    def _work(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is _STOP:
                    return
                self.send(item)
            except Exception:  # best effort: the next item still goes
                self.log.exception("Dotscience: %s of an item failed", self.name)
            finally:
                self.queue.task_done()

    def close(self) -> None:
        """Let the worker end after what is queued (without waiting for it)."""
        try:
            self.queue.put_nowait(_STOP)
        except queue.Full:
            pass  # the daemon worker ends with the process
