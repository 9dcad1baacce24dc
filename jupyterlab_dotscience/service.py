"""Publishing and importing runs: the store plus the artifact copies (plain Python)."""

from __future__ import annotations

import logging
import pathlib

from .artifacts import ArtifactHashMismatch, ArtifactStore, ArtifactTooLarge, safe_join
from .store import Store

log = logging.getLogger(__name__)


def _output_files(record: dict) -> list[dict]:
    files = list(record.get("outputs") or [])
    for model in record.get("models") or []:
        files.extend(model.get("files") or [])
    return files


def capture_outputs(record: dict, root: str, artifacts: ArtifactStore) -> dict[str, str]:
    """Copy a run's output files into the artifact store.

    Only files inside the workspace whose content still has the declared hash are copied
    (a file flagged ``outside`` is never read).

    Returns
    -------
    dict
        ``{path: reason}`` for every output that was not captured.
    """
    skipped: dict[str, str] = {}
    seen: set[str] = set()
    for f in _output_files(record):
        path, sha = f.get("path"), f.get("sha256")
        if not path or path in seen:
            continue
        seen.add(path)
        if f.get("outside"):
            skipped[path] = "outside the workspace"
            continue
        if f.get("missing") or not sha:
            skipped[path] = "missing when published"
            continue
        if artifacts.has(sha):
            continue
        try:
            src = safe_join(root, path)
            artifacts.put_file(src, expected_sha256=sha)
        except ArtifactHashMismatch:
            skipped[path] = "changed since it was declared"
        except ArtifactTooLarge as e:
            skipped[path] = str(e)
        except (OSError, ValueError) as e:
            skipped[path] = f"not readable: {e}"
    if skipped:
        log.info("Dotscience: outputs of run %s not captured: %s", record.get("id"), skipped)
    return skipped


def publish(
    store: Store, artifacts: ArtifactStore, root: str, record: dict, author: str
) -> tuple[dict, bool]:
    """Store a run (idempotent on its id) and capture its outputs the first time."""
    run, created = store.put_run(record, author=author)
    if created:
        capture_outputs(record, root, artifacts)
    return run, created


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
        ids.append(run["id"])
        created_count += int(created)
    return {"found": len(ids), "imported": created_count, "runs": ids}
