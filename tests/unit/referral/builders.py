"""Test data for the referral service: valid identity codes, contexts and given events."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from contracts.codes import Role
from contracts.events.base import Event
from contracts.identity import CENTURY_SIGNS, check_character
from contracts.organisations import load_registry
from services.decider import Context

S = TypeVar("S")

NOW = datetime(2025, 5, 12, 9, 30, tzinfo=UTC)
REGISTRY = load_registry()
SOTE, EMPLOYMENT, KELA, NGO = ("kymenlaakso-sote", "kymenlaakso-employment",
                               "kymenlaakso-kela", "kymenlaakso-ngo")


def identity_code(birth: date, individual: int, sign: str | None = None) -> str:
    """A valid henkilötunnus for `birth` (DOMAIN.md): the century sign follows the year."""
    if sign is None:
        sign = {1800: "+", 1900: "-", 2000: "A"}[birth.year // 100 * 100]
    assert CENTURY_SIGNS[sign] == birth.year // 100 * 100
    digits = birth.strftime("%d%m%y")
    number = f"{individual:03d}"
    return f"{digits}{sign}{number}{check_character(digits, number)}"


def random_identity_code(rng: random.Random | None = None) -> str:
    """A fresh valid code (tests share one topic, so each test uses its own clients)."""
    rng = rng or random.Random()
    birth = date(rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28))
    sign = rng.choice("-YXWVU") if birth.year < 2000 else rng.choice("ABCDEF")
    return identity_code(birth, rng.randint(2, 899), sign)


def context(
    org: str = SOTE, role: Role = Role.SOCIAL_WORKER, *, new_id: uuid.UUID | None = None,
    client: Any = None,
) -> Context:
    return Context(actor_org=org, actor_role=role, now=NOW, organisations=REGISTRY,
                   new_id=new_id or uuid.uuid4(), views={"client": client} if client else {})


def given(initial: S, evolve: Callable[[S, Any], S], events: Iterable[Event]) -> S:
    state = initial
    for event in events:
        state = evolve(state, event)
    return state
