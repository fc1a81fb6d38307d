"""Statistics exactly as INDICATORS.md defines them: rounding half away from zero."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

Number = int | Decimal

_THOUSANDTH = Decimal("0.001")


def _dec(value: Number | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def round3(value: Number | None) -> float | None:
    """Round to 3 decimals, half away from zero (Decimal ROUND_HALF_UP)."""
    if value is None:
        return None
    return float(_dec(value).quantize(_THOUSANDTH, rounding=ROUND_HALF_UP))


def round_int(value: Number) -> int:
    return int(_dec(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def ratio(numerator: int, denominator: int) -> Decimal | None:
    return None if denominator == 0 else Decimal(numerator) / Decimal(denominator)


def share(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return round3(ratio(sum(values), len(values)))


def _exact_sum(values: Sequence[Number]) -> Decimal:
    """The exact sum (ints and Decimals add as they are; a float counts as its shortest
    decimal representation, as `_dec` reads it). Summed as they are first: a float among
    them makes that sum a float (or, beside a Decimal, a TypeError), and only then is each
    value read as a decimal (a look at each value's type cost more than the sum)."""
    total: Number | float
    try:
        total = sum(values)
    except TypeError:
        total = 0.0
    if isinstance(total, float):
        return sum((_dec(v) for v in values), Decimal(0))
    return Decimal(0) + total


def mean(values: Sequence[Number]) -> float | None:
    if not values:
        return None
    return round3(_exact_sum(values) / len(values))


def mean_of(total: Number | None, count: int) -> float | None:
    """`mean` of `count` values whose exact sum is `total` (as the database sums them)."""
    if not count or total is None:
        return None
    return round3(_dec(total) / count)


# Order statistics sort the values as they are (ints, Decimals and floats compare exactly
# with each other) and convert only the one or two they pick: a year of a country is
# hundreds of thousands of values, often already in order (the cells aggregate them sorted).


def median(values: Sequence[Number]) -> float | None:
    """Median; of an even count the mean of the two middle values."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return round3(ordered[middle])
    return round3((_dec(ordered[middle - 1]) + _dec(ordered[middle])) / 2)


def p90(values: Sequence[Number]) -> float | None:
    """Nearest rank: the value at position ceil(0.9 × N) in ascending order."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (9 * len(ordered) + 9) // 10
    return round3(ordered[rank - 1])


def maximum(values: Sequence[Number]) -> float | None:
    return round3(max(values)) if values else None


def nps(scores: Sequence[int]) -> int | None:
    """100 × (promoters 9–10 − detractors 0–6) ÷ responses, rounded to an integer."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return round_int(Decimal(100 * (promoters - detractors)) / len(scores))


__all__ = ["maximum", "mean", "median", "nps", "p90", "ratio", "round3", "share"]
