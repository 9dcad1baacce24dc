"""Delivery: stream, spool, HTTP against a real local server, and the default choice."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import dotscience as ds
from dotscience import v1
from dotscience.delivery import DeliveryError, HttpDelivery, SpoolDelivery


class FakeServer:
    """A tiny run-storing server on 127.0.0.1 (status and body configurable)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 201
        self.reply: dict | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "body": body})  # fmt: skip
                if outer.status >= 400:
                    payload = outer.reply or {"message": "nope"}
                else:
                    payload = {**body, "author": "ann", "status": "succeeded"}
                data = json.dumps(payload).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = FakeServer()
    yield s
    s.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spooled(workspace) -> list[str]:
    spool = workspace / ".dotscience" / "spool"
    return sorted(os.listdir(spool)) if spool.exists() else []


def test_without_server_the_block_is_printed_and_spooled(workspace, out):
    # Given no server configured
    ds.start()
    ds.add_parameter("alpha", 0.1)
    # When published
    record = ds.publish(stream=out)
    # Then the block went to the stream and the record to the spool, as one complete JSON file
    assert v1.find_blocks(out.getvalue())[0][0] == record["id"]
    assert spooled(workspace) == [f"{record['id']}.json"]
    stored = json.loads((workspace / ".dotscience" / "spool" / f"{record['id']}.json").read_text())
    assert stored == record


def test_spool_write_is_atomic_and_leaves_no_temp_files(workspace, monkeypatch):
    # Given a spool whose final rename fails
    spool = SpoolDelivery(str(workspace))
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk")))
    # When a run is delivered
    with pytest.raises(OSError):
        spool.deliver({"id": "r1", "schema": "dotscience.run/2"})
    # Then no partial or temporary file is left behind
    assert spooled(workspace) == []


def test_stream_gets_the_block_in_a_single_write(workspace):
    # Given a stream that counts writes
    class Counting:
        def __init__(self):
            self.writes = []

        def write(self, text):
            self.writes.append(text)

    stream = Counting()
    ds.start()
    ds.add_label("a", "b")
    # When published
    ds.publish(stream=stream)
    # Then exactly one write carried the whole block
    assert len(stream.writes) == 1 and stream.writes[0].endswith("]]\n")


def test_http_delivery_posts_with_token_and_returns_the_stored_run(server, monkeypatch,
                                                                   workspace, out):  # fmt: skip
    # Given a server in the environment (read at publish time, after import)
    monkeypatch.setenv("DOTSCIENCE_SERVER_URL", server.url)
    monkeypatch.setenv("DOTSCIENCE_TOKEN", "t0k")
    ds.start()
    ds.add_metric("acc", 0.5)
    # When published
    stored = ds.publish(stream=out)
    # Then the record was POSTed with the token, the stored run is returned, one line printed
    [request] = server.requests
    assert request["path"] == "/dotscience/api/runs"
    assert request["headers"]["Authorization"] == "token t0k"
    assert request["body"]["metrics"]["acc"][0]["value"] == 0.5
    assert stored["author"] == "ann" and stored["id"] == request["body"]["id"]
    assert out.getvalue() == f"Published run {stored['id']}\n"
    assert spooled(workspace) == []


def test_http_4xx_raises_with_the_server_message_and_keeps_the_run(server, monkeypatch, out):
    # Given a server refusing with 401
    server.status = 401
    server.reply = {"message": "token expired"}
    monkeypatch.setenv("DOTSCIENCE_SERVER_URL", server.url)
    ds.start()
    ds.add_parameter("alpha", 1)
    # When published
    with pytest.raises(DeliveryError, match="401.*token expired"):
        ds.publish(stream=out)
    # Then the declarations are still there for another try
    server.status = 201
    assert ds.publish(stream=out)["parameters"]["alpha"]["value"] == 1


def test_unreachable_server_spools_and_says_one_sentence(monkeypatch, workspace, out):
    # Given a server URL where nothing listens
    monkeypatch.setenv("DOTSCIENCE_SERVER_URL", f"http://127.0.0.1:{free_port()}/")
    ds.start()
    # When published
    record = ds.publish(stream=out)
    # Then the run is spooled and one sentence explains it
    assert spooled(workspace) == [f"{record['id']}.json"]
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "Could not reach the Dotscience server" in lines[0]
    assert record["id"] in lines[0]


def test_server_error_5xx_also_falls_back_to_the_spool(server, workspace, out):
    # Given a failing server
    server.status = 503
    delivery = HttpDelivery(server.url, fallback=SpoolDelivery(str(workspace)), stream=out)
    # When a run is delivered
    result = delivery.deliver({"id": "abc", "schema": "dotscience.run/2"})
    # Then it is spooled
    assert result["id"] == "abc" and spooled(workspace) == ["abc.json"]
    assert "HTTP 503" in out.getvalue()


def test_connect_uses_basic_auth_and_sets_the_project(server, out):
    # Given connect() to the local server
    ds.connect("ann", "secret-key", "iris", hostname=server.url)
    ds.start()
    # When published
    stored = ds.publish(stream=out)
    # Then the POST used HTTP Basic auth and the run belongs to the project
    expected = "Basic " + base64.b64encode(b"ann:secret-key").decode()
    assert server.requests[0]["headers"]["Authorization"] == expected
    assert stored["project"] == "iris"


def test_connect_reads_hostname_from_environment(monkeypatch, capsys, server):
    # Given DOTSCIENCE_HOSTNAME naming a hub that cannot be reached
    monkeypatch.setenv("DOTSCIENCE_HOSTNAME", "hub.example")
    # When connecting without a hostname
    ds.connect("ann", "key", "proj")
    # Then that hub is used (https), and one sentence says runs will wait in the spool
    assert ds._default_session()._remote[0] == "https://hub.example/"
    assert "dotscience sync" in capsys.readouterr().out
    # And without DOTSCIENCE_HOSTNAME the local server (DOTSCIENCE_SERVER_URL) is used
    monkeypatch.delenv("DOTSCIENCE_HOSTNAME")
    monkeypatch.setenv("DOTSCIENCE_SERVER_URL", server.url)
    ds.connect("ann", "key", "proj")
    assert ds._default_session()._remote[0] == server.url


def test_listeners_see_declarations(out):
    # Given a listener
    events = []
    ds._default_session().add_listener(events.append)
    ds.start()
    # When declarations are made
    ds.add_metric("acc", 0.5)
    ds.add_metric("acc", 0.7)
    ds.add_parameter("p", 1)
    record = ds.publish(stream=out)
    # Then each was notified with its data
    metrics = [e for e in events if e["event"] == "metric"]
    assert [(e["key"], e["value"], e["step"]) for e in metrics] == [
        ("acc", 0.5, 0),
        ("acc", 0.7, 1),
    ]
    assert {"event": "parameter", "key": "p", "value": 1, "text": "1"} in events
    assert events[-1] == {"event": "publish", "id": record["id"]}


def test_delivery_and_hub_client_read_a_refusal_the_same_way(server, out):
    # Given a server refusing a run with its error shape beside a generic message
    server.status = 400
    server.reply = {"error": "mode: unknown value 'telepathy'", "message": "Bad Request"}
    from dotscience.remote import Client

    # When the JupyterLab delivery and the hub client (ds.connect, the CLI) publish it
    with pytest.raises(DeliveryError) as delivery_refused:
        HttpDelivery(server.url, stream=out).deliver({"id": "abc", "mode": "telepathy"})
    with pytest.raises(ds.ConnectionError) as client_refused:
        Client(server.url).publish({"id": "abc", "mode": "telepathy"})
    # Then both tell the user the server's own sentence, not the generic one
    assert str(client_refused.value) == "mode: unknown value 'telepathy'"
    assert str(delivery_refused.value).endswith("(HTTP 400): mode: unknown value 'telepathy'")
    assert out.getvalue() == ""
