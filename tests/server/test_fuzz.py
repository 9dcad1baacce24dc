"""Fuzz every documented operation from openapi.yaml: the server never answers 5xx.

``make test`` runs ``test_no_server_errors`` with a fixed seed (the same 10 examples per
operation every time, no example database), so it cannot fail at random but still fuzzes
every route; ``make test-long`` adds ``test_no_server_errors_at_length`` (marked slow: 200
derandomized examples per operation); ``make fuzz`` runs many more examples with a random
seed it prints (``make fuzz SEED=<n>`` replays one). Environment, for the short test:
``DOTSCIENCE_FUZZ_EXAMPLES`` (examples per operation, default 10) and
``DOTSCIENCE_FUZZ_SEED`` (unset: derandomized).
"""

import functools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, seed, settings

from .live import LiveServer
from .openapi import DOC_PATH

schema = schemathesis.openapi.from_path(str(DOC_PATH))

EXAMPLES = int(os.environ.get("DOTSCIENCE_FUZZ_EXAMPLES", "10"))
LONG_EXAMPLES = 200
SEED = os.environ.get("DOTSCIENCE_FUZZ_SEED")


def _reproducible(test, examples: int = EXAMPLES):
    """A fixed seed: derandomized by default, or the seed ``make fuzz`` chose."""
    test = settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=SEED is None,
        database=None,  # no replay of examples saved by earlier runs: every run is the same
    )(test)
    return test if SEED is None else seed(int(SEED))(test)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-root")
    server = LiveServer(root).start()
    yield server
    server.stop()


def _no_server_error(case, live) -> None:
    # Given any request the document allows (and many it does not)
    # When it reaches a real server
    response = case.call(
        base_url=live.url + "dotscience/api",
        headers={"Authorization": f"token {live.token}"},
        timeout=30,
    )
    # Then the server answers it without an internal error
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"


@schema.parametrize()
@_reproducible
def test_no_server_errors(case, live):
    _no_server_error(case, live)


@pytest.mark.slow
@schema.parametrize()
@functools.partial(_reproducible, examples=LONG_EXAMPLES)
def test_no_server_errors_at_length(case, live):
    _no_server_error(case, live)
