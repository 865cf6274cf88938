"""Zoom's published OpenAPI specs (contracts/zoom/) as the conformance suite reads them.

The files are never edited. Where Zoom's spec contradicts itself so that no server could
conform, the suite applies a named, explained tolerance to its in-memory copy (TOLERATED);
that list is the complete set of deviations the suite accepts, and the suite prints it.
"""

from __future__ import annotations

import copy
import json
import re

import jsonschema
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts" / "zoom"
SPEC_FILES = ("users-api.json", "accounts-api.json", "team-chat-api.json")

# Every operation `roster sim serve` implements, by spec file: (method, spec path).
IMPLEMENTED = {
    "users-api.json": [
        ("get", "/users"),
        ("post", "/users"),
        ("get", "/users/email"),
        ("get", "/users/summary"),
        ("get", "/users/{userId}"),
        ("patch", "/users/{userId}"),
        ("delete", "/users/{userId}"),
        ("put", "/users/{userId}/status"),
        ("get", "/users/{userId}/settings"),
        ("patch", "/users/{userId}/settings"),
        ("get", "/users/{userId}/permissions"),
        ("get", "/groups"),
        ("post", "/groups"),
        ("get", "/groups/{groupId}"),
        ("patch", "/groups/{groupId}"),
        ("delete", "/groups/{groupId}"),
        ("get", "/groups/{groupId}/members"),
        ("post", "/groups/{groupId}/members"),
        ("delete", "/groups/{groupId}/members/{memberId}"),
        ("patch", "/groups/{groupId}/members/{memberId}"),
        ("get", "/groups/{groupId}/admins"),
        ("post", "/groups/{groupId}/admins"),
        ("delete", "/groups/{groupId}/admins/{userId}"),
        ("get", "/contacts/groups"),
        ("post", "/contacts/groups"),
        ("get", "/contacts/groups/{groupId}"),
        ("patch", "/contacts/groups/{groupId}"),
        ("delete", "/contacts/groups/{groupId}"),
        ("get", "/contacts/groups/{groupId}/members"),
        ("post", "/contacts/groups/{groupId}/members"),
        ("delete", "/contacts/groups/{groupId}/members"),
    ],
    "accounts-api.json": [
        ("get", "/roles"),
        ("post", "/roles"),
        ("get", "/roles/{roleId}"),
        ("patch", "/roles/{roleId}"),
        ("delete", "/roles/{roleId}"),
        ("get", "/roles/{roleId}/members"),
        ("post", "/roles/{roleId}/members"),
        ("delete", "/roles/{roleId}/members/{memberId}"),
    ],
    "team-chat-api.json": [
        ("post", "/chat/users/{userId}/invitations"),
    ],
}


def _settings_one_of_as_any_of(op: dict) -> None:
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    schema["anyOf"] = schema.pop("oneOf")


def _request_settings_one_of_as_any_of(op: dict) -> None:
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    schema["anyOf"] = schema.pop("oneOf")


def _manager_email_or_name(op: dict) -> None:
    props = op["requestBody"]["content"]["application/json"]["schema"]["properties"]
    props["manager"].pop("format", None)


def _unauthorized_documented(op: dict) -> None:
    op["responses"].setdefault("401", {
        "description": "Invalid or expired access token (code 124), per Zoom's Errors page."
    })


def _page_size_clamped(op: dict) -> None:
    for p in op.get("parameters", []):
        if p.get("name") == "page_size" and p.get("in") == "query":
            p.get("schema", {}).pop("maximum", None)


# The deviations the suite tolerates: spec file, method, path, JSON pointer, why, the
# change made to the in-memory copy, and which check it relaxes ("responses": schemathesis
# against the simulator; "requests": the check of what the provider sends). Nothing else
# is relaxed.
TOLERATED = [
    {
        "file": "*",
        "method": "*",
        "path": "*",
        "pointer": "/paths/*/*/parameters/page_size/schema/maximum",
        "why": "a page_size above an operation's maximum is served at the maximum (the "
        "answer's page_size says so), as Zoom serves extractors that ask the same size "
        "everywhere, instead of being refused.",
        "apply": _page_size_clamped,
        "sides": {"responses"},
    },
    {
        "file": "*",
        "method": "*",
        "path": "*",
        "pointer": "/paths/*/*/responses/401",
        "why": "Zoom's Errors page documents HTTP 401 (code 124) for a missing, invalid or "
        "expired access token, but most operations list no 401 (a few list 124 under 400); "
        "the simulator answers 401/124 and the suite accepts 401 on every operation.",
        "apply": _unauthorized_documented,
        "sides": {"responses"},
    },
    {
        "file": "users-api.json",
        "method": "get",
        "path": "/users/{userId}/settings",
        "pointer": "/paths/~1users~1{userId}~1settings/get/responses/200/content/application~1json/schema/oneOf",
        "why": "Zoom's four oneOf alternatives overlap (one is the empty schema, none is "
        "closed or has required fields), so every object matches several and no answer can "
        "satisfy oneOf; the answer is checked against anyOf of the same alternatives.",
        "apply": _settings_one_of_as_any_of,
        "sides": {"responses"},
    },
    {
        "file": "users-api.json",
        "method": "patch",
        "path": "/users/{userId}/settings",
        "pointer": "/paths/~1users~1{userId}~1settings/patch/requestBody/content/application~1json/schema/oneOf",
        "why": "Same overlapping oneOf in the request body: no body can match exactly one "
        "alternative, so request bodies are checked against anyOf.",
        "apply": _request_settings_one_of_as_any_of,
        "sides": {"responses", "requests"},
    },
    {
        "file": "users-api.json",
        "method": "patch",
        "path": "/users/{userId}",
        "pointer": "/paths/~1users~1{userId}/patch/requestBody/content/application~1json/schema/properties/manager/format",
        "why": "`manager` is declared `format: email` but documented as 'the manager's email "
        "address or display name within the same account' (its example is 'Tara Smith'); "
        "display names are accepted.",
        "apply": _manager_email_or_name,
        "sides": {"responses"},
    },
]


def load(name: str) -> dict:
    """A spec file as published."""
    return json.loads((CONTRACTS / name).read_text())


def tolerant(name: str, side: str = "responses") -> dict:
    """A spec file with the TOLERATED changes of one side applied (in memory only)."""
    spec = copy.deepcopy(load(name))
    for t in (t for t in TOLERATED if side in t["sides"]):
        if t["file"] == "*":
            for item in spec["paths"].values():
                for m, op in item.items():
                    if m in HTTP_METHODS:
                        t["apply"](op)
        elif t["file"] == name:
            t["apply"](spec["paths"][t["path"]][t["method"]])
    return spec


def implemented_only(name: str) -> dict:
    """The tolerant spec reduced to the operations the simulator implements."""
    spec = tolerant(name)
    keep = {(m, p) for m, p in IMPLEMENTED[name]}
    paths = {}
    for path, item in spec["paths"].items():
        ops = {m: o for m, o in item.items() if (m, path) in keep}
        if ops:
            shared = {k: v for k, v in item.items() if k not in HTTP_METHODS}
            paths[path] = {**shared, **ops}
    spec["paths"] = paths
    missing = keep - {(m, p) for p, item in paths.items() for m in item if m in HTTP_METHODS}
    if missing:
        raise SystemExit(f"{name}: operations listed as implemented are not in the spec: {sorted(missing)}")
    return spec


HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def route_to_spec_path(route: str, spec: dict) -> str | None:
    """The spec path of a server route (`/v2/users/{user_id}` → `/users/{userId}`)."""
    if route.startswith("/v2"):
        route = route[3:]
    shape = re.sub(r"\{[^}]+\}", "{}", route)
    for path in spec["paths"]:
        if re.sub(r"\{[^}]+\}", "{}", path) == shape:
            return path
    return None


PLAIN_OBJECT_KEYS = {"type", "properties", "required", "description", "title"}


def close(schema):
    """The schema with every object closed (`additionalProperties: false` where it names
    properties and says nothing of others), `allOf`s of plain objects merged first so the
    merged object knows all its properties. Used on response schemas: the simulator must
    not answer fields the spec does not document."""
    if isinstance(schema, list):
        return [close(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    s = dict(schema)
    parts = s.get("allOf")
    if parts and all(isinstance(p, dict) and set(p) <= PLAIN_OBJECT_KEYS for p in parts):
        s.pop("allOf")
        s.setdefault("type", "object")
        props = dict(s.get("properties", {}))
        required = list(s.get("required", []))
        for p in parts:
            props.update(p.get("properties", {}))
            required += p.get("required", [])
        s["properties"] = props
        if required:
            s["required"] = sorted(set(required))
    s = {k: close(v) for k, v in s.items()}
    if "properties" in s and "additionalProperties" not in s and s.get("type", "object") == "object" \
            and not any(k in s for k in ("oneOf", "anyOf", "allOf")):
        s["additionalProperties"] = False
    return s


def close_responses(spec: dict) -> dict:
    """`close` applied to every response schema of the spec (in place)."""
    for item in spec["paths"].values():
        for m, op in item.items():
            if m not in HTTP_METHODS:
                continue
            for resp in op.get("responses", {}).values():
                for media in resp.get("content", {}).values():
                    if "schema" in media:
                        media["schema"] = close(media["schema"])
    return spec


def operation_count() -> int:
    return sum(len(v) for v in IMPLEMENTED.values())


def strict(schema):
    """The schema with `additionalProperties: false` wherever it names properties and says
    nothing about others: a field the spec does not document is an error."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if "properties" in out and "additionalProperties" not in out and out.get("type", "object") == "object":
        out["additionalProperties"] = False
    return out


def openapi_to_jsonschema(schema):
    """OpenAPI 3.0 schema keywords jsonschema reads differently: `nullable`."""
    if isinstance(schema, list):
        return [openapi_to_jsonschema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: openapi_to_jsonschema(v) for k, v in schema.items() if k not in ("example", "examples", "x-enum-descriptions")}
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


class Specs:
    """The published specs (with one side's tolerances), their operations indexed by path
    shape."""

    def __init__(self, side: str):
        self.ops = []  # (regex, literal segments, file, method, path, op, path-level params)
        for name in SPEC_FILES:
            spec = tolerant(name, side=side)
            for path, item in spec["paths"].items():
                pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
                literal = sum(1 for seg in path.split("/") if seg and not seg.startswith("{"))
                for m, op in item.items():
                    if m in HTTP_METHODS:
                        self.ops.append((re.compile(pattern), literal, name, m, path, op, item.get("parameters", [])))

    def find(self, method: str, path: str):
        hits = [o for o in self.ops if o[3] == method and o[0].match(path)]
        return max(hits, key=lambda o: o[1]) if hits else None


def coerce(value: str, schema: dict):
    t = schema.get("type")
    try:
        if t == "integer":
            return int(value)
        if t == "number":
            return float(value)
        if t == "boolean":
            return {"true": True, "false": False}[value]
    except (ValueError, KeyError):
        return value
    return value


def validate(schema: dict, value, where: str) -> list[str]:
    validator = jsonschema.Draft7Validator(
        strict(openapi_to_jsonschema(schema)), format_checker=jsonschema.FormatChecker()
    )
    return [f"{where}{'/' + '/'.join(map(str, e.absolute_path)) if e.absolute_path else ''}: {e.message}"
            for e in validator.iter_errors(value)]


def check_answer(specs: Specs, method: str, path: str, status: int, content_type: str, body: bytes) -> list[str]:
    """Problems of one answer of the simulator: an operation of the spec, a documented
    status, JSON where JSON is documented, and the response schema with every object
    closed (no undocumented field)."""
    found = specs.find(method.lower(), path.removeprefix("/v2"))
    if not found:
        return [f"{method} {path}: no such operation in Zoom's published specs"]
    _, _, _, m, spec_path, op, _ = found
    label = f"{m.upper()} {spec_path}"
    responses = op.get("responses", {})
    doc = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
    if doc is None:
        return [f"{label}: status {status} is not documented ({', '.join(responses)})"]
    schema = doc.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return []
    if not content_type.startswith("application/json"):
        return [f"{label}: {status} answered {content_type!r}, the spec documents application/json"]
    try:
        value = json.loads(body or b"null")
    except ValueError as e:
        return [f"{label}: {status} answer is not JSON: {e}"]
    return [f"{label} {status}: {p}" for p in validate(close(schema), value, "answer")]
