"""Hidden-state warnings of a run, from its recorded executions and its notebook.

A notebook run is reproducible from its record only when the code that ran is the code that
is shown. Five things break that, each reported as a warning object
``{"kind", "cell_id", "execution_count", "message"}`` (one sentence):

- ``out_of_order``: an in-run cell ran after a cell that sits below it in the notebook (the
  last execution of each cell counts), or a cell ran more than once with different sources;
- ``source_changed``: the notebook's source of a cell differs from what last ran under its id;
- ``cell_deleted``: a cell that ran is no longer in the notebook;
- ``cell_failed``: an execution raised;
- ``kernel_restarted``: the notebook shows cells run by an earlier kernel (executed cells
  that this kernel session never ran), or the executions span more than one kernel session.

The notebook is the snapshot the browser PUT, else the notebook file of the run read from
the workspace (inside the root only, parsed as JSON, never executed). Plain Python.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat

from .artifacts import UnsafePathError, safe_join

log = logging.getLogger(__name__)

#: The largest notebook file read from the workspace to compute warnings
MAX_NOTEBOOK_BYTES = 64 * 2**20
#: Warnings kept of each kind (a run of 100,000 failed executions is not 100,000 warnings)
MAX_PER_KIND = 200


def _source_text(source) -> str | None:
    """A notebook cell's source as one string (nbformat stores a string or a list)."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    return None


def notebook_cells(notebook) -> list[dict] | None:
    """The code cells of a notebook with ids: ``[{id, index, sha256, executed,
    execution_count}]`` in notebook order; None when it is not an nbformat notebook or its
    cells have no ids (nbformat < 4.5: nothing can be matched to the executions)."""
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None
    cells, any_id = [], False
    for index, cell in enumerate(notebook["cells"]):
        if not isinstance(cell, dict):
            continue
        cell_id = cell.get("id")
        if isinstance(cell_id, str) and cell_id:
            any_id = True
        else:
            cell_id = None
        if cell.get("cell_type") != "code":
            cells.append({"id": cell_id, "index": index, "code": False})
            continue
        text = _source_text(cell.get("source"))
        count = cell.get("execution_count")
        if isinstance(count, bool) or not isinstance(count, int):
            count = None
        outputs = cell.get("outputs")
        cells.append(
            {
                "id": cell_id,
                "index": index,
                "code": True,
                "sha256": None if text is None else _sha(text),
                "executed": count is not None or bool(outputs),
                "execution_count": count,
            }
        )
    return cells if any_id else None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _warning(kind: str, cell_id, count, message: str) -> dict:
    return {"kind": kind, "cell_id": cell_id, "execution_count": count, "message": message}


def _label(cell_id, count) -> str:
    return f"cell [{count}]" if count is not None else f"cell {cell_id}"


def compute_warnings(executions: list[dict], kernel: dict | None, notebook=None) -> list[dict]:
    """The hidden-state warnings of a run.

    Parameters
    ----------
    executions
        The run's executions in ``seq`` order (wire keys: ``seq``, ``cell_id``,
        ``execution_count``, ``source_sha256``, ``success``, ``error``, ``in_run``,
        ``origin``, optionally ``session``).
    kernel
        The run's ``kernel`` object (its ``session``), or None.
    notebook
        The notebook (nbformat JSON as a dict) or None when it is unknown: the warnings
        that need it are then left out.

    Returns
    -------
    list of dict
        ``{"kind", "cell_id", "execution_count", "message"}``, grouped by kind in the order
        out_of_order, source_changed, cell_deleted, cell_failed, kernel_restarted, at most
        :data:`MAX_PER_KIND` of each. A run without executions (an older record) has none.
    """
    return _capped(_warnings(executions, kernel, notebook))


def _capped(warnings: list[dict]) -> list[dict]:
    kept, seen = [], {}
    for w in warnings:
        seen[w["kind"]] = seen.get(w["kind"], 0) + 1
        if seen[w["kind"]] <= MAX_PER_KIND:
            kept.append(w)
    return kept


def _warnings(executions: list[dict], kernel: dict | None, notebook) -> list[dict]:
    if not executions:
        return []
    warnings: list[dict] = []
    cells = notebook_cells(notebook)
    position = {c["id"]: c["index"] for c in cells or () if c["id"] is not None}
    # the executions of notebook cells, grouped by cell id (generated entries have no cell)
    by_cell: dict[str, list[dict]] = {}
    for e in executions:
        if e.get("origin", "cell") == "cell" and e.get("cell_id"):
            by_cell.setdefault(e["cell_id"], []).append(e)
    last = {cid: runs[-1] for cid, runs in by_cell.items()}

    # out_of_order: positions against the order of the last executions
    flagged: set[str] = set()
    if cells is not None:
        ordered = sorted(last.values(), key=lambda e: e["seq"])
        deepest = None  # the lowest position of the cells that ran so far
        for e in ordered:
            where = position.get(e["cell_id"])
            if where is None:
                continue
            if e.get("in_run") and deepest is not None and deepest > where:
                flagged.add(e["cell_id"])
                warnings.append(
                    _warning(
                        "out_of_order", e["cell_id"], e.get("execution_count"),
                        f"{_label(e['cell_id'], e.get('execution_count')).capitalize()} ran "
                        "after a cell below it in the notebook.",
                    )
                )  # fmt: skip
            deepest = where if deepest is None else max(deepest, where)
    for cid, runs in by_cell.items():
        if cid in flagged or len({e["source_sha256"] for e in runs}) < 2:
            continue
        e = runs[-1]
        warnings.append(
            _warning(
                "out_of_order", cid, e.get("execution_count"),
                f"{_label(cid, e.get('execution_count')).capitalize()} ran more than once "
                "with different code since the kernel started.",
            )
        )  # fmt: skip

    if cells is not None:
        shown = {c["id"]: c for c in cells if c["id"] is not None}
        for cid, e in last.items():
            cell = shown.get(cid)
            if cell is not None and cell["code"] and cell["sha256"] != e["source_sha256"]:
                warnings.append(
                    _warning(
                        "source_changed", cid, e.get("execution_count"),
                        f"The notebook's {_label(cid, e.get('execution_count'))} differs "
                        "from the code that ran.",
                    )
                )  # fmt: skip
        for cid, e in last.items():
            if cid not in shown:
                warnings.append(
                    _warning(
                        "cell_deleted", cid, e.get("execution_count"),
                        f"{_label(cid, e.get('execution_count')).capitalize()} ran but is no "
                        "longer in the notebook.",
                    )
                )  # fmt: skip

    for e in executions:
        if e.get("success") is False:
            error = (e.get("error") or "").strip().splitlines()
            detail = f": {error[-1][:200]}" if error else ""
            warnings.append(
                _warning(
                    "cell_failed", e.get("cell_id"), e.get("execution_count"),
                    f"{_label(e.get('cell_id'), e.get('execution_count')).capitalize()} "
                    f"failed{detail}.",
                )
            )  # fmt: skip

    sessions = {e["session"] for e in executions if e.get("session")}
    if kernel and kernel.get("session"):
        sessions.add(kernel["session"])
    if len(sessions) > 1:
        warnings.append(
            _warning(
                "kernel_restarted", None, None,
                f"The executions span {len(sessions)} kernel sessions: the kernel restarted "
                "during the run.",
            )
        )  # fmt: skip
    if cells is not None:
        # executions without a cell id (before the recorder was installed, or from a client
        # that sends none, e.g. nbclient) are matched to notebook cells by source or count
        anonymous = [e for e in executions if e.get("origin", "cell") == "cell"]
        anonymous = [e for e in anonymous if not e.get("cell_id")]
        anonymous_sources = {e["source_sha256"] for e in anonymous}
        anonymous_counts = {e.get("execution_count") for e in anonymous} - {None}
        for cell in cells:
            if not (cell["code"] and cell["executed"]) or cell["id"] in by_cell:
                continue
            if cell["sha256"] in anonymous_sources or cell["execution_count"] in anonymous_counts:
                continue
            warnings.append(
                _warning(
                    "kernel_restarted", cell["id"], cell["execution_count"],
                    f"{_label(cell['id'], cell['execution_count']).capitalize()} shows "
                    "the results of an earlier kernel: this kernel never ran it.",
                )
            )  # fmt: skip
    return warnings


def read_workspace_notebook(root: str | None, path: str | None) -> dict | None:
    """The notebook at ``path`` in the workspace as JSON, or None (no root or path, outside
    the root, not a regular file, too large, not readable or not JSON). Never executed."""
    if not root or not isinstance(path, str) or not path.endswith(".ipynb"):
        return None
    try:
        target = safe_join(root, path)
        # no symlink swapped in, no blocking on a FIFO
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(target, flags)
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_NOTEBOOK_BYTES:
                return None
            data = f.read(MAX_NOTEBOOK_BYTES + 1)
        notebook = json.loads(data)
    except (UnsafePathError, OSError, ValueError, RecursionError):
        return None
    return notebook if isinstance(notebook, dict) else None


def refresh_warnings(store, run_id: str, root: str | None = None) -> list[dict] | None:
    """Recompute and store the warnings of a stored run from its executions and its
    notebook (the snapshot, else the workspace file under ``root``).

    Returns
    -------
    list of dict or None
        The warnings stored, or None when there is no such run.
    """
    head = store.run_head(run_id)
    if head is None:
        return None
    executions = store.run_executions(run_id)
    notebook = None
    if executions:
        snapshot = store.get_notebook_snapshot(run_id)
        if snapshot is not None and isinstance(snapshot.get("content"), dict):
            notebook = snapshot["content"]
        else:
            notebook = read_workspace_notebook(root, head.get("notebook"))
    warnings = compute_warnings(executions, head.get("kernel"), notebook)
    store.set_warnings(run_id, warnings)
    return warnings
