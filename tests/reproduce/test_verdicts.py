"""Reproduce a notebook's run: the verdict a user sees for deterministic, random, slightly
noisy and incomplete runs."""

from __future__ import annotations

import uuid

from .conftest import wait_for

DETERMINISTIC = [
    "import pathlib\n\nimport dotscience as ds\n\nds.start('deterministic')",
    "text = pathlib.Path(ds.input('data/in.csv')).read_text()\nrows = len(text.splitlines())",
    "ds.parameter('rows', rows)\n"
    "ds.metric('mean', sum(int(x) for x in text.split()) / rows)\n"
    "for i in range(3):\n    ds.metric('loss', 1 / (i + 1), step=i)",
    "pathlib.Path('out').mkdir(exist_ok=True)\n"
    "pathlib.Path('out/summary.txt').write_text(f'{rows} rows')\n"
    "ds.output('out/summary.txt')",
    "print(ds.publish('deterministic')['id'])",
]


def test_deterministic_notebook_is_identical(live):
    # Given a deterministic notebook executed in a real kernel and published by ds.publish()
    (live.root / "data").mkdir(exist_ok=True)
    (live.root / "data" / "in.csv").write_text("1\n2\n3\n")
    run_id = live.execute("deterministic.ipynb", DETERMINISTIC)
    summary = live.root / "out" / "summary.txt"
    before = summary.stat().st_mtime_ns
    # When it is reproduced
    rep = live.reproduced(run_id)
    # Then the verdict is identical, every cell of the replay ran, and nothing differs
    assert rep["verdict"] == "identical", rep
    assert rep["cells"] == len(DETERMINISTIC) and rep["cell"] == rep["cells"]
    assert rep["result"]["differences"] == [] and rep["result"]["failed"] is None
    assert rep["requested_by"] == "alice" and rep["finished"]
    # And the replay published its own run, linked to the original, in the same project
    replay = live.run(rep["replay_run_id"])
    original = live.run(run_id)
    assert replay["reproduces"] == run_id and replay["id"] != run_id
    assert replay["project"] == original["project"] and replay["author"] == "alice"
    assert replay["parameters"] == original["parameters"]
    assert [f["sha256"] for f in replay["outputs"]] == [f["sha256"] for f in original["outputs"]]
    # And the original carries the verdict, and lists the reproduction
    assert original["verdict"] == "identical"
    status, listing = live.api("GET", f"runs/{run_id}/reproductions")
    assert status == 200 and [r["id"] for r in listing["reproductions"]] == [rep["id"]]
    # And the original's files were not touched; the scratch workspace goes away
    assert summary.read_text() == "3 rows" and summary.stat().st_mtime_ns == before
    assert wait_for(lambda: not (live.root / ".dotscience" / "reproductions" / rep["id"]).exists())


def test_unseeded_random_metric_differs_naming_that_metric(live):
    # Given a notebook whose metric "noise" is an unseeded random number ("fixed" is not)
    run_id = live.execute(
        "random.ipynb",
        [
            "import random\n\nimport dotscience as ds\n\nds.start('random')",
            "ds.metric('noise', random.random())\nds.metric('fixed', 0.5)",
            "print(ds.publish('random')['id'])",
        ],
    )
    # When it is reproduced
    rep = live.reproduced(run_id)
    # Then it differs, and the one difference named is the noise metric
    assert rep["verdict"] == "differs", rep
    (difference,) = rep["result"]["differences"]
    assert difference["kind"] == "metric" and difference["name"] == "noise"
    assert difference["original"] != difference["replay"]
    assert 0 < difference["relative_difference"] <= 1
    assert live.run(run_id)["verdict"] == "differs"


def test_tiny_noise_is_within_a_relative_tolerance(live):
    # Given a metric that varies in its ninth significant digit
    run_id = live.execute(
        "tiny-noise.ipynb",
        [
            "import random\n\nimport dotscience as ds\n\nds.start('tiny noise')",
            "ds.metric('score', 1.0 + random.random() * 1e-9)",
            "print(ds.publish('tiny noise')['id'])",
        ],
    )
    # When it is reproduced with a relative tolerance of 1e-6
    rep = live.reproduced(run_id, tolerance=1e-6)
    # Then it is within tolerance (and recorded with that tolerance)
    assert rep["verdict"] == "within_tolerance", rep
    assert rep["tolerance"] == 1e-6 and rep["result"]["differences"] == []


def test_input_deleted_from_the_workspace_is_restored_from_the_artifact_store(live):
    # Given a run that read data/gone.csv, which was deleted from the workspace afterwards
    data = live.root / "data" / "gone.csv"
    data.parent.mkdir(exist_ok=True)
    data.write_text("a,b\n1,2\n3,4\n")
    run_id = live.execute(
        "reads-input.ipynb",
        [
            "import dotscience as ds\n\nds.start('reads an input')",
            "text = open(ds.input('data/gone.csv')).read()\nds.metric('chars', len(text))",
            "print(ds.publish('reads an input')['id'])",
        ],
    )
    data.unlink()
    # When it is reproduced
    rep = live.reproduced(run_id)
    # Then the replay read the captured content: identical
    assert rep["verdict"] == "identical", rep
    assert (
        live.run(rep["replay_run_id"])["inputs"][0]["sha256"]
        == (live.run(run_id)["inputs"][0]["sha256"])
    )
    # And the workspace was not given the file back
    assert not data.exists()


def test_input_outside_the_workspace_is_not_reproducible(live, tmp_path):
    # Given a run whose input lay outside the workspace (so it was never captured)
    outside = tmp_path / "outside.csv"
    outside.write_text("1,2\n")
    run_id = live.execute(
        "outside-input.ipynb",
        [
            "import dotscience as ds\n\nds.start('outside')",
            f"ds.metric('chars', len(open(ds.input({str(outside)!r})).read()))",
            "print(ds.publish('outside')['id'])",
        ],
    )
    # When it is reproduced
    rep = live.reproduced(run_id)
    # Then it is not reproducible, saying which input is missing and why; nothing ran
    assert rep["verdict"] == "not_reproducible", rep
    (sentence,) = rep["result"]["missing"]
    assert str(outside) in sentence and "outside the workspace" in sentence
    assert rep["cell"] == 0 and rep["replay_run_id"] is None


def test_record_without_executions_is_not_reproducible(live):
    # Given a run from an older client: no executions in its record
    run_id = str(uuid.uuid4())
    record = {"schema": "dotscience.run/2", "id": run_id, "description": "old client",
              "parameters": {"a": {"value": 1, "text": "1"}}}  # fmt: skip
    status, _ = live.api("POST", "runs", record)
    assert status == 201
    # When it is reproduced
    rep = live.reproduced(run_id)
    # Then it is not reproducible with the reason, and the server is fine
    assert rep["verdict"] == "not_reproducible", rep
    assert "no executions" in rep["result"]["missing"][0]
    assert live.api("GET", "version")[0] == 200


def test_a_failing_replay_names_the_cell_and_its_error(live):
    # Given a notebook with a cell that passes in the original session but fails when
    # replayed (it needs the server the original published to)
    cells = [
        "import os\n\nimport dotscience as ds\n\nds.start('fails on replay')",
        "assert os.environ.get('DOTSCIENCE_SERVER_URL'), 'no server here'",
        "print(ds.publish('fails on replay')['id'])",
    ]
    run_id = live.execute("fails.ipynb", cells)
    # When it is reproduced
    rep = live.reproduced(run_id)
    # Then it failed at the replay's cell 2, with the error and the code that ran
    assert rep["verdict"] == "failed", rep
    failed = rep["result"]["failed"]
    assert failed["cell"] == 2 and "AssertionError: no server here" in failed["error"]
    assert failed["source"] == cells[1] and failed["execution_count"] == 2
    assert rep["replay_run_id"] is None and rep["cell"] == 1


def test_failed_execution_of_the_original_is_not_replayed(live):
    # Given a session where one cell raised before the run was published
    run_id = live.execute(
        "skips.ipynb",
        [
            "import dotscience as ds\n\nds.start('skips')",
            "raise ValueError('only once')",
            "ds.metric('m', 2)",
            "print(ds.publish('skips')['id'])",
        ],
        allow_errors=True,
    )
    # When it is reproduced
    rep = live.reproduced(run_id)
    # Then the failed execution was left out (counted) and the rest is identical
    assert rep["verdict"] == "identical", rep
    assert rep["result"]["skipped"] == 1 and rep["cells"] == 3


def test_state_built_before_dotscience_was_imported_is_replayed(live):
    # Given a session whose first cell ran before the kernel library was imported
    run_id = live.execute(
        "state-first.ipynb",
        [
            "x = 41",
            "import dotscience as ds\n\nds.start('state first')\nds.metric('answer', x + 1)",
            "print(ds.publish('state first')['id'])",
        ],
    )
    # When it is reproduced
    rep = live.reproduced(run_id)
    # Then the first cell was replayed too: the metric is the same
    assert rep["verdict"] == "identical", rep
    assert rep["cells"] == 3
    assert live.run(rep["replay_run_id"])["metrics"]["answer"][0]["value"] == 42
