"""IPython magics in a real InteractiveShell."""

from __future__ import annotations

import pytest

import dotscience as ds
from dotscience import v1

from .conftest import write

pytest.importorskip("IPython")


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "dotscience")
    return sh


def blocks(text: str) -> list[dict]:
    return [body for _, body in v1.find_blocks(text)]


def test_line_magics_declare_and_publish(shell, workspace, capsys):
    # Given files in the workspace
    write(workspace / "in.csv", "x")
    # When a run is built with line magics
    for line in ["start first run", "input in.csv", "output out.bin",
                 "param alpha=0.5 kind=rbf layers=[1,2]", "metric acc=0.9", "label team=ml",
                 "error went wrong", "publish"]:  # fmt: skip
        result = shell.run_cell(f"%ds {line}")
        assert result.success, line
    # Then one block was printed with typed-as-text values
    [body] = blocks(capsys.readouterr().out)
    assert body["description"] == "first run"
    assert body["input"] == ["in.csv"] and body["output"] == ["out.bin"]
    assert body["parameters"] == {"alpha": "0.5", "kind": "rbf", "layers": "[1, 2]"}
    assert body["summary"] == {"acc": "0.9"} and body["labels"] == {"team": "ml"}
    assert body["error"] == "went wrong"


def test_param_values_are_literals_where_possible(shell, capsys):
    # Given a parameter set by magic
    shell.run_cell("%ds start")
    shell.run_cell("%ds param n=3 name=abc")
    # When published
    shell.run_cell("%ds publish")
    capsys.readouterr()
    # Then numbers are numbers and the rest text
    params = ds._default_session().currentRun.parameters
    assert params == {"n": 3, "name": "abc"}


def test_cell_magic_makes_the_cell_one_run(shell, capsys):
    # Given a cell run under %%ds run
    result = shell.run_cell("%%ds run training\nimport dotscience as ds\nds.metric('acc', 0.8)\n")
    # Then a run with the description and the metric was published
    assert result.success
    [body] = blocks(capsys.readouterr().out)
    assert body["description"] == "training" and body["summary"] == {"acc": "0.8"}
    assert "error" not in body


def test_cell_magic_records_an_exception_as_the_error(shell, capsys):
    # Given a cell that raises
    shell.run_cell("%%ds run failing\nraise ValueError('bad data')\n")
    # Then the run was published with the error
    [body] = blocks(capsys.readouterr().out)
    assert body["error"] == "ValueError: bad data"


def test_unknown_subcommand_gives_usage(shell, capsys):
    # Given an unknown subcommand
    shell.run_cell("%ds frobnicate")
    # Then the usage is shown and nothing was published
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "unknown subcommand 'frobnicate'" in text and "%ds start" in text
    assert "DOTSCIENCE-RUN" not in text


def test_pair_without_equals_gives_usage(shell, capsys):
    shell.run_cell("%ds start")
    capsys.readouterr()
    # When a pair lacks "="
    shell.run_cell("%ds metric acc")
    # Then the usage explains key=value
    captured = capsys.readouterr()
    assert "expected key=value" in captured.out + captured.err


def test_importing_inside_ipython_registers_the_magics():
    # Given a fresh interpreter with an IPython shell running
    import subprocess
    import sys

    code = ("from IPython.core.interactiveshell import InteractiveShell\n"
            "sh = InteractiveShell.instance()\n"
            "sh.run_cell('import dotscience')\n"
            "print('ds' in sh.magics_manager.magics['line'])\n")  # fmt: skip
    # When dotscience is imported inside it
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    # Then %ds exists without %load_ext
    assert result.stdout.strip().endswith("True"), result.stderr


def test_publish_magics_show_the_published_run_card(shell, capsys):
    # Given a started run
    shell.run_cell("%ds start")
    # When a cell ends with %ds publish, or is a %%ds run cell
    line = shell.run_cell("%ds publish by line magic")
    cell = shell.run_cell("%%ds run by cell magic\n1 + 1\n")
    capsys.readouterr()
    # Then each cell's result is the published run, shown as its card
    for result, description in ((line, "by line magic"), (cell, "by cell magic")):
        assert isinstance(result.result, ds.PublishedRun)
        formatted, _ = shell.display_formatter.format(result.result)
        assert description in formatted["text/html"] and "\n" not in formatted["text/plain"]
