"""Disclosure control (INDICATORS.md, v2): record keys against HMAC values computed by hand
(`printf %s UNIT | openssl dgst -sha256 -hmac KEY`, first 16 hex digits), the cell key, the
noise table at its boundaries, perturbed counts and shares, and the rows pipeline applying
them to every row that is published."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest

from services.reporting.indicators import stats
from services.reporting.indicators.disclosure import (
    EXACT,
    MODULUS,
    DisclosureControl,
    cell_key,
    noise,
    record_key,
)
from services.reporting.indicators.rows import Group, Item, aggregate
from services.runtime.settings import DEV_PERTURBATION_KEY, ServiceSettings

KEY = DEV_PERTURBATION_KEY.encode()
CONTROL = DisclosureControl.cell_key_method(DEV_PERTURBATION_KEY)
# openssl dgst -sha256 -hmac polku-development-perturbation-key, first 8 bytes.
BY_HAND = {
    "c1": 0x45C7CF19B67E7168,
    "client-2": 0x365A10F693EE0BD8,
    "äiti": 0x4A662CD83DDFCAA7,  # UTF-8 bytes, not Latin-1
    "4f9a1c2e-0000-4000-8000-000000000001": 0x1816203FD6E78C13,
    "u2": 0xE587E059A9B70DC9,
    "u3": 0xDA24A071446E673C,
}


@pytest.mark.parametrize(("unit", "expected"), BY_HAND.items())
def test_record_key_is_the_first_eight_bytes_of_the_hmac_big_endian(
    unit: str, expected: int
) -> None:
    assert record_key(KEY, unit) == expected


def test_the_setting_defaults_to_the_published_development_key() -> None:
    settings = ServiceSettings()
    assert settings.polku_perturbation_key.get_secret_value() == DEV_PERTURBATION_KEY
    assert DEV_PERTURBATION_KEY not in repr(settings)


def test_cell_key_sums_distinct_units_modulo_two_to_the_64() -> None:
    assert cell_key(KEY, ["c1", "client-2"]) == Fraction(
        0x45C7CF19B67E7168 + 0x365A10F693EE0BD8, MODULUS)
    # A unit counts once however many items it has, in any order.
    assert cell_key(KEY, ["client-2", "c1", "c1"]) == cell_key(KEY, ["c1", "client-2"])
    # u2 + u3 overflow 2^64: 16539434832245493193 + 15718865007769708348 − 2^64.
    assert cell_key(KEY, ["u2", "u3"]) == Fraction(13811555766305649925, MODULUS)
    assert cell_key(KEY, []) == 0


@pytest.mark.parametrize(("key", "expected"), [
    (Fraction(0), -2), (Fraction(499, 10000), -2), (Fraction(5, 100), -1),
    (Fraction(2499, 10000), -1), (Fraction(25, 100), 0), (Fraction(7499, 10000), 0),
    (Fraction(75, 100), 1), (Fraction(9499, 10000), 1), (Fraction(95, 100), 2),
    (Fraction(MODULUS - 1, MODULUS), 2),
])
def test_noise_table_bands(key: Fraction, expected: int) -> None:
    assert noise(key) == expected


def test_noise_is_spread_as_the_table_says() -> None:
    rng = random.Random(18)
    draws = Counter(
        noise(cell_key(KEY, [str(uuid.UUID(int=rng.getrandbits(128)))])) for _ in range(20_000))
    expected = {-2: 0.05, -1: 0.20, 0: 0.50, 1: 0.20, 2: 0.05}
    for value, share in expected.items():
        assert abs(draws[value] / 20_000 - share) < 0.015, draws


def test_perturbed_count_adds_the_noise_of_its_units_and_never_goes_below_zero() -> None:
    # u2: 0.8966… → +1; c1 + client-2: 0.4849… → 0; u2 + u3 (mod 2^64): 0.7487… → 0.
    assert CONTROL.count(3, {"u2"}) == 4
    assert CONTROL.count(7, {"c1", "client-2"}) == 7
    assert CONTROL.count(5, {"u2", "u3"}) == 5
    # Nothing counted: cell key 0, noise −2, clamped: an empty cell is always 0.
    assert CONTROL.count(0, set()) == 0
    assert EXACT.count(3, {"u2"}) == 3
    assert CONTROL.perturbs and not EXACT.perturbs


def test_shares_and_nps_of_perturbed_counts_are_clamped_and_null_over_zero() -> None:
    assert CONTROL.share(6, 5) == 1.0
    assert CONTROL.share(2, 3) == 0.667
    assert CONTROL.share(1, 0) is None
    assert CONTROL.nps(9, 0, 8) == 100
    assert CONTROL.nps(0, 9, 8) == -100
    assert CONTROL.nps(3, 1, 8) == 25
    assert CONTROL.nps(0, 0, 0) is None


def test_the_disclosure_control_field_says_what_was_applied() -> None:
    assert CONTROL.describe(threshold=5, suppress=True) == {
        "suppression_threshold": 5, "perturbation": "cell-key", "max_noise": 2}
    assert CONTROL.describe(threshold=5, suppress=False) == {
        "suppression_threshold": None, "perturbation": "none", "max_noise": 0}
    assert EXACT.describe(threshold=5, suppress=True)["perturbation"] == "none"
    with pytest.raises(ValueError, match="must not be empty"):
        DisclosureControl.cell_key_method("")


def _items(count: int, region: str, *, flag_every: int = 2) -> list[Item]:
    return [Item({"region": region}, f"{region}-client-{i % max(1, count - 1)}",
                 i % flag_every == 0) for i in range(count)]


def _reducer(group: Group) -> dict[str, Any]:
    flagged = [i for i in group.items if i.data]
    return {"value": group.count(), "share": group.proportion(flagged)}


def _rows(items: list[Item], control: DisclosureControl, *, suppress: bool = True,
          keys: tuple[str, ...] = ("region",)) -> list[dict[str, Any]]:
    return aggregate(items, keys=keys, reducer=_reducer, extras=("share",), n_mode="clients",
                     threshold=5, suppress=suppress, empty={"value": 0, "share": None},
                     disclosure=control)


def _expected(items: list[Item]) -> dict[str, Any]:
    clients = {i.client for i in items if i.client}
    flagged = [i for i in items if i.data]
    flagged_clients = {i.client for i in flagged if i.client}
    count = CONTROL.count(len(items), clients)
    return {"n": CONTROL.count(len(clients), clients), "value": count,
            "share": CONTROL.share(CONTROL.count(len(flagged), flagged_clients), count)}


def test_rows_publish_every_count_and_share_through_the_disclosure_control() -> None:
    rng = random.Random(5)
    items = [item for r in range(40) for item in _items(rng.randint(1, 30), f"r{r}")]
    rows = _rows(items, CONTROL)
    exact = _rows(items, EXACT)
    differs = 0
    for row, plain in zip(rows, exact, strict=True):
        own = [i for i in items if i.keys["region"] == row["region"]]
        clients = {i.client for i in own}
        # Suppression is decided on the exact n.
        assert row["suppressed"] == (0 < len(clients) < 5)
        if row["suppressed"]:
            assert row == plain
            continue
        assert {k: row[k] for k in ("n", "value", "share")} == _expected(own)
        assert abs(row["n"] - plain["n"]) <= 2 and abs(row["value"] - plain["value"]) <= 2
        assert row["n"] >= 5 - 2
        differs += row != plain
        assert plain["share"] == stats.round3(
            stats.ratio(sum(1 for i in own if i.data), len(own)))
    assert differs > 10  # the noise is there: about half the cells move


def test_rows_never_suppressed_or_empty_are_published_exact() -> None:
    items = _items(12, "r1")
    assert _rows(items, CONTROL, suppress=False) == _rows(items, EXACT, suppress=False)
    assert _rows([], CONTROL, keys=()) == [
        {"n": 0, "value": 0, "suppressed": False, "share": None}]


def test_the_same_units_give_the_same_figure_however_the_rows_are_cut() -> None:
    items = _items(9, "r1") + _items(9, "r2")
    for item in items:
        item.keys["team"] = "t-" + item.keys["region"]  # a second key with the same cells
    by_region = _rows(items, CONTROL)
    by_team_and_region = _rows(items, CONTROL, keys=("team", "region"))
    strip = [{k: v for k, v in row.items() if k != "team"} for row in by_team_and_region]
    assert strip == by_region
