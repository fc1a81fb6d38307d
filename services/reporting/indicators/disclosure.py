"""Disclosure control of published indicator figures: the cell key perturbation of INDICATORS.md.

Suppression alone lets an analyst difference published cells (a parent minus its children, a
period minus a day shorter one, one `as_of` minus a later one) back into the suppressed small
counts. So every published count gets a small noise that depends only on *which* units are
behind it (the cell key), never on how the cell was asked for: the same cell always shows the
same figure, and no combination of queries cancels the noise of two different cells.

* record key of a unit: the first 8 bytes of HMAC-SHA256(key, unit id as UTF-8), big-endian;
* cell key of a set of units: the sum of their record keys modulo 2^64, divided by 2^64;
* noise from the cell key: < 0.05 → −2, < 0.25 → −1, < 0.75 → 0, < 0.95 → +1, else +2;
* a perturbed count: the count of items plus the noise of their units, never below 0;
* a share: perturbed numerator over perturbed denominator, clamped to [0, 1] (NPS to
  [−100, 100]), null when the perturbed denominator is 0.

`DisclosureControl.exact()` is the internal exact mode (definition tests, the before/after
comparisons of the physical design); the HTTP API and the dashboard use the configured key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from services.reporting.indicators import stats
from services.reporting.projections.keys import MODULUS, record_key

MAX_NOISE = 2
# (upper bound of the cell key, exclusive; noise below it); a key ≥ 0.95 gets +2.
NOISE_TABLE: tuple[tuple[Fraction, int], ...] = (
    (Fraction(5, 100), -2), (Fraction(25, 100), -1), (Fraction(75, 100), 0),
    (Fraction(95, 100), 1),
)
# Record keys would otherwise be recomputed per request: an HMAC per distinct unit of every
# cell. About 90 000 clients per million events; the cache starts over when full.
_CACHE_SIZE = 1 << 19
_record_keys: dict[bytes, dict[str, int]] = {}


def _known(key: bytes) -> dict[str, int]:
    known = _record_keys.setdefault(key, {})
    if len(known) > _CACHE_SIZE:
        known.clear()
    return known


def cell_key(key: bytes, units: Iterable[str]) -> Fraction:
    """The sum of the distinct units' record keys modulo 2^64, over 2^64: in [0, 1)."""
    return Fraction(key_sum(key, units), MODULUS)


def key_sum(key: bytes, units: Iterable[str]) -> int:
    """The sum of the distinct units' record keys modulo 2^64."""
    known = _known(key)
    distinct = set(units)
    try:
        # A cell's units are counted per request, often hundreds of thousands: summed by
        # map (no Python loop) once every key is known, as it mostly is.
        total = sum(map(known.__getitem__, distinct))
    except KeyError:
        for unit in distinct:
            if unit not in known:
                known[unit] = record_key(key, unit)
        total = sum(map(known.__getitem__, distinct))
    return total % MODULUS


def noise(key_of_cell: Fraction | float) -> int:
    """The noise table: the cell key's band gives −2 … +2."""
    for bound, value in NOISE_TABLE:
        if key_of_cell < bound:
            return value
    return MAX_NOISE


@dataclass(frozen=True)
class DisclosureControl:
    """How a computation publishes its counts: perturbed with `key`, or exact (key None)."""

    key: bytes | None

    @classmethod
    def exact(cls) -> DisclosureControl:
        return cls(None)

    @classmethod
    def cell_key_method(cls, key: str) -> DisclosureControl:
        if not key:
            raise ValueError("the perturbation key must not be empty")
        return cls(key.encode("utf-8"))

    @property
    def perturbs(self) -> bool:
        return self.key is not None

    def count(self, items: int, units: Iterable[str]) -> int:
        """`items` counted things plus the noise of the cell of their distinct `units`."""
        if self.key is None:
            return items
        return max(0, items + noise(cell_key(self.key, units)))

    def count_summed(self, items: int, keys: int) -> int:
        """`count` with the sum of the distinct units' record keys given (any integer
        congruent to it modulo 2^64: the database sums them as signed bigints)."""
        if self.key is None:
            return items
        return max(0, items + noise(Fraction(keys % MODULUS, MODULUS)))

    def share(self, numerator: int, denominator: int) -> float | None:
        """A share of two (perturbed) counts: clamped to [0, 1], rounded to 3 decimals."""
        ratio = stats.ratio(numerator, denominator)
        if ratio is None:
            return None
        return stats.round3(min(max(ratio, Decimal(0)), Decimal(1)))

    def nps(self, promoters: int, detractors: int, responses: int) -> int | None:
        """100 × (promoters − detractors) ÷ responses of (perturbed) counts, in [−100, 100]."""
        if responses == 0:
            return None
        value = Decimal(100 * (promoters - detractors)) / responses
        return stats.round_int(min(max(value, Decimal(-100)), Decimal(100)))

    def describe(self, *, threshold: int, suppress: bool) -> dict[str, Any]:
        """The `disclosure_control` field of a JSON indicator response."""
        if not suppress:
            return {"suppression_threshold": None, "perturbation": "none", "max_noise": 0}
        if self.key is None:
            return {"suppression_threshold": threshold, "perturbation": "none", "max_noise": 0}
        return {"suppression_threshold": threshold, "perturbation": "cell-key",
                "max_noise": MAX_NOISE}


EXACT = DisclosureControl.exact()

__all__ = [
    "EXACT", "MAX_NOISE", "MODULUS", "NOISE_TABLE", "DisclosureControl", "cell_key",
    "key_sum", "noise", "record_key",
]
