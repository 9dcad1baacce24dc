"""``python -m model_server --bundle DIR [--host H] [--port P] [--status-file F]``.

Loads the bundle's model (after checking every file's hash), listens, writes
``{"state": "running", "port", "pid"}`` to the status file, and serves until SIGTERM.
A model that cannot be loaded ends the process with ``{"state": "failed", "reason"}``.
"""

from __future__ import annotations

import argparse
import asyncio
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


def main(argv=None) -> int:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(prog="model_server", description=__doc__)
    p.add_argument("--bundle", default=os.environ.get("MODEL_BUNDLE", here))
    p.add_argument("--host", default=os.environ.get("MODEL_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("MODEL_PORT", "8080")))
    p.add_argument("--status-file", default=None)
    p.add_argument("--deployment", default=os.environ.get("DOTSCIENCE_DEPLOYMENT", ""))
    args = p.parse_args(argv)

    from .loaders import LoadError, load, read_classes

    try:
        with open(os.path.join(args.bundle, "model.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        model = load(args.bundle, manifest)
        classes = read_classes(args.bundle, manifest)
    except (LoadError, OSError, ValueError, KeyError) as e:
        reason = str(e) if isinstance(e, LoadError) else f"{type(e).__name__}: {e}"
        print(f"model server: cannot serve the model: {reason}", file=sys.stderr, flush=True)
        _status(args.status_file, state="failed", reason=reason, pid=os.getpid())
        return 2
    return asyncio.run(_serve(args, model, manifest, classes))


async def _serve(args, model, manifest, classes) -> int:
    from .serving import App, Batcher

    app = App(model, manifest, classes, args.deployment)
    app.batcher = Batcher(model, app.metrics)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    server = await asyncio.start_server(app.handle, args.host, args.port, family=family,
                                        reuse_address=True, backlog=1024)  # fmt: skip
    port = server.sockets[0].getsockname()[1]
    app.ready = True
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    _status(args.status_file, state="running", port=port, pid=os.getpid())
    print(
        f"model server: serving {manifest['name']} v{manifest.get('version')} "
        f"({manifest['framework']}) on http://{args.host}:{port}/",
        flush=True,
    )
    async with server:
        await stop.wait()
    print("model server: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
