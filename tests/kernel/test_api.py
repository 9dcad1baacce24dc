"""The module-level API: the contract table, modes, lifecycle, values, models."""

from __future__ import annotations

import json
import math
import pathlib
import subprocess
import sys
import types

import numpy as np
import pandas as pd
import pytest

import dotscience as ds
from dotscience import v1

from .conftest import write

MESSAGE = "You have not called ds.start() yet, so I'm doing it for you!\n"


def block(text: str) -> dict:
    [(_, body)] = v1.find_blocks(text)
    return body


# -- the contract table -----------------------------------------------------------------------


@pytest.mark.parametrize("name, args", [
    ("interactive", ()), ("start", ()), ("end", ()), ("set_error", ("e",)),
    ("set_description", ("d",)), ("add_input", ("a",)), ("add_inputs", ("a", "b")),
    ("add_output", ("a",)), ("add_outputs", ("a", "b")), ("add_label", ("k", "v")),
    ("add_labels", ("k", "v")), ("add_metric", ("k", 1)), ("add_metrics", ("k", 1)),
    ("add_parameter", ("k", 1)), ("add_parameters", ("k", 1)), ("add_summary", ("k", 1)),
    ("add_summaries", ("k", 1)), ("debug", ()),
])  # fmt: skip
def test_declaring_functions_return_none(name, args, capsys):
    # Given a started run
    ds.start()
    # When a declaring function of the contract is called
    result = getattr(ds, name)(*args)
    # Then it returns None, like 0.8.7
    assert result is None


@pytest.mark.parametrize("name, args, index", [
    ("error", ("oops",), 0), ("description", ("d",), 0), ("label", ("k", ["v"]), 1),
    ("metric", ("k", 0.5), 1), ("parameter", ("k", (1, 2)), 1), ("param", ("k", {}), 1),
    ("summary", ("k", 3), 1),
])  # fmt: skip
def test_value_functions_return_the_same_object(name, args, index):
    # Given a started run
    ds.start()
    # When a binding function is called
    result = getattr(ds, name)(*args)
    # Then the very object passed in comes back
    assert result is args[index]


def test_input_and_output_return_the_path_object_unchanged(workspace):
    # Given a pathlib path and a string path
    p = pathlib.Path("data.csv")
    s = "model.pkl"
    ds.start()
    # When declared
    # Then the same objects come back, a Path stays a Path
    assert ds.input(p) is p
    assert ds.output(s) is s


def test_model_returns_path_and_add_model_returns_none(workspace):
    # Given a saved sklearn model
    sklearn = pytest.importorskip("sklearn")
    path = write(workspace / "model" / "model.joblib")
    ds.start()
    # When registered both ways
    # Then model() gives back path, add_model() gives None
    assert ds.model(sklearn, "iris", path) is path
    assert ds.add_model(sklearn, "iris2", path) is None


def test_aliases_are_the_same_function_objects():
    # Given the module
    # Then the aliases are the very same functions
    assert ds.param is ds.parameter
    assert ds.summary is ds.metric
    assert ds.add_summary is ds.add_metric
    assert ds.add_summaries is ds.add_metrics


def test_publish_returns_the_run_with_its_id(out):
    # Given a run
    ds.start()
    ds.add_metric("acc", 1)
    # When published
    record = ds.publish(stream=out)
    # Then the published record is returned with the id printed in the block
    assert record["id"] in out.getvalue()
    assert record["schema"] == "dotscience.run/2"
    assert record["metrics"]["acc"][0]["value"] == 1


# -- modes --------------------------------------------------------------------------------------


def test_switching_mode_raises_runtime_error_naming_both_modes():
    # Given interactive mode (selecting it twice is fine)
    ds.interactive()
    ds.interactive()
    # When script mode is selected
    with pytest.raises(RuntimeError) as info:
        ds.script()
    # Then the error names both modes
    assert "script" in str(info.value) and "interactive" in str(info.value)


def test_interactive_mode_has_no_workload_file(out):
    # Given interactive mode
    ds.interactive()
    ds.start()
    # When published
    record = ds.publish(stream=out)
    # Then neither the block nor the record carries a workload file
    assert "workload-file" not in block(out.getvalue())
    assert record["mode"] == "interactive" and record["workload_file"] is None


def test_script_mode_defaults_to_argv0_relative_to_root(workspace, monkeypatch, out):
    # Given a script in a subdirectory of the workspace, run by absolute path
    monkeypatch.setattr(sys, "argv", [str(workspace / "jobs" / "train.py"), "--fast"])
    ds.script()
    ds.start()
    # When published
    record = ds.publish(stream=out)
    # Then the workload file is root-relative with / separators
    assert block(out.getvalue())["workload-file"] == "jobs/train.py"
    assert record["argv"][1:] == ["--fast"]


def test_mode_is_guessed_from_workload_type(monkeypatch, out):
    # Given no mode but a jupyter workload type in the environment
    monkeypatch.setenv("DOTSCIENCE_WORKLOAD_TYPE", "jupyter")
    ds.start()
    # When published
    record = ds.publish(stream=out)
    # Then the run is interactive
    assert record["mode"] == "interactive"


def test_connect_may_follow_a_mode_and_rejects_empty_project():
    # Given script mode
    ds.script("x.py")
    # When connect() gets an empty project
    with pytest.raises(ValueError, match="project"):
        ds.connect("ann", "key", "", hostname="hub.example")
    # Then a valid connect works after the mode was chosen
    assert ds.connect("ann", "key", "proj", hostname="hub.example") is None


# -- lifecycle ----------------------------------------------------------------------------------


def test_declaring_without_start_prints_the_message_once(capsys):
    # Given no started run
    # When two declarations are made
    ds.add_parameter("a", 1)
    ds.add_parameter("b", 2)
    # Then the 0.8.7 message is printed exactly once
    assert capsys.readouterr().out == MESSAGE


def test_publish_without_start_prints_the_message(capsys):
    # Given nothing at all
    # When publishing
    ds.publish()
    # Then the message precedes the block
    assert capsys.readouterr().out.startswith(MESSAGE + "[[DOTSCIENCE-RUN:")


def test_declarations_carry_over_between_publishes_unless_start(out):
    # Given a run with a parameter, published twice
    ds.start()
    ds.add_parameter("alpha", 1)
    first = ds.publish(stream=out)
    ds.add_metric("acc", 0.5)
    second = ds.publish(stream=out)
    # When start() is called before a third publish
    ds.start()
    third = ds.publish(stream=out)
    # Then the 2nd run kept the parameter, the 3rd kept nothing; every id is new
    assert "alpha" in second["parameters"] and "acc" in second["metrics"]
    assert third["parameters"] == {} and third["metrics"] == {}
    assert len({first["id"], second["id"], third["id"]}) == 3
    # and each publish has its own times: the clock restarts after a publish
    assert first["start"] and second["start"] and second["end"]
    assert first["end"] <= second["start"] <= second["end"] <= third["start"]


def test_first_end_wins(monkeypatch, out):
    # Given a run whose end() is called twice
    ds.start()
    ds.end()
    record_end = ds._default_session().currentRun.end_time
    ds.end()
    # When published
    record = ds.publish(stream=out)
    # Then the first end time is the run's end
    assert record["end"] == record_end.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_debug_prints_the_json_without_markers(capsys):
    # Given a run with a label
    ds.start()
    ds.add_label("team", "ml")
    # When debug() is called
    ds.debug()
    text = capsys.readouterr().out
    # Then the v1 JSON is printed, without markers
    assert "DOTSCIENCE-RUN" not in text
    assert json.loads(text)["labels"] == {"team": "ml"}


def test_run_context_publishes_on_exit(out):
    # Given a with-block run
    with ds.run("ctx", stream=out) as r:
        r.metric("acc", 0.7)
    # Then it was published with its description
    assert r.record["description"] == "ctx"
    assert block(out.getvalue())["summary"] == {"acc": "0.7"}


def test_run_context_records_the_exception_and_reraises(out):
    # Given a with-block that raises
    with pytest.raises(ZeroDivisionError):
        with ds.run("bad", stream=out):
            1 / 0  # noqa: B018
    # Then the published run carries the error
    assert block(out.getvalue())["error"] == "ZeroDivisionError: division by zero"


# -- values -------------------------------------------------------------------------------------


def test_pairs_apply_keywords_first_then_positional(out):
    # Given the same key both as keyword and positional
    ds.start()
    ds.add_parameters("a", 1, "b", 2, a=0)
    # When published
    ds.publish(stream=out)
    # Then positional pairs were applied after keywords (they win)
    assert block(out.getvalue())["parameters"] == {"a": "1", "b": "2"}


@pytest.mark.parametrize("fn", ["add_labels", "add_metrics", "add_parameters", "add_summaries"])
def test_odd_pair_count_raises_value_error_and_keeps_declarations(fn, out):
    # Given earlier declarations
    ds.start()
    ds.add_label("keep", "me")
    # When an odd number of positional values is given
    with pytest.raises(ValueError, match="odd"):
        getattr(ds, fn)("a", 1, "b", x=1)
    # Then nothing was applied and nothing earlier was lost
    body = (ds.publish(stream=out), block(out.getvalue()))[1]
    assert body["labels"] == {"keep": "me"}
    assert "x" not in body["parameters"] and "x" not in body["summary"]


def test_numbers_stay_numbers_and_numpy_pandas_become_python(out):
    # Given numbers of several kinds
    ds.start()
    ds.add_parameter("i", 3)
    ds.add_parameter("npf", np.float32(0.25))
    ds.add_parameter("npi", np.int64(7))
    ds.add_parameter("npb", np.bool_(True))
    ds.add_parameter("pdi", pd.Series([5]).iloc[0])
    ds.add_parameter("flag", False)
    ds.add_parameter("none", None)
    # When published
    record = ds.publish(stream=out)
    # Then the record has Python numbers, the block their str()
    p = record["parameters"]
    assert p["i"] == {"value": 3, "text": "3"}
    assert p["npf"] == {"value": 0.25, "text": "0.25"} and type(p["npf"]["value"]) is float
    assert p["npi"]["value"] == 7 and type(p["npi"]["value"]) is int
    assert p["npb"]["value"] is True and p["pdi"]["value"] == 5
    assert p["flag"] == {"value": False, "text": "False"}
    assert p["none"] == {"value": None, "text": "None"}
    json.dumps(record, allow_nan=False)


def test_non_finite_floats_are_kept_and_marked(out, workspace):
    # Given NaN and infinities as metrics
    ds.start()
    ds.add_metric("nan", float("nan"))
    ds.add_metric("inf", np.float64("inf"))
    ds.add_metric("ninf", -math.inf)
    # When published
    record = ds.publish(stream=out)
    # Then they are marked in the record, printed in the block, and the spool is strict JSON
    assert record["metrics"]["nan"][0]["value"] == {"$float": "nan"}
    assert record["metrics"]["inf"][0]["value"] == {"$float": "inf"}
    assert record["metrics"]["ninf"][0]["value"] == {"$float": "-inf"}
    assert block(out.getvalue())["summary"] == {"nan": "nan", "inf": "inf", "ninf": "-inf"}
    spooled = (workspace / ".dotscience" / "spool" / f"{record['id']}.json").read_text()
    assert "NaN" not in spooled and json.loads(spooled)["id"] == record["id"]


def test_repeated_metric_keeps_series_with_steps_and_last_value_in_block(out):
    # Given a metric declared three times, one with an explicit step
    ds.start()
    ds.add_metric("loss", 0.9)
    ds.add_metric("loss", 0.5, step=10)
    ds.metric("loss", 0.1)
    # When published
    record = ds.publish(stream=out)
    # Then the series is kept in order with steps 0, 10, 11 and times; the block has the last
    series = record["metrics"]["loss"]
    assert [(p["value"], p["step"]) for p in series] == [(0.9, 0), (0.5, 10), (0.1, 11)]
    assert all(p["time"].endswith("Z") for p in series)
    assert block(out.getvalue())["summary"] == {"loss": "0.1"}


def test_other_values_are_stored_as_their_str_at_declaration(out):
    # Given a mutable list declared as a parameter, then changed
    ds.start()
    layers = [1, 2]
    ds.add_parameter("layers", layers)
    layers.append(3)
    # When published
    record = ds.publish(stream=out)
    # Then the value seen at declaration is kept, as text
    assert record["parameters"]["layers"] == {"value": "[1, 2]", "text": "[1, 2]"}


def test_value_whose_str_raises_gives_type_error_naming_the_key(out):
    # Given a value whose str() fails
    class Bad:
        def __str__(self):
            raise RuntimeError("no")

    ds.start()
    ds.add_metric("ok", 1)
    # When declared
    with pytest.raises(TypeError, match="'weird'"):
        ds.add_metric("weird", Bad())
    with pytest.raises(TypeError, match="'lab'"):
        ds.add_label("lab", Bad())
    # Then earlier declarations are still there
    assert block((ds.publish(stream=out), out.getvalue())[1])["summary"] == {"ok": "1"}


def test_wrong_path_type_is_a_clear_error():
    # Given a started run
    ds.start()
    # When a non-path is declared
    # Then the error names the argument
    with pytest.raises(TypeError, match="input path"):
        ds.add_input(42)
    with pytest.raises(TypeError, match="output path"):
        ds.output(None)


def test_bad_step_is_a_clear_error():
    ds.start()
    # When a metric step is not an int
    # Then the error names the metric
    with pytest.raises(TypeError, match="'loss'.*step"):
        ds.add_metric("loss", 1.0, step="first")


# -- models -------------------------------------------------------------------------------------


def fake_module(name, version="1.0"):
    module = types.ModuleType(name)
    module.__version__ = version
    return module


def test_model_label_and_outputs(workspace, out):
    # Given a torch model directory with a classes file
    write(workspace / "model" / "weights.pt", "w")
    write(workspace / "model" / "classes.json", "[]")
    ds.start()
    # When registered
    ds.model(fake_module("torch", "2.3.0"), "net", "model", classes="model/classes.json")
    record = ds.publish(stream=out)
    # Then the artefact label is compact sorted JSON and the files are outputs
    label = block(out.getvalue())["labels"]["artefact:net"]
    assert label == ('{"files":{"classes":"model/classes.json","model":"model"},'
                     '"type":"torch-model","version":"2.3.0"}')  # fmt: skip
    assert block(out.getvalue())["output"] == ["model/classes.json", "model/weights.pt"]
    assert record["models"][0]["framework"] == "torch"
    assert len(record["models"][0]["files"]) == 2


def test_keras_submodule_is_accepted_as_tensorflow(workspace):
    # Given keras (identified by its top-level name)
    ds.start()
    # When registered
    ds.model(fake_module("keras.models", "3.0"), "k", write(workspace / "m" / "k.keras"))
    # Then it is a tensorflow model
    assert '"type":"tensorflow-model"' in ds._default_session().currentRun.labels["artefact:k"]


def test_unsupported_framework_lists_supported_ones():
    ds.start()
    # When a non-supported framework module is given
    with pytest.raises(ValueError) as info:
        ds.model(fake_module("xgboost"), "m", "m.bin")
    # Then the error lists the supported frameworks
    for name in ("sklearn", "tensorflow", "torch", "onnx"):
        assert name in str(info.value)
    with pytest.raises(TypeError, match="framework module"):
        ds.model("sklearn", "m", "m.bin")


def test_classes_outside_the_model_directory_is_rejected(workspace):
    # Given a model dir and a classes file elsewhere
    (workspace / "model").mkdir()
    ds.start()
    # When registered
    with pytest.raises(ValueError, match="inside the model directory"):
        ds.model(fake_module("onnx"), "m", "model", classes="classes.json")
    # Then nothing was registered
    assert ds._default_session().currentRun.labels == {}


# -- packaging ----------------------------------------------------------------------------------


def test_import_uses_only_the_standard_library():
    # Given a fresh interpreter
    code = ("import sys, dotscience; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'IPython', 'comm', 'jupyter_server', 'pandas')]; print(bad)")  # fmt: skip
    # When dotscience is imported
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)  # fmt: skip
    # Then none of the optional packages was imported
    assert result.stdout.strip() == "[]"


def test_version_falls_back_to_package_json():
    # Given the package
    # Then a version string is exposed
    assert isinstance(ds.__version__, str) and ds.__version__
    package_json = pathlib.Path(ds.__file__).parent.parent / "package.json"
    if package_json.exists():
        assert ds.__version__ == json.loads(package_json.read_text())["version"]
