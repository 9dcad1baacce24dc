"""Issue 14: the number of runs a filter matches, and every matching run id (for the Runs
table's "select all that match"), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from .records import record


def publish(store, *recs):
    for rec in recs:
        store.put_run(rec, "alice")
    return [r["id"] for r in recs]


def test_count_is_the_number_of_runs_the_filter_matches_not_one_page(store):
    # Given 1,203 runs: 1,200 with alpha 0..1199 in project iris, 3 elsewhere
    publish(store, *(record(project="iris", params={"alpha": i}) for i in range(1200)))
    publish(store, *(record(project="other") for _ in range(3)))
    # When they are counted with and without filters
    # Then each count is the whole number matching, beyond any page size
    assert store.count_runs() == 1203
    assert store.count_runs(project="iris") == 1200
    assert store.count_runs(project="iris", params={"alpha": ("<", 200)}) == 200
    assert store.count_runs(params={"alpha": (">=", 1000)}, project="other") == 0
    assert store.count_runs(projects=[]) == 0


def test_count_refuses_what_list_runs_refuses(store):
    # Given an empty store
    # When a bad filter is counted
    # Then it is refused with the same sentence as a listing
    with pytest.raises(ValueError, match="status"):
        store.count_runs(status="maybe")


def test_run_ids_are_every_match_in_the_listing_order(store):
    # Given 1,500 runs with alpha 0..1499 and one without alpha
    ids = publish(store, *(record(params={"alpha": i}) for i in range(1500)))
    (lonely,) = publish(store, record(params={}))
    # When every id matching alpha < 1,200 is asked for, sorted by alpha descending
    got = store.run_ids(params={"alpha": ("<", 1200)}, sort="-param:alpha")
    # Then all 1,200 come back (more than one page), in that order
    assert got == list(reversed(ids[:1200]))
    # And a sort by a parameter some runs lack puts those last
    everything = store.run_ids(sort="param:alpha")
    assert everything == [*ids, lonely]
    # And a limit cuts the list
    assert store.run_ids(sort="param:alpha", limit=3) == ids[:3]
