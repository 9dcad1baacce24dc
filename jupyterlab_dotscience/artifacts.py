"""Content-addressed artifact store (``<root>/sha256/ab/<hex>``) and safe path joining.

Nothing here trusts a name from a request: :meth:`ArtifactStore.path_for` accepts only 64
lowercase hex digits and :func:`safe_join` only relative paths that stay inside the root.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import re
import tempfile
import urllib.parse
from typing import BinaryIO

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_CHUNK = 1024 * 1024


class UnsafePathError(ValueError):
    """A path or artifact name was refused (traversal, absolute path, bad characters)."""


class ArtifactTooLarge(ValueError):
    """A file is larger than the artifact store's ``max_bytes``."""


class ArtifactHashMismatch(ValueError):
    """A file's content does not have the sha256 the caller expected."""


def check_sha256(sha256) -> str:
    """Return ``sha256`` if it is exactly 64 lowercase hex digits, else raise ValueError."""
    if not isinstance(sha256, str) or not _HEX64.match(sha256):
        raise UnsafePathError(f"not a sha256 (64 lowercase hex digits): {str(sha256)[:80]!r}")
    return sha256


def safe_join(root, rel) -> pathlib.Path:
    """``root / rel`` resolved, refusing anything that could leave ``root``.

    Refused: non-strings, NUL, backslashes, absolute paths and drive letters, ``..``
    segments (also percent-encoded, e.g. ``%2e%2e``, decoded repeatedly), and paths whose
    resolved form (following symlinks) is outside the resolved root.

    Raises
    ------
    UnsafePathError
        (a ``ValueError``) saying why the path was refused.
    """
    if not isinstance(rel, str):
        raise UnsafePathError(f"path: expected a string, got {type(rel).__name__}")
    forms = [rel]
    decoded = rel
    for _ in range(5):  # %252e%252e -> %2e%2e -> ..
        once = urllib.parse.unquote(decoded)
        if once == decoded:
            break
        decoded = once
        forms.append(decoded)
    else:
        raise UnsafePathError(f"path: too many levels of percent-encoding: {rel[:80]!r}")
    for form in forms:
        if "\x00" in form:
            raise UnsafePathError("path: contains a NUL character")
        if "\\" in form:
            raise UnsafePathError(f"path: contains a backslash: {rel[:80]!r}")
        if form.startswith("/") or re.match(r"[A-Za-z]:", form):
            raise UnsafePathError(f"path: must be relative to the workspace: {rel[:80]!r}")
        if ".." in form.split("/"):
            raise UnsafePathError(f"path: must not contain '..': {rel[:80]!r}")
    base = pathlib.Path(root).resolve()
    target = (base / rel).resolve()
    if target != base and not target.is_relative_to(base):
        raise UnsafePathError(f"path: leads outside the workspace: {rel[:80]!r}")
    return target


class ArtifactStore:
    """Files stored once per content hash under ``root``.

    Parameters
    ----------
    root
        Directory holding ``sha256/ab/<hex>`` files (created when needed).
    max_bytes
        Largest file accepted by :meth:`put_file` (None: no limit).
    """

    def __init__(self, root, max_bytes: int | None = None):
        self.root = pathlib.Path(root)
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> pathlib.Path:
        """Where the artifact with this hash lives (whether or not it exists)."""
        sha256 = check_sha256(sha256)
        return self.root / "sha256" / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        """The artifact's content for reading; FileNotFoundError when it is not stored."""
        return open(self.path_for(sha256), "rb")

    def size(self, sha256: str) -> int:
        return self.path_for(sha256).stat().st_size

    def put_file(self, src_path, expected_sha256: str | None = None) -> str:
        """Copy a file in (once per content) and return its sha256.

        The hash is computed while copying into a temporary file next to the destination,
        which is then renamed into place atomically; concurrent copies of the same content
        are harmless.

        Raises
        ------
        ArtifactTooLarge
            The file is larger than ``max_bytes``.
        ArtifactHashMismatch
            ``expected_sha256`` was given and the content does not match it.
        """
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
            if self.has(expected_sha256):
                return expected_sha256  # already stored: no need to read the file
        with open(src_path, "rb") as src:
            return self._put_stream(src, expected_sha256, str(src_path))

    def put_bytes(self, data: bytes, expected_sha256: str | None = None) -> str:
        """Like :meth:`put_file` for content in memory."""
        import io

        return self._put_stream(io.BytesIO(data), expected_sha256, "<bytes>")

    def _put_stream(self, src: BinaryIO, expected: str | None, name: str) -> str:
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := src.read(_CHUNK):
                    size += len(chunk)
                    if self.max_bytes is not None and size > self.max_bytes:
                        raise ArtifactTooLarge(
                            f"{name}: larger than the artifact size limit "
                            f"({self.max_bytes:,} bytes)"
                        )
                    digest.update(chunk)
                    out.write(chunk)
            sha256 = digest.hexdigest()
            if expected is not None and sha256 != expected:
                raise ArtifactHashMismatch(
                    f"{name}: content has sha256 {sha256}, expected {expected} "
                    "(the file changed since it was hashed)"
                )
            dest = self.path_for(sha256)
            if dest.is_file():
                return sha256  # deduplicated
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, 0o444)
            os.replace(tmp, dest)
            return sha256
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
