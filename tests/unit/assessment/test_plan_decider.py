"""A support plan needs at least one planned service and a review date not in the past; it
is agreed once on an open case of its client and revised any number of times."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from typing import Any

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

from contracts.codes import ServiceKind
from contracts.commands.assessment import AgreeSupportPlan, ReviseSupportPlan
from contracts.events.assessment import SupportPlanAgreed, SupportPlanRevised
from contracts.events.base import Event
from services.assessment.domain import plan
from services.assessment.domain.errors import Conflict, Rejected
from services.assessment.domain.rules import CaseView

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
PLAN = uuid.uuid4()
CLIENT = uuid.uuid4()
CASE = uuid.uuid4()
OPEN_CASE = CaseView(CASE, CLIENT, closed=False)
SERVICES = [ServiceKind.JOB_COACHING, ServiceKind.KELA_VOCATIONAL_REHABILITATION]


def given(*events: Event) -> plan.Plan:
    return reduce(plan.evolve, events, plan.initial_state)


def when(command: Any, state: plan.Plan, case: CaseView | None = OPEN_CASE) -> list[Event]:
    return plan.decide(command, state, plan_id=PLAN, now=NOW, case=case)


def agree(**changes: Any) -> AgreeSupportPlan:
    return AgreeSupportPlan.model_construct(
        **{"client_id": CLIENT, "case_id": CASE, "planned_services": SERVICES,
           "review_on": TODAY + timedelta(days=90), "occurred_at": None, **changes})


def revise(**changes: Any) -> ReviseSupportPlan:
    return ReviseSupportPlan.model_construct(
        **{"planned_services": [ServiceKind.EDUCATION], "review_on": TODAY,
           "occurred_at": None, **changes})


AGREED = SupportPlanAgreed(plan_id=PLAN, client_id=CLIENT, case_id=CASE,
                           planned_services=SERVICES, review_on=TODAY + timedelta(days=90),
                           occurred_at=NOW)
REVISED = SupportPlanRevised(plan_id=PLAN, client_id=CLIENT,
                             planned_services=[ServiceKind.EDUCATION], review_on=TODAY,
                             occurred_at=NOW)


def test_agree_a_plan() -> None:
    assert when(agree(), given()) == [AGREED]


def test_revise_an_agreed_plan_any_number_of_times() -> None:
    assert when(revise(), given(AGREED)) == [REVISED]
    assert when(revise(), given(AGREED, REVISED)) == [REVISED]
    state = given(AGREED, REVISED, REVISED)
    assert state.revisions == 2 and state.planned_services == (ServiceKind.EDUCATION,)


def test_a_plan_is_agreed_once() -> None:
    with pytest.raises(Conflict, match="revise it instead"):
        when(agree(), given(AGREED))


def test_only_an_agreed_plan_is_revised() -> None:
    with pytest.raises(Conflict):
        when(revise(), given())


@pytest.mark.parametrize("command", [agree(planned_services=[]), revise(planned_services=[])],
                         ids=["agree", "revise"])
def test_a_plan_needs_a_planned_service(command: Any) -> None:
    state = given(AGREED) if isinstance(command, ReviseSupportPlan) else given()
    with pytest.raises(Rejected) as error:
        when(command, state)
    assert error.value.field == "planned_services"


@pytest.mark.parametrize("command", [agree(review_on=TODAY - timedelta(days=1)),
                                     revise(review_on=TODAY - timedelta(days=1))],
                         ids=["agree", "revise"])
def test_the_review_date_is_not_in_the_past(command: Any) -> None:
    state = given(AGREED) if isinstance(command, ReviseSupportPlan) else given()
    with pytest.raises(Rejected) as error:
        when(command, state)
    assert error.value.field == "review_on"


def test_planned_services_are_distinct() -> None:
    with pytest.raises(Rejected):
        when(agree(planned_services=[ServiceKind.EDUCATION, ServiceKind.EDUCATION]), given())


def test_the_case_must_be_the_clients() -> None:
    with pytest.raises(Rejected) as error:
        when(agree(), given(), CaseView(CASE, uuid.uuid4(), closed=False))
    assert error.value.field == "case_id"


def test_no_plan_on_a_closed_case() -> None:
    with pytest.raises(Conflict, match="closed"):
        when(agree(), given(), CaseView(CASE, CLIENT, closed=True))


@for_all(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
         st.lists(st.sampled_from(list(ServiceKind)), max_size=4))
def test_property_agreed_exactly_when_the_rules_hold(
    review_on: date, services: list[ServiceKind]
) -> None:
    valid = bool(services) and len(set(services)) == len(services) and review_on >= TODAY
    try:
        [event] = when(agree(review_on=review_on, planned_services=services), given())
        assert isinstance(event, SupportPlanAgreed) and event.review_on == review_on
        accepted = True
    except Rejected:
        accepted = False
    assert accepted == valid
