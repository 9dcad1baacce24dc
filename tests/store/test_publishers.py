"""Who published a run is kept once, in the store: every server sharing the store reads the
same answer to "may this model be unpickled?", and nothing is written beside a workspace."""

from __future__ import annotations

import pytest

from jupyterlab_dotscience import publishing
from jupyterlab_dotscience.artifacts import ArtifactStore
from jupyterlab_dotscience.models import ModelService

from .records import record, sha

JUPYTER = {"scope": "jupyter", "key_id": None, "deploy": True, "trusted_pickle": ["net"]}
DEPLOY_KEY = {"scope": "apikey", "key_id": "0123456789ab", "deploy": True,
              "trusted_pickle": ["net"]}  # fmt: skip
PLAIN_KEY = {"scope": "apikey", "key_id": "ba9876543210", "deploy": False, "trusted_pickle": []}


def _models() -> list[dict]:
    files = [{"path": "model.joblib", "sha256": sha("model"), "size": 5}]
    return [
        {"name": "iris", "framework": "sklearn", "path": "model.joblib", "files": files},
        {"name": "net", "framework": "torch", "path": "model.joblib", "files": files,
         "trusted_pickle": True},
    ]  # fmt: skip


def _publish(store, tmp_path, credential, limit=None) -> dict:
    workspace = tmp_path / "a"
    workspace.mkdir(exist_ok=True)
    (workspace / "model.joblib").write_text("model")
    artifacts = ArtifactStore(tmp_path / "artifacts")
    run, created = publishing.publish(
        store, artifacts, str(workspace), record(models=_models()), "alice", limit, credential
    )
    assert created
    return run


def _allowed(store, tmp_path, run) -> dict:
    """``{model name: allow_pickle}`` as a second server (another workspace) sees them."""
    other = ModelService(store, ArtifactStore(tmp_path / "artifacts"), tmp_path / "b" / ".ds",
                         restart_on_start=False)  # fmt: skip
    try:
        return {
            v["name"]: other.allow_pickle(v)
            for m in store.list_models()
            for v in m["versions"]
            if v["run_id"] == run["id"]
        }
    finally:
        other.shutdown()


@pytest.mark.parametrize(
    ("credential", "expected"),
    [
        (JUPYTER, {"iris": True, "net": True}),
        (DEPLOY_KEY, {"iris": True, "net": False}),
        (PLAIN_KEY, {"iris": False, "net": False}),
    ],
    ids=["jupyter-user", "deploy-key", "key-without-deploy"],
)
def test_any_server_sharing_the_store_reads_who_published_a_run(store, tmp_path, credential,
                                                                expected):  # fmt: skip
    # Given runs with a scikit-learn model and an opted-in PyTorch model, published through
    # one server by the Jupyter user, a key with the deploy scope, and a key without it
    run = _publish(store, tmp_path, credential, "default" if credential is PLAIN_KEY else None)
    # When another server using the same store decides what its model servers may unpickle
    allowed = _allowed(store, tmp_path, run)
    # Then the answer comes from the store: pickles for the deploy privilege, the PyTorch
    # opt-in only for the Jupyter user
    assert allowed == expected
    # And the store says who published it
    publisher = store.run_publisher(run["id"])
    assert publisher["scope"] == credential["scope"]
    assert publisher["key_id"] == credential["key_id"]
    assert publisher["deploy"] is credential["deploy"]
    # And nothing about the run was written beside the publishing workspace
    assert not (tmp_path / "a" / ".dotscience").exists()


def test_a_run_stored_without_a_publisher_is_never_unpickled(store, tmp_path):
    # Given a run stored with no credential recorded (as a legacy import is)
    run, _ = store.put_run(record(models=_models()), "alice", imported=True)
    # When a server decides what may be unpickled / Then nothing is
    assert store.run_publisher(run["id"]) is None
    assert _allowed(store, tmp_path, run) == {"iris": False, "net": False}


def test_a_malformed_credential_stores_nothing(store):
    # Given a credential whose opt-in list is not a list of names
    rec = record(models=_models())
    with pytest.raises(ValueError, match="trusted_pickle"):
        store.put_run(rec, "alice", publisher="", credential={"trusted_pickle": "net"})
    # Then the run was not stored
    assert store.get_run(rec["id"]) is None
