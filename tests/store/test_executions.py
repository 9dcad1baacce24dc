"""Executions, content-addressed sources, warnings and reproductions in the store (issue 12)."""

from __future__ import annotations

import copy
import uuid

import pytest

from jupyterlab_dotscience.store import RecordError, open_store

from .records import record, sha, ts

SESSION = "6f1c2c8e-4a3b-4c1d-9e2f-0a1b2c3d4e5f"


def executions(*sources: str, in_run_from: int = 0, failed: tuple[int, ...] = ()) -> dict:
    """The ``executions``/``sources``/``kernel`` fields of a record that ran ``sources``."""
    entries = []
    for i, text in enumerate(sources):
        entries.append(
            {
                "seq": i,
                "cell_id": f"cell-{i}",
                "execution_count": i + 1,
                "source_sha256": sha(text),
                "start": ts(i),
                "end": ts(i, 500),
                "success": i not in failed,
                "error": "NameError: name 'x' is not defined" if i in failed else None,
                "in_run": i >= in_run_from,
                "origin": "cell",
            }
        )
    return {
        "executions": entries,
        "sources": {sha(t): t for t in sources},
        "kernel": {"session": SESSION, "started": ts(0), "name": "python3", "cwd": "analysis"},
        "published_from": "cell",
    }


def test_executions_read_back_in_order_with_their_source(store):
    # Given a run whose kernel ran three cells, one of them twice with the same source
    code = ["import dotscience as ds", "x = 1", "import dotscience as ds"]
    rec = record(**executions(*code, in_run_from=1))

    # When it is published
    stored, created = store.put_run(copy.deepcopy(rec), author="alice")

    # Then the executions come back in the order they ran, each with the exact text
    got = store.run_executions(rec["id"])
    assert created is True
    assert [e["seq"] for e in got] == [0, 1, 2]
    assert [e["source"] for e in got] == code
    assert [e["in_run"] for e in got] == [False, True, True]
    assert got[0]["cell_id"] == "cell-0" and got[0]["execution_count"] == 1
    # and the full run carries them (without the text) with the kernel and sources
    run = store.get_run(rec["id"])
    assert run == stored
    assert run["kernel"] == rec["kernel"]
    assert run["sources"] == rec["sources"]
    assert run["published_from"] == "cell"
    assert run["warnings"] == [] and run["verdict"] is None and run["reproduces"] is None


def test_sources_are_stored_once_across_runs(store):
    # Given two runs that ran the same long cell
    text = "df = load()\n" * 1000
    a = record(**executions(text))
    b = record(**executions(text, "print(df)"))

    # When both are published
    store.put_run(a, author="alice")
    store.put_run(b, author="alice")

    # Then the text is kept once and both runs read it back
    with store._tx() as tx:
        assert tx.one("SELECT COUNT(*) FROM sources WHERE sha256 = ?", (sha(text),))[0] == 1
    assert store.run_executions(a["id"])[0]["source"] == text
    assert store.run_executions(b["id"])[0]["source"] == text


def test_old_record_without_executions_still_works(store):
    # Given a record from an older client: no executions, sources or kernel
    rec = record()
    for key in ("executions", "sources", "kernel", "published_from"):
        rec.pop(key, None)

    # When it is published
    store.put_run(rec, author="alice")

    # Then it reads back with empty executions and no warnings
    run = store.get_run(rec["id"])
    assert run["executions"] == [] and run["sources"] == {}
    assert run["kernel"] is None and run["warnings"] == []
    assert store.run_executions(rec["id"]) == []


def _hostile(mutate):
    rec = record(**executions("x = 1", "y = 2"))
    mutate(rec)
    return rec


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda r: r["sources"].update({sha("x = 1"): "x = 2"}), "does not hash"),
        (lambda r: r["executions"][1].update(source_sha256=sha("other")), "not in sources"),
        (lambda r: r["executions"][1].update(source_sha256=None), "source_sha256"),
        (lambda r: r["sources"].update({sha("z"): "z"}), "not used by any"),
        (lambda r: r["sources"].update({"XYZ": "x"}), "keys must be 64"),
        (lambda r: r["sources"].update({sha("a\x00"): "a\x00"}), "NUL"),
        (lambda r: r["executions"][1].update(seq=0), "must increase"),
        (lambda r: r["executions"][0].update(origin="browser"), "origin"),
        (lambda r: r["executions"][0].update(success="yes"), "success"),
        (lambda r: r["executions"][0].update(in_run=1), "in_run"),
        (lambda r: r["executions"][0].update(error="e" * 10_001), "longer than"),
        (lambda r: r["kernel"].update(cwd="../etc"), "kernel.cwd"),
        (lambda r: r["kernel"].update(cwd="/etc"), "kernel.cwd"),
        (lambda r: r["kernel"].update(session="not-a-uuid"), "kernel.session"),
        (lambda r: r.update(published_from="browser"), "published_from"),
        (lambda r: r.update(reproduces="../x"), "reproduces"),
        (lambda r: r.update(git={"commit": "zz", "dirty": True}), "git.commit"),
        (lambda r: r.update(git={"commit": None, "patch_sha256": sha("p")}), "not in sources"),
        (lambda r: r.update(executions="all"), "executions"),
    ],
)
def test_hostile_provenance_is_refused_and_nothing_is_stored(store, mutate, field):
    # Given a record whose provenance is malformed or lies about its sources
    rec = _hostile(mutate)

    # When it is published
    with pytest.raises(RecordError) as err:
        store.put_run(rec, author="mallory")

    # Then the error names the field and nothing was stored (not even the sources)
    assert field in str(err.value)
    assert store.get_run(rec["id"]) is None
    with store._tx() as tx:
        assert tx.one("SELECT COUNT(*) FROM sources")[0] == 0


def test_sources_over_20_mib_are_refused(store):
    # Given a record whose sources add up to just over 20 MiB (each under it)
    half = "#" * (10 * 2**20)
    rec = record(**executions(half, half + "\n", "x = 1"))

    # When it is published, Then it is refused and nothing is stored
    with pytest.raises(RecordError, match="MiB"):
        store.put_run(rec, author="mallory")
    assert store.get_run(rec["id"]) is None


def test_more_than_100000_executions_are_refused(store):
    # Given a record with 100,001 executions (of one tiny source)
    rec = record(**executions("x = 1"))
    one = rec["executions"][0]
    rec["executions"] = [dict(one, seq=i) for i in range(100_001)]

    # When it is published, Then it is refused
    with pytest.raises(RecordError, match="100000"):
        store.put_run(rec, author="mallory")
    assert store.get_run(rec["id"]) is None


def test_more_sources_than_executions_could_use_are_refused_before_hashing(store):
    # Given a record with 100,002 tiny sources (no run can use more than 100,001)
    rec = record(**executions("x = 1"))
    rec["sources"] = {f"{i:064x}": "" for i in range(100_002)}

    # When it is published, Then it is refused by their count
    with pytest.raises(RecordError, match="more than 100001 sources"):
        store.put_run(rec, author="mallory")
    assert store.get_run(rec["id"]) is None


def test_git_patch_is_a_source(store):
    # Given a script run in a dirty tree whose patch is sent as a source
    patch = "diff --git a/train.py b/train.py\n+print('hi')\n"
    rec = record(
        mode="script",
        workload_file="train.py",
        sources={sha(patch): patch},
        git={"commit": "a" * 40, "dirty": True, "branch": "main", "patch_sha256": sha(patch),
             "patch_error": None},
    )  # fmt: skip

    # When it is published
    store.put_run(rec, author="alice")

    # Then the patch reads back by its hash and with the run
    assert store.source(sha(patch)) == patch
    run = store.get_run(rec["id"])
    assert run["git"]["patch_sha256"] == sha(patch)
    assert run["sources"] == {sha(patch): patch}


def test_why_a_script_run_has_no_patch_is_kept(store):
    # Given a script run in a repository without a commit (no patch could be made)
    why = "The git repository has no commit yet, so no patch was made."
    rec = record(mode="script", git={"commit": None, "dirty": True, "patch_error": why})

    # When it is published, Then the reason reads back with it
    store.put_run(rec, author="alice")
    assert store.get_run(rec["id"])["git"]["patch_error"] == why


def test_warnings_show_in_detail_summary_and_filter(store):
    # Given two runs, one of them with warnings
    a, b = record(), record()
    store.put_run(a, author="alice")
    store.put_run(b, author="alice")
    warning = {"kind": "cell_failed", "cell_id": "c", "execution_count": 2, "message": "m."}

    # When warnings are set on one
    assert store.set_warnings(a["id"], [warning, dict(warning, cell_id="d")]) is True

    # Then the detail has them, the summary the kinds once, and the filter finds it
    assert store.get_run(a["id"])["warnings"][0] == warning
    (summary,) = store.run_summaries([a["id"]])
    assert summary["warnings"] == ["cell_failed"]
    assert [r["id"] for r in store.list_runs(warnings=True)[0]] == [a["id"]]
    assert [r["id"] for r in store.list_runs(warnings=False)[0]] == [b["id"]]
    with pytest.raises(ValueError):
        store.set_warnings(a["id"], [{"kind": "bogus", "message": "x"}])


def test_reproduction_verdict_becomes_the_runs_verdict(store):
    # Given a published run and a queued reproduction of it
    rec = record()
    store.put_run(rec, author="alice")
    rid = str(uuid.uuid4())
    rep = store.put_reproduction({"id": rid, "run_id": rec["id"], "requested_by": "alice"})
    assert rep["state"] == "queued" and rep["verdict"] is None and rep["cells"] == 0

    # When it runs and ends with a verdict
    store.update_reproduction(rid, state="running", cell=1, cells=3)
    done = store.update_reproduction(
        rid, state="done", verdict="differs", result={"differences": []}, finished=ts(9)
    )

    # Then the reproduction and the run both show it, and the run list filters by it
    assert done["verdict"] == "differs" and done["cell"] == 1 and done["cells"] == 3
    assert store.get_reproduction(rid) == done
    assert store.get_run(rec["id"])["verdict"] == "differs"
    assert [r["id"] for r in store.list_runs(verdict="differs")[0]] == [rec["id"]]
    assert store.list_runs(verdict="none")[0] == []
    with pytest.raises(ValueError):
        store.list_runs(verdict="maybe")


def test_reproductions_list_newest_first_and_reject_bad_fields(store):
    # Given a run with two reproductions made one after the other
    rec = record()
    store.put_run(rec, author="alice")
    first = store.put_reproduction(
        {"id": str(uuid.uuid4()), "run_id": rec["id"], "requested_by": "a", "created": ts(1)}
    )
    second = store.put_reproduction(
        {"id": str(uuid.uuid4()), "run_id": rec["id"], "requested_by": "a", "created": ts(2)}
    )

    # When they are listed, Then the newest comes first
    assert [r["id"] for r in store.list_reproductions(rec["id"])] == [second["id"], first["id"]]
    assert [r["id"] for r in store.list_reproductions(states=["queued"])] == [
        second["id"],
        first["id"],
    ]
    # and malformed changes or unknown ids are refused
    with pytest.raises(ValueError):
        store.update_reproduction(first["id"], verdict="great")
    with pytest.raises(ValueError):
        store.update_reproduction(first["id"], tolerance=-1)
    with pytest.raises(ValueError):
        store.update_reproduction(first["id"], run_id=str(uuid.uuid4()))
    with pytest.raises(KeyError):
        store.update_reproduction(str(uuid.uuid4()), state="done")
    with pytest.raises(KeyError):
        store.put_reproduction({"id": str(uuid.uuid4()), "run_id": str(uuid.uuid4()),
                                "requested_by": "a"})  # fmt: skip


def test_migration_7_upgrades_a_version_6_store(tmp_path, monkeypatch):
    # Given a SQLite store made by the version 6 schema with a run in it (as stored then)
    from jupyterlab_dotscience.store import schema, sql

    url = f"sqlite:///{tmp_path}/old.db"
    run_id = str(uuid.uuid4())
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:6])
        m.setattr(sql, "LATEST", 6)
        old = open_store(url)
        with old._tx(write=True) as tx:
            tx.x("INSERT INTO projects (name, created) VALUES ('default', ?)", (ts(0),))
            tx.x(
                "INSERT INTO runs (id, project, author, status, received, argv) "
                "VALUES (?, 'default', 'alice', 'succeeded', ?, '[]')",
                (run_id, ts(0)),
            )
        assert old.schema_version() == 6
        old.close()

    # When the current software opens it
    with open_store(url) as store:
        # Then the old run reads back with no executions, warnings or verdict
        assert store.schema_version() == len(schema.MIGRATIONS) >= 7
        run = store.get_run(run_id)
        assert run["executions"] == [] and run["warnings"] == [] and run["verdict"] is None
        assert [r["id"] for r in store.list_runs(verdict="none")[0]] == [run_id]
