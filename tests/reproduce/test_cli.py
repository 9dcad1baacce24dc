"""``dotscience reproduce RUN_ID [--json] [--tolerance REL] [--keep]``: exit codes, the verdict
and the table of differences, JSON."""

from __future__ import annotations

import json

import pytest

from dotscience.cli import main
from jupyterlab_dotscience.store import open_store

from .conftest import handmade, wait_for


@pytest.fixture
def cli(capsys, live):
    """Run ``dotscience reproduce ...`` in-process against ``live`` with its Jupyter token:
    ``(exit code, stdout, stderr)``."""

    def run(*args, token=True):
        conn = ["--hostname", live.url, "--interval", "0.2"]
        if token:
            conn += ["--token", live.server.token]
        try:
            code = main(["reproduce", *map(str, args), *conn])
        except SystemExit as e:  # argparse usage errors
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="module")
def runs(live):
    """A deterministic run, one with an unseeded random metric, one with tiny noise."""
    start = "import random\n\nimport dotscience as ds\n\nds.start('{0}')"
    made = {}
    for name, metric in (
        ("same", "ds.metric('accuracy', 0.75)"),
        ("random", "ds.metric('accuracy', 0.75)\nds.metric('noise', random.random())"),
        ("tiny", "ds.metric('score', 1 + random.random() * 1e-9)"),
    ):
        made[name] = live.execute(
            f"cli-{name}.ipynb",
            [start.format(name), metric, f"print(ds.publish('{name}')['id'])"],
        )
    return made


def test_identical_exits_0_and_says_so(cli, runs):
    # When a deterministic run is reproduced from the command line
    code, out, err = cli(runs["same"])
    # Then it exits 0 and says the run reproduced identically; progress went to stderr
    assert code == 0, err
    assert out.startswith(f"Run {runs['same']} reproduced as run ") and "identical." in out
    assert "cell " in err


def test_differs_exits_1_with_the_table_of_differences(cli, runs):
    # When a run with an unseeded random metric is reproduced
    code, out, _ = cli(runs["random"])
    # Then it exits 1 and the table names the metric that differs (and only it)
    assert code == 1
    assert ": differs." in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("KIND"))
    assert "REL. DIFFERENCE" in lines[header]
    rows = [line.split()[:2] for line in lines[header + 1 :] if line.strip()][:1]
    assert rows == [["metric", "noise"]]
    assert "accuracy" not in out


def test_json_prints_the_reproduction_and_keeps_the_exit_code(cli, runs, live):
    # When the runs are reproduced with --json
    code_same, out_same, _ = cli(runs["same"], "--json", "--keep")
    code_random, out_random, _ = cli(runs["random"], "--json")
    # Then stdout is the reproduction object, and the exit codes are those of the verdicts
    same, random_ = json.loads(out_same), json.loads(out_random)
    assert (code_same, same["verdict"], same["state"]) == (0, "identical", "done")
    assert (code_random, random_["verdict"]) == (1, "differs")
    assert [d["name"] for d in random_["result"]["differences"]] == ["noise"]
    # And --keep kept the scratch workspace of that reproduction (only)
    reproductions = live.root / ".dotscience" / "reproductions"
    assert (reproductions / same["id"]).is_dir()
    assert wait_for(lambda: not (reproductions / random_["id"]).exists())


def test_tolerance_decides_the_exit_code(cli, runs):
    # Given a metric that differs in its ninth significant digit
    # When it is reproduced exactly, then with --tolerance 1e-6
    exact, out_exact, _ = cli(runs["tiny"])
    within, out_within, _ = cli(runs["tiny"], "--tolerance", "1e-6")
    # Then exact says differs (1); with the tolerance it is within tolerance (0)
    assert exact == 1 and ": differs." in out_exact
    assert within == 0 and "within tolerance." in out_within


def test_without_a_jupyter_token_it_says_what_is_needed(cli, runs):
    # When no Jupyter token is given
    code, out, err = cli(runs["same"], token=False)
    # Then it exits 1 with one sentence naming what is needed
    assert code == 1 and out == ""
    assert "Reproducing a run needs a Jupyter login" in err and "--token" in err


@pytest.mark.parametrize("value, code", [("-1", 1), ("nan", 1), ("inf", 1), ("lots", 2)])
def test_bad_tolerance_is_refused_before_anything_starts(cli, runs, live, value, code):
    def count():
        return len(live.api("GET", f"runs/{runs['same']}/reproductions")[1]["reproductions"])

    before = count()
    # When the tolerance is negative, not a number or not finite
    exit_code, out, err = cli(runs["same"], "--tolerance", value)
    # Then it exits 1 (2 for something that is not a number at all) and starts nothing
    assert exit_code == code and out == "" and err
    assert count() == before


def test_another_users_run_needs_confirm(cli, live, tmp_path):
    # Given a run of bob's (stored by another server sharing the store)
    marker = tmp_path / "ran"
    record = handmade(marker)
    store = open_store("sqlite:///" + str(live.root / ".dotscience" / "dotscience.db"))
    try:
        store.put_run(record, author="bob")
    finally:
        store.close()
    # When alice reproduces it without --confirm
    code, out, err = cli(record["id"])
    # Then it exits 1 telling her whose code it is and how to go ahead; nothing ran
    assert code == 1 and out == ""
    assert "bob" in err and "--confirm" in err and not marker.exists()
    # When she passes --confirm / Then it is reproduced (its code ran)
    code, out, err = cli(record["id"], "--confirm")
    assert f"Run {record['id']} reproduced" in out and marker.exists()


def test_unknown_run_exits_1(cli):
    # When the run does not exist / Then one sentence and exit 1
    code, out, err = cli("00000000-0000-4000-8000-000000000000")
    assert code == 1 and out == "" and "There is no run" in err
