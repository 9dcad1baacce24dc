"""Execution recorder benchmark: what recording a cell costs (issue 12, target < 50 µs).

10,000 cells go through IPython's ``run_cell`` (history in memory, no display), alternately
with the recorder of ``import dotscience`` registered on the shell's cell events and without
it, so both halves see the same load; the row is the difference of the two medians (the
median of ``run_cell`` alone is in its name: there is no peer that records executions).
A second row times the recorder's two event callbacks alone (the part of the difference
that is ours), and two more what a publish of those executions adds (the
``executions``/``sources`` snapshot), the first time and again.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CELLS = int(os.environ.get("BENCH_EXECUTIONS_CELLS", "10000"))
TARGET_US = 50.0


def _row(benchmark, ours, unit, peer="", theirs=None, target="", ok=None) -> dict:
    return {"benchmark": benchmark, "ours": ours, "peer": peer, "theirs": theirs, "unit": unit,
            "target": target, "ok": ok}  # fmt: skip


def _shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.display_formatter.active_types = []
    return shell


def _cell(i: int) -> str:
    # the sources of a notebook: a few hundred characters, some of them run again
    return (f"# cell {i % 200}: a typical notebook cell\n"
            f"value_{i % 200} = sum(range({i % 7}))\n"
            "label = 'x' * 3\n" + "# padding line of comment text\n" * 8)  # fmt: skip


def _measure(shell, recorder) -> tuple[list[float], list[float]]:
    events = shell.events
    on: list[float] = []
    off: list[float] = []
    run_cell = shell.run_cell
    perf = time.perf_counter
    for i in range(CELLS):
        with_recorder = i % 2 == 0
        if with_recorder:
            events.register("pre_run_cell", recorder.pre_run_cell)
            events.register("post_run_cell", recorder.post_run_cell)
        code = _cell(i)
        t0 = perf()
        run_cell(code, store_history=True)
        elapsed = perf() - t0
        if with_recorder:
            events.unregister("pre_run_cell", recorder.pre_run_cell)
            events.unregister("post_run_cell", recorder.post_run_cell)
            on.append(elapsed)
        else:
            off.append(elapsed)
    return on, off


def _callbacks_us(recorder) -> float:
    """Median µs of the two callbacks for one execution, with IPython's own objects."""
    from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult

    samples = []
    perf = time.perf_counter
    for i in range(CELLS):
        code = _cell(i)
        info = ExecutionInfo(code, True, False, True, f"cell-{i % 200}")
        result = ExecutionResult(info)
        result.execution_count = i
        t0 = perf()
        recorder.pre_run_cell(info)
        recorder.post_run_cell(result)
        samples.append(perf() - t0)
    return statistics.median(samples) * 1e6


def run() -> list[dict]:
    """The recording cost rows."""
    try:
        shell = _shell()
    except ImportError:
        return [_row("recording per execution: IPython not installed", None, "")]
    work = tempfile.mkdtemp(prefix="ds-bench-executions-")
    os.environ["DOTSCIENCE_PROJECT_DOT_ROOT"] = work
    import dotscience  # noqa: F401 - installs the recorder on the running shell
    from dotscience import executions

    recorder = executions.RECORDER
    events = shell.events
    # registered per cell below (dotscience installs them on import only when a shell was
    # running then, which an earlier benchmark in this process may have made untrue)
    for event in ("pre_run_cell", "post_run_cell"):
        callback = getattr(recorder, event)
        if callback in events.callbacks[event]:
            events.unregister(event, callback)
    recorder.clear()
    on, off = _measure(shell, recorder)
    recorded = len(recorder.executions)
    with_us = statistics.median(on) * 1e6
    without_us = statistics.median(off) * 1e6
    extra = with_us - without_us
    recorder.clear()
    callbacks = _callbacks_us(recorder)
    t0 = time.perf_counter()
    executions_list, sources = recorder.snapshot(time.time())
    first_ms = (time.perf_counter() - t0) * 1e3
    t0 = time.perf_counter()
    recorder.snapshot(time.time())
    again_ms = (time.perf_counter() - t0) * 1e3
    recorder.clear()
    assert recorded == len(on), (recorded, len(on))
    return [
        _row(f"recording per execution: run_cell with minus without the recorder ({CELLS:,} "
             f"cells, medians; run_cell alone {without_us:.0f} µs)", extra, "µs", "", None,
             f"< {TARGET_US:g} µs", extra < TARGET_US),
        _row("recording per execution: the recorder's cell callbacks alone (median)",
             callbacks, "µs", "", None, f"< {TARGET_US:g} µs", callbacks < TARGET_US),
        _row(f"publish: the executions of a {len(executions_list):,}-cell session "
             f"({len(sources):,} sources), first publish", first_ms, "ms"),
        _row("publish: the same executions, next publish (entries formatted once)", again_ms,
             "ms"),
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run():
        print(row)
