"""Long metric series are checked column by column, as strictly as point by point: a bad
point anywhere is refused with its index and nothing is stored; good points of every shape
are stored as they were sent."""

from __future__ import annotations

import uuid

import pytest

from jupyterlab_dotscience.store import RecordError

POINTS = 200_000  # long enough for the column-wise checks; quick on a shared machine
# a bad point's series (28 cases): checked column-wise, then again point by point for the
# message, by the same code at any length
BAD_POINTS = 20_000
TIME = "2026-11-27T06:30:00.000000Z"


def _record(series: list) -> dict:
    return {"schema": "dotscience.run/2", "id": str(uuid.uuid4()), "metrics": {"loss": series}}


def _series(n: int = POINTS) -> list[dict]:
    return [{"value": i / 7, "text": str(i / 7), "step": i, "time": TIME} for i in range(n)]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"value": [1, 2]}, r"\.value: expected a string, number"),
        ({"value": {"$float": "nope"}}, r"\.value: expected a string, number"),
        ({"text": "a\x00b"}, r"\.text: contains a NUL character"),
        ({"text": 3}, r"\.text: expected a string"),
        ({"step": True}, r"\.step: expected an integer"),
        ({"step": 2**63}, r"\.step: integer out of range"),
        ({"step": 1.5}, r"\.step: expected an integer"),
        ({"time": "2026-02-30T06:30:00.000000Z"}, r"\.time: not an ISO 8601 timestamp"),
        ({"time": "2026-11-27T24:00:00.000000Z"}, r"\.time: not an ISO 8601 timestamp"),
        ({"time": "2026-11-27T06:60:00.000000Z"}, r"\.time: not an ISO 8601 timestamp"),
        ({"time": f"{TIME}\n{TIME}"}, r"\.time: not an ISO 8601 timestamp"),
        ({"time": 5}, r"\.time: expected an ISO 8601 timestamp string"),
        ({"time": "0001-01-01T00:00:00+01:00"}, r"\.time: out of the range of times"),
        ({"time": "9999-12-31T23:30:00-01:00"}, r"\.time: out of the range of times"),
    ],
)
def test_one_bad_point_at_the_end_of_a_long_series_is_named_and_nothing_is_stored(
    store, bad, message
):
    # Given a long series whose last point alone is malformed
    series = _series(BAD_POINTS)
    series[-1] = {**series[-1], **bad}
    # When it is published
    with pytest.raises(RecordError, match=rf"metrics\['loss'\]\[{BAD_POINTS - 1}\]{message}"):
        store.put_run(_record(series), "alice")
    # Then nothing is stored
    assert store.count_runs() == 0


def test_a_point_that_is_not_an_object_is_named(store):
    # Given a long series with a bare number in the middle
    series = _series()
    series[POINTS // 2] = 0.5
    # When it is published, Then the point is named and nothing is stored
    with pytest.raises(RecordError, match=rf"metrics\['loss'\]\[{POINTS // 2}\]: expected an"):
        store.put_run(_record(series), "alice")
    assert store.count_runs() == 0


def test_points_of_every_plain_shape_are_stored_as_sent(store):
    # Given a long series mixing the shapes a client may send: numbers, text, booleans and
    # null; text left out; steps and times null or left out; a non-finite float; an
    # integer beyond the float range; a timestamp with an offset
    shapes = [
        ({"value": 1, "step": 0, "time": TIME}, {"value": 1, "text": "1", "step": 0, "time": TIME}),
        ({"value": 0.25, "text": "0.25", "step": None, "time": None},
         {"value": 0.25, "text": "0.25", "step": None, "time": None}),
        ({"value": "high"}, {"value": "high", "text": "high", "step": None, "time": None}),
        ({"value": True, "text": "yes"}, {"value": True, "text": "yes", "step": None, "time": None}),
        ({"value": None, "step": -3}, {"value": None, "text": "None", "step": -3, "time": None}),
    ]  # fmt: skip
    sent = [dict(shapes[i % len(shapes)][0]) for i in range(POINTS)]
    want = [dict(shapes[i % len(shapes)][1]) for i in range(POINTS)]
    sent[10] = {"value": {"$float": "nan"}, "step": 10}
    sent[11] = {"value": 10**30, "text": "big", "step": 11, "time": TIME}
    sent[12] = {"value": 2.5, "step": 12, "time": "2026-11-27T07:30:00+01:00"}
    want[10] = {"value": {"$float": "nan"}, "text": "nan", "step": 10, "time": None}
    want[11] = {"value": 10**30, "text": "big", "step": 11, "time": TIME}
    want[12] = {"value": 2.5, "text": "2.5", "step": 12, "time": TIME}
    rec = _record(sent)
    # When it is published and read back
    store.put_run(rec, "alice")
    got = store.metric_series(rec["id"], "loss")
    # Then every point is as sent, in canonical form
    assert len(got) == POINTS
    assert got[:13] == want[:13] and got[-5:] == want[-5:]
    assert got == want


@pytest.mark.parametrize("n", [2, POINTS])
def test_a_step_and_time_left_out_of_some_plain_points_are_stored_as_null(store, n):
    # Given a series of plain points only (the column-wise check), some with a step and a
    # time and some without (make fuzz found two such points answered with a 500)
    sent = [{"value": i, "step": i, "time": TIME} if i % 2 else {"value": None}
            for i in range(n)]  # fmt: skip
    rec = _record(sent)
    # When it is published and read back
    store.put_run(rec, "alice")
    got = store.metric_series(rec["id"], "loss")
    # Then the points left without them have none, and the others keep theirs
    assert got[:2] == [{"value": None, "text": "None", "step": None, "time": None},
                       {"value": 1, "text": "1", "step": 1, "time": TIME}]  # fmt: skip
    assert len(got) == n and got[-1]["step"] == (n - 1 if n % 2 == 0 else None)


def test_a_series_of_plain_numbers_keeps_its_smallest_and_largest(store):
    # Given a long series of plain numbers with a spike and a dip
    series = _series()
    series[1000]["value"], series[1000]["text"] = 1e9, "1e9"
    series[2000]["value"], series[2000]["text"] = -4, "-4"
    rec = _record(series)
    # When it is published
    store.put_run(rec, "alice")
    # Then the run lists the series' last value, smallest and largest
    (summary,) = store.list_runs(stats=True)[0]
    assert summary["metrics"]["loss"] == (POINTS - 1) / 7
    assert summary["metric_min"]["loss"] == -4
    assert summary["metric_max"]["loss"] == 1e9
