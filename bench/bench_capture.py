"""Publish cost with input capture: 1 GiB in 10,000 declared input files.

A run declaring 10,000 input files (1 GiB in all, made in a temporary directory) is
published through :func:`jupyterlab_dotscience.publishing.publish` (store on SQLite, inputs
captured into a fresh artifact store: cloned copy-on-write where the filesystem allows,
else copied, each verified by its sha256), side by side with ``cp -r`` of the same files in
the same run. Three rows: the first publish (everything captured), a second run declaring
the same unchanged files (the same server: files it verified are known by identity), and the
same after a server restart (each file hashed again to verify it).

Both sides read from the page cache (the files were just written, then synced); ours also
makes its copies durable (one filesystem sync before and one after renaming them into
place), ``cp -r`` does not: a fourth row puts the first publish beside ``cp -r`` then
``sync``. The hashes the kernel library computes when the inputs are
declared are computed before timing (see the ``ds.input`` rows of ``bench_kernel``).

Environment: ``DOTSCIENCE_BENCH_CAPTURE_MIB`` (default 1024) and
``DOTSCIENCE_BENCH_CAPTURE_FILES`` (default 10000) scale it.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jupyterlab_dotscience import publishing  # noqa: E402
from jupyterlab_dotscience.artifacts import ArtifactStore  # noqa: E402
from jupyterlab_dotscience.store import open_store  # noqa: E402

MIB = int(os.environ.get("DOTSCIENCE_BENCH_CAPTURE_MIB", "1024"))
FILES = int(os.environ.get("DOTSCIENCE_BENCH_CAPTURE_FILES", "10000"))


def _make_files(data: pathlib.Path) -> list[dict]:
    """FILES files of MIB MiB in all under ``data`` (100 per directory), declared as the
    kernel library declares inputs: ``{path, sha256, size}`` relative to the root."""
    total = MIB * 2**20
    size, extra = divmod(total, FILES)
    block = os.urandom(size + 1)
    inputs = []
    for i in range(FILES):
        rel = f"data/{i // 100:03d}/part-{i:05d}.bin"
        path = data.parent / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        # each file different (its index first), random-looking, of the planned size
        content = i.to_bytes(4, "big") + block[: size + (1 if i < extra else 0) - 4]
        path.write_bytes(content)
        inputs.append(
            {"path": rel, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
        )
    return inputs


def _record(inputs: list[dict]) -> dict:
    return {
        "schema": "dotscience.run/2",
        "id": str(uuid.uuid4()),
        "project": "bench",
        "mode": "interactive",
        "notebook": "capture.ipynb",
        "inputs": inputs,
    }


def _timed_publish(store, artifacts, root, inputs) -> tuple[float, int]:
    os.sync()  # start from a clean page cache state, as the peer does
    t0 = time.perf_counter()
    run, _ = publishing.publish(store, artifacts, str(root), _record(inputs), "bench")
    elapsed = time.perf_counter() - t0
    captured = sum(f["captured"] for f in store.run_files(run["id"]) if f["role"] == "input")
    return elapsed, captured


def _cp(src: pathlib.Path, dest: pathlib.Path, durable: bool = False) -> float:
    """Seconds ``cp -r`` takes (with ``durable``: then ``sync``)."""
    os.sync()
    t0 = time.perf_counter()
    subprocess.run(["cp", "-r", str(src), str(dest)], check=True)
    if durable:
        os.sync()
    elapsed = time.perf_counter() - t0
    shutil.rmtree(dest)
    return elapsed


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-capture-") as tmp:
        tmp = pathlib.Path(tmp)
        root = tmp / "root"
        inputs = _make_files(root / "data")
        os.sync()  # the new files on disk: a publish's sync must not pay for writing them
        store = open_store(f"sqlite:///{tmp}/dotscience.db")
        artifacts = ArtifactStore(tmp / "artifacts", capture_max_run_bytes=2 * MIB * 2**20)
        try:
            first, n_first = _timed_publish(store, artifacts, root, inputs)
            cp_first = _cp(root / "data", tmp / "copy")
            cp_durable = _cp(root / "data", tmp / "copy", durable=True)
            again, n_again = _timed_publish(store, artifacts, root, inputs)
            cp_again = _cp(root / "data", tmp / "copy")
            restarted = ArtifactStore(tmp / "artifacts", capture_max_run_bytes=2 * MIB * 2**20)
            verified, n_verified = _timed_publish(store, restarted, root, inputs)
            cp_verified = _cp(root / "data", tmp / "copy")
            cloned = artifacts.clone
        finally:
            store.close()
    assert n_first == n_again == n_verified == FILES, (n_first, n_again, n_verified)
    how = "cloned" if cloned else "copied: this filesystem cannot clone"
    what = f"{MIB:,} MiB, {FILES:,} input files"
    return [
        {
            "benchmark": f"publish with input capture, {what}, first ({how})",
            "ours": first, "peer": "cp -r", "theirs": cp_first, "unit": "s",
            "target": "", "ok": None,
        },
        {
            "benchmark": f"publish with input capture, {what}, first, beside a durable copy",
            "ours": first, "peer": "cp -r, then sync", "theirs": cp_durable, "unit": "s",
            "target": "", "ok": None,
        },
        {
            "benchmark": f"publish with input capture, {what}, unchanged (same server)",
            "ours": again, "peer": "cp -r", "theirs": cp_again, "unit": "s",
            "target": "", "ok": None,
        },
        {
            "benchmark": f"publish with input capture, {what}, unchanged after a restart "
            "(each file hashed to verify)",
            "ours": verified, "peer": "cp -r", "theirs": cp_verified, "unit": "s",
            "target": "", "ok": None,
        },
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['benchmark']}: {row['ours']:.2f} {row['unit']} "
            f"({row['peer']} {row['theirs']:.2f} {row['unit']})"
        )
