"""Fuzz every documented operation from openapi.yaml: the server never answers 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from .live import LiveServer
from .openapi import DOC_PATH

schema = schemathesis.openapi.from_path(str(DOC_PATH))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-root")
    server = LiveServer(root).start()
    yield server
    server.stop()


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, live):
    # Given any request the document allows (and many it does not)
    # When it reaches a real server
    response = case.call(
        base_url=live.url + "dotscience/api",
        headers={"Authorization": f"token {live.token}"},
        timeout=30,
    )
    # Then the server answers it without an internal error
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
