"""Compare up to 500 runs in one request, diff two runs, metric directions (issue 14), on a
live server: what a user sees, what a project-limited key may not see, and bad input."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from ..server.openapi import validate_response
from .conftest import basic_auth, create_key, http, token_auth
from .test_isolation import SECRET, api, project, record


def checked(server, method: str, path: str, body=None, headers=None, expect=200):
    """Call a route and check the answer against openapi.yaml."""
    status, answer = api(server, method, path, body, headers or token_auth(server))
    assert status == expect, (status, answer)
    validate_response("/" + path.split("?")[0], method, status, answer)
    return answer


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def point(value, step=0) -> dict:
    return {"value": value, "text": str(value), "step": step, "time": "2026-11-27T06:30:00Z"}


def executions(*cells: tuple[str | None, str]) -> tuple[list[dict], dict[str, str]]:
    """In-run executions of ``(cell id, source)`` in order, and their sources."""
    return (
        [{"seq": i, "cell_id": cid, "execution_count": i + 1, "source_sha256": sha(src),
          "success": True, "in_run": True, "origin": "cell"}
         for i, (cid, src) in enumerate(cells)],
        {sha(src): src for _, src in cells},
    )  # fmt: skip


def publish(server, rec: dict, headers=None) -> dict:
    status, answer = api(server, "POST", "runs", rec, headers or token_auth(server))
    assert status == 201, answer
    return answer


def test_compare_answers_500_runs_in_one_request_in_the_order_asked(live):
    # Given 500 runs of one project, each with its own alpha, loss series and input
    proj = project()
    ids = []
    for i in range(500):
        rec = record(proj, parameters={"alpha": {"value": i, "text": str(i)},
                                       "kind": {"value": "rf", "text": "rf"}},
                     metrics={"loss": [point(1.0, 0), point(i / 1000, 1), point(0.5, 2)]},
                     inputs=[{"path": "data/train.csv", "sha256": sha(f"d{i % 3}"),
                              "size": 2}])  # fmt: skip
        ids.append(publish(live, rec)["id"])
    ids.reverse()
    # When they are compared in one request
    answer = checked(live, "POST", "runs/compare", {"ids": ids})
    # Then all 500 come back, in the order asked, each with what the compare view shows
    assert [r["id"] for r in answer["runs"]] == ids
    assert answer["missing"] == []
    last = answer["runs"][0]  # run 499
    assert last["parameters"]["alpha"] == {"value": 499, "text": "499"}
    assert last["metrics"]["loss"]["value"] == 0.5
    assert (last["metrics"]["loss"]["min"], last["metrics"]["loss"]["max"]) == (0.499, 1.0)
    assert last["metrics"]["loss"]["count"] == 3
    assert last["inputs"] == [{"path": "data/train.csv", "sha256": sha("d1"), "size": 2}]


@pytest.mark.parametrize(
    "body, says",
    [
        ({"ids": []}, "non-empty"),
        ({"ids": "x"}, "non-empty"),
        ({"ids": [str(uuid.uuid4()) for _ in range(501)]}, "at most 500"),
        ({"ids": ["../../etc/passwd"]}, "ids[0]"),
        ({"ids": [str(uuid.uuid4()), 7]}, "ids[1]"),
        ({"ids": [uuid.uuid4().hex]}, "canonical"),
        ({"runs": []}, '{"ids"'),
        ({"ids": [str(uuid.uuid4())], "sql": "1"}, "'sql'"),
        ([1, 2], '{"ids"'),
    ],
)
def test_a_bad_compare_request_is_a_400_in_one_sentence(live, body, says):
    # When the body is not a list of 1..500 run ids, Then 400 saying what is wrong
    answer = checked(live, "POST", "runs/compare", body, expect=400)
    assert says in answer["error"]
    assert answer["error"].count(". ") == 0


def test_the_compare_buttons_limit_is_the_servers():
    # The Compare buttons and command refuse more runs than the server takes (a tab that
    # only said "400" before): their limit is the server's
    from pathlib import Path

    from jupyterlab_dotscience.routes.compare import MAX_COMPARE

    source = Path(__file__).parents[2] / "src" / "runs" / "compareLimit.ts"
    assert f"export const MAX_COMPARE = {MAX_COMPARE};" in source.read_text()


def test_a_project_limited_key_compares_only_its_project(live):
    # Given a foreign run and a run of the key's own project
    foreign = record(project(), description=SECRET, parameters={"a": {"value": 1, "text": "1"}})
    publish(live, foreign)
    mine = project()
    auth = basic_auth("alice", create_key(live, project=mine)["key"])
    own = publish(live, record(mine), auth)
    unknown = str(uuid.uuid4())
    # When the key compares its run, the foreign one and an unknown id
    answer = checked(live, "POST", "runs/compare",
                     {"ids": [foreign["id"], own["id"], unknown]}, auth)  # fmt: skip
    # Then only its own run is answered; the foreign id is missing exactly like the unknown
    assert [r["id"] for r in answer["runs"]] == [own["id"]]
    assert answer["missing"] == [foreign["id"], unknown]
    assert SECRET not in str(answer) and foreign["project"] not in str(answer)


def quickstart_pair(server, proj: str | None = None, headers=None):
    """Two runs of one notebook where alpha and the training cell changed, an input's content
    changed, a package was upgraded and accuracy went up."""
    proj = proj or project()
    base = dict(notebook="quickstart.ipynb")
    ex_a, src_a = executions(("c-load", "df = load()"), ("c-train", "fit(df, alpha=0.1)"),
                             ("c-plot", "plot()"))  # fmt: skip
    ex_b, src_b = executions(("c-load", "df = load()"), ("c-train", "fit(df, alpha=0.5)\nsave()"),
                             ("c-plot", "plot()"))  # fmt: skip
    env = {"python": "3.11.7", "implementation": "CPython", "platform": "Linux",
           "packages": {"numpy": "2.1.0", "pandas": "2.2.0"}, "git": None}  # fmt: skip
    a = publish(server, record(
        proj, **base, executions=ex_a, sources=src_a,
        parameters={"alpha": {"value": 0.1, "text": "0.1"}, "seed": {"value": 1, "text": "1"}},
        metrics={"accuracy": [point(0.8)], "loss": [point(0.3)]},
        inputs=[{"path": "data/train.csv", "sha256": sha("v1"), "size": 2},
                {"path": "data/labels.csv", "sha256": sha("labels"), "size": 6}],
        environment=env,
    ), headers)  # fmt: skip
    b = publish(server, record(
        proj, **base, executions=ex_b, sources=src_b,
        parameters={"alpha": {"value": 0.5, "text": "0.5"}, "seed": {"value": 1, "text": "1"}},
        metrics={"accuracy": [point(0.9)], "loss": [point(0.3)]},
        inputs=[{"path": "data/train.csv", "sha256": sha("v2"), "size": 2},
                {"path": "data/labels.csv", "sha256": sha("labels"), "size": 6}],
        environment=dict(env, packages={"numpy": "2.2.0", "pandas": "2.2.0"}),
    ), headers)  # fmt: skip
    return a, b


def test_the_diff_of_two_runs_shows_exactly_what_changed(live):
    # Given two runs in which alpha, one cell, one input and numpy changed
    a, b = quickstart_pair(live)
    checked(live, "PUT", "metrics/accuracy/direction", {"direction": "higher"})
    # When their diff is asked for
    diff = checked(live, "GET", f"runs/{a['id']}/diff/{b['id']}")
    # Then the changed cell is the training cell, with both sources, the others the same
    assert [(c["cell_id"], c["status"]) for c in diff["cells"]] == [
        ("c-load", "same"), ("c-train", "changed"), ("c-plot", "same")]  # fmt: skip
    train = diff["cells"][1]
    assert (train["a"]["source"], train["b"]["source"]) == (
        "fit(df, alpha=0.1)", "fit(df, alpha=0.5)\nsave()")  # fmt: skip
    # And alpha changed, seed did not; the input changed by hash; numpy changed
    assert {p["key"]: p["status"] for p in diff["parameters"]} == {
        "alpha": "changed", "seed": "same"}  # fmt: skip
    data = {d["path"]: (d["status"], d["a"], d["b"]) for d in diff["data"]}
    assert data["data/train.csv"] == ("changed", sha("v1"), sha("v2"))
    assert data["data/labels.csv"][0] == "same"
    assert diff["environment"]["packages"] == [
        {"key": "numpy", "status": "changed", "a": "2.1.0", "b": "2.2.0"}]  # fmt: skip
    assert diff["environment"]["packages_same"] == 1
    assert diff["environment"]["python"]["status"] == "same"
    # And accuracy is better in b (higher is better), loss is the same
    metrics = {m["key"]: m for m in diff["metrics"]}
    assert (metrics["accuracy"]["status"], metrics["accuracy"]["better"]) == ("changed", "b")
    assert metrics["loss"]["status"] == "same"
    assert diff["changes"] == {"cells": 1, "parameters": 1, "data": 1, "environment": 1,
                               "metrics": 1}  # fmt: skip


def test_cells_without_ids_align_by_order_and_added_removed_cells_are_named(live):
    # Given a run with an unnamed cell and a cell the other run lacks, and vice versa
    proj = project()
    ex_a, src_a = executions((None, "import x"), ("keep", "x.run()"), ("gone", "old()"))
    ex_b, src_b = executions((None, "import y"), ("keep", "x.run()"), ("new", "new()"))
    a = publish(live, record(proj, executions=ex_a, sources=src_a))
    b = publish(live, record(proj, executions=ex_b, sources=src_b))
    # When diffed
    diff = checked(live, "GET", f"runs/{a['id']}/diff/{b['id']}")
    # Then the unnamed cells are paired, and the other two are removed and added
    got = {(c["cell_id"], c["status"]) for c in diff["cells"]}
    assert got == {(None, "changed"), ("keep", "same"), ("gone", "removed"), ("new", "added")}
    removed = next(c for c in diff["cells"] if c["status"] == "removed")
    assert removed["b"] is None and removed["a"]["source"] == "old()"


def test_the_last_in_run_execution_of_a_cell_is_the_one_diffed(live):
    # Given a run whose cell ran twice (edited between) and once before the run started
    proj = project()
    ex, src = executions(("c", "v = 1"), ("c", "v = 2"))
    before = {"seq": 5, "cell_id": "c", "source_sha256": sha("v = 0"), "in_run": False}
    ex = [dict(e, seq=e["seq"] + 6) for e in ex]
    a = publish(
        live, record(proj, executions=[before, *ex], sources={**src, sha("v = 0"): "v = 0"})
    )
    ex_b, src_b = executions(("c", "v = 2"))
    b = publish(live, record(proj, executions=ex_b, sources=src_b))
    # When diffed, Then the cell is the same: its last in-run source in a is "v = 2"
    diff = checked(live, "GET", f"runs/{a['id']}/diff/{b['id']}")
    assert [(c["cell_id"], c["status"], c["a"]["source"]) for c in diff["cells"]] == [
        ("c", "same", "v = 2")]  # fmt: skip


def test_a_key_cannot_diff_against_a_foreign_run(live):
    # Given a foreign run and a run of the key's project
    foreign = publish(live, record(project(), description=SECRET))
    mine = project()
    auth = basic_auth("alice", create_key(live, project=mine)["key"])
    own = publish(live, record(mine), auth)
    unknown = str(uuid.uuid4())
    # When the key diffs its run with the foreign one, either way round, or an unknown one
    answers = [
        checked(live, "GET", f"runs/{own['id']}/diff/{foreign['id']}", headers=auth, expect=404),
        checked(live, "GET", f"runs/{foreign['id']}/diff/{own['id']}", headers=auth, expect=404),
        checked(live, "GET", f"runs/{own['id']}/diff/{unknown}", headers=auth, expect=404),
    ]
    # Then each is worded as the 404 of a run that does not exist (the id it was sent, and
    # nothing of the foreign run's project or description)
    assert [a["error"] for a in answers] == [
        f"There is no run {foreign['id']}.", f"There is no run {foreign['id']}.",
        f"There is no run {unknown}."]  # fmt: skip
    for a in answers:
        assert SECRET not in str(a) and foreign["project"] not in str(a)
    # And its own diff works
    assert (
        checked(live, "GET", f"runs/{own['id']}/diff/{own['id']}", headers=auth)["changes"][
            "parameters"
        ]
        == 0
    )


def test_metric_directions_are_set_by_a_jupyter_login_and_read_by_keys(live):
    key = f"m-{uuid.uuid4().hex[:8]}"
    # Given no direction for a metric
    assert checked(live, "GET", f"metrics/{key}/direction") == {"key": key, "direction": None}
    # When the Jupyter user says lower is better
    checked(live, "PUT", f"metrics/{key}/direction", {"direction": "lower"})
    # Then an API key reads it, but may not change it
    auth = basic_auth("alice", create_key(live)["key"])
    assert checked(live, "GET", f"metrics/{key}/direction", headers=auth)["direction"] == "lower"
    refused = checked(live, "PUT", f"metrics/{key}/direction", {"direction": "higher"},
                      auth, expect=403)  # fmt: skip
    assert "Jupyter login" in refused["error"]
    # And bad directions are a 400 that changes nothing
    for body in ({"direction": "up"}, {"direction": 1}, {}, {"direction": "lower", "x": 1}, []):
        checked(live, "PUT", f"metrics/{key}/direction", body, expect=400)
    assert checked(live, "GET", f"metrics/{key}/direction")["direction"] == "lower"
    # And the compare answer carries it for the metrics of its runs
    run = publish(live, record(project(), metrics={key: [point(1.0)]}))
    answer = checked(live, "POST", "runs/compare", {"ids": [run["id"]]})
    assert answer["directions"] == {key: "lower"}
    # And null forgets it
    checked(live, "PUT", f"metrics/{key}/direction", {"direction": None})
    assert checked(live, "GET", f"metrics/{key}/direction")["direction"] is None


def test_a_metric_key_too_long_for_a_direction_is_a_400(live):
    status, answer = http(
        "GET", live.url + "dotscience/api/metrics/" + "k" * 300 + "/direction", None,
        token_auth(live),
    )  # fmt: skip
    assert status == 400 and "256" in answer["error"]
