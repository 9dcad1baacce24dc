"""Run every benchmark module in bench/ and print one table.

Each ``bench/bench_*.py`` exposes ``run() -> list[Row]`` where a row is a dict with keys
``benchmark`` (what is measured), ``ours`` (number), ``peer`` (name of the peer measured in
the same run, or ""), ``theirs`` (number or None), ``unit``, ``target`` (text), ``ok``
(bool or None when the target does not apply) and optionally ``higher_is_better`` (for
rates such as requests per second; times and sizes are lower-is-better).

The ``advantage`` column says how many times better ours is than the peer (below 1x: the
peer is better).

Usage: ``python bench/run.py [name-filter ...]``
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
import traceback

HERE = pathlib.Path(__file__).resolve().parent


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3g}"
    return str(value)


def _ratio(row) -> str:
    ours, theirs = row.get("ours"), row.get("theirs")
    if not isinstance(ours, int | float) or not isinstance(theirs, int | float):
        return "-"
    better, worse = (ours, theirs) if row.get("higher_is_better") else (theirs, ours)
    if not worse:
        return "-"
    return f"{better / worse:.1f}x"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE.parent))
    rows, failures = [], 0
    for path in sorted(HERE.glob("bench_*.py")):
        if argv and not any(a in path.stem for a in argv):
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        try:
            spec.loader.exec_module(module)
            rows.extend(module.run())
        except Exception:
            failures += 1
            traceback.print_exc()
            rows.append({"benchmark": f"{path.stem}: FAILED", "ours": None, "unit": ""})
    header = ["benchmark", "ours", "unit", "peer", "peer value", "advantage", "target", "met"]
    table = [header]
    for r in rows:
        ok = r.get("ok")
        table.append(
            [
                r["benchmark"],
                _fmt(r.get("ours")),
                r.get("unit", ""),
                r.get("peer", "") or "-",
                _fmt(r.get("theirs")),
                _ratio(r),
                r.get("target", "") or "-",
                "-" if ok is None else ("yes" if ok else "NO"),
            ]
        )
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
