"""API keys: stored hashed, refused once revoked, limited to a project, owned by one user."""

from __future__ import annotations

import hashlib
import threading
import uuid

import pytest

import dotscience as ds
from dotscience.remote import Client
from jupyterlab_dotscience.store import open_store

from ..server.live import LiveServer
from .conftest import basic_auth, create_key, http, token_auth


def record(project="iris", **kw):
    return {"schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": project, **kw}


def test_key_is_shown_once_and_stored_only_as_a_salted_hash(hub):
    # Given a key created with the Jupyter token
    key = create_key(hub, "ci")
    # When the keys are listed
    status, listing = http("GET", hub.url + "dotscience/api/keys", headers=token_auth(hub))
    # Then the secret is never shown again, and the store holds a salted hash only
    assert status == 200 and key["key"].startswith(f"dsk_{key['id']}_")
    mine = next(k for k in listing["keys"] if k["id"] == key["id"])
    assert "key" not in mine and "hash" not in mine and mine["username"] == "alice"
    with open_store(f"sqlite:///{hub.root / '.dotscience' / 'dotscience.db'}") as store:
        row = store.get_api_key(key["id"])
    assert key["key"] not in str(row) and len(row["salt"]) == 32


def test_key_works_as_basic_and_bearer_but_cannot_create_keys(hub):
    # Given a key
    key = create_key(hub)
    url = hub.url + "dotscience/api/keys"
    # When it lists keys with HTTP Basic and with Bearer
    basic = http("GET", url, headers=basic_auth("alice", key["key"]))
    bearer = http("GET", url, headers={"Authorization": f"Bearer {key['key']}"})
    # Then both work
    assert basic[0] == 200 and bearer[0] == 200
    # But creating a key with it is refused with a sentence saying what to do instead
    status, err = http("POST", url, {"name": "x"}, basic_auth("alice", key["key"]))
    assert status == 403 and "Jupyter token" in err["error"]
    # And a wrong username or secret is a 401 with a sentence
    status, err = http("GET", url, headers=basic_auth("mallory", key["key"]))
    assert status == 401 and "does not belong to user 'mallory'" in err["error"]
    forged = key["key"][:-4] + "AAAA"
    status, err = http("GET", url, headers={"Authorization": f"Bearer {forged}"})
    assert status == 401 and "not valid" in err["error"]


def test_revoked_key_is_refused_with_a_clear_sentence(hub):
    # Given a key that worked
    key = create_key(hub)
    client = Client(hub.url, "alice", key["key"])
    client.publish(record())
    # When it is revoked (with itself: a leaked key can be switched off by its owner)
    client.request("DELETE", f"keys/{key['id']}")
    # Then publishing with it is refused, and connect() says it was revoked
    status, err = http("POST", hub.url + "dotscience/api/runs", record(),
                       basic_auth("alice", key["key"]))  # fmt: skip
    assert status == 401 and "revoked" in err["error"]
    with pytest.raises(ds.ConnectionError, match="was revoked") as info:
        ds.connect("alice", key["key"], "iris", hostname=hub.url)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_project_limited_key_cannot_publish_elsewhere(hub):
    # Given a key limited to project "iris"
    key = create_key(hub, project="iris")
    auth = basic_auth("alice", key["key"])
    # When it publishes to iris, then to another project
    ok = http("POST", hub.url + "dotscience/api/runs", record("iris"), auth)
    status, err = http("POST", hub.url + "dotscience/api/runs", record("mnist"), auth)
    # Then iris is fine and the other is a 403 naming the limit
    assert ok[0] == 201
    assert status == 403
    assert err["error"] == (
        "This API key is limited to project 'iris', so it cannot publish to project 'mnist'."
    )
    # And connect() refuses the other project up front
    with pytest.raises(ds.ConnectionError, match="limited to project 'iris'"):
        ds.connect("alice", key["key"], "mnist", hostname=hub.url)


def test_project_limited_key_reads_only_its_project(hub):
    # Given runs in two projects, one of which wrote a file, and a key limited to "iris"
    token = token_auth(hub)
    data = b"secret mnist weights"
    sha = hashlib.sha256(data).hexdigest()
    other = record("mnist", outputs=[{"path": "w.bin", "sha256": sha, "size": len(data)}])
    mine = record("iris")
    assert http("POST", hub.url + "dotscience/api/runs", other, token)[0] == 201
    assert http("POST", hub.url + "dotscience/api/runs", mine, token)[0] == 201
    assert http("PUT", hub.url + f"dotscience/api/artifacts/{sha}", data, token)[0] in (200, 201)
    auth = basic_auth("alice", create_key(hub, project="iris")["key"])
    # When it lists runs, asks for the other project's run, its lineage and its file
    _, page = http("GET", hub.url + "dotscience/api/runs?limit=1000", None, auth)
    status_other, _ = http("GET", hub.url + f"dotscience/api/runs/{other['id']}", None, auth)
    status_list, err = http("GET", hub.url + "dotscience/api/runs?project=mnist", None, auth)
    status_file, _ = http("GET", hub.url + f"dotscience/api/artifacts/{sha}", None, auth)
    _, graph = http("GET", hub.url + f"dotscience/api/files/{sha}/lineage", None, auth)
    # Then it sees only its own project's runs, and nothing of the other's
    assert {r["project"] for r in page["runs"]} == {"iris"}
    assert mine["id"] in {r["id"] for r in page["runs"]}
    assert status_other == 404
    assert status_list == 403 and "limited to project 'iris'" in err["error"]
    assert status_file == 404
    assert other["id"] not in {n["id"] for n in graph["nodes"]}


def test_artifact_upload_is_verified_idempotent_and_size_limited(hub):
    # Given some bytes and a key
    key = create_key(hub)
    auth = {**basic_auth("alice", key["key"]), "Content-Type": "application/octet-stream"}
    data = uuid.uuid4().bytes * 100
    sha = hashlib.sha256(data).hexdigest()
    url = f"{hub.url}dotscience/api/artifacts/{sha}"
    # When they are uploaded twice, then under a wrong hash, then too large
    first, second = http("PUT", url, data, auth), http("PUT", url, data, auth)
    wrong = http("PUT", url, data + b"!", auth)
    big = http("PUT", f"{hub.url}dotscience/api/artifacts/{'0' * 64}", b"x" * 1_000_001, auth)
    # Then the first stores, the second changes nothing, the others are refused clearly
    assert first == (201, {"sha256": sha, "size": len(data), "created": True})
    assert second[0] == 200 and second[1]["created"] is False
    assert wrong[0] == 400 and "sha256" in wrong[1]["error"]
    assert big[0] == 413 and "limit" in big[1]["error"]
    assert http("GET", url, headers=auth)[1] == data


@pytest.mark.postgres
def test_two_servers_on_one_postgres_share_history_not_keys(pg_url, tmp_path):
    # Given alice's and bob's Jupyter servers on one PostgreSQL database
    servers = {}
    for user in ("alice", "bob"):
        (tmp_path / user).mkdir()
        servers[user] = LiveServer(tmp_path / user, store_url=pg_url)
        servers[user].extra_args = [f"--DotscienceApp.kernel_user={user}"]
    threads = [threading.Thread(target=s.start) for s in servers.values()]
    [t.start() for t in threads]
    [t.join() for t in threads]
    try:
        # When each makes a key on their own server and publishes a run with it
        keys, ids = {}, {}
        for user, server in servers.items():
            keys[user] = create_key(server, f"{user}'s laptop")
            stored, _ = Client(server.url, user, keys[user]["key"]).publish(record("team"))
            ids[user] = stored["id"]
        # Then each server shows both runs with their authors
        for server in servers.values():
            status, page = http("GET", server.url + "dotscience/api/runs?project=team",
                                headers=token_auth(server))  # fmt: skip
            assert {r["id"]: r["author"] for r in page["runs"]} == {
                ids["alice"]: "alice",
                ids["bob"]: "bob",
            }
        # And bob can revoke neither alice's key from his server nor with his own key
        alice_key = keys["alice"]["id"]
        bob = servers["bob"]
        for headers in (token_auth(bob), basic_auth("bob", keys["bob"]["key"])):
            status, err = http("DELETE", f"{bob.url}dotscience/api/keys/{alice_key}",
                               headers=headers)  # fmt: skip
            assert status == 403
            assert err["error"] == (
                f"API key {alice_key} belongs to alice; you can only revoke your own keys."
            )
        # And bob does not see alice's keys, while alice's key still works on bob's server
        status, listing = http("GET", bob.url + "dotscience/api/keys", headers=token_auth(bob))
        assert [k["username"] for k in listing["keys"]] == ["bob"]
        status, _ = http("GET", bob.url + "dotscience/api/runs",
                         headers=basic_auth("alice", keys["alice"]["key"]))  # fmt: skip
        assert status == 200
    finally:
        for server in servers.values():
            server.stop()
