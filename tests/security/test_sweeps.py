"""Attacks on the sweeps API: a sweep executes a notebook's code, so only a Jupyter login
may use it; hostile bodies are refused in one sentence and nothing they name runs."""

from __future__ import annotations

import nbformat
import pytest

from .conftest import create_key, http, token_auth
from .test_kernel_path import kernel_environment

SWEEPS = "dotscience/api/sweeps"
GRID = {"method": "grid", "parameters": {"x": {"values": [1]}}}


@pytest.fixture(scope="module")
def notebook(live):
    """A harmless notebook in the live server's workspace."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import dotscience as ds\nds.publish()")]
    nbformat.write(nb, live.root / "ok.ipynb")
    return "ok.ipynb"


def test_api_keys_and_the_kernel_token_cannot_use_sweeps(live, notebook):
    # Given an API key of alice's and the kernel's publish token
    key = create_key(live, "sweeper")["key"]
    kernel_token = kernel_environment(live)["DOTSCIENCE_TOKEN"]
    for headers in ({"Authorization": f"Bearer {key}"},
                    {"Authorization": f"token {kernel_token}"}):  # fmt: skip
        # When either starts or lists sweeps
        status, answer = http("POST", live.url + SWEEPS, {"notebook": notebook, "spec": GRID},
                              headers)  # fmt: skip
        # Then it is refused: a sweep executes code, only a Jupyter login may
        assert status == 403 and "only a Jupyter login" in answer["error"], answer
        status, answer = http("GET", live.url + SWEEPS, None, headers)
        assert status == 403
    # And no sweep was started
    status, listed = http("GET", live.url + SWEEPS, None, token_auth(live))
    assert status == 200 and listed["sweeps"] == []


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"notebook": "../outside.ipynb", "spec": GRID}, 400, "not inside the workspace"),
        ({"notebook": "/etc/passwd.ipynb", "spec": GRID}, 400, "not inside the workspace"),
        ({"notebook": "missing.ipynb", "spec": GRID}, 404, "no notebook"),
        ({"notebook": "n" * 300 + ".ipynb", "spec": GRID}, 404, "no notebook"),  # too long a name
        ({"notebook": ".dotscience/x.ipynb", "spec": GRID}, 400, "do not copy"),
        ({"notebook": "ok.ipynb", "spec": {"method": "evolve", "parameters": {}}}, 400,
         "grid, random or bayes"),
        ({"notebook": "ok.ipynb", "spec": {"method": "grid", "parameters": {
            "__import__('os').system('x')": {"values": [1]}}}}, 400, "not a Python identifier"),
        ({"notebook": "ok.ipynb", "spec": {"method": "grid", "parameters": {
            "class": {"values": [1]}}}}, 400, "not a Python identifier"),
        ({"notebook": "ok.ipynb", "spec": {"method": "random", "parameters": {
            "x": {"min": 0, "max": 1}}, "run_cap": 10**9}}, 400, "larger than"),
        ({"notebook": "ok.ipynb", "spec": {"method": "grid", "parameters": {
            "x": {"values": [{"$float": "nan"}]}}}}, 400, "string, number, boolean or null"),
        ({"notebook": "ok.ipynb", "spec": GRID, "backend": "ssh"}, 400, "local or dask"),
        ({"notebook": "ok.ipynb", "spec": GRID, "backend": "dask"}, 400, "sweep_dask_address"),
        ({"notebook": "ok.ipynb", "spec": GRID, "python": "/bin/sh"}, 400, "Unknown field"),
        ({"notebook": "ok.ipynb", "spec": "method: [unclosed"}, 400, "not valid YAML"),
        ([1, 2], 400, "JSON object"),
    ],
)  # fmt: skip
def test_hostile_sweep_requests_are_refused_in_one_sentence(live, notebook, body, status, words):
    # When a sweep is asked for with a hostile or malformed body
    got, answer = http("POST", live.url + SWEEPS, body, token_auth(live))
    # Then it is refused with the expected status and one sentence saying why
    assert got == status, answer
    assert words in answer["error"] and answer["error"].count(". ") == 0, answer
    # And no sweep was stored
    _, listed = http("GET", live.url + SWEEPS, None, token_auth(live))
    assert listed["sweeps"] == []


def test_a_yaml_spec_never_builds_objects(live, notebook, tmp_path):
    # Given a YAML spec carrying a Python object tag that would run a command when loaded
    marker = tmp_path / "pwned"
    spec = f"!!python/object/apply:os.system ['touch {marker}']\n"
    # When it is sent
    status, answer = http("POST", live.url + SWEEPS, {"notebook": notebook, "spec": spec},
                          token_auth(live))  # fmt: skip
    # Then it is refused as not a spec, and the command never ran
    assert status == 400, answer
    assert not marker.exists()


def test_unknown_and_malformed_sweep_ids_are_not_found(live):
    for sid in ("00000000-0000-4000-8000-000000000000", "0" * 32):
        status, answer = http("GET", live.url + f"{SWEEPS}/{sid}", None, token_auth(live))
        assert status == 404 and "no sweep" in answer["error"]
        status, answer = http("POST", live.url + f"{SWEEPS}/{sid}/cancel", None,
                              token_auth(live))  # fmt: skip
        assert status == 404
