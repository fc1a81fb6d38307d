"""The error responses of every operation in a service's OpenAPI document: problem+json.

Every error leaves a service as `application/problem+json` (services/runtime/http.py); this
makes each `/openapi.json` say so, in one place for all services: the `Problem` schema, and
on every operation the statuses its inputs can meet — 400 (body not JSON), 401 and 403 (with
a token), 404 (with a path id), 405 (with `Allow`), 422 (with any input) — besides those a
route declares itself (409, …), whose descriptions are kept.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "title": "FieldError",
    "type": "object",
    "description": "One invalid input: the field (dotted path, `body` for the whole body) "
                   "and what is wrong with it; never the value itself.",
    "properties": {"field": {"type": "string", "title": "Field"},
                   "message": {"type": "string", "title": "Message"}},
    "required": ["field", "message"],
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `errors` lists the invalid fields of a 400 "
                   "or 422.",
    "properties": {
        "type": {"type": "string", "title": "Type"},
        "title": {"type": "string", "title": "Title"},
        "status": {"type": "integer", "title": "Status"},
        "detail": {"type": "string", "title": "Detail"},
        "errors": {"type": "array", "title": "Errors",
                   "items": {"$ref": "#/components/schemas/FieldError"}},
    },
    "required": ["type", "title", "status", "detail"],
}

DESCRIPTIONS = {
    400: "the body is not JSON (malformed, absent, or not sent as application/json)",
    401: "missing, expired or badly signed token, or a token breaking the claim rules",
    403: "authenticated but not allowed (the access policy), or an organisation not in "
         "the registry",
    404: "unknown id",
    405: "method not allowed at this path; `Allow` lists the methods that are",
    409: "conflicts with the stream's state or version",
    422: "invalid input: the fields are named in `errors`",
    503: "the service has not yet consumed the events the `Polku-Consistency` token names "
         "(within the configured bound): retry after `Retry-After` seconds",
}
CONSISTENCY = "Polku-Consistency"
_CONSISTENCY_OUT = {
    "description": "consistency token naming the events this command appended; send it "
                   "back in the `Polku-Consistency` request header of any later request "
                   "to any service to read your writes (the same value as `consistency` in "
                   "the body)",
    "schema": {"type": "string"},
}
# FastAPI's own 422 description, replaced by ours (it documents another body).
_FASTAPI_DEFAULT = "Validation Error"
_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
_ALLOW = {"description": "the methods allowed at this path", "schema": {"type": "string"}}


def _statuses(operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer with, from what it takes."""
    parameters = operation.get("parameters", [])
    statuses = {405}
    statuses |= {int(s) for s in operation.get("responses", {}) if s.startswith("4")}
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(400)
    if operation.get("security"):
        statuses |= {401, 403}
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if any(p.get("in") == "header" and p.get("name") == CONSISTENCY for p in parameters):
        statuses.add(503)
    return statuses


def _problem_response(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    description = (declared or {}).get("description")
    if not description or description == _FASTAPI_DEFAULT:
        description = DESCRIPTIONS.get(status, "error")
    response: dict[str, Any] = {"description": description,
                                "content": {PROBLEM: {"schema": dict(PROBLEM_REF)}}}
    if status == 405:
        response["headers"] = {"Allow": dict(_ALLOW)}
    if status == 503:
        response["headers"] = {"Retry-After": {"description": "seconds to wait",
                                               "schema": {"type": "integer"}}}
    return response


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with every error response as problem+json (a new document)."""
    document = copy.deepcopy(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if method in ("post", "delete"):
                for success in ("200", "201"):
                    if success in responses:
                        responses[success].setdefault("headers", {})[CONSISTENCY] = dict(
                            _CONSISTENCY_OUT)
            for status in sorted(_statuses(operation)):
                responses[str(status)] = _problem_response(status, responses.get(str(status)))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    schemas["FieldError"] = copy.deepcopy(FIELD_ERROR_SCHEMA)
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


def install_problem_documentation(app: FastAPI) -> None:
    """Make the app's `/openapi.json` document its problem responses (generated once)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if getattr(app.state, "problem_openapi", None) is None:
            app.state.problem_openapi = document_problems(generate())
        document: dict[str, Any] = app.state.problem_openapi
        return document

    app.openapi = openapi  # type: ignore[method-assign]
