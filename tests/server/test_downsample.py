"""Long metric series: ``GET runs/{id}/metrics/{key}?points=N`` keeps the shape in N points."""

import math
import uuid

import pytest

from jupyterlab_dotscience.store import open_store
from tests.fixtures_pg import pg_server, pg_url  # noqa: F401  (fixtures)

from .test_api import api, record  # noqa: F401 (the api fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _pick():
    from jupyterlab_dotscience.downsample import pick

    return pick


def series(values, steps=None):
    """Metric points with the given values (steps 0.. unless given)."""
    return [
        {"value": v, "text": str(v), "step": i if steps is None else steps[i]}
        for i, v in enumerate(values)
    ]


def extension(jp_serverapp):
    return next(iter(jp_serverapp.extension_manager.extension_apps["jupyterlab_dotscience"]))


# -- the algorithm ----------------------------------------------------------------------------


def test_a_spike_survives():
    # Given 100,000 flat points with one spike and one dip somewhere in the middle
    values = [1.0] * 100_000
    values[54_321] = 1000.0
    values[77_777] = -5.0
    # When 500 points are picked
    kept = _pick()(values, 500)
    # Then at most 500 positions, increasing, with the spike, the dip, the first and the last
    assert len(kept) <= 500
    assert kept == sorted(set(kept))
    assert {0, 54_321, 77_777, 99_999} <= set(kept)


def test_a_sine_keeps_its_minimum_and_maximum_in_every_bucket():
    # Given a sine of 100,002 points (a period of 7,919 points) and 1,002 points wanted
    n, points = 100_002, 1_002
    values = [math.sin(2 * math.pi * i / 7_919) for i in range(n)]
    # When they are picked
    kept = _pick()(values, points)
    # Then each of the 500 buckets of 200 points between the first and the last keeps its
    # smallest and its largest value, so every 1,000-point stretch has the full envelope
    assert len(kept) <= points
    kept_set = set(kept)
    for b in range(500):
        lo, hi = 1 + 200 * b, 1 + 200 * (b + 1)
        bucket = values[lo:hi]
        assert lo + bucket.index(min(bucket)) in kept_set
        assert lo + bucket.index(max(bucket)) in kept_set
    for s in range(100):
        lo, hi = 1 + 1000 * s, 1 + 1000 * (s + 1)
        shown = [values[i] for i in kept if lo <= i < hi]
        assert min(shown) == min(values[lo:hi]) and max(shown) == max(values[lo:hi])


def test_text_and_non_finite_values_do_not_break_the_picking():
    # Given a series of text, NaN, infinities and numbers
    values = [None] * 1000 + [float("nan"), float("inf"), float("-inf")] * 100 + [2.0, 3.0] * 500
    # When 50 points are picked
    kept = _pick()(values, 50)
    # Then positions within the series, the extremes of the numbers among them
    assert len(kept) <= 50 and kept[0] == 0 and kept[-1] == len(values) - 1
    assert {values[i] for i in kept if values[i] in (2.0, 3.0)} == {2.0, 3.0}


def test_short_series_are_kept_whole_and_one_point_is_the_last():
    pick = _pick()
    # Given a series of 10 points
    values = [float(i) for i in range(10)]
    # Then asking for 10 or more keeps all, for 1 keeps the last, for 2 the first and last
    assert pick(values, 10) == list(range(10))
    assert pick(values, 10_000) == list(range(10))
    assert pick(values, 1) == [9]
    assert pick(values, 2) == [0, 9]
    assert pick([], 5) == []


def test_a_summary_of_blocks_keeps_what_pick_keeps():
    from jupyterlab_dotscience.downsample import Summary, pick

    # Given 120,000 points of a noisy sine with a spike, a dip and a stretch of text
    values = [math.sin(i / 500) + ((i * 7919) % 13) / 100 for i in range(120_000)]
    values[33_333], values[99_001] = 80.0, -80.0
    values[50_000:50_400] = [None] * 400
    # When it is summarised in blocks and asked for 1,000 points
    summary = Summary(values, blocks=4_000)
    kept = summary.pick(1_000)
    # Then the same kind of answer as pick: at most 1,000 increasing positions with both
    # ends, the spike, the dip, and each bucket's extremes among them
    assert kept is not None and len(kept) <= 1_000
    assert kept == sorted(set(kept))
    assert {0, 33_333, 99_001, 119_999} <= set(kept)
    shown = [values[i] for i in kept if values[i] is not None]
    assert max(shown) == 80.0 and min(shown) == -80.0
    # And with a block per point it is exactly pick
    fine = Summary(values[:5_000], blocks=5_000)
    assert fine.pick(300) == pick(values[:5_000], 300)
    # And a request finer than its blocks is left to pick
    assert summary.pick(9_000) is None
    assert summary.pick(1) == [119_999] and Summary([1.0, 2.0]).pick(5) == [0, 1]


def test_the_summary_cache_keeps_the_most_recently_used_within_its_capacity():
    from jupyterlab_dotscience.downsample import Summary, SummaryCache

    # Given a cache of 250 blocks and summaries of 100 blocks each
    cache = SummaryCache(capacity=250)
    made = {k: Summary([float(i) for i in range(1_002)], blocks=100) for k in "abc"}
    cache.put("a", made["a"])
    cache.put("b", made["b"])
    # When "a" is used again and a third summary comes in
    assert cache.get("a") is made["a"]
    cache.put("c", made["c"])
    # Then the least recently used one ("b") made room
    assert cache.get("b") is None
    assert cache.get("a") is made["a"] and cache.get("c") is made["c"]


# -- the store, on both backends --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_both_stores_sample_the_same_points(kind, tmp_path, request):
    # Given a stored series of 30,000 points with a spike, some steps left out (an imported
    # run), on SQLite and on PostgreSQL
    url = f"sqlite:///{tmp_path}/s.db" if kind == "sqlite" else request.getfixturevalue("pg_url")
    values = [math.cos(i / 300) for i in range(30_000)]
    values[20_202] = -40.0
    steps = [None if i % 3 else i for i in range(30_000)]
    # and a series with every step stored, counting down by twos from step 100,000
    acc = series([float(i % 11) for i in range(30_000)], [100_000 - 2 * i for i in range(30_000)])
    acc[17_000].update(value=99.0, text="99.0")
    rec = record(metrics={"loss": series(values, steps), "acc": acc})
    store = open_store(url)
    try:
        store.put_run(rec, "alice")
        # When 300 points are sampled, whole and for a window of steps
        whole = store.metric_sample(rec["id"], "loss", 300)
        part = store.metric_sample(rec["id"], "loss", 50, 9_000, 9_999)
        counted = store.metric_sample(rec["id"], "acc", 40, 60_000, 70_001)
        unknown = store.metric_sample(rec["id"], "nope", 300)
    finally:
        store.close()
    # Then the spike, the first and the exact last point, with numbered steps
    assert len(whole["series"]) <= 300 and whole["count"] == 30_000
    assert {"value": -40.0, "text": "-40.0", "step": 20_202, "time": None} in whole["series"]
    assert whole["series"][-1] == {**rec["metrics"]["loss"][-1], "step": 29_999, "time": None}
    assert whole["series"][0]["step"] == 0
    # and the window's points lie in it, from its first step to its last
    steps_in = [p["step"] for p in part["series"]]
    assert part["count"] == 1_000 and steps_in[0] == 9_000 and steps_in[-1] == 9_999
    assert len(steps_in) <= 50
    # and a window of a series with every step is the points whose steps lie in it, in
    # logged order, its extremes kept
    got = [p["step"] for p in counted["series"]]
    assert counted["count"] == 5_001 and got[0] == 70_000 and got[-1] == 60_000
    assert all(60_000 <= g <= 70_001 for g in got) and got == sorted(got, reverse=True)
    assert {"value": 99.0, "text": "99.0", "step": 66_000, "time": None} in counted["series"]
    assert unknown == {"series": [], "count": 0}


# -- the route --------------------------------------------------------------------------------


async def test_the_route_keeps_the_spike_and_the_exact_first_and_last_points(api):  # noqa: F811
    # Given a run whose loss has 20,000 points, one of them a spike, the last one exact text
    values = [0.5 - i * 1e-5 for i in range(20_000)]
    values[12_345] = 99.0
    points = series(values)
    points[-1]["text"] = "0.30001000000000004"
    rec = record(metrics={"loss": points})
    await api("POST", "runs", rec, expect=201)
    # When a chart asks for 400 points
    got = await api("GET", f"runs/{rec['id']}/metrics/loss", params={"points": "400"})
    # Then at most 400 points come back, in order, with the spike, the first and the last
    # point exactly as stored, and the count of the whole series
    assert 2 < len(got["series"]) <= 400
    assert got["count"] == 20_000
    steps = [p["step"] for p in got["series"]]
    assert steps == sorted(steps)
    assert got["series"][0] == {**points[0], "time": None}
    assert got["series"][-1] == {**points[-1], "time": None}
    assert {"value": 99.0, "text": "99.0", "step": 12_345, "time": None} in got["series"]
    # And without points the whole series comes back as before
    whole = await api("GET", f"runs/{rec['id']}/metrics/loss")
    assert len(whole["series"]) == 20_000 and whole["count"] == 20_000


async def test_downsampled_points_carry_their_numbered_steps(api):  # noqa: F811
    # Given a series logged without steps after step 100
    steps = [100] + [None] * 999
    rec = record(metrics={"acc": series([float(i % 7) for i in range(1000)], steps)})
    await api("POST", "runs", rec, expect=201)
    # When 10 points are asked for
    got = await api("GET", f"runs/{rec['id']}/metrics/acc", params={"points": "10"})
    # Then each point has the step the kernel library numbered it with (the last: 1099)
    assert all(isinstance(p["step"], int) for p in got["series"])
    assert got["series"][-1]["step"] == 1099 and got["series"][0]["step"] == 100


async def test_a_window_of_steps_is_downsampled_on_its_own(api):  # noqa: F811
    # Given a series of 10,000 points
    rec = record(metrics={"loss": series([float(i) for i in range(10_000)])})
    await api("POST", "runs", rec, expect=201)
    # When a zoomed chart asks for steps 2,000 to 2,999 in 100 points
    got = await api(
        "GET",
        f"runs/{rec['id']}/metrics/loss",
        params={"points": "100", "from": "2000", "to": "2999"},
    )
    # Then the points lie in the window, begin and end at its edges, and count the window
    steps = [p["step"] for p in got["series"]]
    assert len(steps) <= 100 and steps[0] == 2000 and steps[-1] == 2999
    assert got["count"] == 1000


@pytest.mark.parametrize(
    "query",
    [
        {"points": "0"},
        {"points": "10001"},
        {"points": "-1"},
        {"points": "1.5"},
        {"points": "lots"},
        {"points": ""},
        {"points": "1e3"},
        {"points": "9" * 400},
        {"points": "10", "from": "x"},
        {"points": "10", "to": "9" * 30},
    ],
)
async def test_bad_points_or_bounds_are_a_400_with_one_sentence(api, query):  # noqa: F811
    # Given a run with a short series
    rec = record(metrics={"loss": series([1.0, 2.0, 3.0])})
    await api("POST", "runs", rec, expect=201)
    # When a chart asks with a bad number / Then 400 naming the parameter
    err = await api("GET", f"runs/{rec['id']}/metrics/loss", params=query, expect=400)
    name = (
        "points"
        if "from" not in query and "to" not in query
        else next(k for k in ("from", "to") if k in query)
    )
    assert name in err["error"]


async def test_points_bounds_are_inclusive(api):  # noqa: F811
    # Given a series of 20,000 points
    rec = record(metrics={"loss": series([float(i % 13) for i in range(20_000)])})
    await api("POST", "runs", rec, expect=201)
    # When 1 and 10,000 points are asked for
    one = await api("GET", f"runs/{rec['id']}/metrics/loss", params={"points": "1"})
    most = await api("GET", f"runs/{rec['id']}/metrics/loss", params={"points": "10000"})
    # Then 1 point (the last) and at most 10,000
    assert [p["step"] for p in one["series"]] == [19_999]
    assert 5_000 < len(most["series"]) <= 10_000


async def test_an_unknown_run_is_a_404_and_an_unknown_key_is_empty(api):  # noqa: F811
    # Given a run without the metric asked for
    rec = record(metrics={"loss": series([1.0])})
    await api("POST", "runs", rec, expect=201)
    # Then the other key answers an empty series, another run id a 404
    got = await api("GET", f"runs/{rec['id']}/metrics/acc", params={"points": "5"})
    assert got == {"key": "acc", "series": [], "count": 0}
    await api("GET", f"runs/{uuid.uuid4()}/metrics/loss", params={"points": "5"}, expect=404)


async def test_a_million_points_are_answered_with_n_points(api, jp_serverapp):  # noqa: F811
    # Given a run with a 1,000,000-point metric (stored directly: the same store a publish
    # writes) whose maximum sits at one step
    values = [math.sin(i / 1000.0) for i in range(1_000_000)]
    values[765_432] = 7.0
    rec = record(metrics={"loss": [{"value": v, "step": i} for i, v in enumerate(values)]})
    app = extension(jp_serverapp)
    app.store.put_run(rec, "alice")
    # When a chart asks for 1,000 points, and again (answered from the series' summary)
    got = await api("GET", f"runs/{rec['id']}/metrics/loss", params={"points": "1000"})
    again = await api("GET", f"runs/{rec['id']}/metrics/loss", params={"points": "1000"})
    # Then at most 1,000 points, the maximum and the exact last point among them, the same
    # both times
    assert len(got["series"]) <= 1000 and got["count"] == 1_000_000
    assert max(p["value"] for p in got["series"]) == 7.0
    assert got["series"][-1]["step"] == 999_999
    assert got["series"][-1]["value"] == values[-1]
    assert again == got
    # And a finer request of the same series (more buckets than summary blocks would allow
    # at a coarser summary) still keeps the maximum
    fine = await api("GET", f"runs/{rec['id']}/metrics/loss", params={"points": "10000"})
    assert 1000 < len(fine["series"]) <= 10_000
    assert max(p["value"] for p in fine["series"]) == 7.0
