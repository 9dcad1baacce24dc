"""Artifact upload and download through the S3 interface vs the local directory.

The same files go through both backends of the artifact-store interface
(:func:`jupyterlab_dotscience.artifacts.open_artifact_store`): the local directory (the
default) and S3-compatible object storage, here moto's S3 server started by the benchmark
on 127.0.0.1 (a real HTTP endpoint, in memory: it measures the interface's own costs, the
HTTP round trips and the hashing, not a disk array or a network of a real S3). Rows:

* one large file (``DOTSCIENCE_BENCH_ARTIFACT_MIB``, default 256 MiB; over the 64 MiB
  multipart threshold, so uploaded in 16 MiB parts) put, and read back by another server
  (S3: fetched into its local cache while hashed; directory: hashed once, then read);
* the same read again (S3: from the verified cache);
* ``DOTSCIENCE_BENCH_ARTIFACT_FILES`` (default 200) files of 64 KiB put one after another;
* the large file put and fetched with boto3 alone (``upload_file`` / ``get_object``, no
  hashing, no cache), to show what the interface adds to the bare client.

Each row is the median of 3 repetitions, each into a fresh bucket or directory.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jupyterlab_dotscience.artifacts import open_artifact_store  # noqa: E402
from tests.artifacts.s3server import S3Server, s3_environment  # noqa: E402

MIB = int(os.environ.get("DOTSCIENCE_BENCH_ARTIFACT_MIB", "256"))
FILES = int(os.environ.get("DOTSCIENCE_BENCH_ARTIFACT_FILES", "200"))
SMALL = 64 * 1024
REPEAT = 3


def _median(fn) -> float:
    times = []
    for i in range(REPEAT):
        times.append(fn(i))
    return statistics.median(times)


def _read_all(f) -> int:
    n = 0
    while chunk := f.read(1 << 20):
        n += len(chunk)
    return n


class _Bench:
    def __init__(self, tmp: pathlib.Path, s3: S3Server):
        self.tmp, self.s3 = tmp, s3
        self.big = tmp / "big.bin"
        block = os.urandom(1 << 20)
        with open(self.big, "wb") as f:
            for i in range(MIB):
                f.write(i.to_bytes(4, "big") + block[4:])
        self.big_sha = hashlib.sha256(self.big.read_bytes()).hexdigest()
        self.small = []
        for i in range(FILES):
            path = tmp / "small" / f"{i:04d}.bin"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(i.to_bytes(4, "big") + os.urandom(SMALL - 4))
            self.small.append(path)
        self.made = 0

    def store(self, kind: str, root=None):
        """A fresh store of ``kind`` (a new directory, or a new bucket), or another server's
        view of ``root``."""
        self.made += 1
        if kind == "local":
            root = root or str(self.tmp / f"dir-{self.made}")
            return open_artifact_store(root), root
        root = root or f"s3://{self.s3.new_bucket()}/bench"
        store = open_artifact_store(
            root, s3_endpoint_url=self.s3.endpoint_url, cache_dir=self.tmp / f"c-{self.made}"
        )
        return store, root

    def clean(self) -> None:
        """Remove the stores made so far (moto keeps objects in memory)."""
        for path in self.tmp.iterdir():
            if path.name.startswith(("dir-", "c-")):
                shutil.rmtree(path, ignore_errors=True)
        client = self.s3.client()
        for bucket in client.list_buckets().get("Buckets", []):
            for obj in client.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
                client.delete_object(Bucket=bucket["Name"], Key=obj["Key"])
            client.delete_bucket(Bucket=bucket["Name"])

    def upload_big(self, kind: str) -> float:
        store, _ = self.store(kind)
        start = time.perf_counter()
        assert store.put_file(self.big) == self.big_sha
        elapsed = time.perf_counter() - start
        self.clean()
        return elapsed

    def download_big(self, kind: str) -> tuple[float, float]:
        writer, root = self.store(kind)
        writer.put_file(self.big)
        reader, _ = self.store(kind, root)
        times = []
        for _ in range(2):  # first read, then again
            start = time.perf_counter()
            with reader.open(self.big_sha) as f:
                assert _read_all(f) == MIB << 20
            times.append(time.perf_counter() - start)
        self.clean()
        return times[0], times[1]

    def upload_small(self, kind: str) -> float:
        store, _ = self.store(kind)
        start = time.perf_counter()
        for path in self.small:
            store.put_file(path)
        elapsed = time.perf_counter() - start
        self.clean()
        return elapsed

    def boto3_alone(self) -> tuple[float, float]:
        import boto3.s3.transfer

        client, bucket = self.s3.client(), self.s3.new_bucket()
        config = boto3.s3.transfer.TransferConfig(
            multipart_threshold=64 << 20, multipart_chunksize=16 << 20, max_concurrency=4
        )
        start = time.perf_counter()
        client.upload_file(str(self.big), bucket, "big", Config=config)
        up = time.perf_counter() - start
        start = time.perf_counter()
        body = client.get_object(Bucket=bucket, Key="big")["Body"]
        assert _read_all(body) == MIB << 20
        down = time.perf_counter() - start
        self.clean()
        return up, down


def run() -> list[dict]:
    old_env = dict(os.environ)
    os.environ.update(s3_environment())
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-artifacts-"))
    s3 = S3Server(tmp).start()
    try:
        bench = _Bench(tmp, s3)
        results = {}
        for kind in ("local", "s3"):
            results[kind, "up"] = _median(lambda i, k=kind: bench.upload_big(k))
            reads = [bench.download_big(kind) for _ in range(REPEAT)]
            results[kind, "down"] = statistics.median(r[0] for r in reads)
            results[kind, "again"] = statistics.median(r[1] for r in reads)
            results[kind, "small"] = _median(lambda i, k=kind: bench.upload_small(k))
        bare = [bench.boto3_alone() for _ in range(REPEAT)]
        bare_up = statistics.median(b[0] for b in bare)
        bare_down = statistics.median(b[1] for b in bare)
    finally:
        s3.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        os.environ.clear()
        os.environ.update(old_env)
    size = f"{MIB} MiB"
    rows = [
        ("upload", "up", size, "put_file"),
        ("download by another server (first read: fetched, verified)", "down", size, ""),
        ("download again (S3: from the verified local cache)", "again", size, ""),
        (f"upload {FILES} files of 64 KiB", "small", "", "one after another"),
    ]
    out = []
    for what, key, amount, _ in rows:
        out.append(
            {
                "benchmark": f"artifacts {what}{', ' + amount if amount else ''}: S3 interface"
                " (moto server)",
                "ours": results["s3", key],
                "peer": "local directory",
                "theirs": results["local", key],
                "unit": "s",
                "target": "",
                "ok": None,
            }
        )
    out.append(
        {
            "benchmark": f"artifacts upload {size}: S3 interface (hash, cache, multipart)",
            "ours": results["s3", "up"],
            "peer": "boto3 upload_file alone",
            "theirs": bare_up,
            "unit": "s",
            "target": "",
            "ok": None,
        }
    )
    out.append(
        {
            "benchmark": f"artifacts first download {size}: S3 interface (verified, cached)",
            "ours": results["s3", "down"],
            "peer": "boto3 get_object alone",
            "theirs": bare_down,
            "unit": "s",
            "target": "",
            "ok": None,
        }
    )
    return out


if __name__ == "__main__":
    for row in run():
        print(row)
