"""Fixtures: one S3-compatible test server (moto in server mode) for the session, and a
factory of artifact stores of either backend (``local`` directory or ``s3``)."""

from __future__ import annotations

import pytest

from jupyterlab_dotscience.artifacts import open_artifact_store

from .s3server import S3Server, s3_environment

BACKENDS = ["local", "s3"]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server, started once for the session (a real HTTP endpoint)."""
    server = S3Server(tmp_path_factory.mktemp("moto")).start()
    yield server
    server.stop()


@pytest.fixture
def s3_env(monkeypatch):
    """boto3's usual credential chain finds the test credentials (and nothing else)."""
    for name, value in s3_environment({}).items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


class Backend:
    """Stores of one backend sharing one place (a directory, or a bucket and prefix), as the
    servers of a team do; each S3 store has its own local cache, as each server has."""

    def __init__(self, kind: str, tmp_path, s3_server=None):
        self.kind, self.tmp_path, self.s3 = kind, tmp_path, s3_server
        self.made = 0
        if kind == "s3":
            self.bucket = s3_server.new_bucket()
            self.prefix = "team/artifacts"
            self.root = f"s3://{self.bucket}/{self.prefix}"
        else:
            self.root = str(tmp_path / "artifacts")

    def store(self, **kw):
        """A new store (another server's view of the same artifacts)."""
        self.made += 1
        if self.kind == "s3":
            kw.setdefault("cache_dir", self.tmp_path / f"cache-{self.made}")
            kw.setdefault("s3_endpoint_url", self.s3.endpoint_url)
        return open_artifact_store(self.root, **kw)

    def key(self, sha: str) -> str:
        return f"{self.prefix}/sha256/{sha[:2]}/{sha}"

    def tamper(self, sha: str, data: bytes) -> None:
        """Replace the stored content of ``sha`` behind the store's back."""
        if self.kind == "s3":
            self.s3.client().put_object(Bucket=self.bucket, Key=self.key(sha), Body=data)
        else:
            path = self.tmp_path / "artifacts" / "sha256" / sha[:2] / sha
            path.chmod(0o644)
            path.write_bytes(data)

    def stored(self, sha: str) -> bytes | None:
        """The content at ``sha``'s place, read directly (None when there is none)."""
        if self.kind == "s3":
            try:
                obj = self.s3.client().get_object(Bucket=self.bucket, Key=self.key(sha))
            except self.s3.client().exceptions.NoSuchKey:
                return None
            return obj["Body"].read()
        path = self.tmp_path / "artifacts" / "sha256" / sha[:2] / sha
        return path.read_bytes() if path.is_file() else None


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    """Each test using it runs against the local directory and against S3."""
    if request.param == "s3":
        request.getfixturevalue("s3_env")
        return Backend("s3", tmp_path, request.getfixturevalue("s3_server"))
    return Backend("local", tmp_path)
