"""Provenance on the server (issue 12): executions, hidden-state warnings, old records.

The run records here are real: an IPython shell runs cells with their ids (as a kernel does
for an execute request), the kernel library records them and publishes to its spool; the
record is then published to a real Jupyter server with the extension, and the notebook
snapshot PUT the way the browser does.
"""

# ruff: noqa: F811  (tests take the imported api fixture as an argument)

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import subprocess
import sys
import textwrap
import uuid

import pytest

# the api fixture (validating every answer against openapi.yaml) is test_api's
from .test_api import api, record  # noqa: F401

ROOT = pathlib.Path(__file__).resolve().parents[2]

#: Runs cells in an IPython shell (argv[1]: JSON [[cell_id, source], ...]) and exits.
SHELL = textwrap.dedent(
    """
    import json, sys
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    for cell_id, source in json.loads(sys.argv[1]):
        shell.run_cell(source, store_history=True, cell_id=cell_id)
    """
)


def real_record(tmp_path, cells: list[tuple[str, str]]) -> dict:
    """The run record the kernel library publishes after running ``cells`` in order."""
    root = tmp_path / f"kernel-{uuid.uuid4().hex[:8]}"
    root.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOTSCIENCE_", "JPY_"))}
    env.update(DOTSCIENCE_PROJECT_DOT_ROOT=str(root), PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", SHELL, json.dumps(cells)],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    spooled = list((root / ".dotscience" / "spool").glob("*.json"))
    assert len(spooled) == 1, (proc.stdout, proc.stderr)
    return json.loads(spooled[0].read_text())


def notebook(*cells: tuple) -> dict:
    """An nbformat 4.5 notebook of code cells ``(id, source[, execution_count])``."""
    return {
        "cells": [
            {"id": c[0], "cell_type": "code", "source": c[1], "metadata": {},
             "execution_count": c[2] if len(c) > 2 else None, "outputs": []}
            for c in cells
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip


START = "import dotscience as ds\nds.start()"
PUBLISH = "ds.metric('m', 1)\nds.publish()"

#: (name, cells run in order, the notebook's cells, the warnings expected: (kind, cell_id))
SCENARIOS = [
    (
        "clean",
        [("a", START), ("b", "x = 1"), ("p", PUBLISH)],
        [("a", START), ("b", "x = 1"), ("p", PUBLISH)],
        [],
    ),
    (
        "out_of_order",
        [("a", START), ("c", "y = 2"), ("b", "x = 1"), ("p", PUBLISH)],
        [("a", START), ("b", "x = 1"), ("c", "y = 2"), ("p", PUBLISH)],
        [("out_of_order", "b")],
    ),
    (
        "source_changed",
        [("a", START), ("b", "x = 1"), ("p", PUBLISH)],
        [("a", START), ("b", "x = 2"), ("p", PUBLISH)],
        [("source_changed", "b")],
    ),
    (
        "rerun_with_other_code",
        [("a", START), ("b", "x = 1"), ("b", "x = 5"), ("p", PUBLISH)],
        [("a", START), ("b", "x = 5"), ("p", PUBLISH)],
        [("out_of_order", "b")],
    ),
    (
        "cell_deleted",
        [("a", START), ("b", "x = 1"), ("p", PUBLISH)],
        [("a", START), ("p", PUBLISH)],
        [("cell_deleted", "b")],
    ),
    (
        "cell_failed",
        [("a", START), ("b", "1 / 0"), ("p", PUBLISH)],
        [("a", START), ("b", "1 / 0"), ("p", PUBLISH)],
        [("cell_failed", "b")],
    ),
    (
        "no_cell_ids_as_from_nbclient",
        [(None, START), (None, "x = 1"), (None, PUBLISH)],
        [("a", START, 1), ("b", "x = 1", 2), ("p", PUBLISH, 3)],
        [],
    ),
    (
        "kernel_restarted",
        [("a", START), ("p", PUBLISH)],
        [("old", "z = 3", 7), ("a", START), ("p", PUBLISH)],
        [("kernel_restarted", "old")],
    ),
]


@pytest.mark.parametrize(
    "cells, shown, expected", [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS]
)
async def test_warnings_of_a_real_record_and_its_snapshot(api, tmp_path, cells, shown, expected):
    # Given the record a kernel published after running the cells
    rec = real_record(tmp_path, cells)
    assert [e["cell_id"] for e in rec["executions"] if e["origin"] == "cell"][-len(cells) :] == [
        c[0] for c in cells
    ]

    # When it is published and the browser PUTs the notebook as it shows it now
    await api("POST", "runs", rec, expect=201)
    await api("PUT", f"runs/{rec['id']}/notebook", {"path": "x.ipynb", "content": notebook(*shown)})

    # Then the run shows exactly the expected warnings, each with one sentence
    run = await api("GET", f"runs/{rec['id']}")
    assert [(w["kind"], w["cell_id"]) for w in run["warnings"]] == expected
    assert all(
        w["message"].endswith(".") and w["message"].count(". ") == 0 for w in run["warnings"]
    )
    # and the list shows their kinds, and filters by them
    summary = next(r for r in (await api("GET", "runs"))["runs"] if r["id"] == rec["id"])
    assert summary["warnings"] == sorted({k for k, _ in expected})
    flagged = await api("GET", "runs", params={"warnings": "true" if expected else "false"})
    assert rec["id"] in {r["id"] for r in flagged["runs"]}


async def test_failed_cell_is_flagged_at_publish_and_notebook_warnings_when_the_snapshot_comes(
    api, tmp_path
):
    # Given a real record with a failed cell and a cell edited after it ran
    rec = real_record(tmp_path, [("a", START), ("b", "1 / 0"), ("c", "x = 1"), ("p", PUBLISH)])

    # When it is published (no notebook known yet)
    stored = await api("POST", "runs", rec, expect=201)

    # Then the failure is known at once, with the error
    assert [(w["kind"], w["cell_id"]) for w in stored["warnings"]] == [("cell_failed", "b")]
    assert "ZeroDivisionError" in stored["warnings"][0]["message"]

    # When the snapshot arrives with cell c edited
    shown = notebook(("a", START), ("b", "1 / 0"), ("c", "x = 2"), ("p", PUBLISH))
    await api("PUT", f"runs/{rec['id']}/notebook", {"path": "x.ipynb", "content": shown})

    # Then the warnings are recomputed against it
    run = await api("GET", f"runs/{rec['id']}")
    assert [(w["kind"], w["cell_id"]) for w in run["warnings"]] == [
        ("source_changed", "c"),
        ("cell_failed", "b"),
    ]


async def test_executions_route_gives_the_code_in_the_order_it_ran(api, tmp_path):
    # Given a real record whose kernel ran three cells
    cells = [("a", START), ("b", "x = 1"), ("p", PUBLISH)]
    rec = real_record(tmp_path, cells)
    await api("POST", "runs", rec, expect=201)

    # When the executions are asked for
    got = await api("GET", f"runs/{rec['id']}/executions")

    # Then each cell's exact source comes back in order, with the kernel session
    mine = [(e["cell_id"], e["source"]) for e in got["executions"] if e["origin"] == "cell"]
    assert mine[-3:] == cells
    assert got["kernel"]["session"] == rec["kernel"]["session"]
    assert [e["seq"] for e in got["executions"]] == sorted(e["seq"] for e in got["executions"])
    # and the old cells route answers from them (the in-run notebook cells)
    old = await api("GET", f"runs/{rec['id']}/cells", params={"order": "execution"})
    assert [c["cell_id"] for c in old["cells"]] == ["a", "b", "p"]
    # while the run itself does not repeat the sources
    run = await api("GET", f"runs/{rec['id']}")
    assert "sources" not in run and "executions" not in run


async def test_an_old_record_without_executions_still_works(api):
    # Given a record from an older kernel library: no executions, sources or kernel
    rec = record()

    # When it is published and its snapshot PUT
    await api("POST", "runs", rec, expect=201)
    await api("PUT", f"runs/{rec['id']}/notebook", {"path": "x.ipynb", "content": notebook()})

    # Then it has no executions and no warnings, and is listed as never reproduced
    got = await api("GET", f"runs/{rec['id']}/executions")
    assert got == {"executions": [], "kernel": None}
    run = await api("GET", f"runs/{rec['id']}")
    assert run["warnings"] == [] and run["verdict"] is None and run["reproduces"] is None
    never = await api("GET", "runs", params={"verdict": "none"})
    assert rec["id"] in {r["id"] for r in never["runs"]}


@pytest.mark.parametrize(
    "mutate, words",
    [
        (lambda r: r["sources"].update({next(iter(r["sources"])): "print('other')"}), "hash"),
        (lambda r: r["executions"][-1].update(source_sha256="0" * 64), "not in sources"),
        (lambda r: r["sources"].update({"f" * 64: "x" * (21 * 2**20)}), "MiB"),
        (lambda r: r["kernel"].update(cwd="../../etc"), "kernel.cwd"),
    ],
    ids=["source_not_matching_its_sha", "unknown_sha", "huge_sources", "cwd_escapes"],
)
async def test_hostile_provenance_is_400_and_stores_nothing(api, tmp_path, mutate, words):
    # Given a real record tampered with
    rec = real_record(tmp_path, [("a", START), ("p", PUBLISH)])
    mutate(rec)

    # When it is published
    err = await api("POST", "runs", rec, expect=400)

    # Then the answer names the problem in one sentence and nothing is stored
    assert words in err["error"]
    await api("GET", f"runs/{rec['id']}", expect=404)


async def test_cells_can_no_longer_be_replaced(jp_fetch):
    # Given a published run
    rec = record()
    await jp_fetch("dotscience", "api", "runs", method="POST", body=json.dumps(rec))

    # When a client still PUTs cells, Then it is told the method is not allowed
    with pytest.raises(Exception) as err:
        await jp_fetch(
            "dotscience", "api", "runs", rec["id"], "cells", method="PUT",
            body=json.dumps({"cells": []}),
        )  # fmt: skip
    assert getattr(err.value, "code", None) == 405


@pytest.fixture
def extension(jp_serverapp):
    return next(iter(jp_serverapp.extension_manager.extension_apps["jupyterlab_dotscience"]))


async def test_side_requests_do_not_read_the_whole_run(api, extension, monkeypatch):
    # Given a run with a large metric series
    series = [{"value": i, "text": str(i), "step": i, "time": None} for i in range(2000)]
    text = "x = 1"
    sha = hashlib.sha256(text.encode()).hexdigest()
    rec = record(
        metrics={"loss": series},
        executions=[{"seq": 0, "cell_id": "c", "source_sha256": sha, "in_run": True}],
        sources={sha: text},
    )
    await api("POST", "runs", rec, expect=201)
    await api("PUT", f"runs/{rec['id']}/notebook", {"path": "x.ipynb", "content": notebook()})

    # When the side routes of the run are asked for while reading a whole run is counted
    store = extension.store
    whole = []
    real_get_run = store.get_run
    monkeypatch.setattr(store, "get_run", lambda *a, **k: whole.append(a) or real_get_run(*a, **k))
    for sub in ("files", "notebook", "executions", "cells", "metrics/loss"):
        await api("GET", f"runs/{rec['id']}/{sub}")

    # Then none of them read the whole run (with its 2,000 metric points)
    assert whole == []


async def test_a_run_with_many_failed_executions_is_stored_with_capped_warnings(api):
    # Given a record of 10,001 failed executions (more warnings than a run may hold)
    text = "raise ValueError('again')"
    sha = hashlib.sha256(text.encode()).hexdigest()
    executions = [
        {"seq": i, "cell_id": f"c{i}", "execution_count": i + 1, "source_sha256": sha,
         "success": False, "error": "ValueError: again", "in_run": True}
        for i in range(10_001)
    ]  # fmt: skip
    rec = record(executions=executions, sources={sha: text})

    # When it is published
    stored = await api("POST", "runs", rec, expect=201)

    # Then it is stored, its warnings capped per kind, every execution kept
    assert [w["kind"] for w in stored["warnings"]] == ["cell_failed"] * 200
    got = await api("GET", f"runs/{rec['id']}/executions")
    assert len(got["executions"]) == 10_001
