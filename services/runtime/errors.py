"""Typed errors of the runtime and the domains, mapped to problem+json in one place (http.py)."""

from __future__ import annotations


class PolkuError(Exception):
    """Base of every error Polku maps to an HTTP problem."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConcurrencyConflict(PolkuError):
    status = 409
    title = "Concurrency conflict"

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(
            f"stream {stream_id} has changed since version {expected_version}; "
            "reload and retry the command"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version


class InvalidTransition(PolkuError):
    """The command does not fit the aggregate's state (decided already, closed, …)."""

    status = 409
    title = "Command conflicts with the current state"


class NotFound(PolkuError):
    status = 404
    title = "Not found"


class NotAuthorised(PolkuError):
    status = 403
    title = "Forbidden"


class Unauthenticated(PolkuError):
    status = 401
    title = "Unauthorized"


class ValidationFailed(PolkuError):
    """Semantic validation that pydantic cannot express; names the field."""

    status = 422
    title = "Validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class IdempotencyReplay(Exception):
    """Another request with the same Idempotency-Key committed first."""

    def __init__(self, organisation_id: str, key: str) -> None:
        super().__init__(f"idempotency key {key} of {organisation_id} already used")
        self.organisation_id = organisation_id
        self.key = key
