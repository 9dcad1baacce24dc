"""The exports a wide Runs table waits to download (jupyterlab_dotscience/csv_exports.py)."""

from __future__ import annotations

import pytest

from jupyterlab_dotscience import csv_exports
from jupyterlab_dotscience.csv_exports import PendingExports, TooMany


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_export_is_given_once_to_its_owner_within_its_time():
    clock = Clock()
    exports = PendingExports(clock)
    # Given an export of alice's
    made = exports.add(("jupyter", "alice", None), {"columns": ["field:name"]})
    # Then bob, or alice's API key, is not given it, and it still waits
    assert exports.take(("jupyter", "bob", None), made) is None
    assert exports.take(("apikey", "alice", "k1"), made) is None
    # And alice is given it once
    assert exports.take(("jupyter", "alice", None), made) == {"columns": ["field:name"]}
    assert exports.take(("jupyter", "alice", None), made) is None
    # And one not taken within its time is forgotten
    late = exports.add("alice", 1)
    clock.now += csv_exports.TTL - 0.5
    assert len(exports) == 1
    clock.now += 1
    assert exports.take("alice", late) is None and len(exports) == 0


def test_an_owner_has_at_most_8_waiting_and_expired_ones_make_room():
    clock = Clock()
    exports = PendingExports(clock)
    ids = [exports.add("alice", i) for i in range(csv_exports.PER_OWNER)]
    assert len(set(ids)) == 8 and all(len(i) == 24 for i in ids)
    with pytest.raises(TooMany, match="8 CSV exports are waiting"):
        exports.add("alice", 8)
    # (another owner is not held back by alice's)
    exports.add("bob", 0)
    clock.now += csv_exports.TTL
    assert exports.add("alice", 9)
    assert len(exports) == 1
