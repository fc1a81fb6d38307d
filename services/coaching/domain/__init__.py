"""Pure deciders of the coaching service, one module per aggregate (contracts + stdlib only)."""

from __future__ import annotations


class CommandRejected(Exception):
    """The command conflicts with the aggregate's state (started already, ended, …)."""


class InvalidCommand(Exception):
    """The command breaks a rule about its own content; names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
