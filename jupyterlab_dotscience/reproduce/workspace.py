"""The scratch workspace of a reproduction: ``<root>/.dotscience/reproductions/<id>/``.

Each input of the original run is restored at its recorded path, from the artifact store
(else from the workspace when the file there still has the recorded content), and verified
by hash. Paths come from the run record, so each is checked to stay inside the scratch
workspace (relative, no ``..``, no way out through a symlink).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import shutil
import stat
import uuid

from ..artifacts import ArtifactHashMismatch, UnsafePathError, check_sha256, safe_join
from .verdict import NotReproducible

_CHUNK = 1024 * 1024


def scratch_path(dot_dir, reproduction_id: str) -> pathlib.Path:
    """``<dot_dir>/reproductions/<id>`` for a reproduction id (a uuid, checked)."""
    rid = str(uuid.UUID(str(reproduction_id)))
    return pathlib.Path(dot_dir) / "reproductions" / rid


def create_scratch(dot_dir, reproduction_id: str) -> pathlib.Path:
    """Make the (new, empty, owner-only) scratch workspace of a reproduction.

    Parameters
    ----------
    dot_dir : path
        The server's ``<root>/.dotscience``.
    reproduction_id : str
        The reproduction's id (a uuid).

    Returns
    -------
    pathlib.Path
        The scratch directory, resolved.

    Raises
    ------
    FileExistsError
        A directory for that id exists already (it is never reused).
    """
    path = scratch_path(dot_dir, reproduction_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(mode=0o700)
    return path.resolve()


def remove_scratch(path) -> None:
    """Delete a scratch workspace (what cannot be deleted is left, without an error).

    A replay may leave read-only directories behind: those (real directories inside the
    scratch workspace, never what a symbolic link points to) are made writable to delete
    their entries.
    """
    base = pathlib.Path(path).resolve()

    def own_directory(p: str) -> bool:
        try:
            info = os.lstat(p)
        except OSError:
            return False
        inside = pathlib.Path(p).resolve().is_relative_to(base)
        return stat.S_ISDIR(info.st_mode) and inside

    def writable(func, p, _exc):
        with contextlib.suppress(OSError):
            for directory in (os.path.dirname(p), p):
                if own_directory(directory):
                    os.chmod(directory, 0o700)
            func(p)

    shutil.rmtree(path, onerror=writable)


def working_directory(scratch, cwd: str | None) -> pathlib.Path:
    """The replay's working directory: ``<scratch>/<cwd>`` (created), where ``cwd`` is the
    kernel's root-relative working directory from the record (``''`` for the root).

    Raises
    ------
    NotReproducible
        ``cwd`` would lead outside the scratch workspace.
    """
    if not cwd:
        return pathlib.Path(scratch)
    try:
        target = safe_join(scratch, cwd)
    except UnsafePathError:
        raise NotReproducible(
            f"The kernel's working directory {cwd[:200]!r} is not inside the workspace."
        ) from None
    target.mkdir(parents=True, exist_ok=True)
    return target


def _copy_verified(src, dest: pathlib.Path, sha256: str) -> bool:
    """Copy an open binary file to ``dest`` (created anew) while hashing it; False (and no
    ``dest``) when the content does not hash to ``sha256``."""
    digest = hashlib.sha256()
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    if digest.hexdigest() != sha256:
        dest.unlink(missing_ok=True)
        return False
    os.chmod(dest, 0o644)
    return True


def restore_inputs(run: dict, scratch, artifacts, root: str | None, reasons=None) -> list[dict]:
    """Put every input of ``run`` at its recorded path inside ``scratch``, verified by hash.

    Parameters
    ----------
    run : dict
        The stored original run (its ``inputs``: ``path``, ``sha256``, ``outside``,
        ``missing``).
    scratch : path
        The scratch workspace.
    artifacts : ArtifactStore
        Where captured inputs are.
    root : str or None
        The original workspace: an input not in the artifact store is taken from there
        when it still has the recorded content (None: never).
    reasons : dict, optional
        ``{path: reason}`` why an input was not captured (``GET runs/{id}/files``), quoted in
        the sentence when it cannot be restored.

    Returns
    -------
    list of dict
        ``{"path", "from": "artifacts" | "workspace"}`` of each restored input.

    Raises
    ------
    NotReproducible
        Some input cannot be restored; the message has one sentence per input.
    """
    reasons = reasons or {}
    restored, missing = [], []
    seen = set()
    for f in run.get("inputs") or []:
        path = f.get("path")
        if not isinstance(path, str) or path in seen:
            continue
        seen.add(path)
        why = reasons.get(path)
        because = f" ({why})" if why else ""
        if f.get("outside"):
            missing.append(f"Input {path} was outside the workspace, so it was not captured.")
            continue
        sha = f.get("sha256")
        if f.get("missing") or not sha:
            missing.append(f"Input {path} was missing when the run was published.")
            continue
        try:
            check_sha256(sha)
            dest = safe_join(scratch, path)
        except UnsafePathError:
            missing.append(f"Input {path[:200]!r} does not name a file inside the workspace.")
            continue
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            source = _restore_one(dest, sha, artifacts, root, path)
        except (OSError, UnsafePathError) as e:
            missing.append(f"Input {path} could not be restored: {getattr(e, 'strerror', e)}.")
            continue
        if source is None:
            missing.append(
                f"Input {path} was not captured{because} and the workspace no longer has "
                "the content the run read."
            )
        else:
            restored.append({"path": path, "from": source})
    if missing:
        raise NotReproducible(" ".join(missing), missing)
    return restored


def _restore_one(dest: pathlib.Path, sha: str, artifacts, root, path: str) -> str | None:
    try:
        if artifacts.has(sha):
            with artifacts.open(sha) as src:
                if _copy_verified(src, dest, sha):
                    return "artifacts"
    except (ArtifactHashMismatch, FileNotFoundError):
        pass  # damaged in (or gone from) the artifact store: the workspace may still have it
    if root is None:
        return None
    try:
        original = safe_join(root, path)
        with open(original, "rb") as src:
            return "workspace" if _copy_verified(src, dest, sha) else None
    except (OSError, UnsafePathError):
        return None
