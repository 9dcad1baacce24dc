"""Typed values: what a declared parameter, metric or label value becomes in the run record.

A declaration keeps plain values (str, int, float, bool, None) and numeric scalars (numpy,
pandas, subclasses of int/float) as they are; conversion to JSON happens at publish. Anything
else becomes its ``str()`` at declaration, because it may be mutable.
"""

from __future__ import annotations

import math

#: Types stored as-is at declaration (checked with ``type(v) in PLAIN``, no isinstance cost).
PLAIN = frozenset({str, int, float, bool, type(None)})


def _is_numpy_scalar(value) -> bool:
    # Duck-typed so that numpy is never imported here.
    cls = type(value)
    return (
        cls.__module__ == "numpy"
        and getattr(value, "ndim", None) == 0
        and callable(getattr(value, "item", None))
    )


def declared(key, value, what: str = "value"):
    """Return what a declaration stores for ``value`` (called only when not in PLAIN).

    Raises
    ------
    TypeError
        When ``str(value)`` raises, naming ``key``.
    """
    if isinstance(value, (int, float)) or _is_numpy_scalar(value):
        return value
    try:
        return str(value)
    except Exception as exc:
        raise TypeError(
            f"cannot record {what} for {key!r}: str() of the {type(value).__name__} "
            f"value failed ({exc})"
        ) from exc


def typed(value):
    """Convert a stored value to its JSON form (the ``value`` field of a typed value).

    Non-finite floats become ``{"$float": "nan" | "inf" | "-inf"}``; numpy scalars become
    Python numbers.
    """
    cls = type(value)
    if cls is str or cls is int or cls is bool or value is None:
        return value
    if cls is float:
        return value if math.isfinite(value) else non_finite(value)
    if _is_numpy_scalar(value):
        try:
            return typed(value.item())
        except Exception:
            return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return typed(float(value))
    return str(value)


def non_finite(value: float) -> dict:
    """The marked form of a NaN or infinite float."""
    if math.isnan(value):
        return {"$float": "nan"}
    return {"$float": "inf" if value > 0 else "-inf"}


def text(value) -> str:
    """What the v1 block prints for ``value`` (``str(value)``, as 0.8.7 did)."""
    return value if type(value) is str else str(value)
