"""Lineage layout benchmark: the run detail's lineage graph laid out at 500 and 2,000 nodes.

Rows (see bench/run.py):

- The layout of ``src/lineage/layout.ts`` (compiled to ``lib/`` by ``npm run build:lib``)
  on a lineage like a busy project's (runs in pipelines of eight, each writing three files,
  fan-in from earlier runs and fan-out from shared raw data; the graph of
  ``src/lineage/__tests__/layoutLarge.spec.ts``) of about 500 and 2,000 nodes, in Node:
  median of ROUNDS after a warm-up, with the edge crossings left. Target: under 1 s at 500.
- Peer: elkjs's layered layout (the library JupyterLab's mermaid ships) on the same graphs,
  median of ROUNDS.

The script is ``bench/ui/lineage_bench.mjs``; without node or ``lib/`` the rows say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "ui" / "lineage_bench.mjs"
ROUNDS = int(os.environ.get("BENCH_LINEAGE_ROUNDS", "5"))
TIMEOUT = 600


def _measure() -> dict | str:
    """The script's numbers, or a sentence saying why there are none."""
    if shutil.which("node") is None:
        return "node not found"
    if not (HERE.parent / "lib" / "lineage" / "layout.js").exists():
        return "lib/ not built (npm run build:lib)"
    done = subprocess.run(
        ["node", str(SCRIPT)], capture_output=True, text=True, timeout=TIMEOUT,
        env={**os.environ, "ROUNDS": str(ROUNDS)},
    )  # fmt: skip
    if done.returncode != 0 or not done.stdout.strip():
        return f"the script failed: {done.stderr.strip()[-300:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> list[dict]:
    """The lineage layout rows (see the module docstring).

    Returns
    -------
    list of dict
        One row per graph size.
    """
    result = _measure()
    rows = []
    if isinstance(result, str):
        return [{
            "benchmark": f"lineage layout, 500 nodes [{result}]", "ours": None, "peer": "",
            "theirs": None, "unit": "ms", "target": "< 1 s", "ok": None,
        }]  # fmt: skip
    for nodes, numbers in sorted(result.items(), key=lambda kv: int(kv[0])):
        ours = numbers["ours_ms"]
        at500 = int(nodes) <= 600
        rows.append({
            "benchmark": f"lineage layout, {int(nodes):,} nodes "
            f"({numbers['crossings']:,} crossings left)",
            "ours": ours,
            "peer": "elkjs layered" if numbers.get("elk_ms") is not None else "",
            "theirs": numbers.get("elk_ms"),
            "unit": "ms",
            "target": "< 1 s" if at500 else "",
            "ok": (ours < 1000) if at500 else None,
        })  # fmt: skip
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
