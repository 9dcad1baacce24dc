"""Declared inputs are captured into the artifact store at publish (issue 12).

Like outputs: deduplicated, cloned copy-on-write where the filesystem allows, verified by
hash; within a per-file and a per-run limit; when an input is not captured the reason is
stored per file and shown by ``GET runs/{id}/files``.
"""

from __future__ import annotations

# ruff: noqa: F811  (tests take the imported api fixture as an argument)
import hashlib
import os
import uuid

import pytest

from jupyterlab_dotscience.artifacts import ArtifactHashMismatch, ArtifactStore

# the api fixture (validating every answer against openapi.yaml) is test_api's
from .test_api import api, file_ref, record  # noqa: F401

FILE_LIMIT = 1000
RUN_LIMIT = 1500


@pytest.fixture
def ds_config():
    return {"capture_max_file_bytes": FILE_LIMIT, "capture_max_run_bytes": RUN_LIMIT}


def unique(rel: str) -> str:
    """A path of its own for each test (the Jupyter root is shared by a module)."""
    return f"{uuid.uuid4().hex[:8]}/{rel}"


async def files_of(api, run_id: str) -> dict[str, dict]:
    answer = await api("GET", f"runs/{run_id}/files")
    return {f["path"]: f for f in answer["files"] if f["role"] == "input"}


async def test_an_input_deleted_after_publishing_is_still_in_the_artifact_store(
    api, jp_root_dir, jp_fetch
):
    # Given a run that read a data file
    data = file_ref(jp_root_dir, unique("data/iris.csv"), b"sepal,petal\n1,2\n")
    rec = record(inputs=[data])
    await api("POST", "runs", rec, expect=201)

    # When the file is deleted from the workspace
    (jp_root_dir / data["path"]).unlink()

    # Then the run's input was captured and its content can still be downloaded
    f = (await files_of(api, rec["id"]))[data["path"]]
    assert (f["captured"], f["artifact"], f["reason"]) == (True, True, "copied from the workspace")
    resp = await jp_fetch("dotscience", "api", "artifacts", data["sha256"])
    assert resp.body == b"sepal,petal\n1,2\n"


async def test_each_input_not_captured_says_why(api, jp_root_dir, tmp_path):
    # Given a run declaring inputs of every kind the server cannot or may not capture
    big = file_ref(jp_root_dir, unique("big.bin"), b"b" * (FILE_LIMIT + 1))
    first = file_ref(jp_root_dir, unique("first.bin"), b"1" * 900)
    second = file_ref(jp_root_dir, unique("second.bin"), b"2" * 900)  # 1800 > RUN_LIMIT
    gone = file_ref(jp_root_dir, unique("gone.csv"), b"deleted before publish")
    (jp_root_dir / gone["path"]).unlink()
    changed = file_ref(jp_root_dir, unique("changed.csv"), b"as declared")
    (jp_root_dir / changed["path"]).write_bytes(b"as modified")  # same size, other content
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(b"secret outside the workspace")
    link = unique("link.csv")
    (jp_root_dir / link).parent.mkdir(parents=True)
    (jp_root_dir / link).symlink_to(outside)
    linked = {"path": link, "sha256": hashlib.sha256(outside.read_bytes()).hexdigest()}
    folder = unique("folder")
    (jp_root_dir / folder).mkdir(parents=True)
    fifo = unique("pipe")
    (jp_root_dir / fifo).parent.mkdir(parents=True)
    os.mkfifo(jp_root_dir / fifo)
    fake = "a" * 64
    rec = record(
        inputs=[
            big, first, second, gone, changed, linked,
            {"path": folder, "sha256": fake}, {"path": fifo, "sha256": fake},
            {"path": "declared/missing.csv", "sha256": None, "missing": True},
            {"path": "/etc/hosts", "sha256": fake, "outside": True},
        ]
    )  # fmt: skip

    # When it is published (a FIFO must not block it)
    await api("POST", "runs", rec, expect=201)

    # Then each input says whether it was captured and why not
    got = {p: (f["captured"], f["reason"]) for p, f in (await files_of(api, rec["id"])).items()}
    assert got == {
        big["path"]: (False, "too large"),
        first["path"]: (True, "copied from the workspace"),
        second["path"]: (False, "run over the capture limit"),
        gone["path"]: (False, "missing"),
        changed["path"]: (False, "content changed since it was declared"),
        link: (False, "outside the workspace"),
        folder: (False, "not readable"),
        fifo: (False, "not readable"),
        "declared/missing.csv": (False, "missing"),
        "/etc/hosts": (False, "outside the workspace"),
    }


async def test_the_same_input_is_stored_once_and_a_change_is_noticed(api, jp_root_dir, jp_fetch):
    # Given two runs that read the same file, unchanged
    data = file_ref(jp_root_dir, unique("shared.csv"), b"x" * 100)
    first, second = record(inputs=[data]), record(inputs=[data])
    await api("POST", "runs", first, expect=201)
    await api("POST", "runs", second, expect=201)

    # When the file is rewritten with other content of the same size and a third run
    # declares the old hash for it
    (jp_root_dir / data["path"]).write_bytes(b"y" * 100)
    third = record(inputs=[data])
    await api("POST", "runs", third, expect=201)

    # Then the first two captured it (one stored copy), the third saw the change
    for run in (first, second):
        assert (await files_of(api, run["id"]))[data["path"]]["captured"] is True
    f = (await files_of(api, third["id"]))[data["path"]]
    assert (f["captured"], f["reason"]) == (False, "content changed since it was declared")
    resp = await jp_fetch("dotscience", "api", "artifacts", data["sha256"])
    assert resp.body == b"x" * 100


def test_a_clone_is_verified_and_a_refused_clone_falls_back_to_a_copy(tmp_path, monkeypatch):
    # Given a workspace file and an artifact store on a filesystem that refuses clones
    import fcntl

    src = tmp_path / "data.bin"
    src.write_bytes(b"content" * 1000)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    store = ArtifactStore(tmp_path / "artifacts")
    calls = []

    def refuse(fd, request, arg):
        calls.append(request)
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(fcntl, "ioctl", refuse)

    # When it is captured
    stored = store.capture_file(src, sha)

    # Then the clone was tried, then the content copied and verified
    assert stored is True and calls == [0x40049409]
    assert store.open(sha).read() == src.read_bytes()

    # Given a filesystem whose "clone" gives other bytes than the file's
    other = ArtifactStore(tmp_path / "other")

    def bad_clone(fd, request, arg):
        os.write(fd, b"not the file")

    monkeypatch.setattr(fcntl, "ioctl", bad_clone)

    # When the file is captured, Then the clone is refused by its hash and nothing stored
    with pytest.raises(ArtifactHashMismatch):
        other.capture_file(src, sha)
    assert not other.has(sha)
    assert list((tmp_path / "other" / "tmp").iterdir()) == []


def test_a_batch_installs_its_files_together_or_not_at_all(tmp_path):
    # Given an artifact store and two workspace files
    store = ArtifactStore(tmp_path / "artifacts")
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"first file")
    b.write_bytes(b"second file")
    sha_a, sha_b = (hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b))

    # When both are captured in a batch
    with store.batch():
        assert store.capture_file(a, sha_a) is True
        assert store.capture_file(a, sha_a) is False  # the same content: staged once
        store.capture_file(b, sha_b)
        # Then inside it the content counts as stored but is not in place yet
        assert store.has(sha_a) and not store.path_for(sha_a).is_file()

    # and after it both are readable, with no staged file left behind
    assert store.open(sha_a).read() == b"first file"
    assert store.open(sha_b).read() == b"second file"
    assert list((tmp_path / "artifacts" / "tmp").iterdir()) == []

    # When a batch fails half-way
    c = tmp_path / "c.bin"
    c.write_bytes(b"third file")
    sha_c = hashlib.sha256(b"third file").hexdigest()
    with pytest.raises(RuntimeError), store.batch():
        store.capture_file(c, sha_c)
        raise RuntimeError("the publish failed")

    # Then nothing of it was stored
    assert not store.has(sha_c)
    assert list((tmp_path / "artifacts" / "tmp").iterdir()) == []
