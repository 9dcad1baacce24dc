"""Uploads (``PUT artifacts/{sha256}``): an aborted upload leaves nothing behind, each API
key has an upload quota that survives restarts, and stored artifacts are durable (fsynced
before they are renamed into place, and their directory after)."""

from __future__ import annotations

import hashlib
import os
import select
import socket
import time
import uuid

import pytest

from dotscience import remote
from dotscience.client import Client
from jupyterlab_dotscience.artifacts import ArtifactStore

from ..remote.conftest import put_head, read_answer
from ..server.live import LiveServer
from .conftest import basic_auth, create_key, http, start_live, token_auth


def upload(server, data: bytes, headers: dict):
    sha = hashlib.sha256(data).hexdigest()
    headers = {**headers, "Content-Type": "application/octet-stream"}
    return http("PUT", f"{server.url}dotscience/api/artifacts/{sha}", data, headers)


def wait_for(predicate, what: str, deadline: float = 30.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {deadline:.0f} s waiting until {what}")


def temp_files(server) -> list[str]:
    tmp = server.root / ".dotscience" / "artifacts" / "tmp"
    return sorted(os.listdir(tmp)) if tmp.is_dir() else []


def test_an_aborted_upload_leaves_no_temp_file(live):
    # Given a key and an upload that announces 4 MB
    key = create_key(live)
    sha = hashlib.sha256(b"never sent in full").hexdigest()
    before = temp_files(live)
    # When the client sends the headers and part of the body, then disconnects
    sock = send_head(live, sha, 4_000_000, basic_auth("alice", key["key"]))
    sock.sendall(b"x" * 300_000)
    wait_for(lambda: len(temp_files(live)) > len(before), "the upload's temp file exists")
    sock.close()
    # Then the server removes the partial temp file, and keeps serving
    wait_for(lambda: temp_files(live) == before, "the partial upload's temp file is removed")
    assert http("GET", live.url + "dotscience/api/version", headers=token_auth(live))[0] == 200


def send_head(server, sha: str, length: int, headers: dict) -> socket.socket:
    """A connection that has sent a PUT's head (no body yet) for ``sha``."""
    return put_head(server.port, f"/dotscience/api/artifacts/{sha}", length, headers)


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """A server that stores files of up to 4,000,000 bytes, 4,500,000 bytes per key."""
    server = start_live(
        tmp_path_factory.mktemp("limited-root"),
        "--DotscienceApp.max_artifact_bytes=4000000",
        "--DotscienceApp.api_key_upload_quota=4500000",
    )
    yield server
    server.stop()


def test_a_refused_upload_is_answered_after_its_body_on_a_connection_that_goes_on(limited):
    # Given alice's key and a file twice the size limit
    auth = basic_auth("alice", create_key(limited)["key"])
    data = os.urandom(8_000_000)
    sha = hashlib.sha256(data).hexdigest()
    before = temp_files(limited)
    # When a client sends the head, then (as most clients do) the whole body without waiting
    sock = send_head(limited, sha, len(data), auth)
    answered_early = select.select([sock], [], [], 1.0)[0]
    sock.sendall(data)
    status, answer = read_answer(sock)
    # Then it is not answered (nor cut off) before its body, then refused with the limit
    assert not answered_early
    assert status == 413 and "4,000,000" in answer["error"], answer
    # And the same connection serves the next request; nothing was kept
    sock.sendall(f"GET /dotscience/api/version HTTP/1.1\r\nHost: 127.0.0.1:{limited.port}\r\n"
                 f"Authorization: {auth['Authorization']}\r\n\r\n".encode())  # fmt: skip
    assert read_answer(sock)[0] == 200
    sock.close()
    assert temp_files(limited) == before
    assert http("GET", f"{limited.url}dotscience/api/artifacts/{sha}", headers=auth)[0] == 404


def test_an_upload_over_the_quota_is_refused_after_its_body(limited):
    # Given a key that has uploaded 900,000 of its 4,500,000 bytes
    auth = basic_auth("alice", create_key(limited, "quota")["key"])
    assert upload(limited, os.urandom(900_000), auth)[0] == 201
    # When it uploads 3,900,000 more with an ordinary client (urllib)
    status, answer = upload(limited, os.urandom(3_900_000), auth)
    # Then the client hears why
    assert status == 413 and "quota" in answer["error"], answer


def test_a_client_that_waits_for_continue_is_refused_before_it_sends_the_body(limited):
    # Given alice's key, a file over the size limit and one under it
    auth = basic_auth("alice", create_key(limited, "continue")["key"])
    small = os.urandom(10_000)
    expect = {"Expect": "100-continue"}
    # When each is announced with "Expect: 100-continue": too large; unauthenticated; fine
    too_large = read_answer(send_head(limited, "0" * 64, 5_000_000, {**expect, **auth}))
    sha = hashlib.sha256(small).hexdigest()
    anonymous = read_answer(send_head(limited, sha, len(small), expect))
    sock = send_head(limited, sha, len(small), {**expect, **auth})
    go_ahead = read_answer(sock)
    sock.sendall(small)
    stored = read_answer(sock)
    # Then the refusals come instead of the go-ahead; the allowed upload gets it and stores
    assert too_large[0] == 413 and "limit" in too_large[1]["error"]
    assert anonymous[0] == 403
    assert go_ahead == (100, b"")
    assert stored[0] == 201 and stored[1]["sha256"] == sha


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def quota_server(request, tmp_path):
    """A server with a 1,000-byte upload quota per key, on each kind of store."""
    (tmp_path / "root").mkdir()
    store_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    server = LiveServer(tmp_path / "root", store_url=store_url)
    server.extra_args = QUOTA_ARGS
    yield server.start()
    server.stop()


QUOTA_ARGS = ["--DotscienceApp.kernel_user=alice", "--DotscienceApp.api_key_upload_quota=1000"]


def test_upload_quota_is_per_key_and_survives_a_restart(quota_server, tmp_path):
    # Given a server with a 1,000-byte upload quota per key, and two keys
    server = quota_server
    first, second = create_key(server, "first"), create_key(server, "second")
    a1, a2 = basic_auth("alice", first["key"]), basic_auth("alice", second["key"])
    # When the first key uploads 600 bytes, then 600 more
    ok = upload(server, b"a" * 600, a1)
    over = upload(server, b"b" * 600, a1)
    # Then the second upload is refused with a sentence naming the quota, and not stored
    assert ok[0] == 201
    assert over[0] == 413, over
    assert "quota" in over[1]["error"] and "1,000" in over[1]["error"]
    sha_b = hashlib.sha256(b"b" * 600).hexdigest()
    assert http("GET", f"{server.url}dotscience/api/artifacts/{sha_b}",
                headers=token_auth(server))[0] == 404  # fmt: skip
    # And another key, the Jupyter user, and content already stored are not held back
    assert upload(server, b"c" * 600, a2)[0] == 201
    assert upload(server, b"d" * 5000, token_auth(server))[0] == 201
    assert upload(server, b"a" * 600, a1)[0] == 200
    # When the server restarts
    server.stop()
    server = LiveServer(server.root, store_url=server.store_url)
    server.extra_args = QUOTA_ARGS
    server.start()
    try:
        # Then the first key's usage is remembered: 500 more bytes do not fit, 400 do
        assert upload(server, b"e" * 500, a1)[0] == 413
        assert upload(server, b"f" * 400, a1)[0] == 201
        assert upload(server, b"g" * 1, a1)[0] == 413
    finally:
        server.stop()


def test_an_upload_captures_the_file_only_for_runs_of_the_uploading_keys_project(quota_server):
    # Given two keys of alice limited to two projects, each with a run declaring the same
    # output that neither has uploaded yet
    server = quota_server
    data = b"weights from the GPU box"
    ref = {"path": "w.bin", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    keys, runs = {}, {}
    for proj in ("vision", "speech"):
        keys[proj] = basic_auth("alice", create_key(server, proj, project=proj)["key"])
        runs[proj] = {"schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": proj,
                      "outputs": [ref]}  # fmt: skip
        status, _ = http("POST", server.url + "dotscience/api/runs", runs[proj], keys[proj])
        assert status == 201

    def files(proj):
        url = f"{server.url}dotscience/api/runs/{runs[proj]['id']}/files"
        (f,) = http("GET", url, headers=keys[proj])[1]["files"]
        return f["captured"], f["artifact"], f["reason"]

    # When the vision key uploads the content
    assert upload(server, data, keys["vision"])[0] == 201
    # Then the vision run's file is captured and downloadable with the vision key; the
    # speech run's file is not (its key never uploaded it), so the speech key cannot read it
    url = f"{server.url}dotscience/api/artifacts/{ref['sha256']}"
    assert files("vision") == (True, True, "uploaded by alice")
    assert files("speech") == (False, False, "not uploaded")
    assert http("GET", url, headers=keys["vision"]) == (200, data)
    assert http("GET", url, headers=keys["speech"])[0] == 404
    # Until the speech key uploads the same content itself (nothing new is stored)
    assert upload(server, data, keys["speech"])[0] == 200
    assert files("speech") == (True, True, "uploaded by alice")
    assert http("GET", url, headers=keys["speech"]) == (200, data)


def test_the_users_other_uploads_do_not_capture_a_limited_keys_run(quota_server):
    # Given a key limited to "guest" that knows the hash of a secret file, and alice's
    # unlimited key (her CI) that uploads that file before and after the guest key
    # publishes runs declaring it
    server = quota_server
    secret = b"the CEO's salary spreadsheet"
    ref = {"path": "s.xlsx", "sha256": hashlib.sha256(secret).hexdigest(), "size": len(secret)}
    guest = basic_auth("alice", create_key(server, "guest", project="guest")["key"])
    ci = basic_auth("alice", create_key(server, "ci")["key"])
    runs = []

    def publish_claim():
        run = {"schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "guest",
               "outputs": [ref], "inputs": [dict(ref, path="in.xlsx")]}  # fmt: skip
        assert http("POST", server.url + "dotscience/api/runs", run, guest)[0] == 201
        runs.append(run["id"])

    # When the guest key claims the hash, the CI uploads it, the guest key claims it again
    publish_claim()
    assert upload(server, secret, ci)[0] == 201
    publish_claim()
    assert upload(server, secret, ci)[0] == 200
    # Then none of the guest key's files counts as captured, and it cannot download it
    for run_id in runs:
        url = f"{server.url}dotscience/api/runs/{run_id}/files"
        for f in http("GET", url, headers=guest)[1]["files"]:
            assert (f["captured"], f["artifact"]) == (False, False), f
    url = f"{server.url}dotscience/api/artifacts/{ref['sha256']}"
    assert http("GET", url, headers=guest)[0] == 404
    assert http("GET", url, headers=ci) == (200, secret)


def test_artifacts_are_fsynced_before_rename_and_their_directory_after(tmp_path, monkeypatch):
    # Given an artifact store whose fsync and rename calls are recorded
    events: list[tuple] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", str(dst), str(src)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    store = ArtifactStore(tmp_path / "artifacts")
    upload_tmp = store.upload_temp()
    upload_tmp.write(b"uploaded bytes")
    # When content is stored from a file, from memory, and from an upload's temp file
    src = tmp_path / "model.bin"
    src.write_bytes(b"model bytes")
    uploaded = hashlib.sha256(b"uploaded bytes").hexdigest()
    assert store.put_upload(upload_tmp, uploaded) is True
    stored = [store.put_file(src), store.put_bytes(b"other bytes"), uploaded]
    # Then each file was fsynced before it was renamed into place, and its directory after
    for sha in stored:
        dest = str(store.path_for(sha))
        (at,) = [i for i, e in enumerate(events) if e[:2] == ("replace", dest)]
        assert events[at - 1] == ("fsync", events[at][2]), events
        assert ("fsync", str(store.path_for(sha).parent)) in events[at + 1 :], events
        assert store.open(sha).read() in (b"model bytes", b"other bytes", b"uploaded bytes")


def test_a_revoked_key_hears_why_whether_it_sends_the_body_at_once_or_waits(limited):
    # Given a key revoked after it was handed out, and a file within the limit
    key = create_key(limited, "revoked")
    auth = basic_auth("alice", key["key"])
    assert http("DELETE", f"{limited.url}dotscience/api/keys/{key['id']}", None,
                token_auth(limited))[0] in (200, 204)  # fmt: skip
    data = os.urandom(3_000_000)
    sha = hashlib.sha256(data).hexdigest()
    # When it uploads the file sending the body at once, then waiting to be told to continue
    sock = send_head(limited, sha, len(data), auth)
    answered_early = select.select([sock], [], [], 1.0)[0]
    sock.sendall(data)
    at_once = read_answer(sock)
    sock.close()
    waited = read_answer(send_head(limited, sha, len(data), {**auth, "Expect": "100-continue"}))
    # Then both hear that the key was revoked (the first after its body), and nothing is kept
    assert not answered_early
    for status, answer in (at_once, waited):
        assert status == 401 and "revoked" in answer["error"], answer
    assert http("GET", f"{limited.url}dotscience/api/artifacts/{sha}",
                headers=token_auth(limited))[0] == 404  # fmt: skip


def test_a_refused_caller_is_not_read_a_body_larger_than_a_file_could_be(limited):
    # Given a revoked key and no credentials at all, each declaring 64 MB (the limit is 4 MB)
    key = create_key(limited, "revoked-large")
    assert http("DELETE", f"{limited.url}dotscience/api/keys/{key['id']}", None,
                token_auth(limited))[0] in (200, 204)  # fmt: skip
    sha = "ab" * 32
    for headers, status in ((basic_auth("alice", key["key"]), 401), ({}, 403)):
        # When it has sent the head and nothing of the body
        sock = send_head(limited, sha, 64_000_000, headers)
        # Then it is answered at once: the server does not wait to read 64 MB into nothing
        assert select.select([sock], [], [], 10.0)[0], headers
        answer = read_answer(sock)
        sock.close()
        assert answer[0] == status, answer


def test_a_client_skips_a_file_over_the_limit_and_hears_the_quota(limited, tmp_path):
    # Given a script's outputs: two files that fit the 4,000,000-byte limit but not together
    # the key's 4,500,000-byte quota, and one over the limit
    files = {"a.bin": 2_400_000, "b.bin": 2_400_000, "huge.bin": 5_000_000}
    declared = []
    for name, size in files.items():
        data = os.urandom(size)
        (tmp_path / name).write_bytes(data)
        declared.append({"path": name, "sha256": hashlib.sha256(data).hexdigest()})
    client = Client(limited.url, "alice", create_key(limited, "outputs")["key"])
    # When they are uploaded as `ds.publish()` and `dotscience sync` do
    uploaded, problems = remote.upload_outputs(client, str(tmp_path), str(uuid.uuid4()), declared)
    # Then the first is stored; the second is refused with the server's sentence; the third
    # is named without being sent; none is kept for another try
    assert uploaded == 1
    assert problems == [
        ("b.bin", "This API key has uploaded 2,400,000 bytes of its 4,500,000-byte upload "
                  "quota; a 2,400,000-byte file does not fit", False),
        ("huge.bin", "it is 5,000,000 bytes, over the server's artifact size limit of "
                     "4,000,000", False),
    ]  # fmt: skip
    with open(limited.log_path, errors="replace") as log:
        assert f"PUT /dotscience/api/artifacts/{declared[2]['sha256']}" not in log.read()
