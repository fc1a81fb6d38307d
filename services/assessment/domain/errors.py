"""Why a decider refuses a command; the application layer maps these to HTTP problems."""

from __future__ import annotations


class DomainError(Exception):
    """A command the business rules do not allow."""


class Rejected(DomainError):
    """The command's content breaks a rule (maps to 422); names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(DomainError):
    """The command does not fit the aggregate's state, e.g. a second completion (409)."""
