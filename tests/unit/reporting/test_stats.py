"""Statistics of INDICATORS.md: medians, nearest-rank p90, rounding half away from zero."""

from decimal import Decimal

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
