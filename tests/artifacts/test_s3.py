"""What only the S3 backend has: multipart upload of large files, configuration of the
artifact root, a local cache, and an unreachable endpoint answered with one sentence."""

from __future__ import annotations

import hashlib
import time

import pytest

from jupyterlab_dotscience.artifacts import (
    ArtifactHashMismatch,
    ArtifactStoreUnavailable,
    open_artifact_store,
)
from jupyterlab_dotscience.artifacts_s3 import S3ArtifactStore, parse_s3_root

from ..server.live import free_port
from .conftest import Backend

MIB = 1024 * 1024


@pytest.fixture
def s3(s3_server, s3_env, tmp_path):
    return Backend("s3", tmp_path, s3_server)


def test_a_file_over_the_multipart_threshold_is_uploaded_in_parts(s3, tmp_path):
    # Given a store with a 5 MiB multipart threshold and part size
    store = s3.store(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    big = bytes(range(256)) * (11 * MIB // 256) + b"tail"
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "small.bin").write_bytes(b"small")
    # When a file over it and one under it are put
    sha_big = store.put_file(tmp_path / "big.bin")
    sha_small = store.put_file(tmp_path / "small.bin")
    # Then the large object was assembled from 3 parts (S3's ETag says so), the small one not
    client = s3.s3.client()
    etag = client.head_object(Bucket=s3.bucket, Key=s3.key(sha_big))["ETag"].strip('"')
    assert etag.endswith("-3"), etag
    etag = client.head_object(Bucket=s3.bucket, Key=s3.key(sha_small))["ETag"].strip('"')
    assert "-" not in etag
    # And no unfinished multipart upload is left, and another server reads the whole content
    assert not client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads")
    with s3.store().open(sha_big) as f:
        assert hashlib.sha256(f.read()).hexdigest() == sha_big


def test_a_bucket_that_does_not_exist_is_one_sentence_naming_the_store(s3, tmp_path):
    # Given a store whose bucket was deleted
    store = s3.store(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    (tmp_path / "big.bin").write_bytes(b"z" * (6 * MIB))
    s3.s3.client().delete_bucket(Bucket=s3.bucket)
    # When a large file is put, then the failure is one sentence naming the store
    with pytest.raises(ArtifactStoreUnavailable, match=f"s3://{s3.bucket}/") as caught:
        store.put_file(tmp_path / "big.bin")
    assert "\n" not in str(caught.value)


def test_the_artifact_root_is_parsed_like_mlflows(s3_env):
    assert parse_s3_root("s3://bucket") == ("bucket", "")
    assert parse_s3_root("s3://bucket/") == ("bucket", "")
    assert parse_s3_root("s3://my-bucket/team/artifacts/") == ("my-bucket", "team/artifacts")
    for bad in ("s3://", "s3:///prefix", "s3://Bad_Bucket!/x", "s3://b/../x", "s3://b//x"):
        with pytest.raises(ValueError, match="artifact root"):
            parse_s3_root(bad)


def test_settings_out_of_range_are_refused_in_one_sentence(s3_env, tmp_path):
    with pytest.raises(ValueError, match="at least 5,242,880 bytes"):
        open_artifact_store("s3://bucket/p", cache_dir=tmp_path, multipart_chunksize=MIB)
    with pytest.raises(ValueError, match="local cache"):
        open_artifact_store("s3://bucket/p")
    with pytest.raises(ValueError, match="a directory or s3://"):
        open_artifact_store("gs://bucket/p")


def test_an_unreachable_endpoint_is_one_sentence_and_does_not_hang(s3_env, tmp_path):
    # Given an S3 endpoint nothing listens on
    url = f"http://127.0.0.1:{free_port()}"
    store = open_artifact_store("s3://bucket/p", s3_endpoint_url=url, cache_dir=tmp_path / "c")
    # When it is asked for content, then it answers promptly that the store is unavailable
    started = time.monotonic()
    with pytest.raises(ArtifactStoreUnavailable, match="s3://bucket/p") as caught:
        store.has("0" * 64)
    assert time.monotonic() - started < 30
    assert "\n" not in str(caught.value)


def test_the_local_cache_keeps_within_its_limit(s3, tmp_path):
    # Given a store whose local cache holds at most 3 KB
    writer = s3.store()
    shas = [writer.put_bytes(bytes([i]) * 1000) for i in range(6)]
    reader = s3.store(cache_max_bytes=3000)
    # When six 1 KB objects are read one after the other
    for i, sha in enumerate(shas):
        with reader.open(sha) as f:
            assert f.read() == bytes([i]) * 1000
    # Then the cache holds no more than its limit, the most recent kept
    cached = [p for p in (tmp_path / f"cache-{s3.made}").rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in cached) <= 3000
    assert reader.local_path(shas[-1]).read_bytes() == bytes([5]) * 1000


def test_an_object_restored_in_the_bucket_is_served_again(s3, tmp_path):
    # Given an object found damaged by a server that looks again at once
    sha = s3.store().put_bytes(b"the real thing")
    s3.tamper(sha, b"not the thing!")
    reader = S3ArtifactStore(
        s3.root, cache_dir=tmp_path / "r", endpoint_url=s3.s3.endpoint_url, damaged_recheck=0.0
    )
    with pytest.raises(ArtifactHashMismatch):
        reader.open(sha)
    # When an operator restores the right content in the bucket (from a backup)
    s3.s3.client().put_object(Bucket=s3.bucket, Key=s3.key(sha), Body=b"the real thing")
    # Then the server serves it again
    assert reader.has(sha)
    with reader.open(sha) as f:
        assert f.read() == b"the real thing"


def test_a_damaged_object_counts_as_not_stored_so_an_upload_replaces_it(s3):
    # Given an object found damaged by a server
    sha = s3.store().put_bytes(b"model v1")
    s3.tamper(sha, b"model v!")
    reader = s3.store()
    with pytest.raises(ArtifactHashMismatch):
        reader.open(sha)
    # When the right content is uploaded through it, then the bucket holds it again
    assert not reader.has(sha)
    tmp = reader.upload_temp()
    tmp.write(b"model v1")
    assert reader.put_upload(tmp, sha) is True
    assert s3.stored(sha) == b"model v1"
