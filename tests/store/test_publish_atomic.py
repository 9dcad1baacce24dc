"""A published run appears only with its files: nobody sees it between its storing and the
capture of its files (spool, HTTP and replays all go through ``publishing.publish``)."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid

import pytest

from jupyterlab_dotscience import publishing
from jupyterlab_dotscience.artifacts import ArtifactStore
from jupyterlab_dotscience.store import RecordError, import_spool

DEADLINE = 120  # seconds: generous, the machine is shared


class _PausedCapture(ArtifactStore):
    """An artifact store whose captures wait until the test lets them go."""

    def __init__(self, root):
        super().__init__(root)
        self.capturing = threading.Event()
        self.release = threading.Event()

    def capture_file(self, src_path, expected_sha256):
        self.capturing.set()
        assert self.release.wait(DEADLINE), "the test never released the capture"
        return super().capture_file(src_path, expected_sha256)


def _workspace(tmp_path):
    root = tmp_path / "root"
    spool = root / ".dotscience" / "spool"
    spool.mkdir(parents=True)
    content = b"weights after 3 epochs\n"
    (root / "model.txt").write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    rec = {
        "schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "p",
        "outputs": [{"path": "model.txt", "sha256": sha, "size": len(content)}],
        "metrics": {"loss": [{"value": 0.5, "step": 0}, {"value": 0.25, "step": 1}]},
    }  # fmt: skip
    return root, spool, rec, sha


def test_a_spooled_run_is_not_listed_until_its_files_are_captured(store, tmp_path):
    # Given a run waiting in the spool with one output file, and a capture that pauses
    root, spool, rec, sha = _workspace(tmp_path)
    (spool / f"{rec['id']}.json").write_text(json.dumps(rec))
    artifacts = _PausedCapture(tmp_path / "artifacts")
    imported: list[int] = []

    def scan():  # as the server's spool scan does
        imported.append(
            import_spool(
                store,
                spool,
                "alice",
                publish=lambda r: publishing.publish(store, artifacts, str(root), r, "alice"),
            )  # fmt: skip
        )

    worker = threading.Thread(target=scan)
    worker.start()
    try:
        # When the import is in the middle of capturing the run's output
        assert artifacts.capturing.wait(DEADLINE)
        # Then nobody sees the run yet: not listed, not counted, not readable, no files
        assert store.list_runs()[0] == []
        assert store.count_runs() == 0
        assert store.get_run(rec["id"]) is None
        assert store.run_files(rec["id"]) == []
    finally:
        artifacts.release.set()
        worker.join(DEADLINE)
    # And once the capture is done the run is there with its file stored and captured
    assert imported == [1]
    assert [r["id"] for r in store.list_runs()[0]] == [rec["id"]]
    files = store.run_files(rec["id"])
    assert [(f["path"], f["captured"]) for f in files] == [("model.txt", True)]
    assert artifacts.has(sha)
    assert (spool / "imported" / f"{rec['id']}.json").exists()


def test_a_run_published_twice_is_captured_once_and_kept_as_first_stored(store, tmp_path):
    # Given a run already published with its file captured
    root, _, rec, _ = _workspace(tmp_path)
    artifacts = _PausedCapture(tmp_path / "artifacts")
    artifacts.release.set()
    run, created = publishing.publish(store, artifacts, str(root), rec, "alice")
    assert created
    artifacts.capturing.clear()
    # When the same id arrives again (the kernel's spool copy after a slow answer)
    again, created = publishing.publish(
        store, artifacts, str(root), dict(rec, description="second"), "alice"
    )
    # Then nothing is captured or stored again and the first run is answered
    assert not created and not artifacts.capturing.is_set()
    assert again["description"] is None and again["id"] == run["id"]
    assert store.count_runs() == 1


def test_a_bad_record_captures_nothing_and_stores_nothing(store, tmp_path):
    # Given a record whose last metric point is malformed
    root, _, rec, sha = _workspace(tmp_path)
    rec["metrics"]["loss"].append({"value": [1, 2], "step": 2})
    artifacts = _PausedCapture(tmp_path / "artifacts")
    artifacts.release.set()
    # When it is published
    with pytest.raises(RecordError, match=r"metrics\['loss'\]\[2\]\.value"):
        publishing.publish(store, artifacts, str(root), rec, "alice")
    # Then no file was read into the artifact store and no run is stored
    assert not artifacts.capturing.is_set() and not artifacts.has(sha)
    assert store.count_runs() == 0
