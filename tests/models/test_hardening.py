"""What a run record cannot smuggle into a deployment: requirement lines, environment
variables, an unbounded forwarding backlog (units; tests/security/test_deploy.py attacks a
live server)."""

from __future__ import annotations

import io
import os
import threading

import pytest

from jupyterlab_dotscience.forwarding import Forwarder
from jupyterlab_dotscience.models.build import pinned, requirements
from jupyterlab_dotscience.models.supervisor import model_server_env


@pytest.mark.parametrize(
    "version",
    ["2.1.0", "1.0.post1", "2.0.0rc1", "2.13.0+cpu", "1!2.0"],
)
def test_real_versions_are_pinned(version):
    # Given a version as pip reports it / Then it becomes one name==version line
    line, reason = pinned("numpy", version)
    assert line == f"numpy=={version}" and reason == ""


@pytest.mark.parametrize(
    "version",
    [
        "1.0\n--index-url http://evil.example/simple",
        "1.0\r\n-e git+http://evil.example/x",
        "1.0 --extra-index-url=http://evil.example/",
        "1.0 @ file:///etc/passwd",
        "1.0; python_version > '3'",
        "1.0,<2",
        ">=1.0",
        "1.0 #comment",
        "",
        " 1.0",
        "1.0\\",
    ],
)
def test_anything_but_a_plain_pin_is_left_out_with_a_reason(version):
    # Given a hostile "version" from a run record
    line, reason = pinned("numpy", version)
    # Then no line is produced, and the reason is one line
    assert line is None and reason and "\n" not in reason
    # And requirements.txt names the package unpinned, and the log says why
    told = []
    text = requirements("sklearn", {"numpy": version}, told.append)
    assert "numpy  # the run's version was not a valid pin: unpinned" in text.splitlines()
    assert "index-url" not in text and "file:" not in text and "-e " not in text
    assert len(told) == 1 and told[0].startswith("left out numpy")


def test_names_and_versions_must_be_strings():
    # Given a record whose packages are not strings / Then nothing from it is pinned
    assert pinned("numpy", 1)[0] is None
    assert "numpy  #" in requirements("sklearn", {"numpy": ["1.0"]})
    assert "numpy  #" in requirements("sklearn", ["numpy==1.0"])


def test_model_server_environment_is_an_allow_list():
    # Given a server environment with secrets under many names, and ordinary settings
    environ = {
        "PATH": "/usr/bin", "HOME": "/home/a", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp/x", "PYTHONIOENCODING": "utf-8",
        "JUPYTERHUB_API_TOKEN": "s1", "JUPYTER_TOKEN": "s2", "JPY_API_TOKEN": "s3",
        "DOTSCIENCE_TOKEN": "s4", "DOTSCIENCE_STORE_URL": "postgresql://u:pw@h/db",
        "AWS_SECRET_ACCESS_KEY": "s5", "AWS_ACCESS_KEY_ID": "s6", "aws_session_token": "s7",
        "GITHUB_TOKEN": "s8", "PGPASSWORD": "s9", "my_api_key": "s10", "PYTHONPATH": "/evil",
        "LC_SECRET": "s11", "DATABASE_URL": "postgresql://u:pw@h/db", "HOME_TOKEN": "s12",
    }  # fmt: skip
    # When the model server's environment is made from it
    env = model_server_env(environ, DOTSCIENCE_DEPLOYMENT="d-1")
    # Then only the ordinary settings (and what the supervisor sets) are there
    assert env == {
        "PATH": "/usr/bin", "HOME": "/home/a", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp/x", "PYTHONIOENCODING": "utf-8", "DOTSCIENCE_DEPLOYMENT": "d-1",
    }  # fmt: skip


def test_forwarder_keeps_order_and_drops_when_full():
    # Given a forwarder whose receiver is stuck on the first item, with room for two more
    sent, started, release = [], threading.Event(), threading.Event()

    def send(item):
        started.set()
        release.wait(30)
        sent.append(item)

    forwarder = Forwarder(send, maxsize=2, name="Test")
    assert forwarder.submit(1)
    assert started.wait(30)
    # When four more items arrive while it is stuck
    accepted = [forwarder.submit(i) for i in (2, 3, 4, 5)]
    # Then two are queued and the rest dropped at once (submit never blocks)
    assert accepted == [True, True, False, False] and forwarder.dropped == 2
    # And once the receiver answers, the queued items go in order
    release.set()
    forwarder.queue.join()
    assert sent == [1, 2, 3]
    forwarder.close()


def test_trusted_pickle_is_a_per_model_opt_in_recorded_in_the_model_entry(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    import dotscience as ds

    # Given a workspace with no server (the run goes to the stream and the spool)
    for name in [n for n in os.environ if n.startswith("DOTSCIENCE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DOTSCIENCE_PROJECT_DOT_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.pt").write_bytes(b"weights")
    session = ds.Dotscience()
    session.script()
    session.start()
    # When one model opts in to full unpickling and another does not
    session.model(torch, "net", "net.pt", trusted_pickle=True)
    session.model(torch, "plain", "net.pt")
    run = session.publish("opt-in", stream=io.StringIO())
    # Then only the opted-in model's entry carries the flag
    entries = {m["name"]: dict(m) for m in run["models"]}
    assert entries["net"]["trusted_pickle"] is True
    assert "trusted_pickle" not in entries["plain"]
    # And anything but a bool is refused
    session.start()
    with pytest.raises(TypeError, match="trusted_pickle must be True or False"):
        session.model(torch, "bad", "net.pt", trusted_pickle="yes")
