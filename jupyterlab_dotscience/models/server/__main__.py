"""``python -m model_server --bundle DIR [--host H] [--port P] [--status-file F] ...``.

Loads the bundle's model (after checking every file's hash), listens, writes
``{"state": "running", "port", "pid"}`` to the status file, and serves until SIGTERM.
A model that cannot be loaded ends the process with ``{"state": "failed", "reason"}``.

A token (``--token-file F``, else the environment variable ``MODEL_TOKEN``) makes every
request but the health probes carry ``Authorization: Bearer <token>``. Binding beyond
loopback (``--host 0.0.0.0``) requires one, unless ``--allow-unauthenticated`` says that
something in front of the server (a cluster's network policy or gateway) authenticates.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import socket
import sys


def _status(path: str | None, **state) -> None:
    if not path:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f)
    os.replace(tmp, path)


def is_loopback(host: str) -> bool:
    """True when ``host`` (a name or an address) is this machine's loopback interface only.

    Parameters
    ----------
    host : str
        What the server binds to, e.g. ``127.0.0.1``, ``::1``, ``localhost`` or ``0.0.0.0``.

    Returns
    -------
    bool
        ``localhost`` and loopback addresses are; wildcard and any other address or name is
        not.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(token_file: str | None) -> str | None:
    """The token from ``token_file`` (stripped), else from ``MODEL_TOKEN``, else None.

    ``MODEL_TOKEN`` is removed from the environment once read, so nothing the model runs
    can find it there.

    Parameters
    ----------
    token_file : str or None
        A file holding the token.

    Returns
    -------
    str or None
        The token.

    Raises
    ------
    ValueError
        The file cannot be read, or the token is empty or not printable ASCII.
    """
    env = os.environ.pop("MODEL_TOKEN", None)
    if token_file:
        try:
            with open(token_file, encoding="ascii") as f:
                token = f.read().strip()
        except (OSError, UnicodeDecodeError) as e:
            raise ValueError(f"cannot read the token file {token_file}: {e}") from None
    elif env is not None:
        token = env.strip()
    else:
        return None
    if not token or not all(33 <= ord(c) < 127 for c in token):
        raise ValueError("the token must be non-empty printable ASCII without spaces")
    return token


def main(argv=None) -> int:
    """Run the model server until SIGTERM.

    Parameters
    ----------
    argv : list of str, optional
        The command line (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The process's exit code.
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(prog="model_server", description=__doc__)
    p.add_argument("--bundle", default=os.environ.get("MODEL_BUNDLE", here))
    p.add_argument("--host", default=os.environ.get("MODEL_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("MODEL_PORT", "8080")))
    p.add_argument("--status-file", default=None)
    p.add_argument("--deployment", default=os.environ.get("DOTSCIENCE_DEPLOYMENT", ""))
    p.add_argument("--token-file", default=os.environ.get("MODEL_TOKEN_FILE") or None,
                   help="file holding the token requests must carry (else $MODEL_TOKEN)")  # fmt: skip
    p.add_argument("--allow-unauthenticated", action="store_true",
                   help="serve beyond loopback without a token (something in front "
                        "authenticates)")  # fmt: skip
    p.add_argument("--read-timeout", type=float, default=None,
                   help="seconds a client may take to send a request head (twice that for a "
                        "body); idle keep-alive connections are closed after it (default 30)")  # fmt: skip
    p.add_argument("--max-body-bytes", type=int, default=None,
                   help="largest request body accepted (default 64 MiB)")  # fmt: skip
    args = p.parse_args(argv)

    try:
        token = read_token(args.token_file)
    except ValueError as e:
        return _fail(args, str(e))
    if token is None and not is_loopback(args.host) and not args.allow_unauthenticated:
        return _fail(
            args,
            f"binding to {args.host} (beyond loopback) requires a token: pass --token-file, "
            "set MODEL_TOKEN, or pass --allow-unauthenticated when something in front "
            "authenticates",
        )

    from .loaders import LoadError, load, read_classes

    try:
        with open(os.path.join(args.bundle, "model.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        model = load(args.bundle, manifest)
        classes = read_classes(args.bundle, manifest)
    except (LoadError, OSError, ValueError, KeyError) as e:
        reason = str(e) if isinstance(e, LoadError) else f"{type(e).__name__}: {e}"
        return _fail(args, f"cannot serve the model: {reason}", reason)
    return asyncio.run(_serve(args, model, manifest, classes, token))


def _fail(args, sentence: str, reason: str | None = None) -> int:
    print(f"model server: {sentence}", file=sys.stderr, flush=True)
    _status(args.status_file, state="failed", reason=reason or sentence, pid=os.getpid())
    return 2


async def _serve(args, model, manifest, classes, token) -> int:
    from tornado.netutil import bind_sockets

    from .serving import BODY_TIMEOUT, MAX_BODY, READ_TIMEOUT, App, Batcher, Limits, http_server

    limits = Limits(
        max_body=args.max_body_bytes or MAX_BODY,
        read_timeout=args.read_timeout or READ_TIMEOUT,
        body_timeout=2 * args.read_timeout if args.read_timeout else BODY_TIMEOUT,
        token=token,
    )
    app = App(model, manifest, classes, args.deployment)
    app.batcher = Batcher(model, app.metrics)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sockets = bind_sockets(args.port, args.host, family=family, backlog=1024)
    server = http_server(app, limits)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    app.ready = True
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    _status(args.status_file, state="running", port=port, pid=os.getpid())
    print(
        f"model server: serving {manifest['name']} v{manifest.get('version')} "
        f"({manifest['framework']}) on http://{args.host}:{port}/"
        + (" (requests need the deployment's token)" if token else ""),
        flush=True,
    )
    await stop.wait()
    server.stop()
    print("model server: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
