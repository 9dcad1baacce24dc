"""The legacy in-band run block (run metadata version 1), byte-compatible with dotscience 0.8.7.

This module is a stable API: the server extension imports it to read legacy blocks.

- :func:`format_block` writes a block exactly as 0.8.7 printed it.
- :func:`find_blocks` finds blocks in arbitrary text (cell output, logs).
- :func:`record_from_v1` turns a v1 block into a v2 run record.
- :func:`v1_from_record` turns a v2 run record back into the v1 dict.
"""

from __future__ import annotations

import datetime as _dt
import json
import re

from .timestamps import iso, parse_iso

__all__ = [
    "V1_TIME_FORMAT",
    "find_blocks",
    "format_block",
    "searchable_text",
    "format_v1_time",
    "parse_v1_time",
    "record_from_v1",
    "v1_from_record",
]

#: Timestamp format of the v1 ``start``/``end`` keys (naive UTC).
V1_TIME_FORMAT = "%Y%m%dT%H%M%S.%f"

#: What a block looks like (documentation; :func:`find_blocks` scans for the markers itself,
#: in linear time: this pattern's backtracking is cubic on hostile text).
BLOCK_RE = re.compile(r"\[\[DOTSCIENCE-RUN:(.+?)\]\](.*?)\[\[/DOTSCIENCE-RUN:\1\]\]", re.DOTALL)
_OPEN, _CLOSE, _END = "[[DOTSCIENCE-RUN:", "[[/DOTSCIENCE-RUN:", "]]"
#: Longest run id :func:`find_blocks` recognises (real ids are 36-character uuids).
MAX_ID = 256
_V1_TIME_RE = re.compile(r"^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(?:\.(\d{0,9}))?$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$")
_NON_FINITE = {"nan": "nan", "inf": "inf", "-inf": "-inf"}


def format_block(run_id: str, v1: dict, newline: bool = True) -> str:
    """Render a v1 run block exactly as dotscience 0.8.7 printed it.

    Parameters
    ----------
    run_id : str
        The run id (a uuid4 string), repeated in both markers.
    v1 : dict
        The v1 metadata (``version``, ``input``, ``output``, ``labels``, ...).
    newline : bool
        End with the newline ``publish()`` writes; ``str(Run)`` has none.

    Returns
    -------
    str
        ``[[DOTSCIENCE-RUN:<id>]]<json>[[/DOTSCIENCE-RUN:<id>]]``, plus one newline.
    """
    body = json.dumps(v1, sort_keys=True, indent=4)
    end = "\n" if newline else ""
    return f"[[DOTSCIENCE-RUN:{run_id}]]{body}[[/DOTSCIENCE-RUN:{run_id}]]{end}"


def _marker_id(text: str, at: int) -> tuple[str, int] | None:
    """``(id, end)`` of the marker whose id starts at ``at``: the shortest non-empty text
    followed by ``]]`` (as the block pattern's lazy ``(.+?)`` reads it), ``end`` just after
    that ``]]``; None when there is no ``]]`` within :data:`MAX_ID` characters."""
    close = text.find(_END, at + 1, at + MAX_ID + 2)
    if close < 0:
        return None
    return text[at:close], close + 2


def find_blocks(text: str) -> list[tuple[str, dict]]:
    """Find every v1 run block in ``text``, in time linear in its length.

    The result is what :data:`BLOCK_RE` (``finditer``) finds, without its cubic
    backtracking on hostile text: the closing markers are indexed by id in one pass, then
    each opening marker takes the first closing marker of its id after it, and the search
    goes on after that block. Ids longer than :data:`MAX_ID` characters are not ids.

    Parameters
    ----------
    text : str
        Any text, e.g. a notebook cell's output or a log file.

    Returns
    -------
    list of (str, dict)
        ``(run_id, v1_dict)`` in order of appearance; blocks whose JSON does not parse to an
        object (or nests too deeply to parse) are skipped.
    """
    closings: dict[str, list[int]] = {}
    at = text.find(_CLOSE)
    while at >= 0:
        marker = _marker_id(text, at + len(_CLOSE))
        if marker is not None:
            closings.setdefault(marker[0], []).append(at)
        at = text.find(_CLOSE, at + 1)
    taken = dict.fromkeys(closings, 0)  # per id: closing markers already behind the scan
    found = []
    at = text.find(_OPEN)
    while at >= 0:
        marker = _marker_id(text, at + len(_OPEN))
        if marker is None or marker[0] not in closings:
            at = text.find(_OPEN, at + 1)
            continue
        run_id, body_start = marker
        ends, i = closings[run_id], taken[run_id]
        while i < len(ends) and ends[i] < body_start:
            i += 1
        taken[run_id] = i
        if i == len(ends):
            at = text.find(_OPEN, at + 1)
            continue
        body_end = ends[i]
        try:
            body = json.loads(text[body_start:body_end])
        except (ValueError, RecursionError):
            body = None
        if isinstance(body, dict):
            found.append((run_id, body))
        at = text.find(_OPEN, body_end + len(_CLOSE) + len(run_id) + len(_END))
    return found


def searchable_text(text: str, is_notebook: bool) -> str:
    """The text in which to look for v1 blocks.

    A notebook file stores its outputs JSON-escaped, so for a notebook this is the text of
    every cell output (stream text or ``text/plain``); for anything else, or a notebook that
    does not parse, the text itself.

    Parameters
    ----------
    text : str
        The file's content.
    is_notebook : bool
        Whether the file is a Jupyter notebook (``.ipynb``).
    """
    if not is_notebook:
        return text
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError):
        return text
    parts = []
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        for output in (cell.get("outputs") or []) if isinstance(cell, dict) else []:
            if not isinstance(output, dict):
                continue
            value = output.get("text")
            if value is None:
                value = (output.get("data") or {}).get("text/plain")
            if isinstance(value, list):
                value = "".join(v for v in value if isinstance(v, str))
            if isinstance(value, str):
                parts.append(value)
    return "\n".join(parts)


def parse_v1_time(text: str) -> _dt.datetime:
    """Parse a v1 timestamp (``20191016T040410.683903``, 0-9 fractional digits) as UTC.

    Raises
    ------
    ValueError
        If ``text`` is not a v1 timestamp.
    """
    m = _V1_TIME_RE.match(str(text).strip())
    if not m:
        raise ValueError(f"not a v1 timestamp: {text!r}")
    year, month, day, hour, minute, second, frac = m.groups()
    micro = int((frac or "").ljust(6, "0")[:6])
    return _dt.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro,
        tzinfo=_dt.timezone.utc,
    )  # fmt: skip


def format_v1_time(when: _dt.datetime) -> str:
    """Format an aware or naive-UTC datetime the way v1 blocks do."""
    if when.tzinfo is not None:
        when = when.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    # not strftime: its %Y writes year 999 as "999", which would read back as year 9990
    return (
        f"{when.year:04d}{when.month:02d}{when.day:02d}T{when.hour:02d}{when.minute:02d}"
        f"{when.second:02d}.{when.microsecond:06d}"
    )


def _value_from_text(text: str):
    """The typed value of a v1 text: a number when it is a plain int/float literal."""
    if _INT_RE.match(text):
        return int(text)
    if _FLOAT_RE.match(text):
        return float(text)
    if text in _NON_FINITE:
        return {"$float": _NON_FINITE[text]}
    return text


def _file_entry(path: str) -> dict:
    outside = path.startswith("/") or path == ".." or path.startswith("../")
    return {"path": path, "sha256": None, "size": None, "outside": outside, "missing": False}


def _text_map(value) -> dict:
    if not isinstance(value, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def record_from_v1(run_id: str, v1: dict) -> dict:
    """Convert a legacy v1 block into a v2 run record (``schema: dotscience.run/2``).

    Parameters
    ----------
    run_id : str
        The id from the block's markers.
    v1 : dict
        The parsed block body.

    Returns
    -------
    dict
        A run record; texts are kept as ``text``, ``value`` is a number where the text is a
        plain int/float literal. Missing keys default to empty; unparseable timestamps
        become null.
    """
    if not isinstance(v1, dict):
        raise TypeError(f"record_from_v1: v1 must be a dict, got {type(v1).__name__}")
    times = {}
    for key in ("start", "end"):
        try:
            times[key] = iso(parse_v1_time(v1[key])) if key in v1 else None
        except ValueError:
            times[key] = None
    metric_time = times["end"] or times["start"]
    labels = _text_map(v1.get("labels"))
    workload = v1.get("workload-file")
    paths = {
        key: sorted({str(p) for p in v1.get(key) or [] if p is not None})
        for key in ("input", "output")
    }
    return {
        "schema": "dotscience.run/2",
        "id": str(run_id),
        "project": "default",
        "description": None if v1.get("description") is None else str(v1["description"]),
        "error": None if v1.get("error") is None else str(v1["error"]),
        "mode": "script" if workload else None,
        "workload_file": str(workload) if workload else None,
        "notebook": None,
        "argv": [],
        "start": times["start"],
        "end": times["end"],
        "published": times["end"],
        "inputs": [_file_entry(p) for p in paths["input"]],
        "outputs": [_file_entry(p) for p in paths["output"]],
        "parameters": {
            k: {"value": _value_from_text(t), "text": t}
            for k, t in _text_map(v1.get("parameters")).items()
        },
        "labels": labels,
        "metrics": {
            k: [{"value": _value_from_text(t), "text": t, "step": 0, "time": metric_time}]
            for k, t in _text_map(v1.get("summary")).items()
        },
        "models": _models_from_labels(labels),
        "environment": None,
        "cells": [],
        "kernel_id": None,
        "build": False,
        "deploy": False,
    }


def _models_from_labels(labels: dict) -> list[dict]:
    models = []
    for key, text in sorted(labels.items()):
        if not key.startswith("artefact:"):
            continue
        try:
            info = json.loads(text)
            files = info.get("files") or {}
            framework = str(info.get("type", "")).removesuffix("-model")
        except (ValueError, AttributeError):
            continue
        models.append({
            "name": key[len("artefact:"):],
            "framework": framework,
            "framework_version": info.get("version"),
            "path": files.get("model"),
            "classes": files.get("classes"),
            "files": [],
        })  # fmt: skip
    return models


def v1_from_record(record: dict) -> dict:
    """The v1 metadata dict of a v2 run record (what :func:`format_block` prints).

    Parameters
    ----------
    record : dict
        A run record as built by :mod:`dotscience` (``text`` fields hold ``str(value)``).

    Returns
    -------
    dict
        Keys ``version``, ``input``, ``output``, ``labels``, ``summary``, ``parameters`` and,
        when set, ``error``, ``description``, ``start``, ``end``, ``workload-file``.
    """
    v1 = {
        "version": "1",
        "input": sorted({f["path"] for f in record.get("inputs") or []}),
        "output": sorted({f["path"] for f in record.get("outputs") or []}),
        "labels": dict(record.get("labels") or {}),
        "summary": {k: s[-1]["text"] for k, s in (record.get("metrics") or {}).items() if s},
        "parameters": {k: p["text"] for k, p in (record.get("parameters") or {}).items()},
    }
    if record.get("error") is not None:
        v1["error"] = record["error"]
    if record.get("description") is not None:
        v1["description"] = record["description"]
    for key in ("start", "end"):
        if record.get(key):
            v1[key] = format_v1_time(parse_iso(record[key]))
    if record.get("mode") == "script" and record.get("workload_file"):
        v1["workload-file"] = record["workload_file"]
    return v1
