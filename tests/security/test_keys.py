"""API keys under attack: floods of wrong secrets cost the server little and stall no one,
revocation beats the verification cache, and keys carry explicit scopes (``deploy``)."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from jupyterlab_dotscience import keys

from .conftest import create_key, http, responsive_during, token_auth


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _wrong(key: str, n: int) -> str:
    """The key with a different secret of the same shape (the id stays known)."""
    return key[:-6] + f"{n:06d}"


def test_a_flood_of_wrong_secrets_does_not_stall_other_clients(live):
    # Given a key its owner uses (so it is verified), and an attacker who knows its id
    key = create_key(live, "victim")["key"]
    runs = live.url + "dotscience/api/runs"
    assert http("GET", runs, headers=bearer(key))[0] == 200
    answers: list[int] = []
    owner: list[tuple[int, float]] = []
    stop = threading.Event()

    def owner_keeps_working():
        while not stop.is_set():
            start = time.perf_counter()
            status, _ = http("GET", runs, headers=bearer(key))
            owner.append((status, time.perf_counter() - start))

    def flood():
        def attempt(n):
            return http("GET", runs, headers=bearer(_wrong(key, n)))[0]

        with ThreadPoolExecutor(8) as pool:
            answers.extend(pool.map(attempt, range(240)))

    # When 240 wrong secrets arrive from 8 connections at once, while the owner and a
    # Jupyter user keep listing runs (a route that reads the store)
    watcher = threading.Thread(target=owner_keeps_working, daemon=True)
    watcher.start()
    try:
        responsive_during(live, flood, path="dotscience/api/runs")
    finally:
        stop.set()
        watcher.join(60)
    # Then every wrong secret was refused (401, or 429 once the key id is being slowed down)
    assert set(answers) <= {401, 429} and 429 in answers, sorted(set(answers))
    # And the owner's requests all succeeded, with a median latency under 100 ms
    assert owner and all(status == 200 for status, _ in owner), owner
    assert statistics.median(t for _, t in owner) <= 0.1, owner


def test_repeated_wrong_secrets_are_answered_429_with_a_sentence_and_retry_after(live):
    # Given a key
    key = create_key(live, "locked")["key"]
    url = live.url + "dotscience/api/keys"
    # When wrong secrets for its id keep coming, one after another
    answers = [http("GET", url, headers=bearer(_wrong(key, n))) for n in range(30)]
    # Then the first are 401s, then the server answers 429 without checking, saying why
    statuses = [s for s, _ in answers]
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    status, body = answers[-1]
    assert "too many" in body["error"].lower(), body
    # And it says when to try again
    req = urllib.request.Request(url, headers=bearer(_wrong(key, 99)))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=30)
    assert refused.value.code == 429 and int(refused.value.headers["Retry-After"]) >= 1
    # And other keys of the same user are not affected
    other = create_key(live, "unaffected")["key"]
    assert http("GET", url, headers=bearer(other))[0] == 200


def test_a_revoked_key_stops_working_at_once_despite_the_cache(live):
    # Given a key that was just used successfully (its verification is cached)
    created = create_key(live, "to-revoke")
    url = live.url + "dotscience/api/keys"
    assert http("GET", url, headers=bearer(created["key"]))[0] == 200
    # When its owner revokes it
    status, _ = http("DELETE", f"{url}/{created['id']}", headers=token_auth(live))
    assert status == 200
    # Then the very next request with it is refused, saying it was revoked
    status, body = http("GET", url, headers=bearer(created["key"]))
    assert status == 401 and "revoked" in body["error"], body


def test_a_key_has_no_scopes_unless_created_with_deploy(live):
    # Given a key created without scopes and one created with the deploy scope
    plain = create_key(live, "plain")
    deployer = create_key(live, "deployer", scopes=["deploy"])
    # When they are read back (the creation answer, the listing and the key itself)
    _, listing = http("GET", live.url + "dotscience/api/keys", headers=token_auth(live))
    by_id = {k["id"]: k for k in listing["keys"]}
    status, itself = http(
        "GET", live.url + f"dotscience/api/keys/{deployer['id']}", headers=bearer(deployer["key"])
    )
    # Then the plain key has no scopes and the deployer key has exactly "deploy"
    assert plain["scopes"] == [] and by_id[plain["id"]]["scopes"] == []
    assert deployer["scopes"] == ["deploy"] and by_id[deployer["id"]]["scopes"] == ["deploy"]
    assert status == 200 and itself["scopes"] == ["deploy"]


def test_unknown_or_malformed_scopes_are_a_400_and_create_no_key(live):
    url = live.url + "dotscience/api/keys"
    _, before = http("GET", url, headers=token_auth(live))
    for scopes, expected in (
        (["admin"], "admin"),
        (["deploy", "root"], "root"),
        ("deploy", "list"),
        ([7], "list"),
    ):
        # Given a scope list with an unknown scope, or not a list of strings
        # When a key is created with it
        status, body = http("POST", url, {"name": "x", "scopes": scopes}, token_auth(live))
        # Then it is a 400 naming the problem
        assert status == 400 and expected in body["error"], (scopes, body)
    # And no key was created
    _, after = http("GET", url, headers=token_auth(live))
    assert len(after["keys"]) == len(before["keys"])


def test_scopes_survive_a_server_restart(tmp_path):
    # Given a deploy key created on a server that is then restarted on the same store
    from .conftest import start_live

    root = tmp_path / "root"
    root.mkdir()
    server = start_live(root)
    try:
        key = create_key(server, "deployer", scopes=["deploy"])
    finally:
        server.stop()
    server = start_live(root)
    try:
        # When the key reads itself
        status, itself = http(
            "GET", server.url + f"dotscience/api/keys/{key['id']}", headers=bearer(key["key"])
        )
        # Then it still carries the deploy scope
        assert status == 200 and itself["scopes"] == ["deploy"], itself
    finally:
        server.stop()


def test_a_run_published_with_a_key_is_stored_whatever_its_scopes(live):
    # Given keys with and without scopes
    for scopes in ([], ["deploy"]):
        key = create_key(live, "publisher", scopes=scopes)["key"]
        record = {"schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "p"}
        # When each publishes a plain run
        status, run = http("POST", live.url + "dotscience/api/runs", record, bearer(key))
        # Then it is stored
        assert status == 201 and run["id"] == record["id"]


def test_concurrent_checks_of_one_new_key_share_one_hash_and_none_is_throttled():
    # Given a verifier, a key never used (nothing cached) and a hash that waits for a signal
    verifier = keys.Verifier()
    key, row = keys.new_key("alice", "parallel")
    row = dict(row, created="2026-11-30T00:00:00.000000Z", revoked=None)
    hashed, gate, check = [], threading.Event(), verifier._matches

    def slow_check(secret, stored):
        hashed.append(secret)
        gate.wait(60)
        return check(secret, stored)

    verifier._matches = slow_check

    async def twelve_at_once():
        tasks = [asyncio.create_task(verifier.averify(key, row)) for _ in range(12)]
        await asyncio.sleep(0)  # every task runs up to its first wait
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    # When 12 requests present it while the first check is still running
    results = asyncio.run(twelve_at_once())
    # Then every one is accepted, after a single scrypt
    assert [r if isinstance(r, Exception) else r["id"] for r in results] == [row["id"]] * 12
    assert len(hashed) == 1
