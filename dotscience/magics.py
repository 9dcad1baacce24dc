"""IPython magics: ``%ds <subcommand> ...`` and ``%%ds run [description]``.

Imported only inside IPython (it imports IPython).
"""

from __future__ import annotations

import ast
import shlex

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

USAGE = """\
Usage:
  %ds start [description]       begin a new run
  %ds input PATH...             declare inputs
  %ds output PATH...            declare outputs
  %ds param k=v ...             record parameters
  %ds metric k=v ...            record metrics
  %ds label k=v ...             set labels
  %ds error MESSAGE             mark the run failed
  %ds publish [description]     publish the run (shown as a card)
  %ds autolog [off] [FRAMEWORK...] [--publish-at-cell-end]
                                record every fit() (all frameworks, or those named)
  %ds system-metrics [SECONDS|off]
                                sample CPU, memory, I/O and GPUs into the run
  %%ds run [description]        make the cell one run (start, execute, publish)"""


def parse_value(text: str):
    """A ``k=v`` value: a Python literal where ``ast.literal_eval`` accepts it, else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _pairs(subcommand: str, words: list[str]) -> list[tuple[str, object]]:
    if not words:
        raise UsageError(f"%ds {subcommand} needs at least one key=value pair\n{USAGE}")
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise UsageError(f"%ds {subcommand}: expected key=value, got {word!r}\n{USAGE}")
        pairs.append((key, parse_value(value)))
    return pairs


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%ds: cannot parse {line!r}: {exc}\n{USAGE}") from None


@magics_class
class DotscienceMagics(Magics):
    """The ``ds`` line and cell magic."""

    @line_cell_magic
    def ds(self, line: str, cell: str | None = None):
        """Record provenance from IPython; ``%ds`` alone shows the usage."""
        import dotscience as ds

        subcommand, _, rest = line.strip().partition(" ")
        rest = rest.strip()
        if cell is not None:
            if subcommand != "run":
                raise UsageError(f"%%ds only supports `%%ds run [description]`\n{USAGE}")
            return self._run_cell(ds, rest or None, cell)
        if subcommand == "start":
            ds.start(rest or None)
        elif subcommand == "publish":
            return ds.publish(rest or None)  # shown as the run's card when last in a cell
        elif subcommand == "error":
            if not rest:
                raise UsageError(f"%ds error needs a message\n{USAGE}")
            ds.set_error(rest)
        elif subcommand in ("input", "output"):
            paths = _split(rest)
            if not paths:
                raise UsageError(f"%ds {subcommand} needs at least one path\n{USAGE}")
            (ds.add_inputs if subcommand == "input" else ds.add_outputs)(*paths)
        elif subcommand in ("param", "parameter", "metric", "label"):
            declare = {"param": ds.add_parameter, "parameter": ds.add_parameter,
                       "metric": ds.add_metric, "label": ds.add_label}[subcommand]  # fmt: skip
            for key, value in _pairs(subcommand, _split(rest)):
                declare(key, value)
        elif subcommand == "autolog":
            _autolog(ds, _split(rest))
        elif subcommand == "system-metrics":
            _system_metrics(ds, _split(rest))
        elif subcommand == "run":
            raise UsageError(f"`run` is a cell magic: write %%ds run [description]\n{USAGE}")
        else:
            what = f"unknown subcommand {subcommand!r}" if subcommand else "no subcommand"
            raise UsageError(f"%ds: {what}\n{USAGE}")

    def _run_cell(self, ds, description, cell: str):
        """Start a run, execute the cell, publish; returns the published run (its card)."""
        ds.start(description)
        hook = self.shell.displayhook
        outer = getattr(hook, "exec_result", None)
        try:
            result = self.shell.run_cell(cell, store_history=False)
        finally:  # the nested cell cleared it: the card below is this cell's result
            hook.exec_result = outer
        failure = result.error_before_exec or result.error_in_exec
        if failure is not None:
            text = str(failure)
            ds.set_error(f"{type(failure).__name__}: {text}" if text else type(failure).__name__)
        return ds.publish()


def _autolog(ds, words: list[str]) -> None:
    """``%ds autolog [off] [FRAMEWORK...] [--publish-at-cell-end]``."""
    from .autolog import FRAMEWORKS

    if words == ["off"]:
        ds.autolog(disable=True)
        return
    at_cell_end = "--publish-at-cell-end" in words
    named = [w for w in words if w != "--publish-at-cell-end"]
    unknown = [w for w in named if w not in FRAMEWORKS]
    if unknown:
        raise UsageError(f"%ds autolog: unknown framework {unknown[0]!r}; choose from "
                         f"{', '.join(FRAMEWORKS)} (or `off`)\n{USAGE}")  # fmt: skip
    switches = {f: (not named or f in named) for f in FRAMEWORKS}
    ds.autolog(publish_at_cell_end=at_cell_end, **switches)


def _system_metrics(ds, words: list[str]) -> None:
    """``%ds system-metrics [SECONDS|off]``."""
    if words == ["off"]:
        ds.system_metrics(disable=True)
        return
    if len(words) > 1:
        raise UsageError(f"%ds system-metrics takes one interval in seconds or `off`\n{USAGE}")
    interval = 1.0
    if words:
        try:
            interval = float(words[0])
        except ValueError:
            raise UsageError(f"%ds system-metrics: {words[0]!r} is not a number of seconds"
                             f"\n{USAGE}") from None  # fmt: skip
    try:
        ds.system_metrics(interval)
    except ValueError as exc:
        raise UsageError(f"%ds {exc}") from None


def register(shell) -> None:
    """Register the magics on ``shell`` (idempotent)."""
    shell.register_magics(DotscienceMagics)
