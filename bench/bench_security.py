"""Costs of the security fixes: durable SQLite commits and linear v1 block search.

- publish latency with ``synchronous=FULL`` (every commit synced before it is acknowledged;
  the default) beside ``synchronous=NORMAL`` (the former default: the last commits may be
  lost on power failure);
- finding v1 blocks in 64 MiB of hostile text (``[[DOTSCIENCE-RUN:a]]`` repeated) and of a
  real-looking log with blocks, beside the legacy regular expression (on the hostile text it
  is cubic, so it is measured on 8 KiB only).

Environment: ``DOTSCIENCE_BENCH_BLOCK_MIB`` (default 64) scales the block search.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import re
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

# the store benchmark's publish: 100 parameters and 10,000 metric points
from bench_store import _publish_record as _record  # noqa: E402

from dotscience import v1  # noqa: E402
from jupyterlab_dotscience.store.sqlite import SQLiteStore  # noqa: E402

MIB = int(os.environ.get("DOTSCIENCE_BENCH_BLOCK_MIB", "64"))
LEGACY = re.compile(r"\[\[DOTSCIENCE-RUN:(.+?)\]\](.*?)\[\[/DOTSCIENCE-RUN:\1\]\]", re.DOTALL)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_publish(tmp: pathlib.Path, reps: int = 60) -> dict[str, list[float]]:
    """Publish latencies (ms) of 100 params + 10,000 metric points per ``synchronous``
    setting, interleaved (so both see the same load on a shared machine)."""
    rng = random.Random(1)
    settings = ("FULL", "NORMAL")
    stores = {s: SQLiteStore(str(tmp / f"publish-{s}.db"), synchronous=s) for s in settings}
    times: dict[str, list[float]] = {s: [] for s in settings}
    try:
        for i in range(reps + 2):
            order = settings if i % 2 else settings[::-1]
            for setting in order:
                rec = _record(rng)
                t0 = time.perf_counter()
                stores[setting].put_run(rec, "bench")
                if i >= 2:  # the first two warm up
                    times[setting].append((time.perf_counter() - t0) * 1000)
    finally:
        for store in stores.values():
            store.close()
    return times


def _hostile(size: int) -> str:
    unit = "[[DOTSCIENCE-RUN:a]]"
    return (unit * (size // len(unit) + 1))[:size]


def _real_log(size: int) -> str:
    """Training output: progress lines with a v1 block every few hundred lines."""
    rng = random.Random(3)
    parts, total, n = [], 0, 0
    while total < size:
        n += 1
        if n % 300 == 0:
            body = {"version": "1", "summary": {"loss": str(rng.random())},
                    "parameters": {"lr": "0.01"}, "input": [], "output": ["model.pkl"]}  # fmt: skip
            line = v1.format_block(str(uuid.uuid4()), body)
        else:
            line = f"epoch {n // 100} step {n}: loss={rng.random():.5f} acc={rng.random():.4f}\n"
        parts.append(line)
        total += len(line)
    return "".join(parts)


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _legacy(text: str) -> list:
    """What find_blocks did before: the regex, then each body parsed."""
    found = []
    for m in LEGACY.finditer(text):
        try:
            found.append((m.group(1), json.loads(m.group(2))))
        except ValueError:
            continue
    return found


def _hostile_rows(size: int) -> list[dict]:
    hostile = _hostile(size)
    ours = min(_time(lambda: v1.find_blocks(hostile)) for _ in range(3))
    small = _hostile(8 * 1024)
    ours_small = min(_time(lambda: v1.find_blocks(small)) for _ in range(3))
    return [
        {"benchmark": f"find v1 blocks, {MIB} MiB of hostile text", "ours": ours, "peer": "",
         "theirs": None, "unit": "s", "target": "< 10 s", "ok": ours < 10},
        {"benchmark": "find v1 blocks, 8 KiB of hostile text", "ours": ours_small,
         "peer": "legacy regex", "theirs": _time(lambda: _legacy(small)), "unit": "s",
         "target": "", "ok": None},
    ]  # fmt: skip


def _log_row(size: int) -> dict:
    log = _real_log(size)
    found = v1.find_blocks(log)
    ours = min(_time(lambda: v1.find_blocks(log)) for _ in range(3))
    return {
        "benchmark": f"find v1 blocks, {MIB} MiB of training log ({len(found):,} blocks)",
        "ours": ours, "peer": "legacy regex, same text", "theirs": _time(lambda: _legacy(log)),
        "unit": "s", "target": "< 10 s", "ok": ours < 10,
    }  # fmt: skip


def _block_rows(size: int) -> list[dict]:
    return [*_hostile_rows(size), _log_row(size)]


def run() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="dotscience-bench-") as d:
        tmp = pathlib.Path(d)
        times = bench_publish(tmp)
    full, normal = times["FULL"], times["NORMAL"]
    for q, name in ((0.5, "p50"), (0.99, "p99")):
        rows.append({
            "benchmark": f"publish, 100 params + 10,000 points, durable commit ({name}, SQLite)",
            "ours": _percentile(full, q), "peer": "synchronous=NORMAL (not durable)",
            "theirs": _percentile(normal, q), "unit": "ms", "target": "", "ok": None,
        })  # fmt: skip

    rows.extend(_block_rows(MIB * 1024 * 1024))
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
