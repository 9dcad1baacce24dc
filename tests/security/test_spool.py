"""The workspace spool: a file being written is left alone, a file that breaks the import in
any way is set aside with its reason while the scan goes on, and imported runs have their
outputs captured like published ones."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid

from jupyterlab_dotscience.store import import_spool, open_store

from .conftest import http, start_live, token_auth


def _record(**extra) -> dict:
    return {"schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "p", **extra}


def _store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


def test_a_file_the_writer_has_not_finished_is_left_alone(tmp_path):
    # Given a run being written to the spool: the writer's temp file holds half the record
    spool = tmp_path / "spool"
    spool.mkdir()
    rec = _record(description="half-written")
    text = json.dumps(rec)
    tmp = spool / ".tmp-k3j2h1.json"
    tmp.write_text(text[: len(text) // 2])
    store = _store(tmp_path)
    # When the server scans the spool meanwhile
    assert import_spool(store, spool, "alice") == 0
    # Then the temp file is untouched and nothing was rejected
    assert tmp.read_text() == text[: len(text) // 2]
    assert not (spool / "rejected").exists()
    # And when the writer finishes (write, then rename), the next scan imports the run
    tmp.write_text(text)
    os.replace(tmp, spool / f"{rec['id']}.json")
    assert import_spool(store, spool, "alice") == 1
    assert store.get_run(rec["id"])["description"] == "half-written"
    store.close()


def test_deeply_nested_json_is_rejected_with_a_reason_and_the_scan_goes_on(tmp_path):
    # Given a spool whose first file nests arrays 100,000 deep, then a good run
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "0-deep.json").write_text("[" * 100_000 + "]" * 100_000)
    good = _record()
    (spool / f"{good['id']}.json").write_text(json.dumps(good))
    store = _store(tmp_path)
    # When the spool is scanned
    count = import_spool(store, spool, "alice")
    # Then the good run is imported and the deep file is set aside with its reason
    assert count == 1 and store.get_run(good["id"]) is not None
    assert (spool / "rejected" / "0-deep.json").exists()
    reason = (spool / "rejected" / "0-deep.json.reason").read_text()
    assert "0-deep.json" in reason and "deep" in reason
    store.close()


class _Exploding:
    """A store whose put_run fails with an unexpected error for one record."""

    def __init__(self, store, bad_id):
        self.store, self.bad_id = store, bad_id

    def put_run(self, record, author, imported=False):
        if record.get("id") == self.bad_id:
            raise TypeError("unexpected type somewhere deep in the record")
        return self.store.put_run(record, author, imported=imported)


def test_any_error_sets_the_file_aside_and_the_scan_goes_on(tmp_path):
    # Given three spooled runs, the middle one making the store fail unexpectedly
    spool = tmp_path / "spool"
    spool.mkdir()
    recs = [_record(description=str(i)) for i in range(3)]
    names = [f"{i}-{r['id']}.json" for i, r in enumerate(recs)]
    for name, rec in zip(names, recs, strict=True):
        (spool / name).write_text(json.dumps(rec))
    store = _store(tmp_path)
    # When the spool is scanned
    count = import_spool(_Exploding(store, recs[1]["id"]), spool, "alice")
    # Then the others are imported, and the failing file is in rejected/ with the reason
    assert count == 2
    assert [store.get_run(r["id"]) is not None for r in recs] == [True, False, True]
    assert "unexpected type" in (spool / "rejected" / f"{names[1]}.reason").read_text()
    assert json.loads((spool / "rejected" / names[1]).read_text()) == recs[1]
    store.close()


def test_a_symlink_in_the_spool_is_rejected_without_being_read(tmp_path):
    # Given a spool entry that is a symlink to a secret file elsewhere
    spool = tmp_path / "spool"
    spool.mkdir()
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps(_record(description="the secret")))
    (spool / "link.json").symlink_to(secret)
    store = _store(tmp_path)
    # When the spool is scanned
    assert import_spool(store, spool, "alice") == 0
    # Then nothing was stored, the link is set aside with its reason, and the file stays
    assert store.list_runs()[0] == []
    assert "symbolic link" in (spool / "rejected" / "link.json.reason").read_text()
    assert secret.exists()
    store.close()


def test_spooled_runs_have_their_outputs_captured_on_a_live_server(tmp_path):
    # Given a workspace with an output file and its run waiting in the spool
    root = tmp_path / "root"
    spool = root / ".dotscience" / "spool"
    spool.mkdir(parents=True)
    content = b"weights after 3 epochs\n"
    (root / "model.txt").write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    rec = _record(outputs=[{"path": "model.txt", "sha256": sha, "size": len(content)}])
    (spool / "0-deep.json").write_text("{" * 50_000)
    (spool / f"{rec['id']}.json").write_text(json.dumps(rec))
    # When the server starts and scans its spool
    server = start_live(root, "--DotscienceApp.spool_interval=0.2")
    try:
        deadline = time.monotonic() + 60
        status = 404
        while status != 200 and time.monotonic() < deadline:
            status, _ = http(
                "GET", server.url + f"dotscience/api/runs/{rec['id']}", headers=token_auth(server)
            )
            time.sleep(0.2)
        # Then the run is stored and its output can be downloaded from the artifact store
        # at once (the run is stored with its files captured, never before them)
        assert status == 200
        status, body = http(
            "GET", server.url + f"dotscience/api/artifacts/{sha}", headers=token_auth(server)
        )
        assert status == 200 and body == content
        # And the broken file was set aside with its reason
        assert (spool / "rejected" / "0-deep.json.reason").exists()
    finally:
        server.stop()
