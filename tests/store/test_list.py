"""Listing runs: filters, sorting and cursor pagination."""

from __future__ import annotations

import pytest

from .records import record


def ids(runs):
    return [r["id"] for r in runs]


def publish(store, *recs):
    for rec in recs:
        store.put_run(rec, "alice")
    return [r["id"] for r in recs]


def test_newest_first_by_default_with_summaries(store):
    # Given three runs published one after another
    a, b, c = publish(store, record(), record(), record(labels={"team": "ops"}))
    # When the runs are listed
    runs, cursor = store.list_runs()
    # Then the newest comes first and each summary carries what the run list shows
    assert ids(runs) == [c, b, a]
    assert cursor is None
    top = runs[0]
    assert top["parameters"] == {"alpha": "0.5"}
    assert top["metrics"] == {"accuracy": 0.9}
    assert top["labels"] == {"team": "ops"}
    assert top["notebook"] == "analysis/train.ipynb" and top["status"] == "succeeded"
    assert top["author"] == "alice" and top["start"] and top["received"]


def test_filter_by_project_notebook_author_and_status(store):
    iris, script, failed = publish(
        store,
        record(project="iris"),
        record(notebook=None, mode="script", workload_file="train.py"),
        record(error="boom"),
    )
    assert ids(store.list_runs(project="iris")[0]) == [iris]
    assert ids(store.list_runs(notebook="train.py")[0]) == [script]
    assert ids(store.list_runs(status="failed")[0]) == [failed]
    assert set(ids(store.list_runs(status="succeeded")[0])) == {iris, script}
    assert store.list_runs(author="bob")[0] == []


def test_filter_by_labels_requires_all_of_them(store):
    ml_a, ml_b, _ = publish(
        store,
        record(labels={"team": "ml", "stage": "a"}),
        record(labels={"team": "ml", "stage": "b"}),
        record(labels={"team": "ops", "stage": "a"}),
    )
    assert set(ids(store.list_runs(labels={"team": "ml"})[0])) == {ml_a, ml_b}
    assert ids(store.list_runs(labels={"team": "ml", "stage": "a"})[0]) == [ml_a]
    assert store.list_runs(labels={"team": "nobody"})[0] == []


def test_filter_by_parameters(store):
    low, high, text, flag = publish(
        store,
        record(params={"alpha": 0.1}),
        record(params={"alpha": 10}),
        record(params={"alpha": "auto"}),
        record(params={"alpha": True}),
    )
    assert ids(store.list_runs(params={"alpha": 10})[0]) == [high]
    assert ids(store.list_runs(params={"alpha": 10.0})[0]) == [high]
    assert ids(store.list_runs(params={"alpha": ("<", 1)})[0]) == [low]
    assert set(ids(store.list_runs(params={"alpha": (">=", 0.1)})[0])) == {low, high}
    assert ids(store.list_runs(params={"alpha": "auto"})[0]) == [text]
    assert ids(store.list_runs(params={"alpha": True})[0]) == [flag]
    with pytest.raises(ValueError, match="operator"):
        store.list_runs(params={"alpha": ("~", 1)})


def test_filter_by_metric_range_returns_exactly_the_runs_inside(store):
    # Given runs with accuracies 0.1 .. 0.9 and one without the metric
    by_acc = {}
    for i in range(1, 10):
        (rid,) = publish(store, record(metric={"accuracy": i / 10}))
        by_acc[i / 10] = rid
    publish(store, record(metric={"loss": 0.5}))
    # When filtering on 0.3 <= accuracy <= 0.6
    runs, _ = store.list_runs(metrics=[("accuracy", 0.3, 0.6)])
    # Then exactly the runs inside the range (bounds included) come back
    assert set(ids(runs)) == {by_acc[v] for v in (0.3, 0.4, 0.5, 0.6)}
    # And open bounds work
    assert len(store.list_runs(metrics=[("accuracy", None, 0.25)])[0]) == 2
    assert len(store.list_runs(metrics=[("accuracy", 0.85, None)])[0]) == 1


def test_metric_filter_uses_the_last_value(store):
    rec = record(metric={})
    rec["metrics"]["loss"] = [
        {"value": 5.0, "text": "5.0", "step": 0, "time": None},
        {"value": 0.5, "text": "0.5", "step": 1, "time": None},
    ]
    publish(store, rec)
    assert ids(store.list_runs(metrics=[("loss", 0, 1)])[0]) == [rec["id"]]
    assert store.list_runs(metrics=[("loss", 4, 6)])[0] == []


def test_text_search_looks_in_description_notebook_labels_and_params(store):
    desc, nb, label, param, _ = publish(
        store,
        record(description="Tuning the RandomForest"),
        record(notebook="experiments/forest.ipynb"),
        record(labels={"algo": "forest"}),
        record(params={"model_kind": "Forest"}),
        record(description="linear test", notebook="lin.ipynb", params={"alpha": 1}),
    )
    assert set(ids(store.list_runs(text="forest")[0])) == {desc, nb, label, param}
    # wildcard characters are searched literally
    assert store.list_runs(text="%")[0] == []
    assert store.list_runs(text="e_t")[0] == []  # would match "test" as a wildcard


def test_sort_by_metric_both_ways_with_missing_values_last(store):
    accs = [0.5, 0.9, 0.1, 0.7]
    recs = [record(metric={"accuracy": a}) for a in accs]
    no_metric = record(metric={"loss": 1.0})
    publish(store, *recs, no_metric)
    expected = [r["id"] for _, r in sorted(zip(accs, recs, strict=True), key=lambda p: p[0])]

    ascending, _ = store.list_runs(sort="metric:accuracy")
    descending, _ = store.list_runs(sort="-metric:accuracy")

    assert ids(ascending) == expected + [no_metric["id"]]
    assert ids(descending) == expected[::-1] + [no_metric["id"]]


def test_sort_by_start_and_param(store):
    late, early, unknown = publish(
        store,
        record(at=100, params={"alpha": 1}),
        record(at=10, params={"alpha": 2}),
        record(start=None, params={}),
    )
    assert ids(store.list_runs(sort="start")[0]) == [early, late, unknown]
    assert ids(store.list_runs(sort="-start")[0]) == [late, early, unknown]
    assert ids(store.list_runs(sort="-param:alpha")[0]) == [early, late, unknown]


@pytest.mark.parametrize(
    "sort", ["-received", "received", "start", "-metric:accuracy", "metric:accuracy", "param:alpha"]
)
def test_page_two_continues_where_page_one_stopped(store, sort):
    # Given 23 runs, many sharing the same metric value and start time, some without any
    recs = [
        record(at=i % 5, metric={"accuracy": (i % 4) / 4} if i % 6 else {}, params={"alpha": i % 3})
        for i in range(23)
    ]
    store.put_runs(recs, "alice")  # one transaction: identical received times
    expected, _ = store.list_runs(sort=sort, limit=1000)

    # When the runs are read 5 at a time
    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = store.list_runs(sort=sort, limit=5, cursor=cursor)
        seen += ids(page)
        pages += 1
        if cursor is None:
            break

    # Then every run is seen exactly once, in the same order as one big page
    assert len(seen) == len(set(seen)) == 23
    assert seen == ids(expected)
    assert pages == 5


def test_pagination_with_filters(store):
    recs = [record(labels={"team": "ml" if i % 2 else "ops"}) for i in range(12)]
    publish(store, *recs)
    page1, cursor = store.list_runs(labels={"team": "ml"}, limit=4)
    page2, cursor2 = store.list_runs(labels={"team": "ml"}, limit=4, cursor=cursor)
    assert cursor2 is None
    assert len(page1) == 4 and len(page2) == 2
    assert not set(ids(page1)) & set(ids(page2))
    assert all(r["labels"]["team"] == "ml" for r in page1 + page2)


def test_bad_listing_arguments_are_refused(store):
    with pytest.raises(ValueError, match="sort"):
        store.list_runs(sort="color")
    with pytest.raises(ValueError, match="limit"):
        store.list_runs(limit=0)
    with pytest.raises(ValueError, match="cursor"):
        store.list_runs(cursor="garbage!!")
    publish(store, record(), record())
    _, cursor = store.list_runs(limit=1)
    with pytest.raises(ValueError, match="another sort"):
        store.list_runs(limit=1, cursor=cursor, sort="start")
    with pytest.raises(ValueError, match="status"):
        store.list_runs(status="weird")


def test_run_summaries_keep_the_requested_order(store):
    a, b = publish(store, record(), record())
    assert ids(store.run_summaries([b, a, "junk"])) == [b, a]


def test_filter_by_start_end_and_published_time_with_inclusive_bounds(store):
    # Given runs started at seconds 10, 20 and 30, and one without a start time
    a, b, c, unknown = publish(
        store, record(at=10), record(at=20), record(at=30), record(start=None, end=None)
    )
    t = {s: store.get_run(i)["start"] for s, i in ((10, a), (20, b), (30, c))}
    # When filtered by a start range / Then exactly the runs inside it, both bounds included
    assert ids(store.list_runs(times=[("start", t[10], t[20])], sort="start")[0]) == [a, b]
    assert ids(store.list_runs(times=[("start", t[20], None)], sort="start")[0]) == [b, c]
    assert ids(store.list_runs(times=[("start", None, t[10])])[0]) == [a]
    # And a bound in another spelling of the same instant means the same
    offset = t[20][:-1].replace("T", " ") + "+00:00"
    assert ids(store.list_runs(times=[("start", offset, offset)])[0]) == [b]
    # And an end range, and the published (received) time: every run was published just now
    assert ids(store.list_runs(times=[("end", t[30], None)])[0]) == [c]
    received = {i: store.get_run(i)["received"] for i in (a, b, c, unknown)}
    assert store.count_runs(times=[("received", None, received[unknown])]) == 4
    later = sorted(i for i in received if received[i] >= received[b])
    assert sorted(store.run_ids(times=[("received", received[b], None)])) == later
    assert store.run_ids(times=[("start", t[20], t[30])], sort="-start") == [c, b]


def test_bad_time_filters_are_refused(store):
    with pytest.raises(ValueError, match="ISO 8601"):
        store.list_runs(times=[("start", "yesterday", None)])
    with pytest.raises(ValueError, match="field one of"):
        store.list_runs(times=[("seq", None, None)])
    with pytest.raises(ValueError, match="ISO 8601"):
        store.count_runs(times=[("received", None, 1700000000)])


def test_filter_by_the_name_run_lists_show(store):
    # Given a described run, a notebook run and a script run without a description
    described, notebook, script = publish(
        store,
        record(description="Sweep 100% of alpha_beta", notebook="nb/described.ipynb"),
        record(description=None, notebook="nb/churn.ipynb"),
        record(description="", notebook=None, mode="script", workload_file="train_churn.py"),
    )
    # When filtered by part of a name / Then the runs whose shown name holds it, any case
    assert ids(store.list_runs(name="SWEEP")[0]) == [described]
    assert set(ids(store.list_runs(name="churn")[0])) == {notebook, script}
    # And a described run is not found by its notebook (its name is its description)
    assert store.list_runs(name="described.ipynb")[0] == []
    # And LIKE's wildcards are plain characters
    assert ids(store.list_runs(name="100%")[0]) == [described]
    assert ids(store.list_runs(name="p_a")[0]) == []  # "_" would match the h of alpha
    assert ids(store.list_runs(name="alpha_beta")[0]) == [described]
    # And a run is found by the start of its id (as lists show it, short), not its middle
    assert ids(store.list_runs(name=script[:8].upper())[0]) == [script]
    assert store.count_runs(name=script[4:12]) == 0
