"""Typed errors of the runtime: the domain's family (services/decider.py) under the names the
adapters use, and what only infrastructure raises. None carries an HTTP status: the HTTP
adapter maps them in one place (services/runtime/responses.py)."""

from __future__ import annotations

from services.decider import (
    DomainError,
    InvalidCommand,
    NotPermitted,
    StateConflict,
    UnknownAggregate,
)

PolkuError = DomainError
NotFound = UnknownAggregate
NotAuthorised = NotPermitted
InvalidTransition = StateConflict
ValidationFailed = InvalidCommand


class ConcurrencyConflict(StateConflict):
    """The stream changed since the version the command was decided on."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(
            f"stream {stream_id} has changed since version {expected_version}; "
            "reload and retry the command"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version


class Unauthenticated(DomainError):
    """No valid token: missing, expired, badly signed or with claims that break the rules."""


class NotCaughtUp(DomainError):
    """A consistency token names events this service has not consumed within the bound."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class IdempotencyReplay(Exception):
    """Another request with the same Idempotency-Key committed first."""

    def __init__(self, organisation_id: str, key: str) -> None:
        super().__init__(f"idempotency key {key} of {organisation_id} already used")
        self.organisation_id = organisation_id
        self.key = key
