"""The version route: frontend, server and kernel library agree on one version."""

import json
import pathlib

import dotscience
import jupyterlab_dotscience

PACKAGE_JSON = pathlib.Path(__file__).resolve().parents[2] / "package.json"


async def test_version_route_reports_one_version(jp_fetch):
    # Given the version set once, in package.json
    expected = json.loads(PACKAGE_JSON.read_text())["version"]
    # When the sidebar asks the server for its version
    response = await jp_fetch("dotscience", "api", "version")
    data = json.loads(response.body)
    # Then the server extension and the kernel library both carry it
    assert data["version"] == expected
    assert data["kernel_library_version"] == expected
    assert data["store"] == "sqlite"
    assert jupyterlab_dotscience.__version__ == dotscience.__version__ == expected
