"""Event bodies validate exactly as EVENTS.md describes them."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from contracts.events.base import Event
from contracts.registry import EVENT_TYPES_BY_TOPIC, all_models, model_for, topic_of
from contracts.topics import ASSESSMENT_TOPIC, COACHING_TOPIC, REFERRAL_TOPIC
from tests.unit.contracts.contract_samples import CLIENT, EVENT_SAMPLES, ITEM_SCORES, OTHER

MODELS = {model.event_type: model for model in all_models()}

EXPECTED_TYPES = {
    REFERRAL_TOPIC: {
        "ClientRegistered", "ConsentGiven", "ConsentWithdrawn", "PersonalDataErased",
        "ReferralMade", "ReferralAccepted", "ReferralDeclined", "ReferralWithdrawn",
        "CaseOpened", "ResponsibilityTransferred", "CaseClosed", "ClientFeedbackGiven",
    },
    ASSESSMENT_TOPIC: {
        "AssessmentStarted", "AssessmentCompleted", "AssessmentCancelled",
        "WorkAbilityScoreRecorded", "SelfAssessmentRecorded", "LabourMarketStatusRecorded",
        "HealthCheckCompleted", "SupportPlanAgreed", "SupportPlanRevised", "ConsultationGiven",
    },
    COACHING_TOPIC: {
        "CoachingStarted", "VocationalProfileCompleted", "EmployerContacted",
        "PlacementStarted", "FollowAlongSupportGiven", "PlacementEnded", "CoachingEnded",
        "FidelityReviewRecorded",
    },
}  # fmt: skip


def build(event_type: str, **changes: Any) -> Event:
    return MODELS[event_type].model_validate({**EVENT_SAMPLES[event_type], **changes})


def test_every_event_type_of_events_md_is_published_on_its_topic() -> None:
    assert {topic: set(types) for topic, types in EVENT_TYPES_BY_TOPIC.items()} == EXPECTED_TYPES
    for topic, types in EXPECTED_TYPES.items():
        for event_type in types:
            assert topic_of(event_type) == topic
            assert model_for(event_type, 1).__name__ == event_type


@pytest.mark.parametrize("event_type", sorted(EVENT_SAMPLES))
def test_round_trip_through_json_keeps_the_event(event_type: str) -> None:
    event = build(event_type)
    data = event.to_data()
    assert "type" not in data
    assert MODELS[event_type].model_validate(data) == event
    assert MODELS[event_type].model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize("event_type", sorted(EVENT_SAMPLES))
def test_unknown_field_is_rejected(event_type: str) -> None:
    with pytest.raises(ValidationError, match="extra"):
        build(event_type, first_name="Aino")


@pytest.mark.parametrize("event_type", sorted(EVENT_SAMPLES))
def test_occurred_at_must_be_present_and_timezone_aware(event_type: str) -> None:
    body = dict(EVENT_SAMPLES[event_type])
    del body["occurred_at"]
    with pytest.raises(ValidationError):
        MODELS[event_type].model_validate(body)
    with pytest.raises(ValidationError):
        build(event_type, occurred_at="2025-03-01T09:30:00")


def test_occurred_at_is_kept_in_utc() -> None:
    event = build("CaseClosed", occurred_at="2025-03-01T11:30:00+02:00")
    assert event.occurred_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert event.to_data()["occurred_at"] == "2025-03-01T09:30:00Z"


@pytest.mark.parametrize("event_type", sorted(EVENT_SAMPLES))
def test_events_are_frozen(event_type: str) -> None:
    event = build(event_type)
    with pytest.raises(ValidationError):
        event.occurred_at = datetime.now(UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("ClientRegistered", f"client:{CLIENT}"),
        ("ConsentGiven", f"client:{CLIENT}"),
        ("ReferralMade", f"referral:{OTHER}"),
        ("CaseOpened", f"case:{OTHER}"),
        ("ClientFeedbackGiven", f"feedback:{OTHER}"),
        ("WorkAbilityScoreRecorded", f"measurement:{OTHER}"),
        ("HealthCheckCompleted", f"healthcheck:{OTHER}"),
        ("SupportPlanAgreed", f"plan:{OTHER}"),
        ("ConsultationGiven", f"consultation:{OTHER}"),
        ("AssessmentStarted", f"assessment:{OTHER}"),
        ("CoachingStarted", f"engagement:{OTHER}"),
        ("PlacementStarted", f"placement:{OTHER}"),
        ("FidelityReviewRecorded", f"fidelity:{OTHER}"),
    ],
)
def test_stream_id_names_the_stream_kind_and_id(event_type: str, expected: str) -> None:
    assert build(event_type).stream_id == expected


def test_client_key_is_the_client_or_none() -> None:
    assert build("ReferralMade").client_key == UUID(CLIENT)
    assert build("ClientFeedbackGiven").client_key is None
    assert build("FidelityReviewRecorded").client_key is None


@pytest.mark.parametrize(
    ("event_type", "changes"),
    [
        ("ClientRegistered", {"sex": "other"}),
        ("ClientRegistered", {"home_region": "helsinki"}),
        ("ClientRegistered", {"client_id": "not-a-uuid"}),
        ("ConsentGiven", {"scope": "research"}),
        ("ConsentGiven", {"valid_until": "31.1.2026"}),
        ("ReferralMade", {"unemployment_months": 601}),
        ("ReferralMade", {"unemployment_months": -1}),
        ("ReferralMade", {"reasons": []}),
        ("ReferralMade", {"reasons": ["bored"]}),
        ("ReferralMade", {"triage": "blue"}),
        ("ReferralMade", {"referring_org_kind": "client"}),
        ("ReferralDeclined", {"reason": "busy"}),
        ("ClientFeedbackGiven", {"score": 11}),
        ("ClientFeedbackGiven", {"score": -1}),
        ("AssessmentStarted", {"roles": ["wizard"]}),
        ("AssessmentCancelled", {"reason": "no_capacity"}),
        ("WorkAbilityScoreRecorded", {"score": 11}),
        ("WorkAbilityScoreRecorded", {"score": 5.5}),
        ("SelfAssessmentRecorded", {"instrument": "wai"}),
        ("SelfAssessmentRecorded", {"domain_scores": {"work_ability": 10.5}}),
        ("SelfAssessmentRecorded", {"domain_scores": {"work_ability": -0.1}}),
        ("SelfAssessmentRecorded", {"domain_scores": {"happiness": 5}}),
        ("SelfAssessmentRecorded", {"overall": 11}),
        ("SupportPlanAgreed", {"planned_services": []}),
        ("SupportPlanRevised", {"planned_services": []}),
        ("SupportPlanAgreed", {"review_on": "2025-02-30"}),
        ("PlacementStarted", {"hours_per_week": -1}),
        ("PlacementStarted", {"kind": "gig"}),
        ("FidelityReviewRecorded", {"total": 76}),
        ("FidelityReviewRecorded", {"item_scores": {**ITEM_SCORES, "1": 6}, "total": 78}),
        ("FidelityReviewRecorded", {"item_scores": {**ITEM_SCORES, "1": 0}, "total": 72}),
        ("FidelityReviewRecorded", {"item_scores": {**ITEM_SCORES, "26": 3}, "total": 78}),
        (
            "FidelityReviewRecorded",
            {"item_scores": {k: v for k, v in ITEM_SCORES.items() if k != "25"}, "total": 72},
        ),
    ],
)
def test_values_outside_the_published_language_are_rejected(
    event_type: str, changes: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        build(event_type, **changes)


def test_fidelity_total_must_be_the_sum_of_items() -> None:
    scores = {**ITEM_SCORES, "7": 5}
    assert build("FidelityReviewRecorded", item_scores=scores, total=77).total == 77
    with pytest.raises(ValidationError, match="sum of item_scores"):
        build("FidelityReviewRecorded", item_scores=scores, total=75)


def test_self_referral_has_no_referring_organisation() -> None:
    event = build("ReferralMade", referring_organisation_id=None, referring_org_kind="client_self")
    assert event.to_data()["referring_organisation_id"] is None


def test_research_consent_names_no_organisation() -> None:
    event = build("ConsentGiven", scope="research", organisation_ids=[], valid_until=None)
    assert event.to_data()["organisation_ids"] == []
