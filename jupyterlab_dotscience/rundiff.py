"""What changed between two runs: code cell by cell, parameters, data, environment, metrics.

Everything here is plain data in, plain data out (the route reads the store): the executed
code of each run is the last in-run execution of each cell id (cells without an id, e.g. run
by nbclient, are aligned by their order), outputs are never part of it. Each item says its
``status``: ``same``, ``changed``, ``added`` (only in the second run) or ``removed`` (only in
the first).
"""

from __future__ import annotations

from collections.abc import Iterable

from dotscience.values import numeric

SAME, CHANGED, ADDED, REMOVED = "same", "changed", "added", "removed"


def _status(in_a: bool, in_b: bool, equal: bool) -> str:
    if in_a and in_b:
        return SAME if equal else CHANGED
    return REMOVED if in_a else ADDED


def executed_cells(executions: Iterable[dict]) -> list[tuple[str, dict]]:
    """The code a run executed, one ``(key, execution)`` per cell in the order each cell
    last ran.

    Parameters
    ----------
    executions : iterable of dict
        ``Store.run_executions`` of one run (``seq`` order); only ``in_run`` ones count.

    Returns
    -------
    list of (str, dict)
        ``key`` is ``id:<cell id>`` (the last in-run execution of that cell) or
        ``order:<n>`` for the n-th execution without a cell id.
    """
    last: dict[str, dict] = {}
    unnamed = 0
    for e in executions:
        if not e.get("in_run"):
            continue
        if e.get("cell_id"):
            key = f"id:{e['cell_id']}"
            last.pop(key, None)  # re-inserted: dicts keep the order of the last execution
        else:
            key = f"order:{unnamed}"
            unnamed += 1
        last[key] = e
    return list(last.items())


def _merge(a_keys: list[str], b_keys: list[str]) -> list[str]:
    """Both key lists in one order: the second run's order, each key only the first run has
    placed before the next key both share (or at the end)."""
    in_a, in_b = set(a_keys), set(b_keys)
    out: list[str] = []
    seen: set[str] = set()
    i = 0  # next key of a not yet placed
    for key in b_keys:
        if key in in_a:
            while i < len(a_keys) and key not in seen:
                k = a_keys[i]
                i += 1
                if k not in seen and (k == key or k not in in_b):
                    out.append(k)
                    seen.add(k)
        if key not in seen:
            out.append(key)
            seen.add(key)
    out.extend(k for k in a_keys if k not in seen)
    return out


def diff_cells(a_executions: Iterable[dict], b_executions: Iterable[dict]) -> list[dict]:
    """The executed code of two runs aligned cell by cell (outputs left out).

    Returns
    -------
    list of dict
        ``{key, cell_id, status, a, b}``, where ``a``/``b`` are ``{source, execution_count,
        success}`` (None for the run without that cell); ``same`` when the sources are
        identical.
    """
    a = dict(executed_cells(a_executions))
    b = dict(executed_cells(b_executions))
    order = _merge(list(a), list(b))
    out = []
    for key in order:
        ea, eb = a.get(key), b.get(key)
        side_a = _cell(ea)
        side_b = _cell(eb)
        equal = ea is not None and eb is not None and ea.get("source") == eb.get("source")
        out.append({
            "key": key,
            "cell_id": key[3:] if key.startswith("id:") else None,
            "status": _status(ea is not None, eb is not None, equal),
            "a": side_a,
            "b": side_b,
        })  # fmt: skip
    return out


def _cell(e: dict | None) -> dict | None:
    if e is None:
        return None
    return {"source": e.get("source"), "execution_count": e.get("execution_count"),
            "success": e.get("success")}  # fmt: skip


def diff_mapping(a: dict, b: dict, show=lambda v: v) -> list[dict]:
    """``{key, status, a, b}`` for every key of two mappings, sorted by key; ``a``/``b`` are
    ``show(value)`` (None where the key is absent)."""
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        out.append({
            "key": key,
            "status": _status(key in a, key in b, va == vb),
            "a": show(va) if key in a else None,
            "b": show(vb) if key in b else None,
        })  # fmt: skip
    return out


def diff_files(a: dict, b: dict) -> list[dict]:
    """Inputs and outputs by path: ``{role, path, status, a, b, dataset}`` where ``a``/``b``
    are the content hashes (``dataset``: an autologged in-memory data set, ``memory:``)."""
    out = []
    for role in ("input", "output"):
        fa = {f["path"]: f.get("sha256") for f in a.get(role + "s") or []}
        fb = {f["path"]: f.get("sha256") for f in b.get(role + "s") or []}
        for item in diff_mapping(fa, fb):
            path = item.pop("key")
            out.append({"role": role, "path": path, **item,
                        "dataset": path.startswith("memory:")})  # fmt: skip
    return out


def diff_environment(a: dict | None, b: dict | None) -> dict:
    """Python, implementation, platform and git commit of two environments (``{a, b,
    status}`` each) and the packages that differ (``[{key, status, a, b}]``, with
    ``packages_same`` the number that do not)."""
    a, b = a or {}, b or {}
    out = {}
    for field in ("python", "implementation", "platform"):
        va, vb = a.get(field), b.get(field)
        out[field] = {"a": va, "b": vb, "status": SAME if va == vb else CHANGED}
    ga = (a.get("git") or {}).get("commit") if isinstance(a.get("git"), dict) else None
    gb = (b.get("git") or {}).get("commit") if isinstance(b.get("git"), dict) else None
    out["git_commit"] = {"a": ga, "b": gb, "status": SAME if ga == gb else CHANGED}
    pa = a.get("packages") if isinstance(a.get("packages"), dict) else {}
    pb = b.get("packages") if isinstance(b.get("packages"), dict) else {}
    packages = diff_mapping(pa, pb)
    out["packages"] = [p for p in packages if p["status"] != SAME]
    out["packages_same"] = len(packages) - len(out["packages"])
    return out


def diff_metrics(a: dict, b: dict, directions: dict[str, str]) -> list[dict]:
    """The last value of each metric of two runs (``{key, status, a, b, direction,
    better}``): ``a``/``b`` are ``{value, text, step}``; ``better`` names the run with the
    better value when the metric has a direction and both values are numbers."""
    out = []
    for key in sorted(set(a) | set(b)):
        ma, mb = a.get(key), b.get(key)
        va = None if ma is None else ma.get("value")
        vb = None if mb is None else mb.get("value")
        direction = directions.get(key)
        better = None
        na, nb = numeric(va), numeric(vb)
        if direction and ma and mb and na is not None and nb is not None and na != nb:
            better = "a" if (na > nb) == (direction == "higher") else "b"
        out.append({
            "key": key,
            "status": _status(ma is not None, mb is not None, va == vb),
            "a": None if ma is None else {k: ma.get(k) for k in ("value", "text", "step")},
            "b": None if mb is None else {k: mb.get(k) for k in ("value", "text", "step")},
            "direction": direction,
            "better": better,
        })  # fmt: skip
    return out


#: The fields of each run named at the top of a diff
HEAD_FIELDS = ("id", "project", "author", "description", "status", "notebook",
               "workload_file", "start", "end", "received")  # fmt: skip


def diff_runs(a: dict, b: dict, a_executions, b_executions, directions) -> dict:
    """The whole diff of two runs (each as ``Store.compare_runs(..., whole=True)`` gives it).

    Returns
    -------
    dict
        ``{a, b, cells, parameters, data, environment, metrics, changes}``; ``changes``
        counts the items that are not ``same`` in each part.
    """
    cells = diff_cells(a_executions, b_executions)
    parameters = diff_mapping(a["parameters"], b["parameters"], show=lambda p: p["text"])
    data = diff_files(a, b)
    environment = diff_environment(a.get("environment"), b.get("environment"))
    metrics = diff_metrics(a["metrics"], b["metrics"], directions)
    env_changes = len(environment["packages"]) + sum(
        1 for f in ("python", "implementation", "platform", "git_commit")
        if environment[f]["status"] != SAME
    )  # fmt: skip
    return {
        "a": {k: a.get(k) for k in HEAD_FIELDS},
        "b": {k: b.get(k) for k in HEAD_FIELDS},
        "cells": cells,
        "parameters": parameters,
        "data": data,
        "environment": environment,
        "metrics": metrics,
        "changes": {
            "cells": sum(c["status"] != SAME for c in cells),
            "parameters": sum(p["status"] != SAME for p in parameters),
            "data": sum(d["status"] != SAME for d in data),
            "environment": env_changes,
            "metrics": sum(m["status"] != SAME for m in metrics),
        },
    }
