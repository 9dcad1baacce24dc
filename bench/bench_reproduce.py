"""Reproduce: the quick start's run reproduced by the server, beside executing the same notebook
with ``jupyter nbconvert --execute``.

``examples/quickstart.ipynb`` is executed once with nbconvert against a real Jupyter server
(its ``ds.publish()`` stores the run there). Then, interleaved three times each: the time from
``POST runs/{id}/reproductions`` until the reproduction is done (inputs restored, the recorded
executions replayed in a fresh kernel, the replay's run published and compared), and the time
of ``jupyter nbconvert --to notebook --execute`` of the same notebook (a fresh kernel running
the same cells, publishing to the spool). Medians of 3; target: at most 1.3x nbconvert.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parent.parent
ROUNDS = 3
TARGET = 1.3


def _request(server, method: str, path: str, body=None):
    req = urllib.request.Request(
        server.url + "dotscience/api/" + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"token {server.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def _nbconvert(notebook: pathlib.Path, out: pathlib.Path, env: dict) -> float:
    """Seconds ``jupyter nbconvert --execute`` takes for ``notebook``."""
    exe = shutil.which("jupyter", path=os.path.dirname(sys.executable)) or "jupyter"
    start = time.perf_counter()
    subprocess.run(
        [exe, "nbconvert", "--to", "notebook", "--execute", str(notebook), "--output",
         str(out)],
        cwd=notebook.parent, env=env, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return time.perf_counter() - start


def _reproduce(server, run_id: str) -> tuple[float, str]:
    """Seconds from the POST until the reproduction is done, and its verdict."""
    start = time.perf_counter()
    rep = _request(server, "POST", f"runs/{run_id}/reproductions", {})
    while rep["state"] not in ("done", "cancelled"):
        time.sleep(0.02)
        rep = _request(server, "GET", f"runs/{run_id}/reproductions/{rep['id']}")
    return time.perf_counter() - start, str(rep["verdict"])


def run() -> list[dict]:
    """The benchmark's one row (see the module docstring)."""
    sys.path.insert(0, str(REPO))
    from tests.server.live import LiveServer

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-reproduce-"))
    root, other = tmp / "root", tmp / "nbconvert"
    root.mkdir()
    other.mkdir()
    for directory in (root, other):
        shutil.copy(REPO / "examples" / "quickstart.ipynb", directory / "quickstart.ipynb")
    server = LiveServer(root).start()
    try:
        base = {k: v for k, v in os.environ.items() if not k.startswith("DOTSCIENCE_")}
        base["PYTHONPATH"] = str(REPO)
        published = dict(base, DOTSCIENCE_SERVER_URL=server.url, DOTSCIENCE_TOKEN=server.token,
                         DOTSCIENCE_PROJECT_DOT_ROOT=str(root))  # fmt: skip
        _nbconvert(root / "quickstart.ipynb", tmp / "published.ipynb", published)
        run_id = _request(server, "GET", "runs?limit=1")["runs"][0]["id"]
        # the peer: the same notebook in a fresh kernel, publishing to the spool as a replay does
        spooled = dict(base, DOTSCIENCE_PROJECT_DOT_ROOT=str(other))
        ours, theirs, verdicts = [], [], set()
        for i in range(ROUNDS):
            theirs.append(_nbconvert(other / "quickstart.ipynb", tmp / f"peer-{i}.ipynb", spooled))
            seconds, verdict = _reproduce(server, run_id)
            ours.append(seconds)
            verdicts.add(verdict)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    return [
        {
            "benchmark": "reproduce examples/quickstart.ipynb, POST to verdict, median of 3 "
            f"(verdict: {', '.join(sorted(verdicts))})",
            "ours": ours_s,
            "peer": "jupyter nbconvert --execute",
            "theirs": theirs_s,
            "unit": "s",
            "target": f"<= {TARGET}x nbconvert",
            "ok": ours_s <= TARGET * theirs_s,
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
