"""Content-addressed artifacts and safe workspace paths."""

from __future__ import annotations

import hashlib
import os

import pytest

from jupyterlab_dotscience.artifacts import (
    ArtifactHashMismatch,
    ArtifactStore,
    ArtifactTooLarge,
    safe_join,
)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files(root):
    return [os.path.join(d, f) for d, _, fs in os.walk(root / "sha256") for f in fs]


def test_two_runs_writing_the_same_bytes_store_one_file(tmp_path):
    # Given two output files with the same content in different places
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "model.bin").write_bytes(b"weights" * 1000)
    (tmp_path / "b.bin").write_bytes(b"weights" * 1000)
    artifacts = ArtifactStore(tmp_path / "artifacts")

    # When both are copied in
    first = artifacts.put_file(tmp_path / "a" / "model.bin")
    second = artifacts.put_file(tmp_path / "b.bin")

    # Then they share one stored file, found by its hash, with the original bytes
    assert first == second == digest(b"weights" * 1000)
    assert len(stored_files(tmp_path / "artifacts")) == 1
    assert artifacts.has(first)
    with artifacts.open(first) as f:
        assert f.read() == b"weights" * 1000
    assert artifacts.path_for(first) == tmp_path / "artifacts" / "sha256" / first[:2] / first
    assert not list((tmp_path / "artifacts" / "tmp").iterdir())


def test_file_over_the_size_limit_is_refused_and_leaves_nothing(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 2048)
    artifacts = ArtifactStore(tmp_path / "artifacts", max_bytes=1024)
    with pytest.raises(ArtifactTooLarge, match="size limit"):
        artifacts.put_file(big)
    assert stored_files(tmp_path / "artifacts") == []
    assert not list((tmp_path / "artifacts" / "tmp").iterdir())


def test_changed_file_is_refused_when_hash_does_not_match(tmp_path):
    src = tmp_path / "data.csv"
    src.write_bytes(b"changed since hashing")
    artifacts = ArtifactStore(tmp_path / "artifacts")
    with pytest.raises(ArtifactHashMismatch, match="expected"):
        artifacts.put_file(src, expected_sha256=digest(b"original"))
    assert stored_files(tmp_path / "artifacts") == []
    assert artifacts.put_file(src, expected_sha256=digest(b"changed since hashing"))


def test_missing_artifact_cannot_be_opened(tmp_path):
    artifacts = ArtifactStore(tmp_path)
    assert not artifacts.has("0" * 64)
    with pytest.raises(FileNotFoundError):
        artifacts.open("0" * 64)


@pytest.mark.parametrize(
    "name",
    [
        "../" + "a" * 61,
        "A" * 64,
        "a" * 63,
        "a" * 65,
        "a" * 63 + "\n",
        "a" * 63 + "/",
        "..%2f" + "a" * 59,
        "",
        None,
        "g" * 64,
    ],
)
def test_artifact_names_other_than_a_sha256_are_refused(tmp_path, name):
    artifacts = ArtifactStore(tmp_path)
    with pytest.raises(ValueError):
        artifacts.path_for(name)
    with pytest.raises(ValueError):
        artifacts.open(name)


@pytest.mark.parametrize(
    "rel",
    [
        "../secret",
        "a/../../secret",
        "..",
        "/etc/passwd",
        "a\\..\\..\\secret",
        "a\x00b",
        "%2e%2e/secret",
        "%2E%2E%2Fsecret",
        "a/%2e%2e/%2e%2e/secret",
        "%252e%252e/secret",
        "C:/Windows",
        "%2fetc/passwd",
    ],
)
def test_traversal_payloads_are_refused_by_safe_join(tmp_path, rel):
    with pytest.raises(ValueError):
        safe_join(tmp_path, rel)


def test_symlink_escaping_the_root_is_refused(tmp_path):
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(tmp_path / "outside.txt", root / "data" / "link.txt")
    os.symlink(tmp_path, root / "up")
    with pytest.raises(ValueError, match="outside"):
        safe_join(root, "data/link.txt")
    with pytest.raises(ValueError, match="outside"):
        safe_join(root, "up/outside.txt")


def test_safe_join_accepts_ordinary_workspace_paths(tmp_path):
    (tmp_path / "data").mkdir()
    os.symlink(tmp_path / "data", tmp_path / "alias")
    assert safe_join(tmp_path, "data/iris.csv") == tmp_path.resolve() / "data" / "iris.csv"
    assert safe_join(tmp_path, "./data/x..y.csv").name == "x..y.csv"
    assert safe_join(tmp_path, "alias/a.csv") == tmp_path.resolve() / "data" / "a.csv"
    assert safe_join(tmp_path, "") == tmp_path.resolve()
