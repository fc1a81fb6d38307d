"""The referral domain's refusals: the one family of every decider (services/decider.py)."""

from services.decider import (
    DomainError,
    InvalidCommand,
    NotPermitted,
    StateConflict,
    UnknownAggregate,
)

__all__ = ["DomainError", "InvalidCommand", "NotPermitted", "StateConflict", "UnknownAggregate"]
