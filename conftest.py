"""Root pytest configuration: a real Jupyter server with the extension, auth required."""

import os
import sys

# The test processes go without rfc3987_syntax, as the servers they start do: see NO_IRI in
# tests/server/live.py (3 s of CPU in each pytest-xdist worker). Before anything imports
# jsonschema: pytest_jupyter's plugin below, nbformat in the tests.
sys.modules.setdefault("rfc3987_syntax", None)

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Random testing in `make test` is derandomized (a fixed search, no example database), so a
# run never fails at random; `make fuzz` sets DOTSCIENCE_HYPOTHESIS_PROFILE=random for the
# long random runs.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("random", database=None)
settings.load_profile(os.environ.get("DOTSCIENCE_HYPOTHESIS_PROFILE", "ci"))

pytest_plugins = ("pytest_jupyter.jupyter_server", "tests.fixtures_pg")


@pytest.fixture
def ds_config():
    """Extra ``DotscienceApp`` configuration for a test (override in a module)."""
    return {}


@pytest.fixture
def jp_server_config(jp_server_config, ds_config):
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyterlab_dotscience": True},
            # Every endpoint must refuse anonymous requests.
            "allow_unauthenticated_access": False,
        },
        # Tests share one process: do not leak DOTSCIENCE_* variables into its environment.
        "DotscienceApp": {"export_kernel_env": False, "spool_interval": 0, **ds_config},
    }
