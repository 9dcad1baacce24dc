"""Publishing and importing runs: the store plus the artifact copies (plain Python)."""

from __future__ import annotations

import logging
import os
import pathlib
import stat
import weakref

from . import provenance
from .artifacts import (
    ArtifactHashMismatch,
    ArtifactStore,
    ArtifactStoreUnavailable,
    ArtifactTooLarge,
    UnsafePathError,
    safe_join,
)
from .store import Store
from .store.validate import normalize_record

log = logging.getLogger(__name__)


#: ``reason`` of a file captured from the publishing machine's workspace (this server's)
FROM_WORKSPACE = "copied from the workspace"
#: ``reason`` of a file of a run published from elsewhere whose content was not uploaded
NOT_UPLOADED = "not uploaded"


def _model_files(record: dict) -> list[dict]:
    files = []
    for model in record.get("models") or []:
        if isinstance(model, dict):
            files.extend(f for f in model.get("files") or [] if isinstance(f, dict))
    return files


#: Why a declared input was not captured (shown per file in ``GET runs/{id}/files``)
TOO_LARGE = "too large"
MISSING = "missing"
OUTSIDE = "outside the workspace"
NOT_READABLE = "not readable"
OVER_RUN_LIMIT = "run over the capture limit"
CHANGED = "content changed since it was declared"
#: The artifact store (S3) could not be reached or refused the upload (issue 15)
STORE_UNAVAILABLE = "artifact store unavailable"


class _Budget:
    """The bytes of inputs a run may still capture."""

    def __init__(self, limit: int):
        self.left = limit


def _capture_output(f: dict, root: str | None, artifacts: ArtifactStore, uploaded):
    """``(captured, reason)`` of one output (or model file); copies it in when it should."""
    path, sha = f.get("path"), f.get("sha256")
    if isinstance(sha, str) and artifacts.has(sha):
        by = uploaded(sha)
        if by:
            return True, by
    if f.get("outside"):
        return False, "outside the workspace"
    if f.get("missing") or not sha:
        return False, "missing when published"
    if root is None:
        return False, NOT_UPLOADED
    try:
        artifacts.capture_file(safe_join(root, path), sha)
        return True, FROM_WORKSPACE
    except ArtifactHashMismatch:
        return False, "changed since it was declared"
    except ArtifactTooLarge:
        return False, f"larger than the artifact size limit ({artifacts.max_bytes:,} bytes)"
    except UnsafePathError:
        return False, "outside the workspace"
    except ArtifactStoreUnavailable:
        raise  # not the file's fault: capture_files records it
    except OSError as e:  # the reason, not the server's path
        return False, f"not readable: {e.strerror or type(e).__name__}"
    except ValueError as e:
        return False, f"not readable: {e}"


def _capture_input(f: dict, root: str | None, artifacts: ArtifactStore, uploaded, budget):
    """``(captured, reason)`` of one declared input: captured like an output, within the
    per-file and per-run limits (``artifacts.capture_max_file_bytes`` and
    ``capture_max_run_bytes``), else one of the reasons above."""
    path, sha = f.get("path"), f.get("sha256")
    if isinstance(sha, str) and artifacts.has(sha):
        by = uploaded(sha)
        if by:
            return True, by
    if f.get("outside"):
        return False, OUTSIDE
    if f.get("missing") or not sha:
        return False, MISSING
    if root is None:
        return False, NOT_UPLOADED
    try:
        src = safe_join(root, path)
        info = os.stat(src)
        if not stat.S_ISREG(info.st_mode):  # a directory, FIFO, device: no content to keep
            return False, NOT_READABLE
        size = info.st_size
        declared = f.get("size")
        if isinstance(declared, int) and declared != size:
            return False, CHANGED
        if size > artifacts.capture_max_file_bytes:
            return False, TOO_LARGE
        if size > budget.left:
            return False, OVER_RUN_LIMIT
        artifacts.capture_file(src, sha)
    except ArtifactHashMismatch:
        return False, CHANGED
    except ArtifactTooLarge:
        return False, TOO_LARGE
    except UnsafePathError:
        return False, OUTSIDE
    except FileNotFoundError:
        return False, MISSING
    except ArtifactStoreUnavailable:
        raise  # not the file's fault: capture_files records it
    except (OSError, ValueError):
        return False, NOT_READABLE
    budget.left -= size
    return True, FROM_WORKSPACE


def capture_files(
    record: dict, root: str | None, artifacts: ArtifactStore, uploaded=lambda sha: None
) -> dict[tuple[str, str], tuple[bool, str]]:
    """Capture a stored run's files into the artifact store and say how, per file.

    A file counts as captured for this run only when its content came from this run's
    own workspace (read now, hashing to the declared sha256, also when that content was
    already stored) or was uploaded by the run's user through the same kind of credential
    (see :meth:`Store.record_upload`). Outputs and declared inputs not yet stored are
    copied in (cloned copy-on-write where the filesystem allows), inputs within the
    artifact store's capture limits. Model files that are not outputs are copied in too
    (builds need them) but have no capture record.

    Parameters
    ----------
    record
        The stored run (normalised: ``inputs``, ``outputs``, ``models``).
    root
        The workspace the run was published from, on this machine; None for a run
        published from elsewhere (an API key): nothing is read here, its content must be
        uploaded.
    artifacts
        The artifact store (with its ``capture_max_file_bytes`` and
        ``capture_max_run_bytes``).
    uploaded
        ``uploaded(sha256)``: a reason such as ``"uploaded by alice"`` when the run's user
        uploaded that content before publishing, else None.

    Returns
    -------
    dict
        ``{(role, path): (captured, reason)}`` for every input and output. An input not
        captured has one of the reasons ``too large``, ``missing``, ``outside the
        workspace``, ``not readable``, ``run over the capture limit``, ``content changed
        since it was declared`` (or ``not uploaded``).
    """
    captures: dict[tuple[str, str], tuple[bool, str]] = {}
    budget = _Budget(artifacts.capture_max_run_bytes)
    with artifacts.batch():  # one filesystem sync for all the files, not two per file
        for role in ("input", "output"):
            for f in record.get(role + "s") or []:
                if isinstance(f, dict) and isinstance(f.get("path"), str):
                    key = (role, f["path"])
                    if key in captures:
                        continue
                    try:
                        captures[key] = (
                            _capture_input(f, root, artifacts, uploaded, budget)
                            if role == "input"
                            else _capture_output(f, root, artifacts, uploaded)
                        )
                    except ArtifactStoreUnavailable as e:  # the run is kept; this file not
                        log.warning("Dotscience: %s", e)
                        captures[key] = (False, STORE_UNAVAILABLE)
        if root is not None:
            outputs = {f.get("path") for f in record.get("outputs") or [] if isinstance(f, dict)}
            for f in _model_files(record):
                if f.get("path") not in outputs and f.get("sha256") and not f.get("outside"):
                    try:
                        _capture_output(f, root, artifacts, lambda sha: None)
                    except ArtifactStoreUnavailable as e:
                        log.warning("Dotscience: %s", e)
    skipped = {k: r for k, (ok, r) in captures.items() if not ok}
    if skipped:
        log.info("Dotscience: files of run %s not captured: %s", record.get("id"), skipped)
    return captures


def publish(
    store: Store,
    artifacts: ArtifactStore,
    root: str | None,
    record: dict,
    author: str,
    project_limit: str | None = None,
    credential: dict | None = None,
) -> tuple[dict, bool]:
    """Store a run (idempotent on its id) and, the first time, capture its files.

    The record is checked first (a malformed one reads and stores nothing), then its files
    are captured and its hidden-state warnings worked out, then the run is stored with
    them in one transaction: a run is never seen (listed, read, its files asked for)
    before its files are in the artifact store.

    Parameters
    ----------
    store, artifacts
        Where runs and file contents are kept.
    root
        The workspace on this machine the run was published from (kernels, the Jupyter
        user), or None for a run published from elsewhere (an API key).
    record
        The run record (docs/design.md).
    author
        Who publishes it.
    project_limit
        The project the publishing credential is limited to, or None. Only content its
        user uploaded through a credential with the same limit counts as this run's.
    credential
        Who publishes it (``{"scope", "key_id", "deploy", "trusted_pickle"}``), recorded
        with the run (see ``Store.run_publisher``); None: no credential with privileges.

    Returns
    -------
    (run, created)
        The stored run and whether this call stored it. When the id was stored before,
        that run is returned unchanged and nothing is captured: the caller must check that
        it may see it.
    """
    publisher = project_limit or ""
    rec = normalize_record(record)  # a malformed record: nothing is read or stored
    if store.run_head(rec["id"]) is not None:  # published before: nothing to capture
        stored = store.get_run(rec["id"])
        if stored is not None:
            return stored, False

    def uploaded(sha: str) -> str | None:
        # only what came through the same kind of credential (same project limit)
        return f"uploaded by {author}" if store.uploaded_by(sha, author, publisher) else None

    # The files are captured and the warnings worked out first, then stored with the run in
    # one transaction: nobody sees the run before its files are there.
    captures = capture_files(rec, root, artifacts, uploaded)
    warnings = None
    if rec["executions"]:
        notebook = provenance.read_workspace_notebook(root, rec["notebook"])
        warnings = provenance.compute_warnings(rec["executions"], rec["kernel"], notebook)
    run, created = store.put_run(
        rec, author=author, publisher=publisher, credential=credential, captures=captures,
        warnings=warnings,
    )  # fmt: skip
    if created:
        _tell_new_run(store, run)
    return run, created


def series_as_sent(record: dict, run: dict) -> bool:
    """Whether every metric series of the stored ``run`` is the one ``record`` sent, point
    for point as it was sent (already in canonical form, so kept rather than copied, as the
    kernel library sends them): then an answer may leave them out (``Prefer:
    return=minimal``) and the publisher still knows exactly what was stored.

    Parameters
    ----------
    record
        The run record as it arrived (parsed JSON).
    run
        The run :func:`publish` stored from it.

    Returns
    -------
    bool
        True when the stored series are the very lists the record holds.
    """
    sent, stored = record.get("metrics"), run.get("metrics")
    if not isinstance(sent, dict) or not isinstance(stored, dict) or len(sent) != len(stored):
        return False
    return all(stored.get(key) is series for key, series in sent.items())


#: Callbacks told of each newly stored run, per store (see :func:`on_new_run`)
_NEW_RUN_LISTENERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def on_new_run(store: Store, callback) -> None:
    """Call ``callback(run)`` for each run newly stored in ``store`` by this module, whichever
    path stored it: a publish over HTTP, the spool, a v1 import, a reproduction's replay or a
    sweep's trial. It is called on the storing thread and must not block."""
    _NEW_RUN_LISTENERS.setdefault(store, []).append(callback)


def _tell_new_run(store: Store, run: dict) -> None:
    for callback in _NEW_RUN_LISTENERS.get(store, ()):
        try:
            callback(run)
        except Exception:
            log.exception("Dotscience: a new-run listener failed for run %s", run.get("id"))


def workspace_file(root: str, rel: str) -> pathlib.Path:
    """A file inside the workspace, refusing any path that escapes it."""
    return safe_join(root, rel)


def import_v1_text(store: Store, text: str, author: str, source: str | None = None) -> dict:
    """Import every legacy v1 block found in ``text`` (a notebook's JSON or a log).

    In a notebook the outputs are searched (see :func:`dotscience.v1.searchable_text`). Imported runs are marked ``imported`` and never trigger a build or deploy.
    """
    from dotscience.v1 import find_blocks, record_from_v1, searchable_text

    is_notebook = bool(source and source.endswith(".ipynb"))
    ids, created_count, seen = [], 0, set()
    for run_id, v1 in find_blocks(searchable_text(text, is_notebook)):
        if run_id in seen:
            continue
        seen.add(run_id)
        record = record_from_v1(run_id, v1)
        record["build"] = record["deploy"] = False
        if is_notebook and not record.get("notebook"):
            record["notebook"] = source
        run, created = store.put_run(record, author=author, imported=True)
        if created:
            _tell_new_run(store, run)
        ids.append(run["id"])
        created_count += int(created)
    return {"found": len(ids), "imported": created_count, "runs": ids}
