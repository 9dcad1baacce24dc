"""Inputs and outputs: relativisation, outside flagging, expansion, hashing, the stat cache."""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dotscience as ds
from dotscience import hashing
from dotscience.paths import Relativiser

from .conftest import write

segment = st.text(alphabet="abcXYZ019_-. ", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entries(record, key="inputs"):
    return {e["path"]: e for e in record[key]}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(parts=st.lists(segment, min_size=1, max_size=4))
def test_paths_inside_root_are_relative_with_slashes(workspace, parts):
    # Given a path below the root, written with the OS separator
    rel = Relativiser(str(workspace))
    path = os.path.join(str(workspace), *parts)
    # When relativised
    recorded, outside = rel.name(os.path.abspath(path))
    # Then it is the normalised root-relative path joined with "/", not outside
    assert recorded == "/".join(os.path.normpath(os.path.join(*parts)).split(os.sep))
    assert outside is False


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(parts=st.lists(segment, min_size=1, max_size=3))
def test_paths_escaping_the_root_are_flagged(workspace, parts):
    # Given a path that climbs out of the root
    rel = Relativiser(str(workspace / "sub"))
    path = os.path.join(str(workspace / "sub"), "..", *parts)
    # When relativised
    recorded, outside = rel.name(os.path.abspath(path))
    # Then it is flagged and recorded absolute
    assert outside is True and recorded.startswith("/")


def test_relative_paths_resolve_against_cwd_at_call_time(workspace, monkeypatch, out):
    # Given a file in a subdirectory and the cwd moved there
    write(workspace / "sub" / "a.txt", "a")
    monkeypatch.chdir(workspace / "sub")
    ds.start()
    ds.add_input("a.txt")
    monkeypatch.chdir(workspace)
    # When published
    record = ds.publish(stream=out)
    # Then the path is relative to the root, not to the cwd
    assert list(entries(record)) == ["sub/a.txt"]


def test_inputs_carry_hash_and_size_and_are_deduplicated(workspace, out):
    # Given a file declared twice, in two spellings
    write(workspace / "d.csv", b"hello")
    ds.start()
    ds.add_inputs("d.csv", "./d.csv", workspace / "d.csv")
    # When published
    record = ds.publish(stream=out)
    # Then there is one entry with its SHA-256 and size
    assert record["inputs"] == [{"path": "d.csv", "sha256": sha(b"hello"), "size": 5,
                                 "outside": False, "missing": False}]  # fmt: skip


def test_missing_input_is_recorded_as_given(out):
    # Given a path that does not exist
    ds.start()
    ds.add_input("nope/missing.csv")
    # When published
    record = ds.publish(stream=out)
    # Then it is recorded, flagged missing, without a hash
    assert record["inputs"][0] == {"path": "nope/missing.csv", "sha256": None, "size": None,
                                   "outside": False, "missing": True}  # fmt: skip


def test_outside_file_and_symlink_out_are_flagged_and_not_read(workspace, tmp_path_factory,
                                                               monkeypatch, out):  # fmt: skip
    # Given a file outside the workspace and a symlink inside pointing to it
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    secret = write(elsewhere / "secret.txt", "secret")
    os.symlink(secret, workspace / "link.txt")
    write(workspace / "data" / "ok.txt", "ok")
    os.symlink(secret, workspace / "data" / "sneaky.txt")
    reads = []
    real = hashing._hash_file
    monkeypatch.setattr(hashing, "_hash_file", lambda p: reads.append(p) or real(p))
    ds.start()
    # When both are declared, and a directory containing another such link
    ds.add_inputs(secret, "link.txt", "data")
    record = ds.publish(stream=out)
    # Then all escaping paths are flagged and never read; the plain file is hashed
    found = entries(record)
    assert found[secret.replace(os.sep, "/")]["outside"] is True
    assert found["link.txt"]["outside"] is True and found["link.txt"]["sha256"] is None
    assert found["data/sneaky.txt"]["outside"] is True
    assert found["data/ok.txt"]["sha256"] == sha(b"ok")
    assert reads == [str(workspace / "data" / "ok.txt")]


def test_input_directory_is_expanded_when_declared(workspace, out):
    # Given a nested directory
    write(workspace / "data" / "a.csv", "a")
    write(workspace / "data" / "deep" / "b.csv", "b")
    ds.start()
    ds.add_input("data")
    # When a file is added after the declaration
    write(workspace / "data" / "late.csv", "late")
    record = ds.publish(stream=out)
    # Then the run lists the files present at declaration, hashed, sorted
    assert list(entries(record)) == ["data/a.csv", "data/deep/b.csv"]
    assert entries(record)["data/deep/b.csv"]["sha256"] == sha(b"b")


def test_output_directory_is_expanded_at_publish(workspace, out):
    # Given an output directory declared before its files exist
    ds.start()
    ds.add_output("results")
    write(workspace / "results" / "r1.txt", "1")
    write(workspace / "results" / "sub" / "r2.txt", "2")
    # When published
    record = ds.publish(stream=out)
    # Then the files written in the meantime are the outputs, with hashes
    assert entries(record, "outputs")["results/sub/r2.txt"]["sha256"] == sha(b"2")
    assert sorted(entries(record, "outputs")) == ["results/r1.txt", "results/sub/r2.txt"]


def test_unchanged_directory_is_not_read_again(workspace, monkeypatch, out):
    # Given a directory of 50 files declared once (hashes cached in the workspace)
    for i in range(50):
        write(workspace / "data" / f"{i}.bin", os.urandom(100))
    ds.start()
    ds.add_input("data")
    first = ds.publish(stream=out)
    assert (workspace / ".dotscience" / "statcache.sqlite").exists()
    reads = []
    real = hashing._hash_file
    monkeypatch.setattr(hashing, "_hash_file", lambda p: reads.append(p) or real(p))
    # When a new session (a new process) declares it again, after one file changed
    ds._reset_session()
    ds.start()
    write(workspace / "data" / "7.bin", b"changed!")
    ds.add_input("data")
    second = ds.publish(stream=out)
    # Then only the changed file was read, and the other hashes are the same as before
    assert reads == [str(workspace / "data" / "7.bin")]
    assert entries(second)["data/7.bin"]["sha256"] == sha(b"changed!")
    assert entries(second)["data/3.bin"] == entries(first)["data/3.bin"]


def test_many_files_hash_on_the_pool_with_correct_results(workspace, monkeypatch):
    # Given many files whose total exceeds the pool threshold
    monkeypatch.setattr(hashing, "POOL_MIN_BYTES", 1)
    blobs = {f"f{i}": os.urandom(1000 + i) for i in range(200)}
    paths = [write(workspace / "many" / name, data) for name, data in blobs.items()]
    threads = set()
    real = hashing._hash_file

    def spy(path):
        import threading

        threads.add(threading.current_thread().name)
        return real(path)

    monkeypatch.setattr(hashing, "_hash_file", spy)
    # When hashed
    results = hashing.hash_files(paths, [os.path.getsize(p) for p in paths])
    # Then each hash is right and the work ran on the pool threads
    assert results == [(sha(d), len(d)) for d in blobs.values()]
    if (os.cpu_count() or 1) > 1:
        assert all(t.startswith("dotscience-hash") for t in threads)


def test_unreadable_cache_only_costs_rehashing(workspace, out):
    # Given a corrupt stat cache file
    (workspace / ".dotscience").mkdir()
    (workspace / ".dotscience" / "statcache.sqlite").write_bytes(b"not sqlite")
    write(workspace / "a.txt", "a")
    ds.start()
    # When an input is declared
    ds.add_input("a.txt")
    # Then it is still hashed
    assert ds.publish(stream=out)["inputs"][0]["sha256"] == sha(b"a")


@pytest.mark.skipif(os.name != "posix", reason="symlink semantics")
def test_empty_directory_input_stays_visible(workspace, out):
    # Given an empty directory
    (workspace / "empty").mkdir()
    ds.start()
    # When declared
    ds.add_input("empty")
    # Then it is still listed
    assert list(entries(ds.publish(stream=out))) == ["empty"]


def test_declaring_the_whole_workspace_skips_its_dotscience_state(workspace, out):
    # Given a workspace with a data file and earlier state in .dotscience
    write(workspace / "a.txt", "a")
    write(workspace / ".dotscience" / "spool" / "old.json", "{}")
    ds.start()
    # When the root itself is declared as input
    ds.add_input(".")
    # Then only the user's files are listed
    assert list(entries(ds.publish(stream=out))) == ["a.txt"]
