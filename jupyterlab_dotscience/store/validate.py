"""Validation and normalisation of run records (wire format v2) before they are stored.

Every error is a ``ValueError`` whose message names the offending field, e.g.
``run record: inputs[2].sha256: expected 64 lowercase hex digits, got 'xyz'``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import operator
import re
import uuid
from datetime import datetime, timezone

# the one timestamp and numeric-value helpers, shared with the kernel library (stdlib only)
from dotscience.timestamps import iso, now  # noqa: F401 - the store's clock
from dotscience.values import NON_FINITE, non_finite, numeric  # noqa: F401 - sort keys

SCHEMA = "dotscience.run/2"
MODES = (None, "interactive", "script")
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
MAX_KEY = 250  # parameter, metric and label names
MAX_EXECUTIONS = 100_000  # executions in one run record
MAX_SOURCES_BYTES = 20 * 2**20  # UTF-8 bytes of all the source texts of one run record
MAX_ERROR = 10_000  # characters of an execution's error
ORIGINS = ("cell", "sidebar", "setting")
PUBLISHED_FROM = (None, "cell", "sidebar", "script")
VERDICTS = ("identical", "within_tolerance", "differs", "failed", "not_reproducible")


class RecordError(ValueError):
    """A run record (or part of one) is malformed; the message names the field."""


def _fail(field: str, message: str):
    raise RecordError(f"run record: {field}: {message}")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_uuid(value, field: str = "id") -> str:
    """Return the canonical lowercase form of a uuid string, or raise RecordError."""
    if not isinstance(value, str):
        _fail(field, f"expected a uuid string, got {type(value).__name__}")
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        _fail(field, f"not a uuid: {_short(value)}")
    if str(parsed) != value.lower():
        _fail(field, f"not a canonical uuid (8-4-4-4-12 hex digits): {_short(value)}")
    return str(parsed)


def check_sha256(value, field: str, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not _HEX64.match(value):
        _fail(field, f"expected 64 lowercase hex digits, got {_short(value)}")
    return value


_CANONICAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\Z")


@functools.lru_cache(maxsize=1024)
def _real_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def check_time(value, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and _CANONICAL_TIME.match(value):
        # already in canonical form (the usual case): check it is a real date and time
        if _real_date(value[:10]) and value[11:13] < "24" and value[14:16] < "60":
            if value[17:19] < "60":
                return value
        _fail(field, f"not an ISO 8601 timestamp: {_short(value)}")
    if not isinstance(value, str):
        _fail(field, f"expected an ISO 8601 timestamp string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        _fail(field, f"not an ISO 8601 timestamp: {_short(value)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # naive timestamps are UTC
    try:
        return iso(parsed)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        _fail(field, f"out of the range of times (years 1 to 9999 in UTC): {_short(value)}")


def _str(value, field: str, nullable: bool = True, max_len: int | None = None) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        _fail(
            field, f"expected a string{' or null' if nullable else ''}, got {type(value).__name__}"
        )
    if "\x00" in value:
        _fail(field, "contains a NUL character")
    if max_len is not None and len(value) > max_len:
        _fail(field, f"longer than {max_len} characters")
    return value


def _bool(value, field: str, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        _fail(field, f"expected true or false, got {_short(value)}")
    return value


def _int(value, field: str, nullable: bool = True, minimum: int | None = None) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(field, f"expected an integer, got {_short(value)}")
    if minimum is not None and value < minimum:
        _fail(field, f"must be >= {minimum}, got {value}")
    if abs(value) >= 2**63:
        _fail(field, "integer out of range")
    return value


def _dict(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        _fail(field, f"expected an object, got {type(value).__name__}")
    return value


def _list(value, field: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        _fail(field, f"expected an array, got {type(value).__name__}")
    return value


def _key(key, field: str) -> str:
    if not isinstance(key, str) or not key:
        _fail(field, f"keys must be non-empty strings, got {_short(key)}")
    if len(key) > MAX_KEY or "\x00" in key:
        _fail(f"{field}[{key[:40]!r}]", f"key longer than {MAX_KEY} characters or contains NUL")
    return key


def check_value(value, field: str):
    """A typed value V: string, number, boolean, null or ``{"$float": "nan"|"inf"|"-inf"}``."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else non_finite(value)
    if isinstance(value, dict) and set(value) == {"$float"} and _is_float_tag(value["$float"]):
        return dict(value)
    _fail(
        field, f"expected a string, number, boolean, null or {{'$float': ...}}, got {_short(value)}"
    )


def _is_float_tag(tag) -> bool:
    return isinstance(tag, str) and tag in NON_FINITE


def value_text(value) -> str:
    """``str(v)`` as the v1 block prints it, for records that left out ``text``."""
    if isinstance(value, dict):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}[value["$float"]]
    return str(value)


def dump(value) -> str:
    """Canonical JSON text (stored for typed values and JSON columns)."""
    kind = type(value)
    if kind is float:  # finite here: non-finite floats became {"$float": ...}
        return repr(value)
    if kind is int:
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _typed(entry, field: str) -> dict:
    if not isinstance(entry, dict) or "value" not in entry:
        _fail(field, f"expected an object with 'value' and 'text', got {_short(entry)}")
    value = check_value(entry["value"], f"{field}.value")
    text = entry.get("text")
    text = _str(value_text(value) if text is None else text, f"{field}.text", nullable=False)
    return {"value": value, "text": text}


_PLAIN = (str, bool, int, float, type(None))


def _points(series, field: str) -> list[dict]:
    """A metric series, checked; long series are checked column by column (see
    :func:`_plain_points`), and point by point only when something in them is not plain,
    which also finds the first bad point for the message."""
    items = _list(series, field)
    points = _plain_points(items)
    return points if points is not None else _points_one_by_one(items, field)


#: A canonical timestamp (a real hour, minute and second; the date is checked apart)
_STRICT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z\Z")
#: Canonical timestamps, each followed by a newline
_STRICT_TIMES = re.compile(r"(?:\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z\n)*")
_NONE = type(None)
_PLAIN_KINDS = frozenset(_PLAIN)
_LIMIT = 2**63
_date_of = operator.itemgetter(slice(0, 10))


class _Absent:
    """The type of :data:`_ABSENT`, a key missing from a point."""


_ABSENT = _Absent()


def _absent_as_none(column: list) -> tuple[list, set, bool]:
    """A column of points' values with each :data:`_ABSENT` entry as None, the types of its
    entries then (an absent one's is None's), and whether any entry was absent."""
    kinds = set(map(type, column))
    if _Absent not in kinds:
        return column, kinds, False
    return [None if x is _ABSENT else x for x in column], (kinds - {_Absent}) | {_NONE}, True


def _plain_points(items: list) -> list[dict] | None:
    """The points of a series whose every point is plain (the usual case), checked a column
    at a time at C speed: a ``value`` that is a string, finite number, boolean or null; a
    ``text`` that is a string without NUL (or missing: ``str(value)``); a ``step`` that is a
    64-bit integer or null; a ``time`` that is a canonical timestamp of a real date or null.

    Returns
    -------
    list or None
        The canonical points, or None when any point is not like that (then
        :func:`_points_one_by_one` checks them and names the first bad one).
    """
    if not items:
        return []
    if set(map(type, items)) != {dict}:
        return None
    try:
        values = [p["value"] for p in items]
    except KeyError:
        return None
    texts = [p.get("text") for p in items]
    steps = [p.get("step", _ABSENT) for p in items]
    times = [p.get("time", _ABSENT) for p in items]
    # the points as the kernel library sends them (the four keys, each text given) are kept
    whole = set(map(len, items)) == {4}
    kinds = set(map(type, values))
    if not kinds <= _PLAIN_KINDS:
        return None  # a non-finite float's {"$float": ...}, or something else
    if float in kinds:
        floats = values if kinds == {float} else [v for v in values if type(v) is float]
        if not all(map(math.isfinite, floats)):
            return None
    kinds = set(map(type, texts))
    if kinds == {_NONE}:
        whole, texts = False, list(map(str, values))  # value_text: str() of a plain value
    elif kinds == {str, _NONE}:
        whole = False
        texts = [str(v) if t is None else t for v, t in zip(values, texts, strict=True)]
    elif kinds != {str}:
        return None
    if "\x00" in "".join(texts):
        return None
    steps, kinds, absent = _absent_as_none(steps)
    whole = whole and not absent
    if not kinds <= {int, _NONE}:
        return None
    if int in kinds:
        ints = steps if kinds == {int} else [n for n in steps if n is not None]
        if min(ints) <= -_LIMIT or max(ints) >= _LIMIT:
            return None
    times, kinds, absent = _absent_as_none(times)
    whole = whole and not absent
    if not kinds <= {str, _NONE}:
        return None
    if str in kinds:
        stamps = times if kinds == {str} else [t for t in times if t is not None]
        joined = "\n".join(stamps) + "\n"
        # one line per timestamp (a newline inside one would make two lines)
        if joined.count("\n") != len(stamps) or not _STRICT_TIMES.fullmatch(joined):
            return None
        if not all(map(_real_date, set(map(_date_of, stamps)))):
            return None
    if whole:  # exactly value, text, step and time, all checked: already canonical
        return items
    return [
        {"value": v, "text": t, "step": n, "time": w}
        for v, t, n, w in zip(values, texts, steps, times, strict=True)
    ]


def _points_one_by_one(items: list, field: str) -> list[dict]:
    """A metric series checked point by point (the first bad point raises)."""
    points = []
    strict_time = _STRICT_TIME.match
    for i, point in enumerate(items):
        if type(point) is not dict or "value" not in point:
            _typed(point, f"{field}[{i}]")  # raises with the usual message
        value, text, step, when = (point["value"], point.get("text"), point.get("step"),
                                   point.get("time"))  # fmt: skip
        kind = type(value)
        if kind not in _PLAIN or kind is float and not math.isfinite(value):
            value = check_value(value, f"{field}[{i}].value")
        if type(text) is not str or "\x00" in text:
            text = _typed(point, f"{field}[{i}]")["text"]
        if step is not None and (type(step) is not int or abs(step) >= 2**63):
            _int(step, f"{field}[{i}].step")
        if when is not None and not (
            type(when) is str and strict_time(when) and _real_date(when[:10])
        ):
            when = check_time(when, f"{field}[{i}].time")
        points.append({"value": value, "text": text, "step": step, "time": when})
    return points


def _files(value, field: str) -> list[dict]:
    seen: dict[str, dict] = {}
    for i, item in enumerate(_list(value, field)):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            _fail(where, f"expected an object, got {type(item).__name__}")
        path = _str(item.get("path"), f"{where}.path", nullable=False)
        if not path:
            _fail(f"{where}.path", "must not be empty")
        seen[path] = {  # a path listed twice keeps its last entry
            "path": path,
            "sha256": check_sha256(item.get("sha256"), f"{where}.sha256"),
            "size": _int(item.get("size"), f"{where}.size", minimum=0),
            "outside": _bool(item.get("outside"), f"{where}.outside"),
            "missing": _bool(item.get("missing"), f"{where}.missing"),
        }
    return list(seen.values())


def check_cells(value, field: str = "cells") -> list[dict]:
    cells = []
    for i, item in enumerate(_list(value, field)):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            _fail(where, f"expected an object, got {type(item).__name__}")
        success = item.get("success")
        if success is not None and not isinstance(success, bool):
            _fail(f"{where}.success", f"expected true, false or null, got {_short(success)}")
        cells.append(
            {
                "cell_id": _str(item.get("cell_id"), f"{where}.cell_id", max_len=200),
                "index": _int(item.get("index"), f"{where}.index"),
                "execution_count": _int(item.get("execution_count"), f"{where}.execution_count"),
                "source_sha256": check_sha256(item.get("source_sha256"), f"{where}.source_sha256"),
                "start": check_time(item.get("start"), f"{where}.start"),
                "end": check_time(item.get("end"), f"{where}.end"),
                "success": success,
            }
        )
    return cells


def _sources(value) -> dict[str, str]:
    """``{sha256: text}``: every text must hash to its key; the total is capped."""
    sources = _dict(value, "sources")
    if len(sources) > MAX_EXECUTIONS + 1:  # one per execution, and a git patch
        _fail("sources", f"more than {MAX_EXECUTIONS + 1} sources")
    total = 0
    checked = {}
    for sha, text in sources.items():
        where = f"sources[{_short(sha)}]"
        if not isinstance(sha, str) or not _HEX64.match(sha):
            _fail("sources", f"keys must be 64 lowercase hex digits, got {_short(sha)}")
        if not isinstance(text, str):
            _fail(where, f"expected the source text, got {type(text).__name__}")
        if "\x00" in text:
            _fail(where, "contains a NUL character")
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            _fail(where, "is not valid Unicode text (a lone surrogate)")
        total += len(data)
        if total > MAX_SOURCES_BYTES:
            _fail("sources", f"more than {MAX_SOURCES_BYTES // 2**20} MiB of source text")
        if hashlib.sha256(data).hexdigest() != sha:
            _fail(where, "the text does not hash to its sha256")
        checked[sha] = text
    return checked


def _executions(value, sources: dict[str, str]) -> list[dict]:
    items = _list(value, "executions")
    if len(items) > MAX_EXECUTIONS:
        _fail("executions", f"more than {MAX_EXECUTIONS} executions")
    executions = []
    previous = -1
    for i, item in enumerate(items):
        where = f"executions[{i}]"
        if not isinstance(item, dict):
            _fail(where, f"expected an object, got {type(item).__name__}")
        seq = _int(item.get("seq", i), f"{where}.seq", nullable=False, minimum=0)
        if seq <= previous:
            _fail(f"{where}.seq", f"must increase (after {previous}), got {seq}")
        previous = seq
        sha = check_sha256(item.get("source_sha256"), f"{where}.source_sha256", nullable=False)
        if sha not in sources:
            _fail(f"{where}.source_sha256", f"{sha} is not in sources")
        success = item.get("success")
        if success is not None and not isinstance(success, bool):
            _fail(f"{where}.success", f"expected true, false or null, got {_short(success)}")
        origin = item.get("origin", "cell")
        if origin is None:
            origin = "cell"
        if origin not in ORIGINS:
            _fail(
                f"{where}.origin", f"expected 'cell', 'sidebar' or 'setting', got {_short(origin)}"
            )
        session = item.get("session")
        executions.append(
            {
                "seq": seq,
                "cell_id": _str(item.get("cell_id"), f"{where}.cell_id", max_len=200),
                "execution_count": _int(item.get("execution_count"), f"{where}.execution_count"),
                "source_sha256": sha,
                "start": check_time(item.get("start"), f"{where}.start"),
                "end": check_time(item.get("end"), f"{where}.end"),
                "success": success,
                "error": _str(item.get("error"), f"{where}.error", max_len=MAX_ERROR),
                "in_run": _bool(item.get("in_run"), f"{where}.in_run"),
                "origin": origin,
                "session": None if session is None else check_uuid(session, f"{where}.session"),
            }
        )
    return executions


def _relative_dir(value, field: str) -> str:
    """A root-relative directory: ``''`` for the root, no absolute path, no ``..``."""
    text = _str(value, field, max_len=4096) or ""
    parts = text.replace("\\", "/").split("/")
    if text.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts:
        _fail(field, f"expected a path relative to the workspace root, got {_short(text)}")
    return "/".join(p for p in parts if p not in ("", "."))


def _kernel(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        _fail("kernel", f"expected an object or null, got {type(value).__name__}")
    session = value.get("session")
    return {
        "session": None if session is None else check_uuid(session, "kernel.session"),
        "started": check_time(value.get("started"), "kernel.started"),
        "name": _str(value.get("name"), "kernel.name", max_len=200),
        # None: the kernel's working directory was outside the workspace
        "cwd": None if value.get("cwd") is None else _relative_dir(value["cwd"], "kernel.cwd"),
    }


_HEX_COMMIT = re.compile(r"[0-9a-f]{7,64}\Z")


def _git(value, field: str, sources: dict[str, str]) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        _fail(field, f"expected an object or null, got {type(value).__name__}")
    commit = value.get("commit")
    if commit is not None and not (isinstance(commit, str) and _HEX_COMMIT.match(commit)):
        _fail(f"{field}.commit", f"expected a hex commit id or null, got {_short(commit)}")
    patch = check_sha256(value.get("patch_sha256"), f"{field}.patch_sha256")
    if patch is not None and patch not in sources:
        _fail(f"{field}.patch_sha256", f"{patch} is not in sources")
    return {
        "commit": commit,
        "dirty": _bool(value.get("dirty"), f"{field}.dirty"),
        "branch": _str(value.get("branch"), f"{field}.branch", max_len=1000),
        "patch_sha256": patch,
        # why a script run's uncommitted changes have no patch (e.g. no commit yet)
        "patch_error": _str(value.get("patch_error"), f"{field}.patch_error", max_len=2000),
    }


WARNING_KINDS = (
    "out_of_order", "source_changed", "cell_deleted", "cell_failed", "kernel_restarted",
)  # fmt: skip
MAX_WARNINGS = 10_000


def check_warnings(value) -> list[dict]:
    """A run's hidden-state warnings: ``[{kind, cell_id, execution_count, message}]``."""
    items = _list(value, "warnings")
    if len(items) > MAX_WARNINGS:
        _fail("warnings", f"more than {MAX_WARNINGS} warnings")
    warnings = []
    for i, item in enumerate(items):
        where = f"warnings[{i}]"
        if not isinstance(item, dict):
            _fail(where, f"expected an object, got {type(item).__name__}")
        if item.get("kind") not in WARNING_KINDS:
            _fail(f"{where}.kind", f"expected one of {', '.join(WARNING_KINDS)}")
        warnings.append(
            {
                "kind": item["kind"],
                "cell_id": _str(item.get("cell_id"), f"{where}.cell_id", max_len=200),
                "execution_count": _int(item.get("execution_count"), f"{where}.execution_count"),
                "message": _str(item.get("message"), f"{where}.message", nullable=False),
            }
        )
    return warnings


REPRODUCTION_STATES = ("queued", "running", "done", "cancelled")


def check_reproduction(value: dict, new: bool) -> dict:
    """The fields of a reproduction (all of them when ``new``), checked; unknown keys fail."""
    known = {
        "id", "run_id", "state", "cell", "cells", "verdict", "result", "replay_run_id",
        "requested_by", "tolerance", "created", "finished",
    }  # fmt: skip
    if not isinstance(value, dict):
        _fail("reproduction", f"expected an object, got {type(value).__name__}")
    unknown = set(value) - known
    if unknown:
        raise RecordError(f"reproduction: unknown field {sorted(unknown)[0]!r}")
    if not new and {"id", "run_id", "requested_by", "created"} & set(value):
        raise RecordError("reproduction: id, run_id, requested_by and created never change")
    out: dict = {}
    for key, item in value.items():
        field = f"reproduction.{key}"
        if key in ("id", "run_id"):
            out[key] = check_uuid(item, field)
        elif key == "replay_run_id":
            out[key] = None if item is None else check_uuid(item, field)
        elif key == "state":
            if item not in REPRODUCTION_STATES:
                raise RecordError(f"{field}: expected one of {', '.join(REPRODUCTION_STATES)}")
            out[key] = item
        elif key in ("cell", "cells"):
            out[key] = _int(item, field, nullable=False, minimum=0)
        elif key == "verdict":
            if item is not None and item not in VERDICTS:
                raise RecordError(f"{field}: expected one of {', '.join(VERDICTS)} or null")
            out[key] = item
        elif key == "result":
            if not isinstance(item, dict):
                raise RecordError(f"{field}: expected an object")
            out[key] = item
        elif key == "requested_by":
            out[key] = _str(item, field, nullable=False, max_len=1000)
        elif key == "tolerance":
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise RecordError(f"{field}: expected a number >= 0")
            if not math.isfinite(item) or item < 0:
                raise RecordError(f"{field}: expected a finite number >= 0")
            out[key] = float(item)
        else:  # created, finished
            out[key] = check_time(item, field)
    if new:
        for key in ("id", "run_id", "requested_by"):
            if key not in out:
                raise RecordError(f"reproduction: {key} is required")
        out.setdefault("state", "queued")
        out.setdefault("cell", 0)
        out.setdefault("cells", 0)
        out.setdefault("tolerance", 0.0)
        out.setdefault("result", {})
    return out


def _models(value) -> list[dict]:
    models = []
    for i, item in enumerate(_list(value, "models")):
        where = f"models[{i}]"
        if not isinstance(item, dict):
            _fail(where, f"expected an object, got {type(item).__name__}")
        name = _str(item.get("name"), f"{where}.name", nullable=False, max_len=MAX_KEY)
        if not name:
            _fail(f"{where}.name", "must not be empty")
        models.append(
            {
                "name": name,
                "framework": _str(item.get("framework"), f"{where}.framework"),
                "framework_version": _str(
                    item.get("framework_version"), f"{where}.framework_version"
                ),
                "path": _str(item.get("path"), f"{where}.path"),
                "classes": _str(item.get("classes"), f"{where}.classes"),
                "files": _files(item.get("files"), f"{where}.files"),
            }
        )
    return models


class NormalizedRecord(dict):
    """A record in canonical form, as :func:`normalize_record` returns it: handing it to
    :func:`normalize_record` again (``Store.put_run`` does) returns it as it is."""


def normalize_record(record) -> dict:
    """Check a v2 run record and return it in canonical form (every key present).

    A :class:`NormalizedRecord` (what this returns) is returned as it is, not checked again.

    Raises
    ------
    RecordError
        (a ``ValueError``) naming the first malformed field.
    """
    if type(record) is NormalizedRecord:
        return record
    if not isinstance(record, dict):
        _fail("(record)", f"expected a JSON object, got {type(record).__name__}")
    schema = record.get("schema", SCHEMA)
    if schema != SCHEMA:
        _fail("schema", f"expected {SCHEMA!r}, got {_short(schema)}")
    mode = record.get("mode")
    if mode not in MODES:
        _fail("mode", f"expected 'interactive', 'script' or null, got {_short(mode)}")
    project = record.get("project")
    project = "default" if project is None else _str(project, "project", max_len=200)
    if not project.strip():
        _fail("project", "must not be blank")
    argv = _list(record.get("argv"), "argv")
    for i, arg in enumerate(argv):
        _str(arg, f"argv[{i}]", nullable=False)
    environment = record.get("environment")
    if environment is not None and not isinstance(environment, dict):
        _fail("environment", f"expected an object or null, got {type(environment).__name__}")
    sources = _sources(record.get("sources"))
    executions = _executions(record.get("executions"), sources)
    git = _git(record.get("git"), "git", sources)
    referenced = {e["source_sha256"] for e in executions}
    if git is not None:
        referenced.add(git["patch_sha256"])
    env_git = (environment or {}).get("git")
    if isinstance(env_git, dict) and env_git.get("patch_sha256") is not None:
        patch = check_sha256(env_git["patch_sha256"], "environment.git.patch_sha256")
        if patch not in sources:
            _fail("environment.git.patch_sha256", f"{patch} is not in sources")
        referenced.add(patch)
    for sha in sources:
        if sha not in referenced:
            _fail(f"sources[{sha[:12]}...]", "not used by any execution or git patch")
    published_from = record.get("published_from")
    if published_from not in PUBLISHED_FROM:
        _fail(
            "published_from",
            f"expected 'cell', 'sidebar', 'script' or null, got {_short(published_from)}",
        )
    reproduces = record.get("reproduces")

    parameters = {
        _key(k, "parameters"): _typed(v, f"parameters[{k!r}]")
        for k, v in _dict(record.get("parameters"), "parameters").items()
    }
    labels = {}
    for k, v in _dict(record.get("labels"), "labels").items():
        labels[_key(k, "labels")] = _str(v, f"labels[{k!r}]", nullable=False)
    metrics = {}
    for k, series in _dict(record.get("metrics"), "metrics").items():
        points = _points(series, f"metrics[{k!r}]")
        if points:  # a metric without a value is not stored
            metrics[_key(k, "metrics")] = points

    return NormalizedRecord(
        {
            "schema": SCHEMA,
            "id": check_uuid(record.get("id")),
            "project": project,
            "description": _str(record.get("description"), "description"),
            "error": _str(record.get("error"), "error"),
            "mode": mode,
            "workload_file": _str(record.get("workload_file"), "workload_file"),
            "notebook": _str(record.get("notebook"), "notebook"),
            "argv": argv,
            "start": check_time(record.get("start"), "start"),
            "end": check_time(record.get("end"), "end"),
            "published": check_time(record.get("published"), "published"),
            "inputs": _files(record.get("inputs"), "inputs"),
            "outputs": _files(record.get("outputs"), "outputs"),
            "parameters": parameters,
            "labels": labels,
            "metrics": metrics,
            "models": _models(record.get("models")),
            "environment": environment,
            "cells": check_cells(record.get("cells")),
            "executions": executions,
            "sources": sources,
            "kernel": _kernel(record.get("kernel")),
            "published_from": published_from,
            "reproduces": None if reproduces is None else check_uuid(reproduces, "reproduces"),
            "git": git,
            "kernel_id": _str(record.get("kernel_id"), "kernel_id"),
            "build": _bool(record.get("build"), "build"),
            "deploy": _bool(record.get("deploy"), "deploy"),
        }
    )
