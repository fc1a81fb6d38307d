"""The personal identity code rules of DOMAIN.md, and API.md's refusals: no one born in the
1800s (century sign `+`) or after today."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.codes import Sex
from contracts.identity import parse_identity_code

TODAY = date(2025, 6, 1)

# Written out independently of the implementation on purpose.
CHECKS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
SIGNS = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}


def make_code(born: date, individual: int, sign: str) -> str:
    digits = f"{born:%d%m%y}{individual:03d}"
    return f"{born:%d%m%y}{sign}{individual:03d}{CHECKS[int(digits) % 31]}"


@pytest.mark.parametrize(
    ("code", "born", "sex", "temporary"),
    [
        ("131052-308T", date(1952, 10, 13), Sex.FEMALE, False),
        ("010101A123N", date(2001, 1, 1), Sex.MALE, False),
        ("131052Y308T", date(1952, 10, 13), Sex.FEMALE, False),
        ("290200A002C", date(2000, 2, 29), Sex.FEMALE, False),
        ("150495-901F", date(1995, 4, 15), Sex.MALE, True),
    ],
)
def test_valid_codes_give_birth_date_sex_and_temporariness(
    code: str, born: date, sex: Sex, temporary: bool
) -> None:
    parsed = parse_identity_code(code)
    assert parsed.birth_date == born
    assert parsed.birth_year == born.year
    assert parsed.sex is sex
    assert parsed.is_temporary is temporary


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("131052-308U", "wrong check character"),
        ("131052-308", "form"),
        ("131052-308TT", "form"),
        ("13105a-308T", "form"),
        ("", "form"),
        ("131052G308T", "century sign"),
        ("131052Z308T", "century sign"),
        ("131052a123N", "century sign"),
        ("310299-123K", "impossible date"),
        ("290200-002C", "impossible date"),
        ("001052-308T", "impossible date"),
        ("011352-308T", "impossible date"),
        ("131052-001T", "individual number"),
        ("131052-000T", "individual number"),
        ("150495+901F", r"century sign \+"),
        ("010100+123D", r"century sign \+"),
    ],
)
def test_invalid_codes_are_rejected_with_the_rule_that_failed(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        parse_identity_code(code)
    assert code == "" or code not in str(raised.value)


def test_the_examples_really_have_the_right_check_character() -> None:
    assert make_code(date(1952, 10, 13), 308, "-") == "131052-308T"
    assert make_code(date(2001, 1, 1), 123, "A") == "010101A123N"


@st.composite
def valid_codes(draw: st.DrawFn) -> tuple[str, date, int]:
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    individual = draw(st.integers(min_value=2, max_value=999))
    sign = draw(st.sampled_from(SIGNS[born.year // 100 * 100]))
    return make_code(born, individual, sign), born, individual


@given(valid_codes())
def test_any_valid_code_parses_and_sex_follows_the_individual_number(
    case: tuple[str, date, int],
) -> None:
    code, born, individual = case
    parsed = parse_identity_code(code, today=TODAY)
    assert parsed.birth_date == born
    assert parsed.birth_year == born.year
    assert parsed.sex is (Sex.MALE if individual % 2 else Sex.FEMALE)
    assert parsed.is_temporary is (individual >= 900)


@given(valid_codes(), st.sampled_from(CHECKS))
def test_any_other_check_character_is_rejected(case: tuple[str, date, int], check: str) -> None:
    code = case[0]
    if check == code[-1]:
        return
    with pytest.raises(ValueError, match="check character"):
        parse_identity_code(code[:-1] + check, today=TODAY)


@given(st.dates(min_value=TODAY + timedelta(days=1), max_value=date(2099, 12, 31)),
       st.integers(min_value=2, max_value=999))
def test_a_birth_date_after_today_is_refused(born: date, individual: int) -> None:
    code = make_code(born, individual, "A")
    with pytest.raises(ValueError, match="in the future") as raised:
        parse_identity_code(code, today=TODAY)
    assert code not in str(raised.value)


def test_born_today_is_taken_and_tomorrow_refused_by_default() -> None:
    today = date.today()
    for offset in (-1, 0):  # the default is today in Finland: a day either side of UTC
        born = today + timedelta(days=offset)
        assert parse_identity_code(make_code(born, 123, "A")).birth_date == born
    with pytest.raises(ValueError, match="in the future"):
        parse_identity_code(make_code(today + timedelta(days=2), 123, "A"))
