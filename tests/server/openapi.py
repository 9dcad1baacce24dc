"""Validate responses against the server's OpenAPI document (3.0 -> JSON Schema)."""

from __future__ import annotations

import copy
import pathlib
import re

import jsonschema
import yaml

import jupyterlab_dotscience

DOC_PATH = pathlib.Path(jupyterlab_dotscience.__file__).parent / "openapi.yaml"
DOC = yaml.safe_load(DOC_PATH.read_text())


def _to_json_schema(node):
    if isinstance(node, list):
        return [_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items()}
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "oneOf" in out:
            out["oneOf"] = [*out["oneOf"], {"type": "null"}]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/$defs/")
    if out.get("format") == "binary":
        out.pop("format")
    return out


DEFS = {k: _to_json_schema(v) for k, v in DOC["components"]["schemas"].items()}


def _resolve(node: dict) -> dict:
    ref = node.get("$ref", "")
    if ref.startswith("#/components/responses/"):
        return DOC["components"]["responses"][ref.rsplit("/", 1)[1]]
    return node


def operation(path: str, method: str) -> dict:
    """The OpenAPI operation for a concrete URL path below /dotscience/api."""
    for template, item in DOC["paths"].items():
        regex = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(regex, path) and method.lower() in item:
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not described in openapi.yaml")


def validate_response(path: str, method: str, status: int, body) -> None:
    """Fail unless ``body`` matches the documented response for this status."""
    op = operation(path, method)
    responses = op["responses"]
    assert str(status) in responses, f"{method} {path}: status {status} is not documented"
    resp = _resolve(responses[str(status)])
    content = resp.get("content", {})
    schema = (content.get("application/json") or {}).get("schema")
    if schema is None:
        return
    full = copy.deepcopy(_to_json_schema(schema))
    full["$defs"] = DEFS
    jsonschema.validate(body, full)
