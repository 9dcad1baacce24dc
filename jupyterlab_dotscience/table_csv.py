"""The Runs table as CSV: the runs a filter matches, one row each, with the columns the
table shows (``GET runs/csv``).

A column is named as the Runs table names it (``src/table/columns.ts``): ``field:<key>``,
``param:<key>``, ``label:<key>`` or ``metric:<key>:<last|min|max>``. Every file starts with
the run's id. Values are written as stored (a metric's number in full, a time in ISO 8601);
a value another user published that a spreadsheet would read as a formula (``=``, ``+``,
``-``, ``@``, a tab or a carriage return first, and not a number) is written with a ``'``
before it, so opening the file runs nothing.
"""

from __future__ import annotations

import csv
import io
import math
import posixpath
from collections.abc import Iterable

#: The fields a column may name, and their headings (as the Runs table shows them)
FIELDS = {
    "name": "Run",
    "status": "Status",
    "received": "Published",
    "start": "Started",
    "author": "Author",
    "project": "Project",
    "notebook": "Notebook or script",
}
STATS = ("last", "min", "max")
#: At most this many columns, each key at most this long
MAX_COLUMNS = 5000
MAX_KEY = 1000
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def parse_columns(ids: Iterable[str]) -> list[tuple[str, str, str | None]]:
    """The columns named by ``ids``, each once, as ``(kind, key, stat)``.

    Raises
    ------
    ValueError
        For an id that names no column, or too many.
    """
    out, seen = [], set()
    for raw in ids:
        kind, sep, rest = raw.partition(":")
        stat = None
        if kind == "metric":
            rest, sep2, stat = rest.rpartition(":")
            if not sep2 or stat not in STATS:
                raise ValueError(
                    f"column {raw[:200]!r}: a metric's column is metric:<key>:<last|min|max>"
                )
        if not sep or not rest or len(rest) > MAX_KEY:
            raise ValueError(f"column {raw[:200]!r}: expected <kind>:<key>")
        if kind == "field" and rest not in FIELDS:
            raise ValueError(f"column {raw[:200]!r}: the fields are {', '.join(FIELDS)}")
        if kind not in ("field", "param", "label", "metric"):
            raise ValueError(f"column {raw[:200]!r}: the kinds are field, param, label and metric")
        if (kind, rest, stat) not in seen:
            seen.add((kind, rest, stat))
            out.append((kind, rest, stat))
        if len(out) > MAX_COLUMNS:
            raise ValueError(f"at most {MAX_COLUMNS} columns")
    return out


def needs_stats(columns) -> bool:
    """Whether a column shows a metric's smallest or largest value (``stats=True``)."""
    return any(kind == "metric" and stat != "last" for kind, _, stat in columns)


def headings(columns) -> list[str]:
    """The heading of each column, as the Runs table titles it; a title two columns share
    (a parameter and a metric both called ``lr``) is given its kind."""
    titles = []
    for kind, key, stat in columns:
        if kind == "field":
            titles.append(FIELDS[key])
        elif kind == "metric" and stat != "last":
            titles.append(f"{key} ({stat})")
        else:
            titles.append(key)
    counts: dict[str, int] = {}
    for t in titles:
        counts[t] = counts.get(t, 0) + 1
    return [
        f"{kind} {t}" if counts[t] > 1 else t
        for (kind, _, _), t in zip(columns, titles, strict=True)
    ]


def _name(run: dict) -> str:
    """What the Runs table shows as a run's name (``runTitle`` in ``src/format.ts``)."""
    if run.get("description"):
        return run["description"]
    file = run.get("notebook") or run.get("workload_file")
    if file:
        return f"{posixpath.basename(file)} · {run['id'][:8]}"
    return f"Run {run['id'][:8]}"


def _text(value) -> str:
    """A stored value as CSV text: numbers in full, non-finite floats by name."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, dict) and isinstance(value.get("$float"), str):
        return value["$float"]
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it: a formula is quoted."""
    if text.startswith(_FORMULA) and not _is_number(text):
        return "'" + text
    return text


def cell(run: dict, column) -> str:
    """One run's value in one column."""
    kind, key, stat = column
    if kind == "field":
        if key == "name":
            value = _name(run)
        elif key == "notebook":
            value = run.get("notebook") or run.get("workload_file")
        else:
            value = run.get(key)
    elif kind == "param":
        value = (run.get("parameters") or {}).get(key)
    elif kind == "label":
        value = (run.get("labels") or {}).get(key)
    else:
        field = {"last": "metrics", "min": "metric_min", "max": "metric_max"}[stat]
        value = (run.get(field) or {}).get(key)
    return safe(_text(value))


def _csv(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def heading_line(columns) -> str:
    """The CSV's first line: ``run_id``, then each column's heading."""
    return _csv([["run_id", *headings(columns)]])


def run_lines(columns, runs: Iterable[dict]) -> str:
    """A CSV line per run: its id, then its value in each column."""
    return _csv([run["id"], *(cell(run, c) for c in columns)] for run in runs)
