"""Metric statistics in ``GET runs`` (``stats=true``, ``sort=metric.min:<key>``,
``metric.max=<key>:<lo>:<hi>``, issue 14) with a project-limited API key, on a live server.

The key's holder must learn nothing of another project's runs through them: not its rows,
not the total count, not the smallest or largest value of a series, and not a filter whose
count would change with the other project's values (which would let it find them by
bisection). Naming the other project outright is refused.
"""

from __future__ import annotations

import urllib.parse
import uuid

from ..server.openapi import validate_response
from .conftest import basic_auth, create_key, token_auth
from .test_isolation import SECRET, api, assert_nothing_of, project, record


def series(*values) -> list[dict]:
    """A metric series of ``values`` at steps 0, 1, ..."""
    return [
        {"value": v, "text": str(v), "step": i, "time": "2026-11-27T06:30:00Z"}
        for i, v in enumerate(values)
    ]


def publish(server, rec: dict, headers=None) -> dict:
    status, answer = api(server, "POST", "runs", rec, headers or token_auth(server))
    assert status == 201, answer
    return answer


def get(server, path: str, params: list[tuple[str, str]], headers, expect=200):
    """``GET path?params`` (checked against openapi.yaml); the answer."""
    query = urllib.parse.urlencode(params)
    status, answer = api(server, "GET", f"{path}?{query}", None, headers)
    assert status == expect, (path, params, status, answer)
    validate_response("/" + path, "GET", status, answer)
    return answer


def pages(server, params: list[tuple[str, str]], headers) -> tuple[list[dict], set[int]]:
    """Every run of ``GET runs`` with ``params``, one run per page (following the cursor),
    and the totals the pages gave."""
    runs, totals, cursor = [], set(), None
    for _ in range(100):
        page = get(
            server, "runs", [*params, ("limit", "1"), *([("cursor", cursor)] if cursor else [])],
            headers,
        )  # fmt: skip
        runs += page["runs"]
        totals.add(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            return runs, totals
    raise AssertionError("more than 100 pages for a handful of runs")


def probes(secret_key: str) -> list[list[tuple[str, str]]]:
    """The queries an attacker would make about ``secret_key`` (and the shared ``loss``):
    statistics, sorts by every aggregate either way, and filters by every aggregate with
    bounds that halve the range (a bisection's first steps)."""
    queries: list[list[tuple[str, str]]] = [[("stats", "true")]]
    for key in (secret_key, "loss"):
        for sort in (f"metric:{key}", f"metric.min:{key}", f"metric.max:{key}"):
            queries += [[("stats", "true"), ("sort", sort)], [("sort", "-" + sort)]]
        for name in ("metric", "metric.min", "metric.max"):
            for bounds in ("::", "::0.05", "::0.5", ":0.5:", ":0.05:0.5"):
                queries.append([("stats", "true"), (name, key + bounds)])
    return queries


def seen(server, queries, headers) -> list:
    """What ``headers`` gets for each query: rows (ids, last values, min and max) and the
    total of ``GET runs``, and the ids and total of ``GET runs/ids``."""
    out = []
    for params in queries:
        page = get(server, "runs", params, headers)
        rows = [(r["id"], r["metrics"], r.get("metric_min"), r.get("metric_max"))
                for r in page["runs"]]  # fmt: skip
        out.append((rows, page["total"], get(server, "runs/ids", params, headers)))
    return out


def test_stats_sorts_and_filters_show_a_limited_key_nothing_of_another_project(live):
    # Given a foreign project whose runs alone have a secret metric, and share "loss" with
    # the key's project but with smaller and larger values than any of the key's runs
    secret_key = f"secret-{uuid.uuid4().hex[:8]}"
    foreign_project = project()
    foreign = [
        publish(live, record(foreign_project, description=SECRET,
                             metrics={secret_key: series(*values), "loss": series(*values)}))
        for values in ((0.9, 0.01, 0.3), (0.04, 0.6), (2.5,))
    ]  # fmt: skip
    # And a key limited to its own project, with two runs of "loss" between 0.2 and 0.4 and a
    # run without it
    mine = project()
    auth = basic_auth("alice", create_key(live, project=mine)["key"])
    own = [
        publish(live, record(mine, metrics={"loss": series(0.4, 0.2)}), auth),
        publish(live, record(mine, metrics={"loss": series(0.3, 0.35)}), auth),
        publish(live, record(mine, metrics={"accuracy": series(0.7)}), auth),
    ]
    own_ids = {r["id"] for r in own}
    queries = probes(secret_key)
    # (the Jupyter user sees the foreign runs through these very queries: they do match)
    everyone = seen(live, queries, token_auth(live))
    assert {f["id"] for f in foreign} <= {i for rows, _, _ in everyone for i, *_ in rows}

    # When the key asks for the statistics, sorts and filters
    answers = seen(live, queries, auth)

    # Then it gets only its own runs, with only their own statistics
    for params, (rows, total, ids) in zip(queries, answers, strict=True):
        assert {i for i, *_ in rows} <= own_ids, params
        assert set(ids["ids"]) <= own_ids and ids["total"] == total == len(ids["ids"]), params
        assert len(rows) == total, params
        for _, metrics, low, high in rows:
            assert secret_key not in metrics and secret_key not in (low or {}), params
            assert secret_key not in (high or {}), params
        assert_nothing_of(foreign[0], rows, ids, server=live)
    stats = dict(zip(map(str, queries), answers, strict=True))
    rows, total, _ = stats[str([("stats", "true")])]
    assert total == 3
    by_id = {i: (low, high) for i, _, low, high in rows}
    assert by_id[own[0]["id"]] == ({"loss": 0.2}, {"loss": 0.4})
    assert by_id[own[1]["id"]] == ({"loss": 0.3}, {"loss": 0.35})
    # And filtering by the metric only the foreign project has matches nothing, at any bound
    for params, (rows, total, ids) in zip(queries, answers, strict=True):
        if any(name.startswith("metric") and value.startswith(secret_key + ":")
               for name, value in params):  # fmt: skip
            assert (rows, total, ids) == ([], 0, {"ids": [], "total": 0}), params
    # And a "loss" filter counts only the key's runs: nothing below 0.2 or above 0.4 (the
    # foreign runs' 0.01 and 2.5 are not there to be found)
    assert stats[str([("stats", "true"), ("metric.min", "loss::0.05")])][1] == 0
    assert stats[str([("stats", "true"), ("metric.max", "loss:0.5:")])][1] == 0
    assert stats[str([("stats", "true"), ("metric.min", "loss::0.5")])][1] == 2
    # And a sort by the foreign metric still lists every own run, none of them first by a
    # foreign value; page by page (following the cursor) too
    for sort in (f"metric.min:{secret_key}", f"-metric.max:{secret_key}", "metric.min:loss"):
        runs, totals = pages(live, [("stats", "true"), ("sort", sort)], auth)
        assert {r["id"] for r in runs} == own_ids and totals == {3}, sort
        assert_nothing_of(foreign[0], runs, server=live)
    assert [r["id"] for r in pages(live, [("sort", "metric.min:loss")], auth)[0]] == [
        own[0]["id"], own[1]["id"], own[2]["id"]]  # fmt: skip


def test_another_projects_values_do_not_change_what_a_limited_key_gets(live):
    # Given a foreign run with a secret metric, and a key of another project with one run
    secret_key = f"secret-{uuid.uuid4().hex[:8]}"
    foreign_project = project()
    foreign = publish(live, record(foreign_project, description=SECRET,
                                   metrics={secret_key: series(0.7), "loss": series(0.7)}))  # fmt: skip
    mine = project()
    auth = basic_auth("alice", create_key(live, project=mine)["key"])
    publish(live, record(mine, metrics={"loss": series(0.45, 0.25)}), auth)
    queries = probes(secret_key)
    before = seen(live, queries, auth)
    # When the foreign project's values change: a new run with values on the other side of
    # every bound the attacker probes, and the smallest and largest values of all
    publish(live, record(foreign_project, description=SECRET,
                         metrics={secret_key: series(0.02, 0.3, 1e300),
                                  "loss": series(-1e300, 0.02, 0.3)}))  # fmt: skip
    # (the Jupyter user sees the difference in the same queries)
    assert seen(live, queries, token_auth(live)) != before
    # Then every answer the key gets, rows and counts, is exactly what it was
    after = seen(live, queries, auth)
    for params, was, now in zip(queries, before, after, strict=True):
        assert now == was, params
    assert_nothing_of(foreign, after, server=live)


def test_a_limited_key_naming_another_project_is_refused(live):
    # Given a foreign run with a secret metric, and a key limited to another project
    secret_key = f"secret-{uuid.uuid4().hex[:8]}"
    foreign_project = project()
    foreign = publish(live, record(foreign_project, description=SECRET,
                                   metrics={secret_key: series(0.1, 0.9)}))  # fmt: skip
    mine = project()
    auth = basic_auth("alice", create_key(live, project=mine)["key"])
    # When it names the foreign project with statistics, a sort or a filter by the metric
    asks = [
        [("stats", "true")],
        [("stats", "true"), ("sort", f"metric.min:{secret_key}")],
        [("sort", f"-metric.max:{secret_key}")],
        [("metric.min", f"{secret_key}::0.5")],
        [("metric.max", f"{secret_key}:0.5:")],
    ]
    for params in asks:
        for path in ("runs", "runs/ids"):
            answer = get(live, path, [("project", foreign_project), *params], auth, expect=403)
            # Then 403 naming only the key's own limit: nothing of the foreign project's runs
            assert answer["error"] == f"This API key is limited to project {mine!r}."
            assert foreign["id"] not in str(answer) and SECRET not in str(answer)
            assert secret_key not in str(answer)
    # And with an unknown project it is the same 403 (naming a project tells nothing)
    unknown = get(live, "runs", [("project", project()), ("stats", "true")], auth, expect=403)
    assert unknown["error"] == f"This API key is limited to project {mine!r}."


def test_name_and_time_filters_show_a_limited_key_nothing_of_another_project(live):
    # Given a foreign run (described SECRET) started at 06:30:00 UTC, and a key limited to
    # its own project with one run started an hour later
    foreign = publish(live, record(project(), description=SECRET,
                                   start="2026-11-27T06:30:00Z", end="2026-11-27T06:31:00Z"))  # fmt: skip
    mine = project()
    auth = basic_auth("alice", create_key(live, project=mine)["key"])
    own = publish(live, record(mine, description="own run", start="2026-11-27T07:30:00Z"), auth)
    # When the key probes by the foreign run's name, its id's start and a bisection of its
    # start, end and publish times
    queries = [[("name", SECRET)], [("name", foreign["id"][:8])], [("name", "run")]]
    for field in ("start", "end", "received"):
        for bounds in ("2026-11-27T06:30:00Z..2026-11-27T06:30:00Z", "..2026-11-27T07:00:00Z",
                       "2026-11-27T06:00:00Z..", "2000-01-01T00:00:00Z.."):  # fmt: skip
            queries.append([(field, bounds)])
    # (the Jupyter user's own listing does find the foreign run by its name and id)
    for params in queries[:2]:
        assert foreign["id"] in get(live, "runs/ids", params, token_auth(live))["ids"]
    answers = seen(live, queries, auth)
    # Then every answer holds at most its own run, and totals count only that
    for params, (rows, total, ids) in zip(queries, answers, strict=True):
        assert {i for i, *_ in rows} <= {own["id"]}, params
        assert ids["ids"] == [i for i, *_ in rows] and ids["total"] == total == len(rows), params
        assert_nothing_of(foreign, rows, ids, server=live)
    found = {str(p): total for p, (_, total, _) in zip(queries, answers, strict=True)}
    assert found[str([("name", SECRET)])] == found[str([("name", foreign["id"][:8])])] == 0
    assert found[str([("start", "..2026-11-27T07:00:00Z")])] == 0
    assert found[str([("start", "2026-11-27T06:00:00Z..")])] == 1  # its own run
