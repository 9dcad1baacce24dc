"""The REST API end to end on a real Jupyter server, checked against openapi.yaml."""

import hashlib
import json
import uuid

import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_dotscience.routes import route_table

from .openapi import DOC, validate_response


def record(**kw):
    rec = {
        "schema": "dotscience.run/2",
        "id": str(uuid.uuid4()),
        "project": "default",
        "mode": "interactive",
        "notebook": "train.ipynb",
        "start": "2026-11-27T06:30:00.000000Z",
        "end": "2026-11-27T06:31:00.000000Z",
        "inputs": [],
        "outputs": [],
        "parameters": {},
        "labels": {},
        "metrics": {},
    }
    rec.update(kw)
    return rec


def file_ref(root, rel, data: bytes):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return {"path": rel, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


@pytest.fixture
def api(jp_fetch):
    """Call a route below dotscience/api, validate the answer against openapi.yaml."""

    async def call(method, path, body=None, params=None, expect=200):
        kwargs = {"method": method}
        if body is not None:
            kwargs["body"] = body if isinstance(body, bytes | str) else json.dumps(body)
        try:
            resp = await jp_fetch(
                "dotscience", "api", *path.strip("/").split("/"), params=params, **kwargs
            )
            status, raw = resp.code, resp.body
        except HTTPClientError as e:
            status, raw = e.code, e.response.body if e.response else b""
        ctype = "json"
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data, ctype = raw.decode(), "text"
        assert status == expect, f"{method} {path}: {status} {data}"
        if ctype == "json":
            validate_response("/" + path.strip("/").split("?")[0], method, status, data)
        return data

    return call


def test_every_route_is_documented():
    # Given the route table and the OpenAPI document
    documented = set(DOC["paths"])
    # Then each route has a documented path (and no documented path is missing a route)
    import re

    normalised = {
        re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", p).replace("/dotscience/api", "")
        for p, *_ in route_table()
    }
    assert normalised == documented


def test_the_openapi_document_is_valid_openapi():
    # Given the OpenAPI document clients generate their types from
    from openapi_spec_validator import validate

    # Then it is valid OpenAPI 3 (a plain-YAML description holding ", " had made a junk
    # property of Sweep.message, nothing else noticed)
    validate(DOC)


async def test_publish_is_idempotent_and_listed_once(api):
    # Given a run record
    rec = record(parameters={"alpha": {"value": 0.5, "text": "0.5"}})
    # When it is published twice
    first = await api("POST", "runs", rec, expect=201)
    again = await api("POST", "runs", rec, expect=200)
    # Then it is stored once and listed once
    assert first["id"] == again["id"] == rec["id"]
    page = await api("GET", "runs")
    assert [r["id"] for r in page["runs"]].count(rec["id"]) == 1
    assert page["runs"][0]["parameters"] == {"alpha": "0.5"}


async def test_outputs_are_captured_and_downloadable(api, jp_root_dir, jp_fetch):
    # Given a run that wrote a model file
    out = file_ref(jp_root_dir, "model/model.bin", b"weights v1")
    rec = record(outputs=[out])
    await api("POST", "runs", rec, expect=201)
    # When the notebook overwrites the file afterwards
    (jp_root_dir / "model/model.bin").write_bytes(b"weights v2")
    files = await api("GET", f"runs/{rec['id']}/files")
    # Then the run's version can still be downloaded by hash
    (f,) = files["files"]
    assert f["artifact"] is True and f["role"] == "output"
    resp = await jp_fetch(
        "dotscience", "api", "artifacts", out["sha256"], params={"name": "model.bin"}
    )
    assert resp.body == b"weights v1"
    assert "model.bin" in resp.headers["Content-Disposition"]


async def test_filters_sort_and_pages(api):
    # Given five runs with different accuracy and a label on two of them
    ids = []
    for i in range(5):
        rec = record(
            metrics={
                "accuracy": [
                    {
                        "value": i / 10,
                        "text": str(i / 10),
                        "step": 0,
                        "time": "2026-11-27T06:30:00Z",
                    }
                ]
            },
            labels={"team": "a" if i < 2 else "b"},
            parameters={"n": {"value": i, "text": str(i)}},
        )
        ids.append((await api("POST", "runs", rec, expect=201))["id"])
    # When filtering by label, parameter and metric range, and sorting by the metric
    by_label = await api("GET", "runs", params={"label": "team:a"})
    by_param = await api("GET", "runs", params={"param": "n>=3"})
    by_metric = await api(
        "GET", "runs", params={"metric": "accuracy:0.15:0.35", "sort": "-metric:accuracy"}
    )
    # Then each answer holds exactly the matching runs
    assert {r["id"] for r in by_label["runs"]} == set(ids[:2])
    assert {r["id"] for r in by_param["runs"]} == set(ids[3:])
    assert [r["id"] for r in by_metric["runs"]] == [ids[3], ids[2]]
    # And paging two at a time walks every run once
    seen, cursor = [], None
    while True:
        params = {"limit": "2", "sort": "metric:accuracy"}
        if cursor:
            params["cursor"] = cursor
        page = await api("GET", "runs", params=params)
        seen += [r["id"] for r in page["runs"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids


async def test_bad_requests_get_clear_messages(api):
    # Given malformed bodies and filters / Then each is a 400 with a sentence naming the problem
    err = await api("POST", "runs", b"{not json", expect=400)
    assert "not valid JSON" in err["error"]
    err = await api("POST", "runs", record(id="nope"), expect=400)
    assert "id" in err["error"]
    err = await api("GET", "runs", params={"metric": "accuracy:low:1"}, expect=400)
    assert "number" in err["error"]
    err = await api("GET", "runs", params={"label": "novalue"}, expect=400)
    assert "key:value" in err["error"]
    err = await api("GET", f"runs/{uuid.uuid4()}", expect=404)
    assert "no run" in err["error"]


async def test_cells_notebook_and_lineage(api, jp_root_dir):
    # Given run A that wrote a data file and run B that read it
    data = file_ref(jp_root_dir, "data/clean.csv", b"a,b\n1,2\n")
    a = record(outputs=[data], start="2026-11-27T06:00:00Z", end="2026-11-27T06:01:00Z")
    # whose kernel ran its second cell, then its first (the record's executions)
    src = {"c1": "import pandas as pd", "c2": "df = pd.read_csv('data/clean.csv')"}
    sha = {k: hashlib.sha256(v.encode()).hexdigest() for k, v in src.items()}
    executions = [
        {"seq": i, "cell_id": c, "execution_count": i + 1, "source_sha256": sha[c],
         "start": f"2026-11-27T07:00:1{i}Z", "end": f"2026-11-27T07:00:1{i}Z",
         "success": True, "in_run": True, "origin": "cell"}
        for i, c in enumerate(["c2", "c1"])
    ]  # fmt: skip
    b = record(
        inputs=[data], start="2026-11-27T07:00:00Z", end="2026-11-27T07:01:00Z",
        executions=executions, sources={sha[c]: src[c] for c in src},
    )  # fmt: skip
    await api("POST", "runs", a, expect=201)
    await api("POST", "runs", b, expect=201)
    # When the extension records B's notebook (c1 above c2)
    nb = {
        "cells": [
            {"id": c, "cell_type": "code", "source": src[c], "metadata": {}, "outputs": [],
             "execution_count": None}
            for c in ("c1", "c2")
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    await api("PUT", f"runs/{b['id']}/notebook", {"path": "train.ipynb", "content": nb})
    # Then B lists its cells in notebook order, keeps the snapshot and links up to A
    got = await api("GET", f"runs/{b['id']}/cells")
    assert [(c["cell_id"], c["index"]) for c in got["cells"]] == [("c1", 0), ("c2", 1)]
    ran = await api("GET", f"runs/{b['id']}/cells", params={"order": "execution"})
    assert [c["cell_id"] for c in ran["cells"]] == ["c2", "c1"]
    snap = await api("GET", f"runs/{b['id']}/notebook")
    assert snap["content"]["nbformat"] == 4
    graph = await api("GET", f"runs/{b['id']}/lineage", params={"direction": "up"})
    run_nodes = {n["id"] for n in graph["nodes"] if n["kind"] == "run"}
    assert a["id"] in run_nodes
    down = await api("GET", f"files/{data['sha256']}/lineage")
    assert {a["id"], b["id"]} <= {n["id"] for n in down["nodes"] if n["kind"] == "run"}


async def test_exports(api, jp_fetch):
    # Given a run with a parameter and a metric
    rec = record(
        parameters={"C": {"value": 1.0, "text": "1.0"}},
        metrics={"acc": [{"value": 0.9, "text": "0.9", "step": 0, "time": "2026-11-27T06:30:00Z"}]},
    )
    await api("POST", "runs", rec, expect=201)
    # When exported in each format
    prov = await api("GET", f"runs/{rec['id']}/export", params={"format": "prov"})
    ol = await api("GET", f"runs/{rec['id']}/export", params={"format": "openlineage"})
    resp = await jp_fetch("dotscience", "api", "runs", rec["id"], "export", params={"format": "v1"})
    # Then each carries the run
    assert "activity" in prov
    assert {e["eventType"] for e in ol["events"]} >= {"START", "COMPLETE"}
    text = resp.body.decode()
    assert text.startswith(f"[[DOTSCIENCE-RUN:{rec['id']}]]") and '"C": "1.0"' in text


async def test_import_v1_from_notebook_once(api, jp_root_dir):
    # Given an old notebook whose output holds a v1 block printed by dotscience 0.8.7
    run_id = str(uuid.uuid4())
    block = (
        f'[[DOTSCIENCE-RUN:{run_id}]]{{\n    "input": [],\n    "labels": {{}},\n'
        f'    "output": [],\n    "parameters": {{\n        "lr": "0.1"\n    }},\n'
        f'    "summary": {{}},\n    "version": "1"\n}}[[/DOTSCIENCE-RUN:{run_id}]]\n'
    )
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": "ds.publish()",
                "metadata": {},
                "execution_count": 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": [block]}],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (jp_root_dir / "old.ipynb").write_text(json.dumps(nb))
    # When it is imported twice
    first = await api("POST", "import", {"path": "old.ipynb"})
    second = await api("POST", "import", {"path": "old.ipynb"})
    # Then the run is stored once, marked imported, with its parameter
    assert (first["found"], first["imported"]) == (1, 1)
    assert (second["found"], second["imported"]) == (1, 0)
    run = await api("GET", f"runs/{run_id}")
    assert run["imported"] is True and run["parameters"]["lr"]["text"] == "0.1"


@pytest.mark.parametrize(
    "payload", ["../etc/passwd", "/etc/passwd", "%2e%2e/x", "a\\..\\..\\x", "a\x00b", "link/secret"]
)
async def test_import_paths_never_escape_the_workspace(api, jp_root_dir, tmp_path, payload):
    # Given a symlink inside the workspace that points outside it
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret").write_text("[[DOTSCIENCE-RUN:x]]{}[[/DOTSCIENCE-RUN:x]]")
    link = jp_root_dir / "link"
    if not link.exists():
        link.symlink_to(outside)
    # When an import names a path that escapes the workspace
    err = await api("POST", "import", {"path": payload}, expect=400)
    # Then it is refused with a message, and nothing is imported
    assert err["error"]
    page = await api("GET", "runs")
    assert page["runs"] == []


async def test_oversized_body_is_refused(api, jp_serverapp):
    # Given a server whose request limit is small
    app = jp_serverapp.extension_manager.extension_apps["jupyterlab_dotscience"]
    next(iter(app)).max_run_bytes = 1000
    # When a larger run is published / Then 413 with the limit in the message
    err = await api("POST", "runs", record(description="x" * 5000), expect=413)
    assert "1000" in err["error"]


async def test_kernel_token_publishes(jp_serverapp, http_server_client, jp_base_url, api):
    # Given the publish token a kernel receives
    app = next(iter(jp_serverapp.extension_manager.extension_apps["jupyterlab_dotscience"]))
    rec = record()
    # When a kernel publishes with it (no cookie, no XSRF)
    resp = await http_server_client.fetch(
        jp_base_url + "dotscience/api/runs",
        method="POST",
        body=json.dumps(rec),
        headers={"Authorization": f"token {app.kernel_token}"},
    )
    # Then the run is stored and attributed to the kernel user
    assert resp.code == 201
    run = await api("GET", f"runs/{rec['id']}")
    assert run["author"] == app.kernel_user
