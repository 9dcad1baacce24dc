"""Through the REST API, on a live server of each backend: uploads (``PUT
artifacts/{sha256}``) and files captured at publish land in the configured store, and a
download of content changed in the store behind the server's back is refused, not served."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from ..security.conftest import http, start_live, token_auth
from ..server.live import free_port
from .conftest import BACKENDS, Backend
from .s3server import s3_environment

MIB = 1024 * 1024


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, tmp_path_factory):
    """``(live server, backend)``: a server whose artifact root is the backend's."""
    tmp = tmp_path_factory.mktemp(f"artifacts-{request.param}")
    (tmp / "root").mkdir()
    s3 = request.getfixturevalue("s3_server") if request.param == "s3" else None
    backend = Backend(request.param, tmp, s3)
    args = [f"--DotscienceApp.artifact_root={backend.root}"]
    if s3 is not None:
        args += [
            f"--DotscienceApp.artifact_s3_endpoint_url={s3.endpoint_url}",
            f"--DotscienceApp.artifact_multipart_threshold={5 * MIB}",
            f"--DotscienceApp.artifact_multipart_chunksize={5 * MIB}",
        ]
    with pytest.MonkeyPatch.context() as mp:
        for name, value in s3_environment().items():
            mp.setenv(name, value)
        server = start_live(tmp / "root", *args)
    yield server, backend
    server.stop()


@pytest.fixture
def with_s3_env(monkeypatch):
    for name, value in s3_environment().items():
        monkeypatch.setenv(name, value)


def url(server, sha: str) -> str:
    return f"{server.url}dotscience/api/artifacts/{sha}"


def upload(server, data: bytes):
    sha = hashlib.sha256(data).hexdigest()
    headers = {**token_auth(server), "Content-Type": "application/octet-stream"}
    return http("PUT", url(server, sha), data, headers)


def test_an_upload_lands_in_the_configured_store_and_downloads(served):
    # Given a live server of the backend
    server, backend = served
    data = f"uploaded through the API {uuid.uuid4()}".encode() * 100
    sha = hashlib.sha256(data).hexdigest()
    # When content is uploaded twice
    first = upload(server, data)
    second = upload(server, data)
    # Then it is stored now, then already, in the configured store
    assert first[0] == 201 and first[1]["created"] is True, first
    assert second[0] == 200 and second[1]["created"] is False, second
    assert backend.stored(sha) == data
    # And it downloads with its bytes
    assert http("GET", url(server, sha), headers=token_auth(server)) == (200, data)


def test_a_large_upload_lands_whole_and_goes_to_s3_in_parts(served):
    # Given a server whose S3 multipart threshold and part size are 5 MiB
    server, backend = served
    data = uuid.uuid4().bytes * (11 * MIB // 16)
    sha = hashlib.sha256(data).hexdigest()
    # When an 11 MiB file is uploaded through the API
    status, body = upload(server, data)
    # Then it is stored whole (in S3: assembled from 3 parts, as its ETag says)
    assert status == 201, body
    assert backend.stored(sha) == data
    if backend.kind == "s3":
        head = backend.s3.client().head_object(Bucket=backend.bucket, Key=backend.key(sha))
        assert head["ETag"].strip('"').endswith("-3"), head["ETag"]


def test_content_of_the_wrong_hash_is_refused_and_not_stored(served):
    server, backend = served
    claimed = hashlib.sha256(b"what the client claims").hexdigest()
    headers = {**token_auth(server), "Content-Type": "application/octet-stream"}
    status, body = http("PUT", url(server, claimed), b"what it sends", headers)
    assert status == 400 and "sha256" in body["error"], body
    assert backend.stored(claimed) is None


def test_content_changed_in_the_store_is_refused_not_served(served, with_s3_env):
    # Given content another server stored, then changed in the store behind both servers
    server, backend = served
    real = f"real {uuid.uuid4()}".encode()
    sha = backend.store().put_bytes(real)
    backend.tamper(sha, b"tampered content nobody may download")
    # When the live server is asked for it
    status, body = http("GET", url(server, sha), headers=token_auth(server))
    # Then it refuses in one sentence and serves none of the tampered bytes
    assert status == 500, body
    assert isinstance(body, dict) and sha in body["error"] and "not served" in body["error"]
    assert "tampered" not in body["error"]
    # And an upload of the right content repairs it
    assert upload(server, real)[0] == 201
    assert http("GET", url(server, sha), headers=token_auth(server)) == (200, real)
    assert backend.stored(sha) == real


def test_files_captured_at_publish_land_in_the_configured_store(served):
    # Given a workspace file the run declares as an output
    server, backend = served
    data = f"model weights {uuid.uuid4()}".encode()
    sha = hashlib.sha256(data).hexdigest()
    rel = f"out/{uuid.uuid4().hex[:8]}.bin"
    (server.root / "out").mkdir(exist_ok=True)
    (server.root / rel).write_bytes(data)
    record = {
        "schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "capture",
        "outputs": [{"path": rel, "sha256": sha, "size": len(data)}],
    }  # fmt: skip
    # When the Jupyter user publishes it
    status, body = http("POST", server.url + "dotscience/api/runs", record, token_auth(server))
    assert status in (200, 201), body
    # Then its content is in the configured store, and the run says it was captured
    assert backend.stored(sha) == data
    status, files = http(
        "GET", f"{server.url}dotscience/api/runs/{record['id']}/files", headers=token_auth(server)
    )
    assert status == 200, files
    (out,) = [f for f in files["files"] if f["path"] == rel]
    assert out["captured"] is True and out["artifact"] is True, out


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory):
    """A live server whose S3 endpoint nothing listens on."""
    tmp = tmp_path_factory.mktemp("artifacts-unreachable")
    (tmp / "root").mkdir()
    args = [
        "--DotscienceApp.artifact_root=s3://team-bucket/artifacts",
        f"--DotscienceApp.artifact_s3_endpoint_url=http://127.0.0.1:{free_port()}",
    ]
    with pytest.MonkeyPatch.context() as mp:
        for name, value in s3_environment().items():
            mp.setenv(name, value)
        server = start_live(tmp / "root", *args)
    yield server
    server.stop()


def test_an_unreachable_store_is_a_503_and_a_publish_keeps_the_run(unreachable):
    server = unreachable
    data = b"weights nobody can store now"
    sha = hashlib.sha256(data).hexdigest()
    # When content is uploaded or downloaded, then each is answered 503 in one sentence
    status, body = upload(server, data)
    assert status == 503 and "artifact store cannot be reached" in body["error"], body
    assert "127.0.0.1" not in body["error"] and "team-bucket" not in body["error"]
    status, body = http("GET", url(server, sha), headers=token_auth(server))
    assert status == 503 and "artifact store cannot be reached" in body["error"], body
    # When a run with an output file is published, then the run is stored all the same
    (server.root / "model.bin").write_bytes(data)
    record = {
        "schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "offline",
        "outputs": [{"path": "model.bin", "sha256": sha, "size": len(data)}],
    }  # fmt: skip
    status, body = http("POST", server.url + "dotscience/api/runs", record, token_auth(server))
    assert status in (200, 201), body
    # And its file says why it was not captured
    status, files = http(
        "GET", f"{server.url}dotscience/api/runs/{record['id']}/files", headers=token_auth(server)
    )
    assert status == 200, files
    (out,) = files["files"]
    assert out["captured"] is False and out["artifact"] is False, out
    assert out["reason"] == "artifact store unavailable", out
