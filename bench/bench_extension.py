"""JupyterLab extension benchmark: bundle size, kernel-to-sidebar latency, bridge cost.

Rows (see bench/run.py), each beside a peer measured in the same run:

- Production bundle (all ``*.js`` of ``labextension/static``, raw and gzip -9 per file),
  built from a temporary copy of ``package.json``, ``tsconfig.json``, ``src``, ``style``,
  ``schema`` (``tsc`` then ``jupyter-builder build .``, production mode), so the dev build
  in ``jupyterlab_dotscience/labextension`` is left alone. Peer: JupyterLab's own core
  application JS (every ``*.js`` of ``<sys.prefix>/share/jupyter/lab/static``), measured the
  same way: the extension's size as a share of what JupyterLab itself ships.
- ``ds.add_metric`` in the kernel to the value visible in the sidebar (p50, p99), timed in
  the page by a MutationObserver against the kernel's ``time.time()`` carried as the metric
  value. Peer: a bare comm message sent by the same kernel in the same loop to a comm target
  the page script registers (receipt time in the page minus send time).
- 1,000,000 ``ds.add_metric`` calls timed in the kernel with the bridge attached (page open)
  vs the library alone (``dotscience.jupyter.detach()``, re-attached afterwards) in the same
  kernel; best of ROUNDS each (noise only adds time), alternating which goes first.

The browser half is ``bench/ui/extension_bench.js`` (playwright-core from ``ui-tests``,
Debian Chromium). This module starts its own JupyterLab on a free port (never 8888) with a
temporary root and workspaces dir, runs the script, deletes the kernel sessions and stops
the server. Without node, chromium or playwright-core, the rows say what is missing.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
UI_SCRIPT = REPO / "bench" / "ui" / "extension_bench.js"
PLAYWRIGHT_CORE = REPO / "ui-tests" / "node_modules" / "playwright-core"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SAMPLES = int(os.environ.get("BENCH_EXT_SAMPLES", "200"))
SPACING_MS = int(os.environ.get("BENCH_EXT_SPACING_MS", "20"))
LOOP_CALLS = int(os.environ.get("BENCH_EXT_LOOP_CALLS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_EXT_ROUNDS", "7"))
UI_TIMEOUT = 150  # seconds for the browser half

SERVER_CONFIG = """\
# Written by bench/bench_extension.py: Galata's test settings (no token, app exposed to the
# page), with this bench's own port, root and workspaces dir. Never use in production.
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = {port}
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.ServerApp.allow_root = True
c.ServerApp.root_dir = {root!r}
c.LabApp.workspaces_dir = {workspaces!r}
c.IdentityProvider.token = ""
c.ServerApp.password = ""
c.ServerApp.disable_check_xsrf = True
c.LabApp.expose_app_in_browser = True
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
"""


def _row(benchmark, ours, unit, peer="", theirs=None, target="", ok=None) -> dict:
    return {"benchmark": benchmark, "ours": ours, "peer": peer, "theirs": theirs, "unit": unit,
            "target": target, "ok": ok}  # fmt: skip


# -- bundle size -----------------------------------------------------------------------------


def _js_sizes(static: Path) -> tuple[int, int, int]:
    """(files, raw bytes, gzip -9 bytes summed per file) of every ``*.js`` in ``static``."""
    files = sorted(static.glob("*.js"))
    raw = sum(f.stat().st_size for f in files)
    gz = sum(len(gzip.compress(f.read_bytes(), compresslevel=9, mtime=0)) for f in files)
    return len(files), raw, gz


def _build_production(work: Path) -> Path:
    """Production build of a temporary copy of the frontend; returns its static dir."""
    for name in ("package.json", "tsconfig.json"):
        shutil.copy2(REPO / name, work / name)
    for name in ("src", "style", "schema"):
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__tests__"))
    (work / "node_modules").symlink_to(REPO / "node_modules")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for cmd in (["node_modules/.bin/tsc"], ["jupyter-builder", "build", "."]):
        done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=180)
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed: {(done.stdout + done.stderr)[-2000:]}")
    outdir = json.loads((work / "package.json").read_text())["jupyterlab"]["outputDir"]
    return work / outdir / "static"


def _bundle_rows() -> list[dict]:
    if not (REPO / "node_modules" / ".bin" / "tsc").exists():
        return [_row("extension bundle: node_modules missing (npm install)", None, "")]
    core = Path(sys.prefix) / "share" / "jupyter" / "lab" / "static"
    work = Path(tempfile.mkdtemp(prefix="ds-bench-bundle-"))
    try:
        t0 = time.perf_counter()
        static = _build_production(work)
        build_s = time.perf_counter() - t0
        n, raw, gz = _js_sizes(static)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not core.is_dir():
        peer, core_n, core_raw, core_gz = "JupyterLab core static: not found", 0, None, None
    else:
        core_n, core_raw, core_gz = _js_sizes(core)
        peer = f"JupyterLab core app JS ({core_n} files)"
    kb = 1024
    return [
        _row(f"extension JS, production build ({n} files, built in {build_s:.0f} s)",
             raw / kb, "KiB", peer, core_raw and core_raw / kb, "informational", None),
        _row("extension JS, production build, gzip -9", gz / kb, "KiB", f"{peer}, gzip -9",
             core_gz and core_gz / kb, "informational", None),
    ]  # fmt: skip


# -- the JupyterLab server ---------------------------------------------------------------------


def _free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 8888:
            return port


def _http(method: str, url: str, timeout: float = 5) -> bytes:
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as response:
        return response.read()


def _start_server(work: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    port = port or _free_port()
    root, workspaces = work / "root", work / "workspaces"
    root.mkdir()
    workspaces.mkdir()
    config = work / "jupyter_server_bench_config.py"
    config.write_text(SERVER_CONFIG.format(port=port, root=str(root), workspaces=str(workspaces)))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(work / "config"),  # no user config, no lab settings
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DOTSCIENCE_PROJECT_DOT_ROOT", None)
    log = open(work / "server.log", "wb")
    lab = Path(sys.executable).parent / "jupyter-lab"
    cmd = [str(lab)] if lab.exists() else [sys.executable, "-m", "jupyterlab"]
    proc = subprocess.Popen(cmd + [f"--config={config}"], cwd=root, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            _http("GET", f"{base}/api/status", timeout=2)
            return proc, base
        except OSError:
            time.sleep(0.25)
    tail = (work / "server.log").read_text(errors="replace")[-1500:]
    _stop_server(proc, base)
    raise RuntimeError(f"JupyterLab did not start on port {port}:\n{tail}")


def _stop_server(proc: subprocess.Popen, base: str) -> None:
    if proc.poll() is None:
        try:  # delete the sessions (and their kernels) the page left running
            for s in json.loads(_http("GET", f"{base}/api/sessions")):
                _http("DELETE", f"{base}/api/sessions/{s['id']}")
            for k in json.loads(_http("GET", f"{base}/api/kernels")):
                _http("DELETE", f"{base}/api/kernels/{k['id']}")
        except (OSError, ValueError):
            pass
    _kill_group(proc, wait=15)


def _kill_group(proc: subprocess.Popen, wait: float) -> None:
    """SIGTERM the process's group (it was started in its own session), SIGKILL leftovers."""

    def alive() -> bool:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    if alive():
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + 3
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive():
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=5)


# -- the browser half --------------------------------------------------------------------------


def _ui_missing() -> str | None:
    if not shutil.which("node"):
        return "node not installed"
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM}"
    if not PLAYWRIGHT_CORE.is_dir():
        return "ui-tests/node_modules/playwright-core missing (cd ui-tests && npm install)"
    return None


def _run_ui(base: str, work: Path) -> dict:
    env = {**os.environ, "SAMPLES": str(SAMPLES), "SPACING_MS": str(SPACING_MS),
           "LOOP_CALLS": str(LOOP_CALLS), "ROUNDS": str(ROUNDS), "CHROMIUM_PATH": CHROMIUM,
           "PLAYWRIGHT_CORE": str(PLAYWRIGHT_CORE)}  # fmt: skip
    err = open(work / "node.log", "wb")
    proc = subprocess.Popen(["node", str(UI_SCRIPT), base], stdout=subprocess.PIPE, stderr=err,
                            env=env, start_new_session=True)  # fmt: skip
    err.close()
    try:
        out, _ = proc.communicate(timeout=UI_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill_group(proc, wait=10)  # SIGTERM first: playwright then closes its browser
        raise RuntimeError(f"the browser script took over {UI_TIMEOUT} s") from None
    lines = out.decode(errors="replace").strip().splitlines()
    if not lines:
        tail = (work / "node.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"the browser script printed nothing (exit {proc.returncode}): {tail}")
    (work / "result.json").write_text(lines[-1])
    result = json.loads(lines[-1])
    if not result.get("ok"):
        raise RuntimeError(f"the browser script failed: {result.get('error', '')[:1500]}")
    return result


def _ui_rows(result: dict) -> list[dict]:
    lat, cost = result["latency"], result["cost"]
    ours, peer = lat["ours"], lat["peer"]
    detail = f"{lat['samples']} samples {lat['spacing_ms']} ms apart"
    if lat["missing"] or lat["peer_missing"]:
        detail += f", {lat['missing']}/{lat['peer_missing']} never seen"
    peer_name = "bare comm kernel->page"
    ratio = cost["attached_min"] / cost["alone_min"]
    spread = cost["attached_median"] / cost["alone_median"]
    calls = f"{cost['calls']:,}"
    return [
        _row(f"ds.add_metric -> sidebar visible, p50 ({detail})", ours["p50"], "ms",
             f"{peer_name} p50", peer["p50"], "informational", None),
        _row("ds.add_metric -> sidebar visible, p99", ours["p99"], "ms", f"{peer_name} p99",
             peer["p99"], "p99 <= 150 ms", lat["missing"] == 0 and ours["p99"] <= 150),
        _row(f"{calls} x ds.add_metric, bridge attached + page open (best of "
             f"{len(cost['attached'])})", cost["attached_min"], "s",
             "library alone, same kernel (detached)", cost["alone_min"],
             f"<= 1.2x peer (is {ratio:.2f}x; medians {spread:.2f}x)", ratio <= 1.2),
    ]  # fmt: skip


def run() -> list[dict]:
    rows: list[dict] = []
    try:
        rows += _bundle_rows()
    except Exception as exc:  # the browser rows still run
        rows.append(_row(f"extension bundle: build failed: {exc}"[:300], None, ""))
    missing = _ui_missing()
    if missing:
        return rows + [_row(f"extension UI bench skipped: {missing}", None, "")]
    work = Path(tempfile.mkdtemp(prefix="ds-bench-ext-"))
    proc = base = None
    try:
        proc, base = _start_server(work)
        rows += _ui_rows(_run_ui(base, work))
    except Exception as exc:
        rows.append(_row(f"extension UI bench failed: {exc}"[:600], None, ""))
    finally:
        if proc is not None:
            _stop_server(proc, base)
        if os.environ.get("BENCH_EXT_KEEP"):
            print(f"bench_extension: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return rows
