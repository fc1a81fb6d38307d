"""Synthetic people: temporary-range identity codes, names, and the professionals of each team."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.codes import Role
from polku.demo.plan import DEMO_NAMESPACE, Actor

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
TEMPORARY_NUMBERS = range(900, 1000)
"""Individual numbers 900–999 are temporary codes: no real person's code is ever generated."""

FEMALE_NAMES = (
    "Aino", "Anna", "Eeva", "Elina", "Hanna", "Heidi", "Johanna", "Katja", "Laura", "Liisa",
    "Maria", "Minna", "Noora", "Riikka", "Sari", "Satu", "Tiina", "Tuula",
)
MALE_NAMES = (
    "Antti", "Ari", "Eero", "Harri", "Janne", "Jari", "Juha", "Jukka", "Kari", "Markku",
    "Mika", "Pekka", "Petri", "Sami", "Teemu", "Timo", "Tuomas", "Ville",
)
LAST_NAMES = (
    "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
    "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen",
    "Niemi", "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen", "Tuominen",
    "Rantanen", "Karjalainen", "Jokinen", "Mattila", "Savolainen", "Lahtinen", "Ahonen",
)


@dataclass(frozen=True, slots=True)
class Person:
    identity_code: str
    first_name: str
    last_name: str


def identity_code(birth_date: date, individual_number: int) -> str:
    """`DDMMYYCZZZQ` with the check character of DOMAIN.md (nine digits modulo 31)."""
    ddmmyy = birth_date.strftime("%d%m") + f"{birth_date.year % 100:02d}"
    zzz = f"{individual_number:03d}"
    sign = "-" if birth_date.year < 2000 else "A"
    return f"{ddmmyy}{sign}{zzz}{CHECK_CHARACTERS[int(ddmmyy + zzz) % 31]}"


def synthetic_person(rng: random.Random, used_codes: set[str]) -> Person:
    """A working-age person (born 1960–2004) with a unique temporary identity code."""
    while True:
        birth = date(rng.randint(1960, 2004), 1, 1) + timedelta(days=rng.randrange(365))
        number = rng.choice(TEMPORARY_NUMBERS)
        code = identity_code(birth, number)
        if code not in used_codes:
            used_codes.add(code)
            break
    first_names = MALE_NAMES if number % 2 == 1 else FEMALE_NAMES
    return Person(code, rng.choice(first_names), rng.choice(LAST_NAMES))


def professional(org: str, role: Role, index: int) -> Actor:
    """A simulated professional: the same pseudonymous id in every run and for every seed."""
    sub = uuid.uuid5(DEMO_NAMESPACE, f"professional:{org}:{role.value}:{index}")
    return Actor(org=org, role=role, sub=sub)


@dataclass(frozen=True, slots=True)
class Team:
    """The professionals of one role in one organisation, e.g. a TTK team's responsible workers."""

    org: str
    role: Role
    size: int

    def member(self, index: int) -> Actor:
        return professional(self.org, self.role, index % self.size)

    def pick(self, rng: random.Random) -> Actor:
        return self.member(rng.randrange(self.size))
