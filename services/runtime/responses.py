"""The HTTP adapter's one mapping: a command's outcome and every typed error become a
response here, and nowhere else. Errors leave as RFC 9457 `application/problem+json`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.decider import (
    DomainError,
    InvalidCommand,
    NotPermitted,
    StateConflict,
    UnknownAggregate,
)
from services.runtime.application import Outcome, json_safe
from services.runtime.consistency import HEADER as CONSISTENCY
from services.runtime.errors import ConcurrencyConflict, NotCaughtUp, Unauthenticated
from services.runtime.logging import get_logger

log = get_logger(__name__)

PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://polku.example/problems/"

# The one table from typed errors to statuses: (status, title, problem type), most specific
# class first.
STATUSES: tuple[tuple[type[DomainError], int, str, str], ...] = (
    (Unauthenticated, 401, "Unauthorized", "unauthorized"),
    (NotPermitted, 403, "Forbidden", "forbidden"),
    (UnknownAggregate, 404, "Not found", "not-found"),
    (ConcurrencyConflict, 409, "Concurrency conflict", "concurrency-conflict"),
    (StateConflict, 409, "Command conflicts with the current state",
     "command-conflicts-with-the-current-state"),
    (InvalidCommand, 422, "Validation failed", "validation-failed"),
    (NotCaughtUp, 503, "Not caught up", "not-caught-up"),
)


def status_of(error: DomainError) -> tuple[int, str, str]:
    for kind, status, title, problem_type in STATUSES:
        if isinstance(error, kind):
            return status, title, problem_type
    return 400, "Bad request", "bad-request"


def error_response(error: DomainError) -> JSONResponse:
    status, title, problem_type = status_of(error)
    errors = None
    if isinstance(error, InvalidCommand):
        errors = [{"field": error.field, "message": error.message}]
    response = problem(status, title, error.detail, errors=errors, kind=problem_type)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, NotCaughtUp):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def respond(outcome: Outcome, location: str | None = None) -> JSONResponse:
    """201 with the new ids and `Location` for a command that created something, else 200
    with the stream version; every answer carries the consistency token (header and body)."""
    body = json_safe(outcome.answer)
    if not outcome.created and len(outcome.stream_versions) >= 1:
        body.setdefault("stream_version", next(iter(outcome.stream_versions.values())))
    headers: dict[str, str] = {}
    if outcome.consistency:
        body["consistency"] = outcome.consistency
        headers[CONSISTENCY] = outcome.consistency
    if location:
        headers["Location"] = location.format(**body)
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=201 if outcome.created else 200, headers=headers)


def problem(
    status: int, title: str, detail: str, *, errors: list[dict[str, str]] | None = None,
    kind: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (kind or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    if parts and parts[0] in ("query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """pydantic errors as {field, message}; messages never echo the input value."""
    out = []
    for error in errors:
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        out.append({"field": _field(tuple(error.get("loc", ()))), "message": message})
    return out


NOT_JSON = "the request body must be a JSON document (Content-Type: application/json)"


def _not_json(exc: RequestValidationError) -> bool:
    """The body is not JSON: malformed, absent where one is required, or sent as another
    content type (FastAPI then hands the raw bytes to validation)."""
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return True
        if error.get("type") == "missing" and tuple(error.get("loc", ())) == ("body",):
            return True
    return isinstance(exc.body, bytes | bytearray)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (for `Allow` on a 405)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is Match.PARTIAL:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        if _not_json(exc):
            return problem(400, "Bad request", NOT_JSON,
                           errors=[{"field": "body", "message": "not JSON"}])
        errors = validation_errors(list(exc.errors()))
        fields = ", ".join(e["field"] for e in errors)
        return problem(422, "Validation failed", f"invalid input: {fields}", errors=errors)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}.get(
            exc.status_code, "Error")
        detail, allow, errors = str(exc.detail), "", None
        if exc.status_code == 400:  # FastAPI's: a body that could not be read (not UTF-8)
            detail = NOT_JSON
            errors = [{"field": "body", "message": "not JSON"}]
        if exc.status_code == 405:
            allow = ", ".join(allowed_methods(request))
            detail = f"{request.method} is not allowed here; allowed: {allow}"
        response = problem(exc.status_code, title, detail, errors=errors)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if allow:
            response.headers["Allow"] = allow
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("http.unexpected_error", error=repr(exc), exc_info=exc)
        return problem(500, "Internal error", "an unexpected error; it has been logged")


