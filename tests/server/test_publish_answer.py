"""POST runs with ``Prefer: return=minimal`` (RFC 7240): a new run is answered without the
metric series its publisher just sent (a 1,000,000-point series is 70 MB of answer), and the
kernel library's client asks for that and fills the series in from what it sent."""

import asyncio
import json

import pytest
from tornado.httpclient import HTTPClientError

from .openapi import validate_response
from .test_api import record

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TIME = "2026-11-27T06:30:00.000000Z"
#: a series as the kernel library sends it: every point in canonical form
SERIES = {
    "loss": [
        {"value": 1 / (i + 1), "text": str(1 / (i + 1)), "step": i, "time": TIME}
        for i in range(500)
    ]
}


async def _post(jp_fetch, rec, prefer=None):
    headers = {"Prefer": prefer} if prefer else {}
    try:
        resp = await jp_fetch(
            "dotscience", "api", "runs", method="POST", body=json.dumps(rec), headers=headers
        )
    except HTTPClientError as e:
        resp = e.response
    body = json.loads(resp.body)
    validate_response("/runs", "post", resp.code, body)
    return resp.code, resp.headers.get("Preference-Applied"), body


async def test_a_new_run_asked_minimal_is_answered_without_its_series(jp_fetch):
    # Given a run with a 500-point series
    rec = record(metrics=SERIES)
    # When it is published asking for a minimal answer (among other preferences)
    status, applied, body = await _post(jp_fetch, rec, "respond-async, return=minimal")
    # Then it is stored, the answer says the preference was applied and leaves the series out
    assert status == 201 and applied == "return=minimal"
    assert "metrics" not in body and body["id"] == rec["id"] and body["author"]
    # And the series was stored whole
    resp = await jp_fetch("dotscience", "api", "runs", rec["id"], "metrics", "loss")
    assert json.loads(resp.body)["count"] == 500


async def test_series_not_stored_as_sent_are_answered_whole(jp_fetch):
    # Given a run whose points leave out their text and time (the server fills them in)
    rec = record(metrics={"loss": [{"value": 0.5, "step": 0}], "empty": []})
    # When it is published asking for a minimal answer
    status, applied, body = await _post(jp_fetch, rec, "return=minimal")
    # Then the answer holds the series as stored, since the sender does not have them
    assert status == 201 and applied is None
    assert body["metrics"] == {"loss": [{"value": 0.5, "text": "0.5", "step": 0, "time": None}]}


async def test_without_the_preference_or_for_a_run_stored_before_the_answer_is_whole(jp_fetch):
    # Given a run published without any preference
    rec = record(metrics=SERIES)
    status, applied, body = await _post(jp_fetch, rec)
    # Then the answer holds its series, as before
    assert status == 201 and applied is None and len(body["metrics"]["loss"]) == 500
    # When the same id is published again asking for a minimal answer, with other points
    again = dict(rec, metrics={"loss": [{"value": 9, "step": 0}]})
    status, applied, body = await _post(jp_fetch, again, "return=minimal")
    # Then the run stored first is answered whole (the sender does not have its series)
    assert status == 200 and applied is None and len(body["metrics"]["loss"]) == 500


async def test_the_kernel_client_asks_minimal_and_returns_the_series_it_sent(
    jp_fetch, jp_serverapp, jp_base_url, jp_http_port
):
    # Given the kernel library's client pointed at the server
    from dotscience.client import Client

    client = Client(
        f"http://127.0.0.1:{jp_http_port}{jp_base_url}", token=jp_serverapp.identity_provider.token
    )
    rec = record(metrics=SERIES)
    # When it publishes a run
    stored, created = await asyncio.to_thread(client.publish, rec)
    # Then the run is stored and returned with the series it sent (not sent back: the very
    # list it holds), which are the series the server keeps
    assert created and stored["id"] == rec["id"] and stored["author"]
    assert stored["metrics"]["loss"] is rec["metrics"]["loss"]
    resp = await jp_fetch("dotscience", "api", "runs", rec["id"])
    assert json.loads(resp.body)["metrics"] == stored["metrics"]


async def test_a_run_record_larger_than_other_requests_is_stored(jp_fetch, jp_serverapp):
    # Given a run record of 70 MB, over the limit of other JSON requests (64 MiB): a
    # 1,000,000-point series as the kernel library sends it is about 95 MB
    app = next(iter(jp_serverapp.extension_manager.extension_apps["jupyterlab_dotscience"]))
    assert app.max_request_bytes < 70_000_000 < app.max_run_bytes
    rec = record(labels={"padding": "x" * 70_000_000})
    # When it is published
    status, _, body = await _post(jp_fetch, rec, "return=minimal")
    # Then it is stored
    assert status == 201 and body["id"] == rec["id"]
