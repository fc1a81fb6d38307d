"""Statistics of INDICATORS.md: medians, nearest-rank p90, rounding half away from zero."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.reporting.indicators import stats


def test_median_of_even_count_is_mean_of_middle_two() -> None:
    assert stats.median([1, 4, 2, 10]) == 3.0
    assert stats.median([]) is None


def test_p90_is_nearest_rank() -> None:
    assert stats.p90(list(range(1, 11))) == 9.0
    assert stats.p90(list(range(1, 12))) == 10.0
    assert stats.p90([7]) == 7.0


def test_rounding_is_half_away_from_zero() -> None:
    assert stats.round3(Decimal("0.0005")) == 0.001
    assert stats.round3(Decimal("-0.0005")) == -0.001
    assert stats.nps([9, 6, 5, 7, 8, 7, 8, 7]) == -13
    assert stats.share([True, True, False]) == 0.667


def _exact(values: list[int | Decimal | float]) -> list[Decimal]:
    return sorted(Decimal(str(v)) for v in values)


@given(st.lists(st.one_of(st.integers(-10**6, 10**6),
                          st.decimals(-1000, 1000, places=3, allow_nan=False),
                          st.floats(-1000, 1000, allow_nan=False).map(lambda f: round(f, 2))),
                min_size=1, max_size=60))
def test_the_order_statistics_and_mean_are_those_of_the_exact_decimals(
    values: list[int | Decimal | float]
) -> None:
    """Sorted as they come and converted only where picked, the figures are the ones of every
    value read exactly as a decimal first (ints, Decimals and floats mixed)."""
    exact = _exact(values)
    n, middle = len(exact), len(exact) // 2
    median = exact[middle] if n % 2 else (exact[middle - 1] + exact[middle]) / 2
    assert stats.median(values) == stats.round3(median)
    assert stats.p90(values) == stats.round3(exact[-(-9 * n // 10) - 1])
    assert stats.maximum(values) == stats.round3(exact[-1])
    assert stats.mean(values) == stats.round3(sum(exact, Decimal(0)) / n)
    # As the database sums them: the exact sum and the count.
    assert stats.mean_of(sum(exact, Decimal(0)), n) == stats.mean(values)
    assert stats.mean_of(None, 0) is None
