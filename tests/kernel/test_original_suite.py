"""The original ``dotscience`` 0.8.7 test suite, run unchanged against this library.

The sdist on PyPI ships its tests (``dotscience/test_dotscience.py``). At test time it is
downloaded into a temporary directory, the test file is extracted beside nothing else, and
pytest runs it in a subprocess whose ``import dotscience`` is this repository's package
(``PYTHONPATH`` is the repository; the original is never installed or imported). Nothing of
the original is kept in this repository.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import tarfile

import pytest

import dotscience

REPO = pathlib.Path(dotscience.__file__).resolve().parent.parent
ORIGINAL = "dotscience==0.8.7"
TEST_MEMBER = "dotscience-0.8.7/dotscience/test_dotscience.py"

#: Tests of the original's private hub client (dotmesh RPC, its project cache), out of scope.
DESELECTED = {
    "test_reconnect_resets_internal_state": (
        "monkeypatches dotscience.DotmeshClient and reads _dotmesh_client and "
        "_get_project_or_create: the private hub client of 0.8.7, which this library replaces "
        "with its own REST client (tests/remote)"
    ),
}

#: What pip prints when the index cannot be reached (the only reason to skip).
UNREACHABLE = re.compile(
    r"NewConnectionError|ConnectTimeout|Max retries exceeded|Temporary failure in name "
    r"resolution|Name or service not known|Network is unreachable|ProxyError|"
    r"Connection refused|No route to host|ReadTimeoutError",
)

#: The only settings changed for the run: no per-example deadline, because the machine is
#: shared and none of the original tests asserts a duration, and a fixed derandomized
#: search, because random testing in ``make test`` must not make it flaky (``make fuzz``
#: holds the long random runs). The tests themselves are as shipped.
CONFTEST = """\
from hypothesis import settings

settings.register_profile("shared-machine", deadline=None, database=None, derandomize=True)
settings.load_profile("shared-machine")
"""


def _download(where: pathlib.Path) -> pathlib.Path:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         "--disable-pip-version-check", "-d", str(where), ORIGINAL],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        if UNREACHABLE.search(output):
            pytest.skip(f"PyPI is unreachable, so {ORIGINAL} cannot be downloaded: {output[-300:]}")
        pytest.fail(f"pip download {ORIGINAL} failed:\n{output}")
    [sdist] = where.glob("dotscience-0.8.7.tar.gz")
    return sdist


@pytest.fixture(scope="module")
def original_tests(tmp_path_factory) -> pathlib.Path:
    """A directory holding only the original's test file (and the deadline setting)."""
    download = tmp_path_factory.mktemp("sdist")
    sdist = _download(download)
    tests = tmp_path_factory.mktemp("original-tests")
    with tarfile.open(sdist) as tar:
        member = tar.getmember(TEST_MEMBER)
        data = tar.extractfile(member).read()
    (tests / "test_dotscience.py").write_bytes(data)
    (tests / "conftest.py").write_text(CONFTEST)
    (tests / "pytest.ini").write_text("[pytest]\n")
    return tests


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DOTSCIENCE_", "JPY_", "PYTEST_", "COV_"))}  # fmt: skip
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_the_original_suite_passes_against_this_library(original_tests):
    # Given the original test file, and the pytest console script (the original's
    # test_default_script_name expects sys.argv[0] to end in /bin/pytest)
    pytest_script = pathlib.Path(sys.executable).parent / "pytest"
    assert pytest_script.exists(), f"the pytest console script is missing: {pytest_script}"
    deselect = [f"--deselect=test_dotscience.py::{name}" for name in DESELECTED]

    # When it runs in a subprocess whose `import dotscience` is this repository's package
    proc = subprocess.run(
        [str(pytest_script), "-q", "-p", "no:cacheprovider", "-c", "pytest.ini",
         "--rootdir", ".", *deselect, "test_dotscience.py"],
        cwd=original_tests, env=_clean_env(), capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    output = proc.stdout + proc.stderr

    # Then every test passes (only the hub-client tests are deselected) ...
    assert proc.returncode == 0, output[-20000:]
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary), summary
    assert not re.search(r"failed|error|skipped", summary), summary
    assert f"{len(DESELECTED)} deselected" in summary, summary
    # ... and the package imported was this one, not a copy of the original
    probe = subprocess.run(
        [sys.executable, "-c", "import dotscience; print(dotscience.__file__)"],
        cwd=original_tests, env=_clean_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert pathlib.Path(probe.stdout.strip()).resolve() == REPO / "dotscience" / "__init__.py"
