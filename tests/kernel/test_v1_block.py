"""The v1 in-band block: byte-exact output, finding blocks, legacy import."""

from __future__ import annotations

import datetime as dt
import json
import string

from hypothesis import given, settings
from hypothesis import strategies as st

import dotscience as ds
from dotscience import runs as runs_module
from dotscience import v1

from .conftest import write

EMPTY_SPEC = """[[DOTSCIENCE-RUN:ID]]{
    "input": [],
    "labels": {},
    "output": [],
    "parameters": {},
    "summary": {},
    "version": "1"
}[[/DOTSCIENCE-RUN:ID]]
"""

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
str_maps = st.dictionaries(texts, texts, max_size=5)


def test_empty_block_matches_the_spec_text_byte_for_byte():
    # Given the empty v1 dict
    empty = {"version": "1", "input": [], "output": [], "labels": {}, "summary": {},
             "parameters": {}}  # fmt: skip
    # When it is formatted
    block = v1.format_block("ID", empty)
    # Then it is exactly the spec's text, one trailing newline
    assert block == EMPTY_SPEC


def test_published_empty_run_has_only_the_spec_keys_besides_times(out):
    # Given a started run with nothing declared
    ds.start()
    # When it is published to a stream
    record = ds.publish(stream=out)
    # Then the stream holds one block whose body (without start/end) is the empty run
    [(run_id, body)] = v1.find_blocks(out.getvalue())
    assert run_id == record["id"]
    assert set(body) == {"input", "labels", "output", "parameters", "summary", "version",
                         "start", "end"}  # fmt: skip
    body.pop("start"), body.pop("end")
    assert v1.format_block("ID", body) == EMPTY_SPEC


def test_full_block_in_script_mode_is_byte_exact(workspace, monkeypatch, out):
    # Given fixed clocks and a script-mode run declaring every kind of thing
    times = iter([dt.datetime(2019, 10, 16, 4, 4, 10, 683903, tzinfo=dt.timezone.utc),
                  dt.datetime(2019, 10, 16, 4, 5, 0, 7, tzinfo=dt.timezone.utc)])  # fmt: skip
    monkeypatch.setattr(runs_module, "_now", lambda: next(times, dt.datetime(2020, 1, 1)))
    write(workspace / "data" / "b.csv", "b")
    write(workspace / "data" / "a.csv", "a")
    write(workspace / "model.pkl", "m")
    ds.script("train.py")
    ds.start()
    ds.add_inputs("data")
    ds.output("model.pkl")
    ds.add_labels("team", "ml", owner="ann")
    ds.add_parameters(alpha=0.5, layers=3)
    ds.add_metric("accuracy", 0.5)
    ds.add_metric("accuracy", 0.9)
    ds.set_error("boom")
    # When it is published with a description
    record = ds.publish("first try", stream=out)
    # Then the block is byte-for-byte what 0.8.7 printed for the same run
    rid = record["id"]
    expected = (
        f"[[DOTSCIENCE-RUN:{rid}]]{{\n"
        '    "description": "first try",\n'
        '    "end": "20191016T040500.000007",\n'
        '    "error": "boom",\n'
        '    "input": [\n'
        '        "data/a.csv",\n'
        '        "data/b.csv"\n'
        "    ],\n"
        '    "labels": {\n'
        '        "owner": "ann",\n'
        '        "team": "ml"\n'
        "    },\n"
        '    "output": [\n'
        '        "model.pkl"\n'
        "    ],\n"
        '    "parameters": {\n'
        '        "alpha": "0.5",\n'
        '        "layers": "3"\n'
        "    },\n"
        '    "start": "20191016T040410.683903",\n'
        '    "summary": {\n'
        '        "accuracy": "0.9"\n'
        "    },\n"
        '    "version": "1",\n'
        '    "workload-file": "train.py"\n'
        f"}}[[/DOTSCIENCE-RUN:{rid}]]\n"
    )
    assert out.getvalue() == expected


def test_non_ascii_is_escaped_like_json_dumps():
    # Given a label with non-ASCII text
    body = {"version": "1", "labels": {"city": "Zürich"}}
    # When formatted
    block = v1.format_block("x", body)
    # Then it is escaped as \\uXXXX
    assert '"Z\\u00fcrich"' in block


@given(run_id=st.uuids().map(str), labels=str_maps, summary=str_maps, parameters=str_maps,
       inputs=st.lists(texts, max_size=4))  # fmt: skip
def test_format_then_find_gives_back_the_dict(run_id, labels, summary, parameters, inputs):
    # Given any v1 dict
    body = {"version": "1", "input": sorted(inputs), "output": [], "labels": labels,
            "summary": summary, "parameters": parameters}  # fmt: skip
    # When it is formatted inside other output and found again
    text = "noise before\n" + v1.format_block(run_id, body) + "noise after"
    # Then exactly that block comes back
    assert v1.find_blocks(text) == [(run_id, body)]


def test_find_blocks_skips_broken_json_and_mismatched_ids():
    # Given text with a broken block, a mismatched pair and a good block
    good = v1.format_block("good", {"version": "1"})
    text = "[[DOTSCIENCE-RUN:a]]{not json[[/DOTSCIENCE-RUN:a]]" + good
    text += "[[DOTSCIENCE-RUN:b]]{}[[/DOTSCIENCE-RUN:c]]"
    # When blocks are found
    found = v1.find_blocks(text)
    # Then only the good one is returned
    assert found == [("good", {"version": "1"})]


def test_record_from_v1_accepts_0_to_9_fractional_digits():
    # Given legacy timestamps with 0, 3 and 9 fractional digits
    for stamp, iso in [("20191016T040410", "2019-10-16T04:04:10.000000Z"),
                       ("20191016T040410.5", "2019-10-16T04:04:10.500000Z"),
                       ("20191016T040410.123456789", "2019-10-16T04:04:10.123456Z")]:  # fmt: skip
        # When converted
        record = v1.record_from_v1("r", {"version": "1", "start": stamp, "end": stamp})
        # Then the record carries ISO UTC timestamps with microseconds
        assert record["start"] == iso and record["end"] == iso


def test_record_from_v1_keeps_texts_and_parses_plain_numbers():
    # Given a legacy block with numeric and non-numeric texts
    body = {"version": "1", "input": ["b.csv", "a.csv"], "output": ["/etc/passwd"],
            "summary": {"acc": "0.91", "n": "12", "note": "1e", "loss": "nan"},
            "parameters": {"kind": "rbf", "C": "1e-3", "flag": "True"},
            "labels": {"team": "ml"}, "workload-file": "train.py"}  # fmt: skip
    # When converted to a run record
    record = v1.record_from_v1("rid", body)
    # Then texts are kept, plain literals become numbers, inputs sorted, outside flagged
    assert record["id"] == "rid" and record["schema"] == "dotscience.run/2"
    assert record["metrics"]["acc"] == [{"value": 0.91, "text": "0.91", "step": 0, "time": None}]
    assert record["metrics"]["n"][0]["value"] == 12
    assert record["metrics"]["note"][0]["value"] == "1e"
    assert record["metrics"]["loss"][0]["value"] == {"$float": "nan"}
    assert record["parameters"]["C"] == {"value": 0.001, "text": "1e-3"}
    assert record["parameters"]["flag"] == {"value": "True", "text": "True"}
    assert [f["path"] for f in record["inputs"]] == ["a.csv", "b.csv"]
    assert record["outputs"][0]["outside"] is True
    assert record["mode"] == "script" and record["workload_file"] == "train.py"
    json.dumps(record, allow_nan=False)


@given(labels=str_maps, summary=str_maps, parameters=str_maps,
       micro=st.integers(0, 999_999), err=st.none() | texts)  # fmt: skip
def test_v1_to_record_and_back_is_lossless(labels, summary, parameters, micro, err):
    # Given any legacy block with 6-digit timestamps
    body = {"version": "1", "input": ["a"], "output": [], "labels": labels, "summary": summary,
            "parameters": parameters, "start": f"20200101T000000.{micro:06d}",
            "end": "20200101T000001.000000"}  # fmt: skip
    if err is not None:
        body["error"] = err
    # When imported and turned back into v1
    again = v1.v1_from_record(v1.record_from_v1("id", body))
    # Then the same block would be printed
    assert v1.format_block("id", again) == v1.format_block("id", body)


def test_labels_summary_values_that_are_not_strings_become_text():
    # Given a hand-edited block with a number in labels
    record = v1.record_from_v1("r", {"labels": {"n": 3}, "summary": {"x": 1.5}})
    # Then they are kept as text
    assert record["labels"] == {"n": "3"}
    assert record["metrics"]["x"][0]["text"] == "1.5"


def test_model_label_is_imported_as_a_model():
    # Given a legacy block carrying an artefact label
    label = '{"files":{"model":"model"},"type":"tensorflow-model","version":"1.14"}'
    # When imported
    record = v1.record_from_v1("r", {"labels": {"artefact:roadsigns": label}})
    # Then the model is listed
    assert record["models"][0]["name"] == "roadsigns"
    assert record["models"][0]["framework"] == "tensorflow"


def test_run_ids_survive_any_printable_text():
    # Given output containing brackets and other block-like noise around a block
    noise = string.punctuation * 3
    block = v1.format_block("id-1", {"version": "1"})
    # When searched
    # Then the block is found
    assert v1.find_blocks(noise + block + noise) == [("id-1", {"version": "1"})]


@settings(max_examples=200, deadline=None)
@given(st.datetimes(timezones=st.just(dt.timezone.utc)))
def test_a_v1_time_of_any_year_reads_back_as_itself(when):
    # Given any time from year 1 to 9999 (before 1000 too: strftime wrote 999 as "999")
    text = v1.format_v1_time(when)
    # When it is written the v1 way and read back / Then it is the same instant
    assert len(text) == len("20191016T040410.683903")
    assert v1.parse_v1_time(text) == when
