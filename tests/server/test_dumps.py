"""Answers written as JSON (routes/handler.py: dumps): fast, and whatever a record holds."""

from __future__ import annotations

import datetime
import json

from jupyterlab_dotscience.routes.handler import dumps


def test_an_answer_is_the_json_the_standard_library_would_read_back():
    data = {"runs": [{"id": "a", "parameters": {"alpha": {"value": 0.1, "text": "0.1"}}}],
            "count": 3, "ok": True, "none": None, "text": "é ☃ \n \"q\""}  # fmt: skip
    assert json.loads(dumps(data)) == data


def test_values_orjson_refuses_are_written_by_the_standard_library():
    # an integer beyond 64 bits (a parameter can hold one), a lone surrogate, an int key
    big = 10**40
    assert json.loads(dumps({"value": big})) == {"value": big}
    assert json.loads(dumps({"text": "\ud800"})) == {"text": "\ud800"}
    assert json.loads(dumps({1: "one"})) == {"1": "one"}


def test_nan_and_infinities_are_null_and_dates_are_their_str():
    assert json.loads(dumps({"v": [float("nan"), float("inf"), 1.5]})) == {"v": [None, None, 1.5]}
    when = datetime.datetime(2026, 12, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert json.loads(dumps({"at": when})) == {"at": str(when)}
