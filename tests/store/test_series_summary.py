"""Block summaries of long metric series kept in the store (issue 14: the first chart of a
1,000,000-point series answers under 300 ms): made when the run is stored, read by the first
``metric_sample`` of a series instead of its points, made and stored on the first chart of a
series stored before; a zoom (``from``/``to``) is still picked from its own points."""

from __future__ import annotations

import math

from jupyterlab_dotscience import downsample
from jupyterlab_dotscience.store import open_store

from .records import record

N = 60_000  # longer than the store's threshold for summaries (50,000 points)
SPIKE = 41_234


def long_run():
    values = [math.sin(i / 700) for i in range(N)]
    values[SPIKE] = 500.0
    rec = record(metric={})
    rec["metrics"]["loss"] = [
        {"value": v, "text": str(v), "step": i, "time": None} for i, v in enumerate(values)
    ]
    rec["metrics"]["short"] = [
        {"value": float(i), "text": str(i), "step": i, "time": None} for i in range(1_000)
    ]
    return rec, values


def flatten_numbers(store):
    """Make every stored point's sort number 0 (values untouched): a sample picked from
    the points can no longer find the spike; one picked from a stored summary still does."""
    with store._tx(write=True) as tx:
        tx.x("UPDATE metrics SET num = 0")


def summaries(store):
    with store._tx() as tx:
        return tx.q("SELECT key, count FROM metric_summaries ORDER BY key")


def test_pack_and_unpack_give_the_same_picks():
    # Given a summary of a series with a spike, a dip and a stretch without numbers
    values = [math.cos(i / 90) for i in range(30_000)]
    values[7_777], values[20_000] = 9.0, -9.0
    values[12_000:12_500] = [None] * 500
    made = downsample.Summary(values, blocks=3_000)
    # When packed and unpacked
    back = downsample.Summary.unpack(made.n, made.size, made.pack())
    # Then every request picks the same positions (and the gap stays a gap)
    assert back is not None
    for points in (1, 2, 3, 100, 1_000, 5_999):
        assert back.pick(points) == made.pick(points)
    assert back.low == made.low and back.high == made.high


def test_damaged_packed_blocks_are_not_used():
    made = downsample.Summary([float(i % 17) for i in range(10_000)], blocks=500)
    data = made.pack()
    # a block cut short, a summary of another length, a position outside its block
    assert downsample.Summary.unpack(made.n, made.size, data[:-1]) is None
    assert downsample.Summary.unpack(made.n + 5_000, made.size, data) is None
    bad = bytearray(data)
    bad[8:16] = (10**9).to_bytes(8, "little", signed=True)
    assert downsample.Summary.unpack(made.n, made.size, bytes(bad)) is None
    assert downsample.Summary.unpack(made.n, 0, data) is None


def test_the_first_chart_of_a_long_series_is_picked_from_the_summary_stored_with_it(store_url):
    # Given a long series stored with its run (and a short one)
    rec, values = long_run()
    with open_store(store_url) as store:
        store.put_run(rec, "alice")
        # Then only the long one has a summary
        assert summaries(store) == [("loss", N)]
        flatten_numbers(store)
    # When a new server process charts it for the first time
    with open_store(store_url) as store:
        got = store.metric_sample(rec["id"], "loss", 1_000)
    # Then the answer was picked from the stored summary: the spike is there although the
    # points' numbers no longer show it, with the exact first and last points
    assert got["count"] == N and len(got["series"]) <= 1_000
    assert {"value": 500.0, "text": "500.0", "step": SPIKE, "time": None} in got["series"]
    assert got["series"][0]["step"] == 0
    assert got["series"][-1] == {**rec["metrics"]["loss"][-1], "step": N - 1}
    # And it is what picking the points themselves gives
    assert [p["step"] for p in got["series"]] == downsample.Summary(values).pick(1_000)


def test_a_long_series_stored_before_summaries_gets_one_on_its_first_chart(store_url):
    # Given a long series stored without a summary (as before summaries were kept)
    rec, _ = long_run()
    with open_store(store_url) as store:
        store.put_run(rec, "alice")
        with store._tx(write=True) as tx:
            tx.x("DELETE FROM metric_summaries")
        # When it is charted
        first = store.metric_sample(rec["id"], "loss", 800)
        # Then its summary is stored for the next server
        assert summaries(store) == [("loss", N)]
        flatten_numbers(store)
    with open_store(store_url) as store:
        again = store.metric_sample(rec["id"], "loss", 800)
    # which answers the same points from it
    assert again == first
    assert any(p["step"] == SPIKE for p in again["series"])


def test_a_zoom_is_picked_from_its_own_points(store_url):
    # Given a long series with its summary stored
    rec, values = long_run()
    with open_store(store_url) as store:
        store.put_run(rec, "alice")
        # When a chart zooms into steps 41,000 to 41,999 with 100 points
        got = store.metric_sample(rec["id"], "loss", 100, 41_000, 41_999)
    # Then the window's points are picked exactly as pick picks them
    window = values[41_000:42_000]
    assert [p["step"] for p in got["series"]] == [41_000 + i for i in downsample.pick(window, 100)]
    assert got["count"] == 1_000
