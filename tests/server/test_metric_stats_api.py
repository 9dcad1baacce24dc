"""GET runs with the smallest and largest value of each metric (issue 14: the Runs table's
"loss (min)" and "loss (max)" columns): ``stats=true``, ``sort=metric.min:<key>``,
``metric.max=<key>:<lo>:<hi>``; bad aggregates and bounds are a 400 with one sentence."""

import pytest

from .test_api import api, record  # noqa: F401 (the api fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def loss(*values):
    return {"loss": [{"value": v, "text": str(v), "step": i} for i, v in enumerate(values)]}


async def publish(api, *series):  # noqa: F811
    ids = []
    for values in series:
        rec = record(metrics=loss(*values))
        await api("POST", "runs", rec, expect=201)
        ids.append(rec["id"])
    return ids


async def test_runs_list_min_and_max_when_asked(api):  # noqa: F811
    # Given a run whose loss went 5, NaN, 0.1, 3
    (a,) = await publish(api, (5.0, {"$float": "nan"}, 0.1, 3.0))
    # When the table lists runs with their statistics
    got = await api("GET", "runs", params={"stats": "true"})
    # Then each summary has the smallest and largest number beside the last value
    (run,) = got["runs"]
    assert run["id"] == a
    assert run["metrics"] == {"loss": 3.0}
    assert run["metric_min"] == {"loss": 0.1} and run["metric_max"] == {"loss": 5.0}
    # And the sidebar's listing stays as small as before
    (plain,) = (await api("GET", "runs"))["runs"]
    assert "metric_min" not in plain and "metric_max" not in plain


async def test_sort_and_filter_by_min_and_max(api):  # noqa: F811
    # Given three runs: (min 0.1, max 5, last 3), (0.2, 2, 0.2), (0.3, 9, 1)
    a, b, c = await publish(api, (5.0, 0.1, 3.0), (2.0, 0.4, 0.2), (9.0, 0.3, 1.0))

    async def listed(**params):
        return [r["id"] for r in (await api("GET", "runs", params=params))["runs"]]

    # When sorted by the minimum and the maximum / Then in that statistic's order
    assert await listed(sort="metric.min:loss") == [a, b, c]
    assert await listed(sort="-metric.max:loss") == [c, a, b]
    assert await listed(sort="metric:loss") == [b, c, a]
    # And filters look at their own statistic, the total counts the matches
    assert set(await listed(**{"metric.max": "loss:4:"})) == {a, c}
    assert await listed(**{"metric.min": "loss::0.15"}) == [a]
    assert await listed(**{"metric.max": "loss:4:", "metric.min": "loss:0.25:"}) == [c]
    page = await api("GET", "runs", params={"metric.max": "loss:4:"})
    assert page["total"] == 2
    # And "select all that match" agrees
    ids = await api("GET", "runs/ids", params={"metric.max": "loss:4:", "sort": "metric.max:loss"})
    assert ids == {"ids": [a, c], "total": 2}


async def test_a_metric_key_with_colons_is_filtered(api):  # noqa: F811
    # Given a run whose metric key holds colons
    rec = record(metrics={"val:loss": [{"value": 0.5, "text": "0.5", "step": 0}]})
    await api("POST", "runs", rec, expect=201)
    # When filtered by it / Then found (the bounds are the last two fields)
    got = await api("GET", "runs", params={"metric.min": "val:loss:0:1"})
    assert [r["id"] for r in got["runs"]] == [rec["id"]]


@pytest.mark.parametrize(
    "params, word",
    [
        ({"sort": "metric.avg:loss"}, "aggregate"),
        ({"sort": "-metric.median:loss"}, "aggregate"),
        ({"metric.avg": "loss:0:1"}, "aggregate"),
        ({"metric.": "loss:0:1"}, "aggregate"),
        ({"metric.min": "loss:zero:1"}, "numbers"),
        ({"metric.max": "loss:0"}, "key:min:max"),
        ({"metric.max": ":0:1"}, "key:min:max"),
        ({"metric": "loss:nan:"}, "NaN"),
        ({"stats": "yes"}, "stats"),
    ],
)
async def test_bad_aggregates_and_bounds_are_a_400(api, params, word):  # noqa: F811
    # Given a run
    await publish(api, (1.0, 2.0))
    # When asked with a bad statistic or bound / Then 400 with one sentence saying what
    for path in ("runs", "runs/ids"):
        err = await api("GET", path, params=params, expect=400)
        assert word in err["error"]


async def test_runs_are_filtered_by_start_and_published_time(api):  # noqa: F811
    # Given runs started at 06:30 and 08:00 (UTC) on the same day
    early, late = record(), record(start="2026-11-27T08:00:00.000000Z", end=None)
    for rec in (early, late):
        await api("POST", "runs", rec, expect=201)

    async def listed(**params):
        got = await api("GET", "runs", params=params)
        return [r["id"] for r in got["runs"]], got["total"]

    # When filtered by a start range (either bound may be open, both included)
    # Then exactly the runs inside it, and the total counts them
    assert await listed(start="2026-11-27T07:00:00Z..") == ([late["id"]], 1)
    assert await listed(start="..2026-11-27T06:30:00Z") == ([early["id"]], 1)
    both = await listed(start="2026-11-27T06:30:00+00:00..2026-11-27T08:00:00Z", sort="start")
    assert both == ([early["id"], late["id"]], 2)
    # And by the time they were published (now), also for "select all that match"
    assert (await listed(received="2026-11-27T00:00:00Z.."))[1] == 2
    assert await listed(received="..2026-11-27T00:00:00Z") == ([], 0)
    ids = await api("GET", "runs/ids", params={"start": "2026-11-27T07:00:00Z.."})
    assert ids == {"ids": [late["id"]], "total": 1}


@pytest.mark.parametrize(
    "value",
    ["2026-11-27", "..", "yesterday..", "..2026-13-01T00:00:00Z", "0001-01-01T00:00:00+01:00.."],
)
async def test_a_bad_time_filter_is_a_400_with_one_sentence(api, value):  # noqa: F811
    got = await api("GET", "runs", params={"start": value}, expect=400)
    assert "start" in got["error"] and ("from..to" in got["error"] or "ISO 8601" in got["error"])


async def test_runs_are_filtered_by_the_name_lists_show(api):  # noqa: F811
    # Given a described run and one known only by its notebook
    described = record(description="Churn model, 20% sample")
    plain = record(description=None, notebook="churn/explore.ipynb")
    for rec in (described, plain):
        await api("POST", "runs", rec, expect=201)
    # When the Run column's filter asks for part of a name, or the start of an id
    got = await api("GET", "runs", params={"name": "20% SAMPLE"})
    # Then the runs whose shown name holds it, counted
    assert [r["id"] for r in got["runs"]] == [described["id"]] and got["total"] == 1
    both = await api("GET", "runs/ids", params={"name": "churn", "sort": "received"})
    assert both == {"ids": [described["id"], plain["id"]], "total": 2}
    by_id = await api("GET", "runs", params={"name": plain["id"][:8]})
    assert [r["id"] for r in by_id["runs"]] == [plain["id"]]


async def test_a_run_whose_time_is_out_of_range_in_utc_is_a_400(api):  # noqa: F811
    # Given a run that started at the first instant of year 1 in UTC+1 (before year 1 in UTC)
    rec = record(start="0001-01-01T00:00:00+01:00")
    # When it is published / Then it is refused with the field named, and nothing is stored
    got = await api("POST", "runs", rec, expect=400)
    assert "start" in got["error"] and "out of the range of times" in got["error"]
    assert (await api("GET", "runs"))["total"] == 0
