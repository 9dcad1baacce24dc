"""The verdict of a reproduction: the original run and its replay, compared.

Parameters must be equal; metrics must be equal point by point (``identical``) or within a
relative tolerance (``within_tolerance``); outputs must have the same content hash by path.
The environment (Python version, packages that differ) is listed but does not change the
verdict.
"""

from __future__ import annotations

import math

IDENTICAL, WITHIN_TOLERANCE, DIFFERS = "identical", "within_tolerance", "differs"
FAILED, NOT_REPRODUCIBLE = "failed", "not_reproducible"
VERDICTS = (IDENTICAL, WITHIN_TOLERANCE, DIFFERS, FAILED, NOT_REPRODUCIBLE)


class NotReproducible(Exception):
    """The run cannot be replayed; the message says why.

    Parameters
    ----------
    message : str
        What is missing, in sentences.
    missing : list of str, optional
        One sentence per missing thing (default: ``[message]``).
    """

    def __init__(self, message: str, missing: list[str] | None = None):
        super().__init__(message)
        self.missing = list(missing) if missing else [message]


def empty_result() -> dict:
    """A reproduction's ``result`` before anything is known."""
    return {
        "differences": [],
        "environment": {"python": None, "packages": []},
        "failed": None,
        "missing": [],
        "skipped": 0,
    }


def _number(value):
    """The float of a typed value (``{"$float": "nan"}`` included), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict) and value.get("$float") in ("nan", "inf", "-inf"):
        return float(value["$float"])
    return None


def relative_difference(a, b) -> float | None:
    """``|a - b| / max(|a|, |b|)`` of two typed values (0 when equal, None when either is
    not a number). Equal non-finite values differ by 0; otherwise a non-finite value differs
    by infinity."""
    if a == b:
        return 0.0
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return None
    if x == y or (math.isnan(x) and math.isnan(y)):
        return 0.0
    if not (math.isfinite(x) and math.isfinite(y)):
        return math.inf
    return abs(x - y) / max(abs(x), abs(y))


def _json_number(x: float | None):
    """A relative difference as JSON can carry it (infinity as the typed ``$float``)."""
    if x is None or math.isfinite(x):
        return x
    return {"$float": "inf"}


def _series_difference(orig: list[dict], replay: list[dict]) -> float | None:
    """The largest relative difference between two metric series, point by point (None:
    they cannot be compared number by number: other lengths, steps or non-numbers)."""
    if len(orig) != len(replay):
        return None
    worst = 0.0
    for p, q in zip(orig, replay, strict=True):
        if p.get("step") != q.get("step"):
            return None
        d = relative_difference(p.get("value"), q.get("value"))
        if d is None:
            return None
        worst = max(worst, d)
    return worst


def _last(series: list[dict]):
    return series[-1].get("value") if series else None


def compare(original: dict, replay: dict, tolerance: float = 0.0) -> tuple[str, dict]:
    """Compare a run with its replay.

    Parameters
    ----------
    original, replay : dict
        The two stored runs (``parameters``, ``metrics``, ``outputs``, ``environment``).
    tolerance : float
        Largest relative difference of a metric point that still counts as the same
        (``>= 0``; 0: exact).

    Returns
    -------
    (str, dict)
        The verdict (``identical``, ``within_tolerance`` or ``differs``) and the parts of the
        result it comes from: ``differences`` (``kind``, ``name``, ``original``, ``replay``,
        ``relative_difference``) and ``environment`` (``python``: ``[original, replay]`` when
        they differ, ``packages``: ``{name, original, replay}`` of those that differ).
    """
    differences: list[dict] = []
    within = False

    def differ(kind, name, a, b, rel=None):
        differences.append({"kind": kind, "name": name, "original": a, "replay": b,
                            "relative_difference": _json_number(rel)})  # fmt: skip

    p1, p2 = original.get("parameters") or {}, replay.get("parameters") or {}
    for key in sorted(set(p1) | set(p2)):
        a = (p1.get(key) or {}).get("value") if key in p1 else None
        b = (p2.get(key) or {}).get("value") if key in p2 else None
        if key not in p1 or key not in p2 or a != b:
            differ("parameter", key, a, b, relative_difference(a, b) if a is not None else None)

    m1, m2 = original.get("metrics") or {}, replay.get("metrics") or {}
    for key in sorted(set(m1) | set(m2)):
        s1, s2 = m1.get(key), m2.get(key)
        if s1 is None or s2 is None:
            differ("metric", key, _last(s1 or []), _last(s2 or []))
            continue
        values1 = [(p.get("step"), p.get("value")) for p in s1]
        values2 = [(p.get("step"), p.get("value")) for p in s2]
        if values1 == values2:
            continue
        rel = _series_difference(s1, s2)
        if rel is not None and rel == 0:
            continue
        if rel is not None and rel <= tolerance:
            within = True
            continue
        differ("metric", key, _last(s1), _last(s2), rel)

    o1 = {f["path"]: f.get("sha256") for f in original.get("outputs") or [] if f.get("path")}
    o2 = {f["path"]: f.get("sha256") for f in replay.get("outputs") or [] if f.get("path")}
    for path in sorted(set(o1) | set(o2)):
        if path not in o2:
            differ("missing_output", path, o1[path], None)
        elif path not in o1:
            differ("extra_output", path, None, o2[path])
        elif o1[path] != o2[path]:
            differ("output", path, o1[path], o2[path])

    verdict = DIFFERS if differences else WITHIN_TOLERANCE if within else IDENTICAL
    return verdict, {"differences": differences, "environment": environment(original, replay)}


def environment(original: dict, replay: dict) -> dict:
    """What differs between the environments of two runs: ``{"python": [a, b] | None,
    "packages": [{"name", "original", "replay"}]}`` (a package missing on one side is
    None there)."""
    e1, e2 = original.get("environment") or {}, replay.get("environment") or {}
    python = None
    if e1.get("python") != e2.get("python"):
        python = [e1.get("python"), e2.get("python")]
    k1, k2 = e1.get("packages") or {}, e2.get("packages") or {}
    if not isinstance(k1, dict) or not isinstance(k2, dict):
        return {"python": python, "packages": []}
    packages = [
        {"name": name, "original": k1.get(name), "replay": k2.get(name)}
        for name in sorted(set(k1) | set(k2), key=str.lower)
        if k1.get(name) != k2.get(name)
    ]
    return {"python": python, "packages": packages}
