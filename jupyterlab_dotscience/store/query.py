"""SQL for listing runs: filters, sort specifications and keyset (cursor) pagination.

A listing runs in two phases so every page is served from an index: phase 1 walks the runs
that have a sort value in index order, phase 2 the runs without one (by id). A cursor is
``(phase, sort value, tie-breaker)`` of the last run on the page, base64-encoded (the
tie-breaker is the run id, or the run's row number when sorting by a metric or parameter).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass

from .interface import OPS
from .validate import VERDICTS, check_time

COLUMNS = {
    "received": "received",
    "start": "start_time",
    "end": "end_time",
    "project": "project",
    "author": "author",
    "notebook": "notebook",
    "description": "description",
    "status": "status",
}


#: The times a listing filters by (``times``: inclusive bounds, canonical ISO 8601 UTC).
TIMES = ("received", "start", "end")


#: The statistics of a metric series a listing sorts and filters by: its last value, its
#: smallest and its largest number (``metric_last`` columns: the number, and the value as
#: logged).
STATS = {"last": "num", "min": "min_num", "max": "max_num"}


@dataclass(frozen=True)
class Sort:
    kind: str  # "column" | "metric" | "param"
    name: str  # column name or metric/parameter key
    desc: bool
    stat: str = "last"  # of a metric: "last", "min" or "max"


def check_stat(stat, where: str) -> str:
    """A metric statistic's name, checked (ValueError naming ``where`` otherwise)."""
    if not isinstance(stat, str) or stat not in STATS:
        raise ValueError(f"{where}: unknown aggregate {stat!r} (one of {', '.join(STATS)})")
    return stat


def parse_sort(sort: str) -> Sort:
    if not isinstance(sort, str) or not sort:
        raise ValueError(f"sort: expected a string such as '-received', got {sort!r}")
    desc = sort.startswith("-")
    name = sort[1:] if desc else sort
    if name.startswith("metric.") and ":" in name:  # metric.<aggregate>:<key>
        head, _, key = name.partition(":")
        stat = head[len("metric.") :]
        if stat not in STATS:
            raise ValueError(
                f"sort: unknown aggregate {stat!r} in {sort!r} (one of {', '.join(STATS)})"
            )
        if not key:
            raise ValueError(f"sort: metric name missing in {sort!r}")
        return Sort("metric", key, desc, stat)
    for kind in ("metric", "param"):
        if name.startswith(kind + ":"):
            key = name[len(kind) + 1 :]
            if not key:
                raise ValueError(f"sort: {kind} name missing in {sort!r}")
            return Sort(kind, key, desc)
    if name not in COLUMNS:
        known = ", ".join(
            [*COLUMNS, "metric:<key>", "metric.min:<key>", "metric.max:<key>", "param:<key>"]
        )
        raise ValueError(f"sort: unknown sort {sort!r} (one of {known}, '-' for descending)")
    return Sort("column", COLUMNS[name], desc)


def encode_cursor(sort: str, phase: int, value, run_id: str) -> str:
    payload = json.dumps({"s": sort, "p": phase, "v": value, "i": run_id}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> dict:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, dict) or data.get("p") not in (1, 2):
            raise ValueError
        if isinstance(data.get("i"), bool) or not isinstance(data.get("i"), str | int):
            raise ValueError
        value = data.get("v")
        if data["p"] == 1 and not isinstance(value, str | int | float):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, AttributeError):
        raise ValueError("cursor: not a cursor returned by list_runs") from None
    if data.get("s") != sort:
        raise ValueError("cursor: it belongs to a listing with another sort order")
    return data


_RUNS_COLUMN = re.compile(r"\br\.")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _param_condition(key: str, spec) -> tuple[str, list]:
    op, value = spec if isinstance(spec, tuple | list) else ("=", spec)
    if op == "==":
        op = "="
    if op not in OPS:
        raise ValueError(f"params[{key!r}]: unknown operator {op!r} (one of {', '.join(OPS)})")
    if isinstance(value, bool) or value is None:
        if op not in ("=", "!="):
            raise ValueError(f"params[{key!r}]: {op} needs a number or a string")
        return f"p.value {op} ?", [json.dumps(value)]
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            raise ValueError(f"params[{key!r}]: cannot compare with NaN")
        return f"p.num {op} ?", [float(value)]
    if isinstance(value, str):
        return f"p.text {op} ?", [value]
    raise ValueError(f"params[{key!r}]: expected a number, string, boolean or null")


def filters(
    ilike: str,
    project=None,
    projects=None,
    notebook=None,
    labels=None,
    params=None,
    metrics=None,
    status=None,
    text=None,
    author=None,
    verdict=None,
    warnings=None,
    times=None,
    name=None,
) -> tuple[list[str], list]:
    """WHERE clauses (over ``runs r``) and their arguments."""
    where: list[str] = []
    args: list = []
    for item in times or ():
        if not isinstance(item, tuple | list) or len(item) != 3 or item[0] not in TIMES:
            raise ValueError(
                f"times: expected (field, from, to) with field one of {', '.join(TIMES)},"
                f" got {item!r}"
            )
        field, *bounds = item
        for bound, op in zip(bounds, (">=", "<="), strict=True):
            if bound is None:
                continue
            try:
                args.append(check_time(bound, field))
            except ValueError:
                raise ValueError(
                    f"{field}: {str(bound)[:40]!r} is not an ISO 8601 time such as"
                    " 2026-11-30T08:00:00Z"
                ) from None
            where.append(f"r.{COLUMNS[field]} {op} ?")
    if verdict is not None:
        if verdict == "none":
            where.append("r.verdict IS NULL")
        elif verdict in VERDICTS:
            where.append("r.verdict = ?")
            args.append(verdict)
        else:
            raise ValueError(f"verdict: expected one of {', '.join(VERDICTS)} or none")
    if warnings is not None:
        if not isinstance(warnings, bool):
            raise ValueError("warnings: expected true or false")
        where.append("r.warnings <> '[]'" if warnings else "r.warnings = '[]'")
    if project is not None:
        where.append("r.project = ?")
        args.append(project)
    if projects is not None:  # the projects a team member may see (issue 15)
        names = sorted({p for p in projects if isinstance(p, str)})
        where.append(f"r.project IN ({', '.join('?' * len(names))})" if names else "1 = 0")
        args += names
    if author is not None:
        where.append("r.author = ?")
        args.append(author)
    if notebook is not None:
        where.append("(r.notebook = ? OR r.workload_file = ?)")
        args += [notebook, notebook]
    if status is not None:
        if status not in ("succeeded", "failed"):
            raise ValueError(f"status: expected 'succeeded' or 'failed', got {status!r}")
        where.append("r.status = ?")
        args.append(status)
    for key, value in (labels or {}).items():
        if not isinstance(value, str):
            raise ValueError(f"labels[{key!r}]: expected a string")
        where.append(
            "EXISTS (SELECT 1 FROM labels l WHERE l.run = @run AND l.key = ? AND l.value = ?)"
        )
        args += [key, value]
    for key, spec in (params or {}).items():
        condition, values = _param_condition(key, spec)
        where.append(
            f"EXISTS (SELECT 1 FROM params p WHERE p.run = @run AND p.key = ? AND {condition})"
        )
        args += [key, *values]
    for item in metrics or ():
        if not isinstance(item, tuple | list) or len(item) not in (3, 4):
            raise ValueError(
                f"metrics: expected (key, min, max) or (key, min, max, aggregate), got {item!r}"
            )
        key, low, high = item[:3]
        column = STATS[check_stat(item[3] if len(item) == 4 else "last", f"metrics[{key!r}]")]
        clause = "EXISTS (SELECT 1 FROM metric_last m WHERE m.run = @run AND m.key = ?"
        args.append(key)
        for bound, op in ((low, ">="), (high, "<=")):
            if bound is None:
                continue
            if isinstance(bound, bool) or not isinstance(bound, int | float):
                raise ValueError(f"metrics[{key!r}]: bounds must be numbers or None")
            if math.isnan(bound):
                raise ValueError(f"metrics[{key!r}]: a bound cannot be NaN")
            clause += f" AND m.{column} {op} ?"
            args.append(float(bound))
        where.append(clause + f" AND m.{column} IS NOT NULL)")
    if name:
        if not isinstance(name, str):
            raise ValueError("name: expected a string")
        like = f"{ilike} ? ESCAPE '\\'"
        # what the run lists show as its name: its description, else its notebook or
        # script (and short id); an id is matched from its start
        where.append(
            f"(r.description {like} OR (COALESCE(r.description, '') = ''"
            f" AND (r.notebook {like} OR r.workload_file {like})) OR r.id LIKE ? ESCAPE '\\')"
        )
        args += [_like(name)] * 3 + [_like(name.strip().lower())[1:]]
    if text:
        if not isinstance(text, str):
            raise ValueError("text: expected a string")
        pattern = _like(text)
        like = f"{ilike} ? ESCAPE '\\'"
        where.append(
            f"(r.description {like} OR r.notebook {like} OR r.workload_file {like}"
            f" OR EXISTS (SELECT 1 FROM labels l WHERE l.run = @run"
            f" AND (l.key {like} OR l.value {like}))"
            f" OR EXISTS (SELECT 1 FROM params p WHERE p.run = @run"
            f" AND (p.key {like} OR p.text {like})))"
        )
        args += [pattern] * 7
    return where, args


def phase_sql(
    spec: Sort, phase: int, where: list[str], args: list, after: dict | None, limit: int
) -> tuple[str, list]:
    """The SELECT of ``(run row number, sort value, tie-breaker)`` for one listing phase."""
    direction = "DESC" if spec.desc else "ASC"
    cmp = "<" if spec.desc else ">"
    ref = "r.seq"
    lead, lead_args, keyset, keyset_args = [], [], [], []
    table = "metric_last" if spec.kind == "metric" else "params"
    num = f"s.{STATS[spec.stat]}" if spec.kind == "metric" else "s.num"
    if phase == 1:
        if spec.kind == "column":
            value, tie = f"r.{spec.name}", "r.id"
            sql = f"SELECT r.seq, {value}, r.id FROM runs r"
            lead.append(f"{value} IS NOT NULL")
        else:
            value, tie = num, "s.run"  # ties broken by the run's row number
            ref = "s.run"
            sql = f"SELECT s.run, {num}, s.run FROM {table} s"
            if any(_RUNS_COLUMN.search(c) for c in where):  # else runs is not needed
                sql += " JOIN runs r ON r.seq = s.run"
            lead.append(f"s.key = ? AND {num} IS NOT NULL")
            lead_args.append(spec.name)
        if after is not None:
            keyset.append(f"({value}, {tie}) {cmp} (?, ?)")
            keyset_args += [after["v"], after["i"]]
        order = f"{value} {direction}, {tie} {direction}"
    else:
        sql = "SELECT r.seq, NULL, r.id FROM runs r"
        if spec.kind == "column":
            lead.append(f"r.{spec.name} IS NULL")
        else:
            lead.append(
                f"NOT EXISTS (SELECT 1 FROM {table} s WHERE s.run = r.seq AND s.key = ?"
                f" AND {num} IS NOT NULL)"
            )
            lead_args.append(spec.name)
        if after is not None:
            keyset.append(f"r.id {cmp} ?")
            keyset_args.append(after["i"])
        order = f"r.id {direction}"
    clauses = lead + [c.replace("@run", ref) for c in where] + keyset
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f" ORDER BY {order} LIMIT ?"
    return sql, [*lead_args, *args, *keyset_args, limit]
