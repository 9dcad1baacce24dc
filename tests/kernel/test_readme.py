"""The README's Python quick start works as written."""

import pathlib
import re
import subprocess
import sys

from dotscience import v1

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_readme_quick_start_runs_as_written(tmp_path):
    # Given the first python block of the README, saved as a script, and its input file
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    script = tmp_path / "train.py"
    script.write_text(block)
    (tmp_path / "input_file.csv").write_text("a,b\n1,2\n3,4\n")
    # When it runs as a script in that directory, with no server around
    env = {"PATH": "/usr/bin:/bin", "DOTSCIENCE_PROJECT_DOT_ROOT": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "train.py"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    # Then it prints one v1 block naming the script, the data and the summary
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.count("[[DOTSCIENCE-RUN:") == 1
    assert '"workload-file": "train.py"' in out
    assert '"input_file.csv"' in out and '"output_file.csv"' in out
    assert '"f-score": "0.93"' in out
    assert '"description": "Did some awesome data science!"' in out
    # And the run waits in the spool for the server
    assert len(list((tmp_path / ".dotscience" / "spool").glob("*.json"))) == 1


def test_readme_classes_example_runs_as_written(tmp_path):
    # Given the README's second python block: the two public classes of 0.8.7
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert "dotscience.Run(" in blocks[1] and "dotscience.Dotscience()" in blocks[1]
    script = tmp_path / "classes.py"
    script.write_text(blocks[1])
    # When it runs as a script, with no server around
    env = {"PATH": "/usr/bin:/bin", "DOTSCIENCE_PROJECT_DOT_ROOT": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "classes.py"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    # Then it prints the Run's block, then the independent session's published block
    assert proc.returncode == 0, proc.stderr
    [(_, run), (_, published)] = v1.find_blocks(proc.stdout)
    assert run["parameters"] == {"a": "1"} and "start" not in run
    assert published["description"] == "x" and "workload-file" not in published
