"""Parsing of the Finnish personal identity code (henkilötunnus), DOMAIN.md rules.

Error messages describe what is wrong and never repeat the code itself: it is personal data.
A code of someone born in the 1800s (century sign `+`) or born after today is no client's
(API.md, Common rules) and is refused like a malformed one.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from contracts.codes import Sex

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"

CENTURY_SIGNS: dict[str, int] = {
    "+": 1800,
    **{sign: 1900 for sign in "-YXWVU"},
    **{sign: 2000 for sign in "ABCDEF"},
}

REFUSED_CENTURY_SIGNS = frozenset("+")
FINLAND = ZoneInfo("Europe/Helsinki")

_SHAPE = re.compile(r"^(\d{2})(\d{2})(\d{2})(.)(\d{3})(.)$")


@dataclass(frozen=True, slots=True)
class IdentityCode:
    """What may be derived from an identity code; the code itself is not kept."""

    birth_date: date
    sex: Sex
    is_temporary: bool

    @property
    def birth_year(self) -> int:
        return self.birth_date.year


def check_character(birth_digits: str, individual_number: str) -> str:
    """The check character for DDMMYY and ZZZ (the nine digits as one integer modulo 31)."""
    return CHECK_CHARACTERS[int(birth_digits + individual_number) % 31]


def parse_identity_code(code: str, today: date | None = None) -> IdentityCode:
    """Validate an identity code `DDMMYYCZZZQ`; raise ValueError saying which rule failed.
    `today` (default: today in Finland) is the last birth date accepted."""
    match = _SHAPE.match(code)
    if match is None:
        raise ValueError(
            "identity code must have the form DDMMYYCZZZQ "
            "(six digits, century sign, three digits, check character)"
        )
    day, month, year, sign, individual, check = match.groups()
    century = CENTURY_SIGNS.get(sign)
    if century is None:
        raise ValueError(
            "identity code has an invalid century sign (allowed: - Y X W V U A B C D E F)"
        )
    try:
        birth_date = date(century + int(year), int(month), int(day))
    except ValueError:
        raise ValueError("identity code contains an impossible date of birth") from None
    number = int(individual)
    if number < 2:
        raise ValueError("identity code has an individual number out of range (002–999)")
    if check != check_character(day + month + year, individual):
        raise ValueError("identity code has a wrong check character")
    if sign in REFUSED_CENTURY_SIGNS:
        raise ValueError("identity code has the century sign + (born in the 1800s): not accepted")
    if birth_date > (today or datetime.now(FINLAND).date()):
        raise ValueError("identity code has a date of birth in the future")
    return IdentityCode(
        birth_date=birth_date,
        sex=Sex.MALE if number % 2 == 1 else Sex.FEMALE,
        is_temporary=number >= 900,
    )
