"""Hostile input is a 4xx with one sentence, never an internal error (500), and loses nothing:
non-ASCII credentials, JSON nested too deeply, integers too large for the store."""

from __future__ import annotations

import base64
import json
import uuid
from http.client import HTTPConnection

import pytest

from .conftest import create_key, http, token_auth

BIG = 99999999999999999999  # > 2**63: no SQL integer holds it


def _raw(server, method: str, path: str, headers: dict, body: bytes | None = None):
    """``(status, parsed JSON)``: http.client sends header bytes as given (latin-1)."""
    conn = HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest(method, "/" + path)
        for name, value in headers.items():
            conn.putheader(name, value.encode("latin-1") if isinstance(value, str) else value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Content-Type", "application/json")
        conn.endheaders(body)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw


def _record(**extra) -> dict:
    return {"schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "p", **extra}


@pytest.mark.parametrize(
    "authorization",
    [
        "token caf\u00e9-\u00ff\u00e9",
        "Bearer dsk_0123456789ab_\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
        "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9",
        "Basic " + base64.b64encode("alice:dsk_\u00e9".encode()).decode(),
        "Basic " + base64.b64encode(b"alice:\xff\xfe").decode(),
        "Basic \u00e9\u00e9\u00e9\u00e9",
    ],
    ids=["token", "bearer-key", "basic-utf8", "basic-binary", "basic-not-base64"],
)
def test_a_non_ascii_credential_is_a_401_or_403_with_a_sentence(live, authorization):
    # Given a request whose Authorization header carries non-ASCII bytes
    # When it reaches a route that needs a login
    status, body = _raw(live, "GET", "dotscience/api/runs", {"Authorization": authorization})
    # Then it is refused as unauthenticated, with a sentence, not an internal error
    assert status in (401, 403), body
    assert isinstance(body, dict) and body.get("error"), body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "dotscience/api/runs"),
        ("POST", "dotscience/api/import"),
        ("PUT", "dotscience/api/models/m/aliases/production"),
        ("POST", "dotscience/api/keys"),
    ],
)
def test_json_nested_too_deeply_is_a_400(live, method, path):
    # Given a JSON body that nests arrays 100,000 deep
    body = b"[" * 100_000 + b"]" * 100_000
    # When it is sent
    status, answer = _raw(live, method, path, token_auth(live), body)
    # Then the answer is a 400 that says the body nests too deeply
    assert status == 400, answer
    assert "deep" in answer["error"], answer


def test_an_alias_to_a_version_too_large_for_the_store_is_a_400(live):
    # Given a model with a version 1
    record = _record(models=[{"name": "big", "files": []}])
    status, _ = http("POST", live.url + "dotscience/api/runs", record, token_auth(live))
    assert status == 201
    # When an alias is pointed at version 99999999999999999999
    status, body = http(
        "PUT",
        live.url + "dotscience/api/models/big/aliases/production",
        {"version": BIG},
        token_auth(live),
    )
    # Then the answer is a 400 with a sentence
    assert status == 400 and body["error"], body
    # And the model and its version are still there, without the alias
    status, model = http("GET", live.url + "dotscience/api/models/big", headers=token_auth(live))
    assert status == 200 and model["aliases"] == {}, model


@pytest.mark.parametrize(
    "record",
    [
        _record(inputs=[{"path": "a.csv", "size": BIG}]),
        _record(cells=[{"index": BIG}]),
        _record(cells=[{"execution_count": -BIG}]),
        _record(metrics={"loss": [{"value": 1, "step": BIG}]}),
    ],
    ids=["file size", "cell index", "execution count", "metric step"],
)
def test_a_run_record_with_a_number_too_large_is_a_400_and_stores_nothing(live, record):
    # Given a run record with one number beyond 64 bits
    # When it is published
    status, body = http("POST", live.url + "dotscience/api/runs", record, token_auth(live))
    # Then it is a 400 naming the field, and no run was stored
    assert status == 400 and "range" in body["error"], body
    status, _ = http(
        "GET", live.url + f"dotscience/api/runs/{record['id']}", headers=token_auth(live)
    )
    assert status == 404


def test_a_parameter_or_metric_value_too_large_for_an_integer_is_kept_as_published(live):
    # Given a run whose parameter and metric values are integers beyond 64 bits
    record = _record(parameters={"seed": {"value": BIG}}, metrics={"n": [{"value": -BIG}]})
    # When it is published and read back
    status, _ = http("POST", live.url + "dotscience/api/runs", record, token_auth(live))
    assert status == 201
    status, run = http(
        "GET", live.url + f"dotscience/api/runs/{record['id']}", headers=token_auth(live)
    )
    # Then the values are exactly what was published (typed values are not SQL integers)
    assert run["parameters"]["seed"]["value"] == BIG
    assert run["metrics"]["n"][0]["value"] == -BIG


@pytest.mark.parametrize(
    "query",
    [
        f"param=seed={BIG}",
        f"param=seed>{-BIG}",
        f"metric=n:{BIG}:",
        f"limit={BIG}",
        "cursor="
        + base64.urlsafe_b64encode(
            json.dumps({"s": "-received", "p": 1, "v": "x", "i": BIG}).encode()
        ).decode(),
        "cursor="
        + base64.urlsafe_b64encode(
            json.dumps({"s": "metric:n", "p": 1, "v": BIG, "i": BIG}).encode()
        ).decode(),
        "sort=metric:n&cursor="
        + base64.urlsafe_b64encode(
            json.dumps({"s": "metric:n", "p": 1, "v": BIG, "i": BIG}).encode()
        ).decode(),
    ],
    ids=[
        "param equals",
        "param greater",
        "metric bound",
        "limit",
        "cursor id",
        "cursor of another sort",
        "metric cursor",
    ],
)
def test_a_query_with_a_number_too_large_is_answered_without_an_internal_error(live, query):
    # Given a run listing whose query carries a number beyond 64 bits
    # When it is asked for
    status, body = http("GET", live.url + "dotscience/api/runs?" + query, headers=token_auth(live))
    # Then it is answered (a page or a 400 with a sentence), never a 500
    assert status in (200, 400), body
    assert status == 200 or body["error"], body


UNKNOWN_ID = "00000000-0000-4000-8000-00000000dead"


@pytest.mark.parametrize(
    "path",
    [
        # fixed unknown ids: pytest-xdist workers must collect the same test names
        f"dotscience/api/runs/{UNKNOWN_ID}/lineage?depth={BIG}",
        f"dotscience/api/models/m/versions/1/build?offset={BIG}",
        "dotscience/api/models/m/versions/1/build?offset=-1",
        f"dotscience/api/deployments/{UNKNOWN_ID}/log?offset={BIG}",
    ],
)
def test_other_numbers_in_queries_are_4xx(live, path):
    # Given a query number beyond 64 bits (or negative) on another route
    # When it is asked for
    status, body = http("GET", live.url + path, headers=token_auth(live))
    # Then the answer is a 4xx with a sentence
    assert 400 <= status < 500 and body["error"], body


def test_an_api_key_request_with_a_huge_number_is_a_400_too(live):
    # Given an API key and a record with a step beyond 64 bits
    key = create_key(live, "numbers")["key"]
    record = _record(metrics={"loss": [{"value": 1, "step": -BIG}]})
    # When the key publishes it
    status, body = http(
        "POST", live.url + "dotscience/api/runs", record, {"Authorization": f"Bearer {key}"}
    )
    # Then it is a 400, like for the Jupyter user
    assert status == 400, body


def test_a_log_offset_too_large_is_a_400_not_a_500(live):
    # Given a model version with a build (and so a build log)
    record = _record(models=[{"name": "logged", "files": []}])
    assert http("POST", live.url + "dotscience/api/runs", record, token_auth(live))[0] == 201
    build = live.url + "dotscience/api/models/logged/versions/1/build"
    status, state = http("POST", build, {}, token_auth(live))
    assert status == 202, state
    # When its log is read from an offset beyond 64 bits
    status, body = http("GET", f"{build}?offset={BIG}", headers=token_auth(live))
    # Then the answer is a 400 with a sentence
    assert status == 400 and "offset must be" in body["error"], body


@pytest.mark.parametrize("name", ["a" * 300, "Ṱ̺̺̕o͞ ̷i̲̬͇̪͙n̝̗͕v̟̜̘̦͟o̶̙̰̠kè͚̮̺̪̹̱̤" * 8, "d/" * 3000 + "f"])
def test_an_import_of_a_path_no_file_can_have_is_a_404_not_a_500(live, name):
    # Given a path whose name is longer than the file system allows (255 bytes a name, or
    # 4096 in all), as make fuzz sent
    runs = live.url + "dotscience/api/runs"
    before = http("GET", runs, headers=token_auth(live))[1]["total"]
    # When it is imported
    status, body = http("POST", live.url + "dotscience/api/import", {"path": name},
                        token_auth(live))  # fmt: skip
    # Then the answer is that there is no such file, and nothing is imported
    assert status == 404 and "There is no file" in body["error"], body
    assert http("GET", runs, headers=token_auth(live))[1]["total"] == before
