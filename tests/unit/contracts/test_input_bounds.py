"""Input that cannot 500 (API.md, Common rules): bounded, overflow-safe dates and times, and
strict numbers, in every command — found from the commands' own schemas, so a new command
or field is covered without being listed here."""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

import contracts.commands as commands
from contracts.bounded import BoundedDate, BoundedDateTime, UtcDateTime
from tests.unit.contracts.contract_samples import COMMAND_SAMPLES

COMMANDS: dict[str, type[BaseModel]] = {
    name: getattr(commands, name) for name in commands.__all__ if name != "Command"
}
DATES = TypeAdapter(BoundedDate)
TIMES = TypeAdapter(BoundedDateTime)
UTC_TIMES = TypeAdapter(UtcDateTime)
HELSINKI = ZoneInfo("Europe/Helsinki")


def _leaf(schema: dict[str, Any]) -> set[str]:
    """The scalar kinds a property schema allows: date, date-time, integer, number."""
    kinds: set[str] = set()
    for option in schema.get("anyOf", [schema]):
        kind = option.get("format") if option.get("type") == "string" else option.get("type")
        if kind in {"date", "date-time", "integer", "number"}:
            kinds.add(kind)
    return kinds


def fields_of_kind(*kinds: str) -> list[tuple[str, str]]:
    """(command, field) of every top-level field whose schema allows one of the kinds."""
    found = []
    for name, model in sorted(COMMANDS.items()):
        properties = model.model_json_schema()["properties"]
        for field, schema in sorted(properties.items()):
            if _leaf(schema) & set(kinds):
                found.append((name, field))
    return found


def refused_at(name: str, **changes: Any) -> list[str]:
    """The fields a command body with the changes is refused at ([] when accepted)."""
    try:
        COMMANDS[name].model_validate({**COMMAND_SAMPLES[name], **changes})
    except ValidationError as error:
        return [".".join(str(p) for p in e["loc"]) for e in error.errors()]
    return []


DATE_FIELDS = fields_of_kind("date")
TIME_FIELDS = fields_of_kind("date-time")
NUMBER_FIELDS = fields_of_kind("integer", "number")


def test_the_schemas_show_the_fields_the_rules_are_about() -> None:
    assert ("GiveConsent", "valid_until") in DATE_FIELDS
    assert ("ReviseSupportPlan", "review_on") in DATE_FIELDS
    assert {field for _, field in TIME_FIELDS} == {"occurred_at"}
    assert len(TIME_FIELDS) == len(COMMANDS)
    assert {("GiveFeedback", "score"), ("MakeReferral", "unemployment_months"),
            ("RecordWorkAbilityScore", "score"), ("StartPlacement", "hours_per_week"),
            ("RecordSelfAssessment", "overall")} <= set(NUMBER_FIELDS)


# Dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1900-01-01", "2200-12-31", "2024-02-29"])
def test_dates_within_the_bounds_are_taken(value: str) -> None:
    assert DATES.validate_python(value) == date.fromisoformat(value)


@pytest.mark.parametrize("value", ["1899-12-31", "2201-01-01", "0001-01-01", "9999-12-31",
                                   0, 86400, True, 20240101])
def test_dates_outside_the_bounds_or_numbers_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        DATES.validate_python(value)


@pytest.mark.parametrize(("name", "field"), DATE_FIELDS)
@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_every_date_of_every_command_is_bounded(name: str, field: str, value: str) -> None:
    assert refused_at(name, **{field: value}) == [field]


# Times -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1900-01-01T00:00:00Z", "2200-12-31T23:59:59.999999Z",
                                   "2200-12-31T23:59:59+01:00", "1900-01-01T01:00:00+01:00"])
def test_times_within_the_bounds_are_taken(value: str) -> None:
    taken = TIMES.validate_python(value)
    assert taken == datetime.fromisoformat(value)
    assert UTC_TIMES.validate_python(value).tzinfo is UTC


@pytest.mark.parametrize("value", [
    "9999-12-31T23:00:00-01:00",  # overflows when converted to UTC
    "0001-01-01T00:30:00+01:00",  # underflows
    "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
    "1899-12-31T23:59:59Z", "2201-01-01T00:00:00Z",
    "1900-01-01T00:30:00+01:00",  # 1899 in UTC
    "2200-12-31T23:30:00-01:00",  # 2201 in UTC
    "2024-05-01T10:00:00",  # no offset
    0, 1_700_000_000, True,
])
def test_times_outside_the_bounds_naive_or_numbers_are_refused(value: Any) -> None:
    for adapter in (TIMES, UTC_TIMES):
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


@given(st.datetimes(timezones=st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23, minutes=-59),
                            max_value=timedelta(hours=23, minutes=59)))))
def test_any_time_is_taken_and_converts_safely_or_is_refused(moment: datetime) -> None:
    """Whatever the instant and offset, validation either refuses it or gives a time that
    converts to UTC and to Finnish time without overflow: nothing else can happen."""
    try:
        taken = TIMES.validate_python(moment.isoformat())
    except ValidationError:
        return
    assert datetime(1900, 1, 1, tzinfo=UTC) <= taken.astimezone(UTC) < datetime(
        2201, 1, 1, tzinfo=UTC)
    taken.astimezone(HELSINKI)


@pytest.mark.parametrize(("name", "field"), TIME_FIELDS)
@pytest.mark.parametrize("value", ["9999-12-31T23:00:00-01:00", "0001-01-01T00:00:00+01:00",
                                   "1899-12-31T12:00:00Z", 1_700_000_000])
def test_every_time_of_every_command_is_bounded(name: str, field: str, value: Any) -> None:
    assert refused_at(name, **{field: value}) == [field]


def test_occurred_at_is_kept_in_utc() -> None:
    command = COMMANDS["CloseCase"].model_validate(
        {**COMMAND_SAMPLES["CloseCase"], "occurred_at": "1900-01-01T01:30:00+01:00"})
    assert command.occurred_at == datetime(1900, 1, 1, 0, 30, tzinfo=UTC)  # type: ignore[attr-defined]
    assert command.occurred_at.tzinfo is UTC  # type: ignore[attr-defined]


# Numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "field"), NUMBER_FIELDS)
@pytest.mark.parametrize("value", [True, False, "7", "7.0", [7], {"n": 7}])
def test_true_or_text_is_not_a_number(name: str, field: str, value: Any) -> None:
    assert refused_at(name, **{field: value}) == [field]


@pytest.mark.parametrize(("name", "field"), [
    (name, field) for name, field in NUMBER_FIELDS
    if "integer" in _leaf(COMMANDS[name].model_json_schema()["properties"][field])])
def test_integers_are_integers(name: str, field: str) -> None:
    assert refused_at(name, **{field: 2.5}) == [field]
    assert refused_at(name, **{field: 2.0}) == [field]
    assert refused_at(name, **{field: 2}) == []


@pytest.mark.parametrize("value", [True, "3", 3.0])
def test_fidelity_item_scores_are_integers(value: Any) -> None:
    scores = {**COMMAND_SAMPLES["RecordFidelityReview"]["item_scores"], "7": value}
    assert refused_at("RecordFidelityReview", item_scores=scores) == ["item_scores.7"]


@pytest.mark.parametrize("value", [True, "6.5"])
def test_self_assessment_domain_scores_are_numbers(value: Any) -> None:
    assert refused_at("RecordSelfAssessment", domain_scores={"competence": value}) == [
        "domain_scores.competence"]
    assert refused_at("RecordSelfAssessment", domain_scores={"competence": 6.5}) == []
