"""Server features: spool import, OpenLineage forwarding, a team on one PostgreSQL."""

import asyncio
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from .live import LiveServer


def spool_record(root, **kw):
    rid = str(uuid.uuid4())
    rec = {"schema": "dotscience.run/2", "id": rid, "description": "from a script", **kw}
    spool = root / ".dotscience" / "spool"
    spool.mkdir(parents=True, exist_ok=True)
    (spool / f"{rid}.json").write_text(json.dumps(rec))
    return rid


@pytest.fixture
def ds_config():
    return {"spool_interval": 0.2}


async def test_spool_is_imported_at_start_and_when_runs_appear(jp_root_dir, jp_fetch):
    # Given a run a script spooled before the server ever started
    early = spool_record(jp_root_dir)
    # When the server runs (jp_fetch starts it) and a second run is spooled later
    await jp_fetch("dotscience", "api", "version")
    late = spool_record(jp_root_dir)
    found = set()
    for _ in range(50):
        page = json.loads((await jp_fetch("dotscience", "api", "runs")).body)
        found = {r["id"] for r in page["runs"]}
        if {early, late} <= found:
            break
        await asyncio.sleep(0.1)
    # Then both show up in the history, once each, and leave the spool
    assert {early, late} <= found and len(found) == 2
    assert list((jp_root_dir / ".dotscience" / "spool").glob("*.json")) == []


def test_new_runs_are_forwarded_to_openlineage(tmp_path):
    # Given an OpenLineage endpoint (a stand-in for Marquez) and a server configured with it
    received = []

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args):
            pass

    endpoint = HTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    root = tmp_path / "root"
    root.mkdir()
    server = LiveServer(root)
    server.extra_args = [
        f"--DotscienceApp.openlineage_url=http://127.0.0.1:{endpoint.server_port}/api/v1/lineage"
    ]
    server.start()
    try:
        # When a run is published twice
        rec = {"id": str(uuid.uuid4()), "description": "ol"}
        server.request("POST", "dotscience/api/runs", rec)
        server.request("POST", "dotscience/api/runs", rec)
        for _ in range(100):
            if len(received) >= 2:
                break
            threading.Event().wait(0.05)
    finally:
        server.stop()
        endpoint.shutdown()
    # Then its START and COMPLETE events reached the endpoint once
    assert sorted(e["eventType"] for e in received) == ["COMPLETE", "START"]
    assert {e["run"]["runId"] for e in received} == {rec["id"]}


@pytest.mark.postgres
def test_two_servers_on_one_postgres_share_one_history(tmp_path, pg_url):
    # Given two Jupyter servers, on two workspaces, pointed at one PostgreSQL
    a_root, b_root = tmp_path / "a", tmp_path / "b"
    a_root.mkdir()
    b_root.mkdir()
    a = LiveServer(a_root, store_url=pg_url).start()
    b = LiveServer(b_root, store_url=pg_url).start()
    try:
        # When each publishes a run
        ra, rb = str(uuid.uuid4()), str(uuid.uuid4())
        a.request("POST", "dotscience/api/runs", {"id": ra, "description": "from a"})
        b.request("POST", "dotscience/api/runs", {"id": rb, "description": "from b"})
        # Then both servers list both runs
        for server in (a, b):
            _, page = server.request("GET", "dotscience/api/runs")
            assert {r["id"] for r in page["runs"]} == {ra, rb}
            _, info = server.request("GET", "dotscience/api/version")
            assert info["store"] == "postgresql"
    finally:
        a.stop()
        b.stop()
