"""Validate responses against the server's OpenAPI document (3.0 -> JSON Schema)."""

from __future__ import annotations

import functools
import pathlib
import re

import jsonschema
import jsonschema_rs
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


def template(path: str, method: str) -> str:
    """The OpenAPI path template for a concrete URL path below /dotscience/api."""
    for name, item in DOC["paths"].items():
        regex = "^" + re.sub(r"\{[^}]+\}", "[^/]+", name) + "$"
        if re.match(regex, path) and method.lower() in item:
            return name
    raise AssertionError(f"{method} {path} is not described in openapi.yaml")


def validate_response(path: str, method: str, status: int, body) -> None:
    """Fail unless ``body`` matches the documented response for this status."""
    name = template(path, method)
    responses = DOC["paths"][name][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path}: status {status} is not documented"
    validator = _validator(name, method.lower(), str(status))
    if validator is not None:
        validator.validate(body)


@functools.cache
def _checked_defs() -> dict:
    """The document's schemas, checked once against the JSON Schema meta-schema (checking
    them on every answer took 0.6 s a call: most of some security tests' time)."""
    jsonschema.Draft202012Validator.check_schema({"$defs": DEFS})
    return DEFS


@functools.cache
def _validator(name: str, method: str, status: str):
    """A validator of the answer with ``status`` to ``method`` on the path template ``name``
    (None: the answer has no JSON body). The schema is checked by ``jsonschema``, answers
    by ``jsonschema_rs``, both as JSON Schema 2020-12 (a 20,000-point series took 4 s
    through ``jsonschema``'s ``oneOf`` of a point's value, 16 ms here)."""
    resp = _resolve(DOC["paths"][name][method]["responses"][status])
    schema = (resp.get("content", {}).get("application/json") or {}).get("schema")
    if schema is None:
        return None
    full = _to_json_schema(schema)  # a new dict: the document is left as it is
    jsonschema.Draft202012Validator.check_schema(full)
    full["$defs"] = _checked_defs()
    return jsonschema_rs.Draft202012Validator(full)
