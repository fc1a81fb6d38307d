"""Typed domain errors; the command handlers map them to HTTP problems in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A command the business rules refuse; `detail` says why and never holds personal data."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnknownAggregate(DomainError):
    """The client, consent, referral or case does not exist."""


class NotPermitted(DomainError):
    """The acting organisation or role may not give this command."""


class StateConflict(DomainError):
    """The command does not fit the aggregate's state (decided already, closed, erased…)."""


class InvalidCommand(DomainError):
    """The command names something that does not exist or is not allowed (a field's value)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
