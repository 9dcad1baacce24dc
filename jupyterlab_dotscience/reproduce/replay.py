"""The replay notebook: a run's recorded executions as code cells, in the order they ran.

Nothing here runs code: it turns stored source texts into an nbformat 4 document (plain
JSON) that :mod:`.runner` executes in a fresh kernel.
"""

from __future__ import annotations

import json

from .verdict import NotReproducible

#: nbformat version written
NBFORMAT, NBFORMAT_MINOR = 4, 5


def replayable(executions: list[dict]) -> tuple[list[dict], int]:
    """The executions to replay and how many were skipped.

    Parameters
    ----------
    executions : list of dict
        ``Store.run_executions`` of the run (``seq`` order, each with ``source``).

    Returns
    -------
    (list of dict, int)
        The executions that succeeded, plus those whose outcome was not known when the run
        was published (``success`` null: the publishing cell itself), in ``seq`` order; and
        the number of failed ones left out.
    """
    kept, skipped = [], 0
    for e in sorted(executions, key=lambda e: e.get("seq", 0)):
        if e.get("success") is False:
            skipped += 1
        else:
            kept.append(e)
    return kept, skipped


def build_notebook(run: dict, executions: list[dict]) -> tuple[dict, int]:
    """The replay notebook of a run.

    Parameters
    ----------
    run : dict
        The stored run (``id``, ``kernel``, ``published_from``).
    executions : list of dict
        ``Store.run_executions(run["id"])``.

    Returns
    -------
    (dict, int)
        The nbformat 4 notebook (one code cell per replayed execution, its source exactly
        the text that ran) and the number of failed executions left out.

    Raises
    ------
    NotReproducible
        The record has no executions (published before they were recorded), its first
        executions were left out (a session over the record's limits), a source text is not
        stored, or nothing would be replayed.
    """
    if not executions:
        raise NotReproducible(
            "The run's record has no executions (it was published by a client that did not "
            "record the code it ran), so there is no code to replay."
        )
    first = min(e.get("seq", 0) for e in executions)
    if first > 0:
        raise NotReproducible(
            f"The first {first} executions of the run's kernel session were over the record's "
            "limits and not kept, so the state they built cannot be replayed."
        )
    kept, skipped = replayable(executions)
    missing = [e for e in kept if not isinstance(e.get("source"), str)]
    if missing:
        raise NotReproducible(
            f"The source text of execution {missing[0].get('seq')} was not stored, so the "
            "run's code cannot be replayed."
        )
    if not kept:
        raise NotReproducible("Every recorded execution of the run failed; nothing to replay.")
    kernel = run.get("kernel") or {}
    cells = []
    for i, e in enumerate(kept):
        cells.append(
            {
                "cell_type": "code",
                "id": f"replay-{i}",
                "execution_count": None,
                "metadata": {
                    "dotscience": {
                        "seq": e.get("seq"),
                        "cell_id": e.get("cell_id"),
                        "execution_count": e.get("execution_count"),
                        "origin": e.get("origin") or "cell",
                    }
                },
                "outputs": [],
                "source": e["source"],
            }
        )
    notebook = {
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
        "metadata": {
            "kernelspec": {"name": kernel.get("name") or "python3", "display_name": "replay"},
            "dotscience": {"reproduces": run.get("id"), "skipped": skipped},
        },
        "cells": cells,
    }
    return notebook, skipped


def dumps(notebook: dict) -> str:
    """The notebook as the JSON text written to ``replay.ipynb``."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
