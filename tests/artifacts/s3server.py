"""A real S3-compatible HTTP endpoint for tests: moto's server mode in its own process.

:class:`S3Server` runs ``python -m moto.server`` on 127.0.0.1 and a free port; the code
under test reaches it over HTTP with boto3 exactly as it would reach AWS S3, MinIO or Ceph
(no in-process mocking). Credentials are placeholders that moto accepts; they reach boto3
through its usual chain (the environment), never through a request.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

from tests.server.live import free_port

#: What boto3 needs to sign requests to the test endpoint (moto accepts any keys)
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "dotscience-test",
    "AWS_SECRET_ACCESS_KEY": "dotscience-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def s3_environment(env: dict | None = None) -> dict:
    """``env`` (default: this process's environment) with the test credentials, and with
    no AWS configuration files or profile of the machine that could override them."""
    out = dict(os.environ if env is None else env)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        out.pop(name, None)
    out.update(CREDENTIALS)
    out["AWS_CONFIG_FILE"] = os.devnull
    out["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return out


class S3Server:
    """moto's S3 server in a subprocess; :meth:`client` is a boto3 client for it."""

    def __init__(self, log_dir):
        self.port = free_port()
        self.log_path = os.path.join(str(log_dir), f"moto-{self.port}.log")
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> S3Server:
        """Start the server and wait (polling) until it answers; returns ``self``."""
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log, stderr=subprocess.STDOUT, env=s3_environment(),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                with open(self.log_path, "rb") as f:
                    raise RuntimeError(f"moto server exited: {f.read()[-3000:]!r}")
            try:
                with urllib.request.urlopen(self.endpoint_url + "/", timeout=2):
                    return self
            except urllib.error.HTTPError:
                return self  # it answers (an error for an unsigned request is an answer)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"moto server did not answer on {self.endpoint_url} in time")

    def client(self):
        """A boto3 S3 client for this server (path-style addressing, test credentials)."""
        import boto3
        import botocore.config

        env = s3_environment()
        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            config=botocore.config.Config(s3={"addressing_style": "path"}),
        )  # fmt: skip

    def new_bucket(self) -> str:
        """Create a bucket with a fresh name; returns the name."""
        name = f"dotscience-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()
