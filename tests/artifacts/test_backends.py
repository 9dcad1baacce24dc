"""The artifact-store interface, the same tests against both backends: the local directory
and S3-compatible object storage (moto's server over HTTP). Stores made from one backend
share its content as the servers of a team do; each S3 store has its own local cache."""

from __future__ import annotations

import hashlib
import os

import pytest

from jupyterlab_dotscience.artifacts import (
    ArtifactHashMismatch,
    ArtifactTooLarge,
    UnsafePathError,
)
from jupyterlab_dotscience.models import build
from jupyterlab_dotscience.reproduce import workspace
from jupyterlab_dotscience.reproduce.workspace import NotReproducible


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(store, sha: str) -> bytes:
    with store.open(sha) as f:
        return f.read()


def test_content_is_stored_once_and_read_back_by_another_server(backend, tmp_path):
    # Given two files with the same content, stored by one server
    writer = backend.store()
    (tmp_path / "a.bin").write_bytes(b"weights" * 1000)
    (tmp_path / "b.bin").write_bytes(b"weights" * 1000)
    first = writer.put_file(tmp_path / "a.bin")
    second = writer.put_file(tmp_path / "b.bin")
    # Then both have one hash, stored once where the backend keeps content
    assert first == second == digest(b"weights" * 1000)
    assert backend.stored(first) == b"weights" * 1000
    # And another server sees it, its size and its bytes
    reader = backend.store()
    assert reader.has(first)
    assert reader.size(first) == 7000
    assert read(reader, first) == b"weights" * 1000
    assert reader.put_bytes(b"other") == digest(b"other")
    assert read(backend.store(), digest(b"other")) == b"other"


def test_missing_content_is_not_found(backend):
    # Given a store without the content
    store = backend.store()
    sha = digest(b"never stored")
    # Then it says so, and reading it is FileNotFoundError (a 404 upstream)
    assert not store.has(sha)
    with pytest.raises(FileNotFoundError):
        store.open(sha)
    with pytest.raises(FileNotFoundError):
        store.local_path(sha)


def test_names_that_are_not_hashes_are_refused(backend):
    store = backend.store()
    for name in ("../../etc/passwd", "A" * 64, "0" * 63, "", None):
        with pytest.raises(UnsafePathError):
            store.has(name)
        with pytest.raises(UnsafePathError):
            store.open(name)


def test_a_file_over_the_size_limit_is_refused_and_not_stored(backend, tmp_path):
    # Given a store limited to 1 KiB
    store = backend.store(max_bytes=1024)
    (tmp_path / "big.bin").write_bytes(b"x" * 2048)
    # When a larger file is put, then it is refused and nothing is stored
    with pytest.raises(ArtifactTooLarge):
        store.put_file(tmp_path / "big.bin")
    assert backend.stored(digest(b"x" * 2048)) is None
    assert not backend.store().has(digest(b"x" * 2048))


def test_content_that_changed_since_it_was_hashed_is_refused(backend, tmp_path):
    # Given a file whose content changed after the caller hashed it
    store = backend.store()
    (tmp_path / "f.bin").write_bytes(b"changed since hashing")
    # When it is put with the old hash, then it is refused and neither content is stored
    with pytest.raises(ArtifactHashMismatch):
        store.put_file(tmp_path / "f.bin", expected_sha256=digest(b"original"))
    assert backend.stored(digest(b"original")) is None
    assert backend.stored(digest(b"changed since hashing")) is None


def test_tampered_content_is_refused_not_served_and_a_new_upload_repairs_it(backend):
    # Given content stored by one server, then replaced in the backend behind its back
    sha = backend.store().put_bytes(b"the real model")
    backend.tamper(sha, b"a backdoored model")
    reader = backend.store()
    # When another server reads it, then it is refused, in every way it can be read
    with pytest.raises(ArtifactHashMismatch, match=sha):
        reader.open(sha)
    with pytest.raises((ArtifactHashMismatch, FileNotFoundError)):
        reader.local_path(sha)
    # And the store no longer counts it as stored, so the right content can be put again
    assert not reader.has(sha)
    assert reader.put_bytes(b"the real model") == sha
    assert read(reader, sha) == b"the real model"
    assert read(backend.store(), sha) == b"the real model"


def test_content_tampered_after_it_was_read_once_is_refused_on_the_next_read(backend):
    # Given content a server has read (and verified) once
    sha = backend.store().put_bytes(b"verified once")
    reader = backend.store()
    assert read(reader, sha) == b"verified once"
    local = reader.local_path(sha)
    # When its local copy is changed behind the server's back (same size)
    os.chmod(local, 0o644)
    local.write_bytes(b"verified twice")
    # Then it is not served: S3's cache fetches the object again, the directory refuses it
    if backend.kind == "s3":
        assert read(reader, sha) == b"verified once"
        assert reader.local_path(sha).read_bytes() == b"verified once"
    else:
        with pytest.raises(ArtifactHashMismatch):
            reader.open(sha)


def test_a_local_copy_for_builds_is_a_verified_file(backend):
    # Given content stored by one server
    sha = backend.store().put_bytes(b"model bytes" * 100)
    # When another server asks for a local path (model builds copy files from it)
    path = backend.store().local_path(sha)
    # Then it is a readable file with exactly that content
    assert path.is_file()
    assert digest(path.read_bytes()) == sha


def test_capturing_a_workspace_file_stores_it_once_and_refuses_changed_content(backend, tmp_path):
    # Given a workspace file and its hash
    store = backend.store()
    src = tmp_path / "data.csv"
    src.write_bytes(b"a,b\n1,2\n")
    sha = digest(b"a,b\n1,2\n")
    # When it is captured twice, then it is stored the first time only
    assert store.capture_file(src, sha) is True
    assert store.capture_file(src, sha) is False
    assert backend.stored(sha) == b"a,b\n1,2\n"
    # When the file changed since it was hashed, then capturing it is refused
    src.write_bytes(b"a,b\n3,4\n")
    with pytest.raises(ArtifactHashMismatch):
        store.capture_file(src, digest(b"other content"))
    assert backend.stored(digest(b"other content")) is None
    assert backend.stored(digest(b"a,b\n3,4\n")) is None


def test_a_streamed_upload_is_stored_once_and_leaves_no_temp_file(backend):
    # Given content streamed into two upload temp files (as PUT artifacts/{sha} does)
    store = backend.store()
    data = b"uploaded " * 5000
    sha = digest(data)
    temps = []
    for _ in range(2):
        tmp = store.upload_temp()
        tmp.write(data)
        temps.append(tmp)
    # When both are handed to the store, then the first is stored now, the second was already
    assert store.put_upload(temps[0], sha) is True
    assert store.put_upload(temps[1], sha) is False
    assert backend.stored(sha) == data
    assert not any(os.path.exists(t.name) for t in temps)
    # And a discarded upload leaves nothing either
    tmp = store.upload_temp()
    tmp.write(b"aborted")
    store.discard(tmp)
    assert not os.path.exists(tmp.name)


def test_a_model_build_copies_files_out_of_either_backend(backend, tmp_path):
    # Given a model file stored by one server
    sha = backend.store().put_bytes(b"pretend joblib")
    version = {"name": "m", "version": 1, "framework": "sklearn", "path": "m/model.joblib",
               "files": [{"path": "m/model.joblib", "sha256": sha}], "allow_pickle": True}  # fmt: skip
    # When another server builds the bundle
    build.write_bundle(version, None, backend.store(), tmp_path / "bundle", log=lambda s: None)
    # Then the bundle holds the file's content
    assert (tmp_path / "bundle" / "files" / "m" / "model.joblib").read_bytes() == b"pretend joblib"


def test_a_model_build_refuses_a_tampered_file(backend, tmp_path):
    # Given a model file replaced in the backend after it was stored
    sha = backend.store().put_bytes(b"pretend joblib")
    backend.tamper(sha, b"pretend jobli!")
    version = {"name": "m", "version": 1, "framework": "sklearn", "path": "m/model.joblib",
               "files": [{"path": "m/model.joblib", "sha256": sha}], "allow_pickle": True}  # fmt: skip
    # When another server builds the bundle, then the build fails and writes no bundle
    with pytest.raises(build.BuildError, match="m/model.joblib"):
        build.write_bundle(version, None, backend.store(), tmp_path / "bundle", log=lambda s: None)
    assert not (tmp_path / "bundle").exists()


def test_a_reproduction_restores_a_damaged_input_from_the_workspace_or_says_why(backend, tmp_path):
    # Given an input captured by one server, then changed in the store behind its back
    sha = backend.store().put_bytes(b"training data")
    backend.tamper(sha, b"training dat!")
    root, scratch = tmp_path / "root", tmp_path / "scratch"
    root.mkdir()
    scratch.mkdir()
    run = {"inputs": [{"path": "train.csv", "sha256": sha}]}
    # When another server restores it and the workspace has no copy, then it says why
    with pytest.raises(NotReproducible, match="train.csv was not captured"):
        workspace.restore_inputs(run, scratch, backend.store(), str(root))
    assert not (scratch / "train.csv").exists()
    # When the workspace still has the content the run read, then it comes from there
    (root / "train.csv").write_bytes(b"training data")
    restored = workspace.restore_inputs(run, scratch, backend.store(), str(root))
    assert restored == [{"path": "train.csv", "from": "workspace"}]
    assert (scratch / "train.csv").read_bytes() == b"training data"
