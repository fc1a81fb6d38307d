"""HTTP command bodies validate as API.md describes them."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import contracts.commands as commands
from contracts.codes import ReferringOrgKind
from tests.unit.contracts.contract_samples import COMMAND_SAMPLES, ITEM_SCORES

COMMANDS: dict[str, type[BaseModel]] = {
    name: getattr(commands, name) for name in commands.__all__ if name != "Command"
}


def build(name: str, **changes: Any) -> BaseModel:
    return COMMANDS[name].model_validate({**COMMAND_SAMPLES[name], **changes})


def test_every_command_has_a_sample() -> None:
    assert set(COMMANDS) == set(COMMAND_SAMPLES)


@pytest.mark.parametrize("name", sorted(COMMAND_SAMPLES))
def test_round_trip_through_json(name: str) -> None:
    command = build(name)
    assert COMMANDS[name].model_validate_json(command.model_dump_json()) == command


@pytest.mark.parametrize("name", sorted(COMMAND_SAMPLES))
def test_unknown_field_is_rejected(name: str) -> None:
    with pytest.raises(ValidationError, match="extra"):
        build(name, comment="free text")


@pytest.mark.parametrize("name", sorted(COMMAND_SAMPLES))
def test_occurred_at_may_be_given_but_not_in_the_future_or_naive(name: str) -> None:
    past = datetime.now(UTC) - timedelta(days=3)
    assert build(name, occurred_at=past.isoformat()).occurred_at == past  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="future"):
        build(name, occurred_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    with pytest.raises(ValidationError):
        build(name, occurred_at="2025-03-01T09:30:00")


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("MakeReferral", {"unemployment_months": 601}),
        ("MakeReferral", {"reasons": []}),
        ("MakeReferral", {"target_service": "massage"}),
        ("GiveConsent", {"scope": "research"}),
        ("GiveFeedback", {"score": 11}),
        ("RecordWorkAbilityScore", {"score": -1}),
        ("RecordSelfAssessment", {"domain_scores": {"luck": 3}}),
        ("RecordSelfAssessment", {"overall": 10.01}),
        ("AgreeSupportPlan", {"planned_services": []}),
        ("ReviseSupportPlan", {"review_on": "tomorrow"}),
        ("StartPlacement", {"hours_per_week": 81}),
        ("StartPlacement", {"hours_per_week": -0.5}),
        ("RecordFidelityReview", {"item_scores": {**ITEM_SCORES, "3": 9}}),
        ("RecordFidelityReview", {"total": 75}),
        ("StartAssessment", {"roles": ["chef"]}),
        ("RegisterClient", {"home_region": "lappi"}),
        ("RegisterClient", {"first_name": ""}),
    ],
)
def test_bad_values_are_rejected(name: str, changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        build(name, **changes)


def test_defaults_of_optional_fields() -> None:
    referral = build("MakeReferral", triage=None, unemployment_months=None)
    assert referral.referring_org_kind is None  # type: ignore[attr-defined]
    assert build("GiveConsent", organisation_ids=[]).valid_until is None  # type: ignore[attr-defined]
    assert build("StartAssessment").roles == []  # type: ignore[attr-defined]
    assert build("CompleteAssessment").recommended_services == []  # type: ignore[attr-defined]
    assert build("StartPlacement", wage_subsidy=False).engagement_id is None  # type: ignore[attr-defined]


def test_self_referral_is_marked_with_client_self() -> None:
    referral = build("MakeReferral", referring_org_kind="client_self")
    assert referral.referring_org_kind is ReferringOrgKind.CLIENT_SELF  # type: ignore[attr-defined]


def test_register_client_normalises_a_valid_identity_code() -> None:
    command = build("RegisterClient", identity_code=" 131052-308t ")
    assert command.identity_code == "131052-308T"  # type: ignore[attr-defined]
    assert "131052" not in repr(command)
    assert "Aino" not in repr(command)


@pytest.mark.parametrize(
    "code", ["131052-308U", "131052G308T", "310299-123K", "131052-001T", "13105Z-308T"]
)
def test_register_client_names_identity_code_and_never_echoes_it(code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        build("RegisterClient", identity_code=code)
    errors = raised.value.errors(include_input=False)
    assert [error["loc"] for error in errors] == [("identity_code",)]
    assert code not in str(raised.value)
    assert all(code not in error["msg"] for error in errors)
