"""The two public classes of 0.8.7 (``Run``, ``Dotscience``), repeated publishing, and the
read-only run that ``publish()`` returns."""

from __future__ import annotations

import copy
import io
import json
import os
import pathlib
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dotscience as ds
from dotscience import v1

from .conftest import write

BLOCK = re.compile(r"\A\[\[DOTSCIENCE-RUN:(.+?)\]\](.*)\[\[/DOTSCIENCE-RUN:\1\]\]\Z", re.DOTALL)
V1_TIME = re.compile(r"^\d{8}T\d{6}\.\d{6}$")


def body(text: str) -> dict:
    [(_, found)] = v1.find_blocks(text)
    return found


# -- dotscience.Run ---------------------------------------------------------------------------


def test_the_issue_snippet_prints_the_v1_block_of_a_run(capsys):
    # Given a run object for a workspace root that does not even exist, as in 0.8.7
    r = ds.Run("/workspace-root")
    # When a parameter is declared and the run printed
    r.add_parameter("a", 1)
    print(r)
    text = capsys.readouterr().out
    # Then the v1 block is printed, byte for byte as 0.8.7 formats it, without a newline
    # of its own
    assert text == (
        f"[[DOTSCIENCE-RUN:{r.id}]]{{\n"
        '    "input": [],\n    "labels": {},\n    "output": [],\n'
        '    "parameters": {\n        "a": "1"\n    },\n'
        '    "summary": {},\n    "version": "1"\n'
        f"}}[[/DOTSCIENCE-RUN:{r.id}]]\n"
    )
    # and nothing was created under the root
    assert not os.path.exists("/workspace-root")


def test_run_paths_are_relative_to_its_own_root_and_outside_ones_flagged(workspace):
    # Given a run rooted in a subdirectory, with files inside and outside it
    root = workspace / "project"
    write(root / "data" / "a.csv", "a")
    write(workspace / "elsewhere.csv", "b")
    r = ds.Run(str(root))
    # When both are declared from the workspace directory
    r.add_inputs(str(root / "data" / "a.csv"), "elsewhere.csv")
    # Then the inside path is root-relative, the outside one is kept absolute (flagged)
    assert json.loads(BLOCK.match(str(r)).group(2))["input"] == sorted(
        ["data/a.csv", str(workspace / "elsewhere.csv")])  # fmt: skip
    assert r.inputs["data/a.csv"]["outside"] is False
    assert r.inputs[str(workspace / "elsewhere.csv")]["outside"] is True


def test_run_aliases_are_the_same_bound_methods_and_values_come_back():
    # Given a run
    r = ds.Run("/workspace-root")
    # Then the summary aliases are the metric methods, bound to the run
    assert r.summary == r.metric and r.add_summary == r.add_metric
    assert r.add_summaries == r.add_metrics
    # and the binding methods return what they were given
    value = [1, 2]
    assert r.parameter("p", value) is value and r.label("l", value) is value
    assert r.metric("m", value) is value and r.error(value) is value
    assert r.description(value) is value
    assert r.input("in.csv") == "in.csv" and r.output("out.csv") == "out.csv"
    # while the add_ family returns None
    assert r.add_parameters("a", 1, b=2) is None and r.add_labels(c=3) is None
    assert r.add_metrics("d", 4) is None and r.add_summaries("e", 5) is None
    assert r.set_error("x") is None and r.set_description("y") is None


def test_run_start_twice_raises_and_the_first_end_wins():
    # Given a started and ended run
    r = ds.Run("/workspace-root")
    r.start()
    r.end()
    first_end = json.loads(BLOCK.match(str(r)).group(2))["end"]
    # When start() is called again
    with pytest.raises(RuntimeError, match="more than once"):
        r.start()
    # Then the run keeps its times; a second end() changes nothing
    r.end()
    meta = json.loads(BLOCK.match(str(r)).group(2))
    assert meta["end"] == first_end and V1_TIME.match(meta["start"])


def test_new_id_and_forget_times():
    # Given a started, ended run
    r = ds.Run("/workspace-root")
    r.start()
    r.end()
    old = r.id
    # When it gets a new id and forgets its times
    r.newID()
    r.forget_times()
    # Then the block carries the new id in both markers and no times
    match = BLOCK.match(str(r))
    assert match.group(1) == r.id != old
    assert "start" not in json.loads(match.group(2)) and "end" not in json.loads(match.group(2))


def test_run_output_directories_are_expanded_when_printed(workspace):
    # Given an output directory declared before it exists
    r = ds.Run(str(workspace))
    r.add_output("results")
    assert json.loads(BLOCK.match(str(r)).group(2))["output"] == ["results"]
    # When files appear in it
    write(workspace / "results" / "b.txt")
    write(workspace / "results" / "sub" / "a.txt")
    # Then printing lists them
    assert json.loads(BLOCK.match(str(r)).group(2))["output"] == [
        "results/b.txt", "results/sub/a.txt"]  # fmt: skip


def test_run_model_may_name_files_that_do_not_exist_yet():
    # Given a run (0.8.7 registered models before writing them, classes anywhere)
    r = ds.Run("/workspace-root")
    tf = type("TF", (), {"__name__": "tensorflow", "__version__": "1.2.3.4"})()
    # When a model and a classes file that do not exist yet are registered
    assert r.model(tf, "m", "/workspace-root/data/m.h5", classes="/workspace-root/c.json") == (
        "/workspace-root/data/m.h5")  # fmt: skip
    # Then the label and outputs are as 0.8.7 printed them
    meta = json.loads(BLOCK.match(str(r)).group(2))
    assert meta["labels"]["artefact:m"] == (
        '{"files":{"classes":"c.json","model":"data/m.h5"},'
        '"type":"tensorflow-model","version":"1.2.3.4"}')  # fmt: skip
    assert meta["output"] == ["c.json", "data/m.h5"]


def test_model_with_existing_files_is_still_checked(workspace):
    # Given an existing model directory and an existing classes file outside it
    (workspace / "model").mkdir()
    write(workspace / "classes.json", "[]")
    r = ds.Run(str(workspace))
    # When registered
    # Then the classes file is refused and nothing was recorded
    with pytest.raises(ValueError, match="inside the model directory"):
        r.model(type("M", (), {"__name__": "onnx"})(), "m", "model", classes="classes.json")
    assert r.labels == {} and r.outputs == {}


def test_publishing_a_model_whose_classes_ended_up_outside_warns_and_keeps_the_run(workspace,
                                                                                    out):  # fmt: skip
    # Given a model registered before its files existed, classes outside the model directory
    sk = type("SK", (), {"__name__": "sklearn", "__version__": "1.5"})()
    ds.start()
    ds.model(sk, "clf", "model/clf.joblib", classes="classes.json")
    write(workspace / "model" / "clf.joblib")
    write(workspace / "classes.json", "[]")
    # When published
    with pytest.warns(UserWarning, match="classes.json.*not inside the model directory"):
        record = ds.publish(stream=out)
    # Then the run is published with the model, without the misplaced classes
    assert record["models"][0]["name"] == "clf" and record["models"][0]["classes"] is None
    assert "classes.json" in body(out.getvalue())["output"]


def test_an_empty_model_name_is_kept_as_a_label_but_not_registered(out):
    # Given a model registered under an empty name (0.8.7 accepted it)
    sk = type("SK", (), {"__name__": "sklearn", "__version__": "1.5"})()
    ds.start()
    with pytest.warns(UserWarning, match="empty name"):
        ds.model(sk, "", "m.joblib")
    # When published
    record = ds.publish(stream=out)
    # Then the label is there but no model is registered (it could not be built)
    assert "artefact:" in body(out.getvalue())["labels"] and record["models"] == []


# -- dotscience.Dotscience --------------------------------------------------------------------


def test_the_issue_snippet_for_an_independent_session(workspace, capsys):
    # Given an independent session
    d = ds.Dotscience()
    # When it is used as in 0.8.7
    d.interactive()
    d.start()
    result = d.publish("x", stream=sys.stdout)
    # Then it printed its run's block and returned the run
    meta = body(capsys.readouterr().out)
    assert meta["description"] == "x" and "workload-file" not in meta
    assert result["description"] == "x"


def test_sessions_and_the_module_share_nothing(workspace, out):
    # Given the module in script mode and two independent sessions in other modes
    ds.script("job.py")
    ds.start("module run")
    ds.add_parameter("who", "module")
    a, b = ds.Dotscience(), ds.Dotscience()
    a.interactive()
    a.start("a run")
    a.add_parameter("who", "a")
    b.remote()
    # When each declares and publishes
    a_out = io.StringIO()
    a.publish(stream=a_out)
    ds.publish(stream=out)
    # Then each block carries only its own session's run and mode
    mod, first = body(out.getvalue()), body(a_out.getvalue())
    assert mod["parameters"] == {"who": "module"} and mod["workload-file"] == "job.py"
    assert first["parameters"] == {"who": "a"} and "workload-file" not in first
    # and the modes are independent: b is remote, a interactive, the module script
    with pytest.raises(RuntimeError, match="interactive"):
        a.script()
    with pytest.raises(RuntimeError, match="remote"):
        b.interactive()
    assert b.currentRun is None


def test_module_functions_use_one_default_instance(workspace, out):
    # Given the module's default instance
    default = ds._defaultDS
    assert isinstance(default, ds.Dotscience)
    # When the module starts a run
    ds.start()
    ds.metric("acc", 0.5)
    # Then it is that instance's current run, a dotscience.Run
    assert isinstance(default.currentRun, ds.Run)
    assert default.currentRun.metrics["acc"][0][0] == 0.5
    # and an independent instance has none
    assert ds.Dotscience().currentRun is None


def test_dotscience_has_every_module_function_as_a_method():
    # Given the module's public functions
    functions = [name for name in ds.__all__ if callable(getattr(ds, name))
                 and not isinstance(getattr(ds, name), type)
                 and name not in ("load_ipython_extension",)]  # fmt: skip
    # Then each is a method of Dotscience, and the aliases are the same methods
    d = ds.Dotscience()
    missing = [name for name in functions if not callable(getattr(d, name, None))]
    assert missing == []
    assert d.summary == d.metric and d.add_summary == d.add_metric
    assert d.add_summaries == d.add_metrics and d.param == d.parameter


def test_remote_mode_without_connect_is_a_clear_error_and_keeps_the_run(out):
    # Given remote mode with a declaration but no connect()
    d = ds.Dotscience()
    d.remote()
    d.start()
    d.add_parameter("a", 1)
    # When published
    with pytest.raises(RuntimeError, match=r"connect\("):
        d.publish(stream=out)
    # Then nothing was printed and the declaration is still there
    assert out.getvalue() == "" and d.currentRun.parameters == {"a": 1}


def test_remote_is_the_0_8_7_function_and_still_the_client_module():
    # Given the package, whose hub client module is also named remote
    from dotscience import remote as module
    from dotscience.remote import Client

    # When remote() is called at module level, as with 0.8.7
    result = ds.remote()
    # Then the default session is in remote mode (another mode now conflicts) ...
    assert result is None
    with pytest.raises(RuntimeError, match="remote"):
        ds.interactive()
    # ... and the name still gives the client module
    assert ds.remote is module and module.Client is Client


def test_mode_guessed_from_the_environment_is_kept(monkeypatch, out):
    # Given no mode and a command workload type
    monkeypatch.setenv("DOTSCIENCE_WORKLOAD_TYPE", "command")
    d = ds.Dotscience()
    # When published
    d.publish(stream=out)
    # Then the session is now in script mode (as 0.8.7): interactive() conflicts
    with pytest.raises(RuntimeError, match="script"):
        d.interactive()


# -- repeated publishing ------------------------------------------------------------------------


def test_each_publish_without_start_gets_its_own_times(out):
    # Given a started run published three times without start()
    ds.start()
    outs = [io.StringIO() for _ in range(3)]
    records = [ds.publish(f"p{i}", stream=s) for i, s in enumerate(outs)]
    blocks = [body(s.getvalue()) for s in outs]
    # Then every block has a start and an end, and no two blocks share either
    assert all(V1_TIME.match(b["start"]) and V1_TIME.match(b["end"]) for b in blocks)
    assert len({b["start"] for b in blocks}) == 3 and len({b["end"] for b in blocks}) == 3
    # and each later run starts after the previous one ended
    for before, after in zip(records, records[1:], strict=False):
        assert after["start"] >= before["end"]


def test_a_declaration_after_publish_restarts_the_clock(out, capsys):
    # Given a published run
    ds.start()
    first = ds.publish(stream=out)
    # When something is declared later, then published
    ds.add_metric("acc", 1)
    second = ds.publish(stream=out)
    # Then the second run started at that declaration, after the first ended, and the
    # "doing it for you" message was not printed again
    assert first["end"] <= second["start"] <= second["metrics"]["acc"][0]["time"]
    assert "You have not called" not in capsys.readouterr().out


# -- the published run --------------------------------------------------------------------------


@pytest.fixture
def published(workspace, out):
    write(workspace / "in.csv", "x")
    ds.start()
    ds.add_inputs("in.csv")
    ds.add_output("out.csv")
    ds.add_parameters(a=1, b=2, c="<three>")
    ds.add_metric("acc", 0.9)
    return ds.publish("<b>my</b> run", stream=out)


def test_published_run_reads_like_a_dict_and_cannot_be_changed(published):
    # Given a published run
    run = published
    # Then it reads as the record did, and serialises as JSON
    assert run["id"] and run["parameters"]["a"]["value"] == 1 and run["outputs"][0]["path"]
    assert json.loads(json.dumps(run))["id"] == run["id"]
    # When anything in it is changed
    # Then it refuses, nested parts included
    for change in (lambda: run.__setitem__("id", "x"), lambda: run.pop("id"),
                   lambda: run.update(id="x"), lambda: run.clear(),
                   lambda: run["parameters"].__setitem__("a", 2),
                   lambda: run["inputs"].append({}), lambda: run["inputs"][0].update(size=0),
                   lambda: run["metrics"]["acc"].clear()):  # fmt: skip
        with pytest.raises(TypeError, match="read-only"):
            change()
    # and a copy is an ordinary, changeable dict
    mutable = copy.deepcopy(run)
    mutable["parameters"]["a"] = 2
    assert type(mutable) is dict and run["parameters"]["a"]["value"] == 1
    plain = run.to_dict()
    assert plain == run and type(plain["parameters"]) is dict and type(plain["inputs"]) is list


def test_published_run_repr_is_one_short_line(published):
    # Given a published run whose record carries the whole environment
    assert len(published["environment"]["packages"]) > 20
    # When shown as plain text
    text = repr(published)
    # Then it is one line naming the run, not the record
    assert "\n" not in text and len(text) < 300
    assert published["id"] in text and "3 parameters" in text and "1 metric" in text
    assert "packages" not in text


def test_hostile_record_text_stays_one_line_and_inert():
    # Given a record whose fields carry markup and line breaks (e.g. from a hostile server)
    run = ds.PublishedRun(
        {"id": "a\nb<script>", "description": "x\n" * 500 + "<img src=x onerror=alert(1)>",
         "error": "</div><b>", "parameters": {"p": {}}, "metrics": []},
        where="<i>here</i>",
    )  # fmt: skip
    # When shown as text and as HTML
    text, html = repr(run), run._repr_html_()
    # Then the text is one short line and the HTML has no markup from the record
    assert "\n" not in text and len(text) < 300
    for markup in ("<script>", "<img", "</div><b>", "<i>"):
        assert markup not in html
    assert "1</b> parameter" in html and "0</b> metrics" in html


def test_published_run_html_card(published, workspace):
    # Given a published run (no server: printed and spooled)
    # When rendered as HTML
    html = published._repr_html_()
    # Then it is a small card: id, escaped description, counts and where to find it
    assert published["id"] in html
    assert "&lt;b&gt;my&lt;/b&gt; run" in html and "<b>my</b>" not in html
    for count in ("1</b> input", "1</b> output", "3</b> parameters", "1</b> metric"):
        assert count in html
    assert os.path.join(".dotscience", "spool", f"{published['id']}.json") in html
    assert len(html) < 4000 and "packages" not in html


def test_a_cell_ending_in_publish_shows_one_card(workspace):
    # Given an IPython shell (what a notebook cell runs in)
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    # When a cell ends with ds.publish(...)
    result = shell.run_cell("import dotscience as ds\nds.start()\nds.publish('shown')")
    formatted, _ = shell.display_formatter.format(result.result)
    # Then its output is one line of text and one HTML card, not the record
    assert "\n" not in formatted["text/plain"] and "shown" in formatted["text/plain"]
    assert formatted["text/html"].count("<table") <= 1 and "shown" in formatted["text/html"]
    assert "environment" not in formatted["text/plain"] + formatted["text/html"]


def test_in_jupyterlab_the_card_is_the_only_output_and_opens_the_run(monkeypatch, out):
    # Given a kernel attached to the JupyterLab extension, whose server stores runs
    from .test_delivery import FakeServer

    server = FakeServer()
    try:
        monkeypatch.setenv("DOTSCIENCE_SERVER_URL", server.url)
        ds._default_session().extension_attached = True
        ds.start()
        # When a run is published
        published = ds.publish("in the lab", stream=out)
    finally:
        server.close()
    # Then nothing is printed besides the card, which says where the run is and opens it
    assert out.getvalue() == ""
    assert "Dotscience sidebar" in published.where
    html = published._repr_html_()
    assert 'data-commandlinker-command="dotscience:open-run"' in html
    assert f"&quot;id&quot;: &quot;{published['id']}&quot;" in html


def test_outside_jupyterlab_the_server_announces_the_run_and_the_card_has_no_button(
    monkeypatch, out
):
    # Given a script whose environment names a server (no JupyterLab attached)
    from .test_delivery import FakeServer

    server = FakeServer()
    try:
        monkeypatch.setenv("DOTSCIENCE_SERVER_URL", server.url)
        ds.start()
        # When a run is published
        published = ds.publish("from a script", stream=out)
    finally:
        server.close()
    # Then one line says so, and the card names the server but offers no JupyterLab button
    assert out.getvalue() == f"Published run {published['id']}\n"
    assert server.url in published.where
    assert "commandlinker" not in published._repr_html_()


def test_run_context_record_is_the_published_run(out):
    # Given a with-block run
    with ds.run("ctx", stream=out) as r:
        r.metric("acc", 0.7)
    # Then its record is the read-only published run
    assert isinstance(r.record, ds.PublishedRun) and r.record["description"] == "ctx"


# -- str(Run) against the module-level block ---------------------------------------------------

keys = st.text(min_size=0, max_size=12)
values = st.one_of(
    st.text(max_size=20), st.integers(), st.booleans(), st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
)  # fmt: skip
paths = st.sampled_from(["a.csv", "dir", "dir/b.csv", "missing.csv", "../outside.csv",
                         "/tmp/absolute-elsewhere.csv", "sub/../a.csv"])  # fmt: skip
declarations = st.lists(
    st.one_of(
        st.tuples(st.just("add_parameter"), keys, values),
        st.tuples(st.just("add_metric"), keys, values),
        st.tuples(st.just("add_label"), keys, values),
        st.tuples(st.just("add_input"), paths),
        st.tuples(st.just("add_output"), paths),
        st.tuples(st.just("set_description"), st.text(max_size=30)),
        st.tuples(st.just("set_error"), st.text(max_size=30)),
    ),
    max_size=12,
)


def _workspace(factory) -> pathlib.Path:
    root = factory.mktemp("roundtrip") / "root"
    write(root / "a.csv", "a")
    write(root / "dir" / "b.csv", "b")
    write(root / "dir" / "c" / "d.csv", "d")
    return root


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(declarations=declarations, script=st.booleans())
def test_str_run_is_the_block_the_module_prints(declarations, script, monkeypatch,
                                                tmp_path_factory):  # fmt: skip
    # Given a session and an independent Run, both rooted in the same fresh workspace
    root = _workspace(tmp_path_factory)
    monkeypatch.chdir(root)
    session = ds._reset_session(str(root))
    mode = session.script if script else session.interactive
    mode(*(["job.py"] if script else []))
    ds.start()
    r = ds.Run(str(root))
    # When the same declarations are made through the module and on the Run
    for name, *args in declarations:
        getattr(ds, name)(*args)
        getattr(r, name)(*args)
    ds.end()
    run = session.currentRun
    before, old_id = str(run), run.id
    out = io.StringIO()
    published = ds.publish(stream=out)
    # Then the module printed str(its Run) plus one newline, under the published id (in
    # script mode publish() adds the workload file, as 0.8.7 did) ...
    if script:
        assert body(out.getvalue()) == {**body(before), "workload-file": "job.py"}
    else:
        assert out.getvalue() == before.replace(old_id, published["id"]) + "\n"
    # ... the independent Run prints the same metadata (its own id and times) ...
    mine = json.loads(BLOCK.match(str(r)).group(2))
    theirs = body(out.getvalue())
    for meta in (mine, theirs):
        meta.pop("start", None), meta.pop("end", None), meta.pop("workload-file", None)
    assert mine == theirs
    # ... and str(Run) survives the legacy importer and the block formatter byte for byte
    [(rid, meta)] = v1.find_blocks(str(r))
    again = v1.format_block(rid, v1.v1_from_record(v1.record_from_v1(rid, meta)))
    assert again == str(r) + "\n"
