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


#: The tags of marked non-finite floats and the numbers they stand for.
NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def numeric(value) -> float | None:
    """The number a typed value (its JSON form) sorts and filters by.

    Parameters
    ----------
    value
        A typed value: string, number, boolean, null or ``{"$float": "nan"|"inf"|"-inf"}``.

    Returns
    -------
    float or None
        Numbers as floats (an integer beyond the float range: infinity of its sign), marked
        infinities as infinities; None for NaN (marked or not), booleans, text and null, which
        no range filter matches and which sort last.
    """
    cls = type(value)
    if cls is bool or value is None:
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond the float range
            return math.copysign(math.inf, value)
        return None if number != number else number
    if cls is dict:
        tag = value.get("$float")
        number = NON_FINITE.get(tag) if isinstance(tag, str) else None
        return None if number is None or math.isnan(number) else number
    return None
