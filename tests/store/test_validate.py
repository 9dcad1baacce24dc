"""Any JSON a client sends is either stored or refused with a ValueError naming the field."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyterlab_dotscience.store.validate import RecordError, normalize_record

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
fields = st.sampled_from(
    ["id", "project", "mode", "start", "argv", "inputs", "outputs", "parameters", "labels",
     "metrics", "models", "cells", "environment", "build", "description", "schema"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(fields, json_values, max_size=6))
def test_arbitrary_json_is_accepted_or_refused_with_a_value_error(fuzz):
    # Given a record whose fields hold arbitrary JSON
    record = {"id": str(uuid.uuid4()), **fuzz}
    # When it is validated, then it is either normalised or refused with a RecordError
    try:
        normalize_record(record)
    except RecordError as e:
        assert str(e).startswith("run record: ")


typed = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(st.text(min_size=1, max_size=8), typed, max_size=4),
    series=st.lists(typed, max_size=4),
)
def test_any_typed_values_round_trip(store, params, series):
    # Given a run whose parameters and metric hold any typed values
    record = {
        "id": str(uuid.uuid4()),
        "parameters": {k: {"value": v} for k, v in params.items()},
        "metrics": {"m": [{"value": v} for v in series]},
    }
    try:
        expected = normalize_record(record)
    except RecordError:
        return  # e.g. a NUL character in a key: refused before storing
    # When it is published and read back, then the stored values are the normalised ones
    store.put_run(record, "alice")
    run = store.get_run(record["id"])
    assert run["parameters"] == expected["parameters"]
    assert run["metrics"] == expected["metrics"]


@settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(),
    zone=st.sampled_from(["Z", "z", "", "+00:00", "+01:00", "-01:00", "+14:00", "-12:00"]),
    sep=st.sampled_from(["T", " "]),
)
def test_any_iso_time_in_any_zone_is_stored_in_utc_or_refused(when, zone, sep):
    # Given a run that started at any time between years 1 and 9999, in any zone
    text = when.isoformat(sep=sep) + zone
    record = {"id": str(uuid.uuid4()), "start": text}
    # When it is validated / Then its start is kept in the one UTC format, or refused
    # naming the field (a time that leaves years 1-9999 once in UTC)
    try:
        start = normalize_record(record)["start"]
    except RecordError as e:
        assert str(e).startswith("run record: start: ") and "out of the range" in str(e)
        assert when.year in (1, 9999)
    else:
        assert start.endswith("Z") and len(start) == len("2026-11-27T06:30:00.000000Z")
