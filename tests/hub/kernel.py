"""Run code in a kernel of a single-user server through the hub's proxy, as JupyterLab does:
start a kernel with the REST API, send ``execute_request`` over its websocket."""

from __future__ import annotations

import asyncio
import datetime
import json
import uuid

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from .conftest import request

DEADLINE = 180.0  # generous: a loaded machine imports scikit-learn slowly


def _message(session: str, msg_type: str, content: dict) -> dict:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex, "username": "test", "session": session,
            "msg_type": msg_type, "version": "5.3",
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        },
        "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
        "content": content,
    }  # fmt: skip


async def _iopub_live(conn, session: str, deadline: float) -> None:
    """Ask for kernel_info until the kernel's answer shows on IOPub (its busy/idle status):
    the server subscribes to a new connection's IOPub asynchronously, and what the kernel
    publishes before that is lost, so an execute sent at once could finish unseen (its
    output and final idle status dropped) and the test would wait for ever."""
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        ask = _message(session, "kernel_info_request", {})
        await conn.write_message(json.dumps(ask))
        wait_until = min(deadline, loop.time() + 2.0)
        while loop.time() < wait_until:
            try:
                raw = await asyncio.wait_for(conn.read_message(), wait_until - loop.time())
            except asyncio.TimeoutError:
                break
            if raw is None:
                raise AssertionError("the kernel's websocket closed")
            m = json.loads(raw)
            if (m.get("channel") == "iopub"
                    and m.get("parent_header", {}).get("msg_id") == ask["header"]["msg_id"]):  # fmt: skip
                return
    raise AssertionError(f"the kernel's IOPub channel did not answer in {DEADLINE} s")


async def _execute(ws_url: str, token: str, code: str) -> tuple[dict, str]:
    req = HTTPRequest(ws_url, headers={"Authorization": f"token {token}"})
    conn = await asyncio.wait_for(websocket_connect(req), DEADLINE)
    try:
        session = uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        await _iopub_live(conn, session, deadline)
        msg = _message(session, "execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True,
        })  # fmt: skip
        await conn.write_message(json.dumps(msg))
        output, reply, idle = [], None, False
        while loop.time() < deadline:
            raw = await asyncio.wait_for(conn.read_message(), deadline - loop.time())
            if raw is None:
                raise AssertionError("the kernel's websocket closed")
            m = json.loads(raw)
            if m.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
                continue
            kind = m["header"]["msg_type"]
            if kind == "stream":
                output.append(m["content"]["text"])
            elif kind == "error":
                output.append("\n".join(m["content"]["traceback"]))
            elif kind == "execute_reply":
                reply = m["content"]
            elif kind == "status" and m["content"]["execution_state"] == "idle":
                idle = True
            # the reply (shell) and the idle status (IOPub) come on different channels, in
            # either order; the outputs come before the idle status
            if reply is not None and idle:
                return reply, "".join(output)
        raise AssertionError(f"the kernel did not finish in {DEADLINE} s: {''.join(output)}")
    finally:
        conn.close()


def run_in_kernel(server_url: str, token: str, code: str) -> str:
    """Start a kernel on the server at ``server_url`` (a hub user's URL), execute ``code``
    and shut the kernel down; what it printed. Fails when the code raised."""
    status, kernel = request("POST", server_url + "api/kernels", token, {"name": "python3"})
    assert status == 201, kernel
    try:
        ws_url = server_url.replace("http://", "ws://") + f"api/kernels/{kernel['id']}/channels"
        reply, output = asyncio.run(_execute(ws_url, token, code))
        assert reply["status"] == "ok", output
        return output
    finally:
        request("DELETE", server_url + f"api/kernels/{kernel['id']}", token)
