"""Export a stored run: W3C PROV-JSON, OpenLineage run events, or the legacy v1 block.

Every function takes the run as returned by ``Store.get_run`` (v2 shape plus ``author``,
``status``, ``received``).
"""

from __future__ import annotations

import json
import urllib.parse
from datetime import datetime

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
    start = {
        "eventType": "START",
        "eventTime": run.get("start") or run["received"],
        "producer": PRODUCER,
        "schemaURL": OPENLINEAGE_SCHEMA,
        "run": {"runId": run["id"], "facets": run_facets},
        "job": job,
        "inputs": [_dataset(f) for f in run.get("inputs", [])],
        "outputs": [],
    }
    final_facets = dict(run_facets)
    if run.get("error"):
        final_facets["errorMessage"] = {
            "_producer": PRODUCER,
            "_schemaURL": ERROR_FACET_SCHEMA,
            "message": run["error"],
            "programmingLanguage": "python",
        }
    end = {
        "eventType": "FAIL" if run.get("error") else "COMPLETE",
        "eventTime": run.get("end") or run["received"],
        "producer": PRODUCER,
        "schemaURL": OPENLINEAGE_SCHEMA,
        "run": {"runId": run["id"], "facets": final_facets},
        "job": job,
        "inputs": [_dataset(f) for f in run.get("inputs", [])],
        "outputs": [_dataset(f) for f in run.get("outputs", [])],
    }
    return [start, end]


def _v1_time(value: str | None) -> str | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.strftime("%Y%m%dT%H%M%S.%f")


def v1_dict(run: dict) -> dict:
    """The legacy (v1) metadata of a run, rebuilt from the stored texts."""
    block = {
        "version": "1",
        "input": sorted(f["path"] for f in run.get("inputs", [])),
        "output": sorted(f["path"] for f in run.get("outputs", [])),
        "labels": dict(run.get("labels", {})),
        "summary": {k: s[-1]["text"] for k, s in run.get("metrics", {}).items() if s},
        "parameters": {k: p["text"] for k, p in run.get("parameters", {}).items()},
    }
    for key, value in (
        ("error", run.get("error")),
        ("description", run.get("description")),
        ("start", _v1_time(run.get("start"))),
        ("end", _v1_time(run.get("end"))),
    ):
        if value is not None:
            block[key] = value
    if run.get("mode") == "script" and run.get("workload_file"):
        block["workload-file"] = run["workload_file"]
    return block


def v1_block(run: dict) -> str:
    """The ``[[DOTSCIENCE-RUN:<id>]]...[[/DOTSCIENCE-RUN:<id>]]`` block text of a run."""
    data = v1_dict(run)
    try:
        from dotscience.v1 import format_block
    except ImportError:  # the kernel library is not importable here: same format, spelled out
        body = json.dumps(data, sort_keys=True, indent=4)
        return f"[[DOTSCIENCE-RUN:{run['id']}]]{body}[[/DOTSCIENCE-RUN:{run['id']}]]\n"
    return format_block(run["id"], data)
