"""Export a stored run: W3C PROV-JSON, OpenLineage run events, or the legacy v1 block.

Every function takes the run as returned by ``Store.get_run`` (v2 shape plus ``author``,
``status``, ``received``).
"""

from __future__ import annotations

import urllib.parse

from dotscience.v1 import format_block, v1_from_record

PRODUCER = "https://github.com/dotmesh-io/jupyterlab-dotscience"
DS_NAMESPACE = "https://dotscience.com/ns/prov#"
OPENLINEAGE_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
SHA256_FACET_SCHEMA = PRODUCER + "/blob/main/docs/openlineage/ContentHashDatasetFacet.json"
PARAMS_FACET_SCHEMA = PRODUCER + "/blob/main/docs/openlineage/ParametersRunFacet.json"
ERROR_FACET_SCHEMA = (
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
)


def _q(text: str) -> str:
    """A PROV qualified-name local part (no spaces, slashes or colons)."""
    return urllib.parse.quote(text, safe="-_.~")


def _file_id(f: dict) -> str:
    return f"ds:sha256-{f['sha256']}" if f["sha256"] else f"ds:path-{_q(f['path'])}"


def to_prov(run: dict) -> dict:
    """The run as a W3C PROV-JSON document.

    The run is an activity ``ds:run-<id>``; files are entities keyed by content hash
    (``ds:sha256-<hex>``, or ``ds:path-<path>`` when unhashed); the author is an agent.
    Inputs are ``used``, outputs ``wasGeneratedBy``, the author ``wasAssociatedWith``.
    """
    activity = f"ds:run-{run['id']}"
    agent = f"ds:user-{_q(run['author'])}"
    act = {
        "prov:type": "ds:Run",
        "ds:project": run["project"],
        "ds:status": run["status"],
    }
    for key, value in (
        ("prov:startTime", run.get("start")),
        ("prov:endTime", run.get("end")),
        ("prov:label", run.get("description")),
        ("ds:notebook", run.get("notebook")),
        ("ds:workloadFile", run.get("workload_file")),
        ("ds:error", run.get("error")),
    ):
        if value is not None:
            act[key] = value
    for key, param in sorted(run.get("parameters", {}).items()):
        act[f"ds:param-{_q(key)}"] = param["text"]
    doc = {
        "prefix": {"ds": DS_NAMESPACE},
        "entity": {},
        "activity": {activity: act},
        "agent": {agent: {"prov:type": "prov:Person", "prov:label": run["author"]}},
        "used": {},
        "wasGeneratedBy": {},
        "wasAssociatedWith": {"_:assoc1": {"prov:activity": activity, "prov:agent": agent}},
    }
    for role, relation, key in (("inputs", "used", "u"), ("outputs", "wasGeneratedBy", "g")):
        for i, f in enumerate(run.get(role, []), 1):
            entity = _file_id(f)
            ent = doc["entity"].setdefault(entity, {"prov:type": "ds:File", "ds:path": f["path"]})
            if f["sha256"]:
                ent["ds:sha256"] = f["sha256"]
            if f.get("size") is not None:
                ent["ds:size"] = f["size"]
            rel = {"prov:activity": activity, "prov:entity": entity}
            if role == "outputs" and run.get("end"):
                rel["prov:time"] = run["end"]
            doc[relation][f"_:{key}{i}"] = rel
    return doc


def _dataset(f: dict) -> dict:
    facets = {}
    if f["sha256"]:
        facets["dotscience_contentHash"] = {
            "_producer": PRODUCER,
            "_schemaURL": SHA256_FACET_SCHEMA,
            "sha256": f["sha256"],
            "size": f.get("size"),
        }
    return {"namespace": "file", "name": f["path"], "facets": facets}


def to_openlineage(run: dict) -> list[dict]:
    """The run as two OpenLineage RunEvents: START, then COMPLETE (or FAIL with the error).

    Job namespace is the project, job name the notebook or script (else ``run``); datasets
    are the run's files with a ``dotscience_contentHash`` facet carrying the sha256.
    """
    job = {
        "namespace": run["project"],
        "name": run.get("notebook") or run.get("workload_file") or "run",
        "facets": {},
    }
    run_facets = {
        "dotscience_parameters": {
            "_producer": PRODUCER,
            "_schemaURL": PARAMS_FACET_SCHEMA,
            "parameters": {k: p["text"] for k, p in sorted(run.get("parameters", {}).items())},
            "labels": dict(sorted(run.get("labels", {}).items())),
        }
    }

    def event(kind: str, time: str | None, facets: dict, outputs: list[dict]) -> dict:
        return {
            "eventType": kind,
            "eventTime": time or run["received"],
            "producer": PRODUCER,
            "schemaURL": OPENLINEAGE_SCHEMA,
            "run": {"runId": run["id"], "facets": facets},
            "job": job,
            "inputs": [_dataset(f) for f in run.get("inputs", [])],
            "outputs": [_dataset(f) for f in outputs],
        }

    final_facets = dict(run_facets)
    if run.get("error"):
        final_facets["errorMessage"] = {
            "_producer": PRODUCER,
            "_schemaURL": ERROR_FACET_SCHEMA,
            "message": run["error"],
            "programmingLanguage": "python",
        }
    start = event("START", run.get("start"), run_facets, [])
    end = event("FAIL" if run.get("error") else "COMPLETE", run.get("end"), final_facets,
                run.get("outputs", []))  # fmt: skip
    return [start, end]


def v1_dict(run: dict) -> dict:
    """The legacy (v1) metadata of a stored run, rebuilt from its texts.

    The kernel library's own conversion (:func:`dotscience.v1.v1_from_record`), so a stored
    run exports the block its kernel printed.
    """
    return v1_from_record(run)


def v1_block(run: dict) -> str:
    """The ``[[DOTSCIENCE-RUN:<id>]]...[[/DOTSCIENCE-RUN:<id>]]`` block text of a run."""
    return format_block(run["id"], v1_from_record(run))
