"""The smallest and largest value of each metric series (issue 14: Runs table columns
"loss (min)" and "loss (max)"): stored at publish, backfilled by the migration, listed with
``stats``, sorted and filtered by like the last value."""

from __future__ import annotations

import uuid

import pytest

from jupyterlab_dotscience.store import open_store

from .records import record, ts


def ids(runs):
    return [r["id"] for r in runs]


def point(value, step):
    return {"value": value, "text": str(value), "step": step, "time": None}


def series(*values):
    return [point(v, i) for i, v in enumerate(values)]


def with_loss(*values, **fields):
    rec = record(metric={}, **fields)
    rec["metrics"]["loss"] = series(*values)
    return rec


NAN = float("nan")
INF = float("inf")


def test_min_and_max_skip_nan_and_text_and_keep_infinities(store):
    # Given a loss that starts and ends with NaN, holds text, and one that diverged to +inf,
    # and one that never logged a number
    noisy = with_loss(NAN, 2.0, 0.25, "diverged", 1, NAN)
    blown = with_loss(1.0, INF, 0.5)
    empty = with_loss(NAN, "n/a")
    for rec in (noisy, blown, empty):
        store.put_run(rec, "alice")

    # When the runs are listed with their statistics
    runs, _ = store.list_runs(stats=True)
    by_id = {r["id"]: r for r in runs}

    # Then NaN and text never become the min or max, an infinity is the max it is
    assert by_id[noisy["id"]]["metric_min"] == {"loss": 0.25}
    assert by_id[noisy["id"]]["metric_max"] == {"loss": 2.0}
    assert by_id[noisy["id"]]["metrics"] == {"loss": {"$float": "nan"}}  # the last value
    assert by_id[blown["id"]]["metric_min"] == {"loss": 0.5}
    assert by_id[blown["id"]]["metric_max"] == {"loss": {"$float": "inf"}}
    # And a series without a number has neither
    assert by_id[empty["id"]]["metric_min"] == {"loss": None}
    assert by_id[empty["id"]]["metric_max"] == {"loss": None}


def test_min_and_max_keep_the_value_as_logged(store):
    # Given an integer series
    rec = with_loss(7, 3, 9)
    store.put_run(rec, "alice")
    # When listed with statistics
    (run,), _ = store.list_runs(stats=True)
    # Then the values come back as logged (integers stay integers)
    assert run["metric_min"] == {"loss": 3} and isinstance(run["metric_min"]["loss"], int)
    assert run["metric_max"] == {"loss": 9}


def test_statistics_are_left_out_unless_asked(store):
    # Given a run
    store.put_run(with_loss(1.0, 0.5), "alice")
    # When listed as the sidebar lists runs
    (run,), _ = store.list_runs()
    # Then its summary is as small as before
    assert "metric_min" not in run and "metric_max" not in run


def test_sort_by_min_and_max_both_ways_with_missing_values_last(store):
    # Given runs whose losses have different minima and maxima (not in the order of
    # their last values), and one run with only NaN
    a = with_loss(5.0, 0.1, 3.0)  # min 0.1, max 5, last 3
    b = with_loss(2.0, 0.4, 0.2)  # min 0.2, max 2, last 0.2
    c = with_loss(9.0, 0.3, 1.0)  # min 0.3, max 9, last 1
    nan = with_loss(NAN)
    for rec in (a, b, c, nan):
        store.put_run(rec, "alice")

    # When sorted by each statistic
    def order(sort):
        return ids(store.list_runs(sort=sort)[0])

    # Then the order follows that statistic, runs without a number last
    assert order("metric.min:loss") == [a["id"], b["id"], c["id"], nan["id"]]
    assert order("-metric.min:loss") == [c["id"], b["id"], a["id"], nan["id"]]
    assert order("metric.max:loss") == [b["id"], a["id"], c["id"], nan["id"]]
    assert order("-metric.max:loss") == [c["id"], a["id"], b["id"], nan["id"]]
    # And the last value keeps its own order under both spellings
    assert (
        order("metric:loss") == order("metric.last:loss") == [b["id"], c["id"], a["id"], nan["id"]]
    )
    # And "select all that match" follows the same order
    assert store.run_ids(sort="-metric.max:loss") == order("-metric.max:loss")


def test_pages_of_a_min_sort_continue_where_the_last_stopped(store):
    # Given 23 runs, many sharing a minimum, some without the metric
    recs = [with_loss(5.0, (i % 4) / 4) if i % 6 else record(metric={}) for i in range(23)]
    store.put_runs(recs, "alice")
    expected = ids(store.list_runs(sort="-metric.min:loss", limit=1000)[0])
    # When read 5 at a time
    seen, cursor = [], None
    while True:
        page, cursor = store.list_runs(sort="-metric.min:loss", limit=5, cursor=cursor)
        seen += ids(page)
        if cursor is None:
            break
    # Then every run is seen once, in the order of one big page
    assert seen == expected and len(set(seen)) == 23


def test_filter_by_min_and_max_ranges(store):
    # Given the same three runs
    a = with_loss(5.0, 0.1, 3.0)
    b = with_loss(2.0, 0.4, 0.2)
    c = with_loss(9.0, 0.3, 1.0)
    for rec in (a, b, c):
        store.put_run(rec, "alice")

    # When filtered by a range of the minimum, the maximum or the last value
    def match(*filters):
        return set(ids(store.list_runs(metrics=list(filters))[0]))

    # Then each range looks at its own statistic (bounds included)
    assert match(("loss", None, 0.15, "min")) == {a["id"]}
    assert match(("loss", 0.2, 0.3, "min")) == {b["id"], c["id"]}
    assert match(("loss", 4, None, "max")) == {a["id"], c["id"]}
    assert match(("loss", None, 0.5, "last")) == match(("loss", None, 0.5)) == {b["id"]}
    # And they combine
    assert match(("loss", 4, None, "max"), ("loss", None, 0.2, "min")) == {a["id"]}
    # And the count and the ids agree with the listing
    assert store.count_runs(metrics=[("loss", 4, None, "max")]) == 2
    assert set(store.run_ids(metrics=[("loss", 4, None, "max")])) == {a["id"], c["id"]}


def test_an_infinite_maximum_is_matched_by_an_open_upper_bound_only(store):
    # Given a run whose loss diverged
    blown = with_loss(1.0, INF, 0.5)
    store.put_run(blown, "alice")
    # When filtered by a maximum of at least 100, or at most 1e300
    # Then only the open range holds it
    assert ids(store.list_runs(metrics=[("loss", 100, None, "max")])[0]) == [blown["id"]]
    assert store.list_runs(metrics=[("loss", None, 1e300, "max")])[0] == []


@pytest.mark.parametrize("sort", ["metric.avg:loss", "-metric.mean:loss", "metric.:loss"])
def test_an_unknown_aggregate_in_a_sort_is_refused(store, sort):
    with pytest.raises(ValueError, match="sort: unknown aggregate"):
        store.list_runs(sort=sort)
    with pytest.raises(ValueError, match="sort: unknown aggregate"):
        store.run_ids(sort=sort)


def test_a_sort_by_an_aggregate_without_a_metric_name_is_refused(store):
    with pytest.raises(ValueError, match="sort: metric name missing"):
        store.list_runs(sort="metric.min:")


@pytest.mark.parametrize("stat", ["avg", "", None, 3, "MIN"])
def test_an_unknown_aggregate_in_a_filter_is_refused(store, stat):
    with pytest.raises(ValueError, match="aggregate"):
        store.list_runs(metrics=[("loss", 0, 1, stat)])
    with pytest.raises(ValueError, match="aggregate"):
        store.count_runs(metrics=[("loss", 0, 1, stat)])


def test_migration_fills_min_and_max_of_runs_stored_before(store_url, monkeypatch):
    # Given a store made by the schema before the statistics, holding a run whose loss
    # points were stored as they were then (NaN as NULL numbers, text, an infinity)
    from jupyterlab_dotscience.store import schema, sql

    before = next(i for i, m in enumerate(schema.MIGRATIONS) if any("min_num" in s for s in m))
    old_run, bare_run = str(uuid.uuid4()), str(uuid.uuid4())
    points = [  # (value, text, num)
        ('{"$float": "nan"}', "nan", None),
        ("2.0", "2.0", 2.0),
        ("0.25", "0.25", 0.25),
        ('"diverged"', "diverged", None),
        ('{"$float": "inf"}', "inf", INF),
        ("1", "1", 1.0),
    ]
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
        m.setattr(sql, "LATEST", before)
        old = open_store(store_url)
        with old._tx(write=True) as tx:
            tx.x("INSERT INTO projects (name, created) VALUES ('default', ?)", (ts(0),))
            for rid in (old_run, bare_run):
                tx.x(
                    "INSERT INTO runs (id, project, author, status, received, argv) "
                    "VALUES (?, 'default', 'alice', 'succeeded', ?, '[]')",
                    (rid, ts(0)),
                )
            seq = tx.one("SELECT seq FROM runs WHERE id = ?", (old_run,))[0]
            bare = tx.one("SELECT seq FROM runs WHERE id = ?", (bare_run,))[0]
            for i, (value, text, num) in enumerate(points):
                tx.x(
                    "INSERT INTO metrics (run, key, seq, value, text, num, step) "
                    "VALUES (?, 'loss', ?, ?, ?, ?, ?)",
                    (seq, i, value, text, num, i),
                )
            tx.x(
                "INSERT INTO metric_last (run, key, value, text, num, step, count) "
                "VALUES (?, 'loss', '1', '1', 1.0, 5, 6)",
                (seq,),
            )
            tx.x(
                "INSERT INTO metrics (run, key, seq, value, text, num, step) "
                "VALUES (?, 'loss', 0, '\"n/a\"', 'n/a', NULL, 0)",
                (bare,),
            )
            tx.x(
                "INSERT INTO metric_last (run, key, value, text, num, step, count) "
                "VALUES (?, 'loss', '\"n/a\"', 'n/a', NULL, 0, 1)",
                (bare,),
            )
        assert old.schema_version() == before
        old.close()

    # When the current software opens it
    with open_store(store_url) as upgraded:
        # Then the old run has the min and max of its stored points
        runs = {r["id"]: r for r in upgraded.list_runs(stats=True)[0]}
        assert runs[old_run]["metric_min"] == {"loss": 0.25}
        assert runs[old_run]["metric_max"] == {"loss": {"$float": "inf"}}
        assert runs[bare_run]["metric_min"] == {"loss": None}
        # And it sorts and filters by them
        assert ids(upgraded.list_runs(sort="metric.min:loss")[0]) == [old_run, bare_run]
        hits = upgraded.list_runs(metrics=[("loss", 0.2, 0.3, "min")])[0]
        assert ids(hits) == [old_run]
