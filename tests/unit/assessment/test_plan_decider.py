"""A support plan needs at least one planned service and a review date not in the past; it
is agreed once on an open case of its client and revised any number of times."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

from contracts.codes import ServiceKind
from contracts.commands.assessment import AgreeSupportPlan, ReviseSupportPlan
from contracts.events.assessment import SupportPlanAgreed, SupportPlanRevised
from contracts.events.base import Event
from services.assessment.domain import plan
from services.assessment.domain.rules import CaseView
from services.decider import InvalidCommand, StateConflict
from tests.support.decider import NOW, Then, context, scenario

TODAY = NOW.date()
PLAN = uuid.uuid4()
CLIENT = uuid.uuid4()
CASE = uuid.uuid4()
OPEN_CASE = CaseView(CASE, CLIENT, closed=False)
SERVICES = [ServiceKind.JOB_COACHING, ServiceKind.KELA_VOCATIONAL_REHABILITATION]


def when(command: Any, *history: Event, case: CaseView = OPEN_CASE) -> Then:
    """The command after `history`, on `case`; an agreement creates PLAN."""
    return scenario(plan).given(*history).when(command, context(new_id=PLAN, case=case))


def field_refused(then: Then) -> str:
    error = then.raises(InvalidCommand)
    assert isinstance(error, InvalidCommand)
    return error.field


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
    when(agree()).then(AGREED)


def test_revise_an_agreed_plan_any_number_of_times() -> None:
    when(revise(), AGREED).then(REVISED)
    when(revise(), AGREED, REVISED).then(REVISED)
    state = scenario(plan).given(AGREED, REVISED, REVISED).state
    assert state.revisions == 2 and state.planned_services == (ServiceKind.EDUCATION,)


def test_a_plan_is_agreed_once() -> None:
    when(agree(), AGREED).raises(StateConflict, "revise it instead")


def test_only_an_agreed_plan_is_revised() -> None:
    when(revise()).raises(StateConflict)


def history_for(command: Any) -> tuple[Event, ...]:
    return (AGREED,) if isinstance(command, ReviseSupportPlan) else ()


@pytest.mark.parametrize("command", [agree(planned_services=[]), revise(planned_services=[])],
                         ids=["agree", "revise"])
def test_a_plan_needs_a_planned_service(command: Any) -> None:
    assert field_refused(when(command, *history_for(command))) == "planned_services"


@pytest.mark.parametrize("command", [agree(review_on=TODAY - timedelta(days=1)),
                                     revise(review_on=TODAY - timedelta(days=1))],
                         ids=["agree", "revise"])
def test_the_review_date_is_not_in_the_past(command: Any) -> None:
    assert field_refused(when(command, *history_for(command))) == "review_on"


def test_planned_services_are_distinct() -> None:
    when(agree(planned_services=[ServiceKind.EDUCATION, ServiceKind.EDUCATION])).raises(
        InvalidCommand)


def test_the_case_must_be_the_clients() -> None:
    assert field_refused(when(agree(), case=CaseView(CASE, uuid.uuid4(), closed=False))
                         ) == "case_id"


def test_no_plan_on_a_closed_case() -> None:
    when(agree(), case=CaseView(CASE, CLIENT, closed=True)).raises(StateConflict, "closed")


@for_all(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
         st.lists(st.sampled_from(list(ServiceKind)), max_size=4))
def test_property_agreed_exactly_when_the_rules_hold(
    review_on: date, services: list[ServiceKind]
) -> None:
    valid = bool(services) and len(set(services)) == len(services) and review_on >= TODAY
    then = when(agree(review_on=review_on, planned_services=services))
    if then.error is None:
        [event] = then.decided
        assert isinstance(event, SupportPlanAgreed) and event.review_on == review_on
    else:
        then.raises(InvalidCommand)
    assert (then.error is None) == valid
