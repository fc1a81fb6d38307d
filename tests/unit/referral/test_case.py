"""Case decider: the holder transfers or closes; a closed case takes no more commands."""

from __future__ import annotations

import uuid

import pytest

from contracts.codes import ExitDestination, ServiceKind
from contracts.commands.referral import CloseCase, TransferResponsibility
from contracts.events.referral import CaseClosed, CaseOpened, ResponsibilityTransferred
from services.decider import (
    InvalidCommand,
    NotPermitted,
    StateConflict,
    UnknownAggregate,
)
from services.referral.domain import case
from tests.unit.referral.builders import KELA, NGO, NOW, SOTE, context, given

CASE_ID, CLIENT_ID, WORKER, OTHER_WORKER = (uuid.uuid4() for _ in range(4))
OPENED = CaseOpened(case_id=CASE_ID, client_id=CLIENT_ID, organisation_id=SOTE,
                    service=ServiceKind.WORK_ABILITY_ASSESSMENT, referral_id=uuid.uuid4(),
                    responsible_worker_id=WORKER, occurred_at=NOW)
TRANSFERRED = ResponsibilityTransferred(
    case_id=CASE_ID, client_id=CLIENT_ID, from_organisation_id=SOTE, from_worker_id=WORKER,
    to_organisation_id=NGO, to_worker_id=OTHER_WORKER, occurred_at=NOW)
CLOSE = CloseCase(exit_destination=ExitDestination.EMPLOYMENT)


def state(*events: object) -> case.CaseState:
    return given(case.initial_state, case.evolve, events)  # type: ignore[arg-type]


def test_holder_transfers() -> None:
    command = TransferResponsibility(to_organisation_id=NGO, to_worker_id=OTHER_WORKER)
    assert case.decide(command, state(OPENED), context(SOTE)) == [TRANSFERRED]


def test_after_transfer_the_new_holder_acts_and_the_old_one_may_not() -> None:
    transferred = state(OPENED, TRANSFERRED)
    assert transferred.holders == (SOTE, NGO)
    with pytest.raises(NotPermitted):
        case.decide(CLOSE, transferred, context(SOTE))
    assert case.decide(CLOSE, transferred, context(NGO)) == [CaseClosed(
        case_id=CASE_ID, client_id=CLIENT_ID, exit_destination=ExitDestination.EMPLOYMENT,
        occurred_at=NOW)]


def test_transfer_by_non_holder_is_refused() -> None:
    command = TransferResponsibility(to_organisation_id=NGO, to_worker_id=OTHER_WORKER)
    with pytest.raises(NotPermitted):
        case.decide(command, state(OPENED), context(KELA))


def test_transfer_to_unknown_organisation() -> None:
    command = TransferResponsibility(to_organisation_id="atlantis-ngo", to_worker_id=WORKER)
    with pytest.raises(InvalidCommand) as raised:
        case.decide(command, state(OPENED), context(SOTE))
    assert raised.value.field == "to_organisation_id"


def test_transfer_to_the_current_worker_is_no_transfer() -> None:
    command = TransferResponsibility(to_organisation_id=SOTE, to_worker_id=WORKER)
    with pytest.raises(InvalidCommand):
        case.decide(command, state(OPENED), context(SOTE))


def test_transfer_within_the_organisation_to_another_worker() -> None:
    command = TransferResponsibility(to_organisation_id=SOTE, to_worker_id=OTHER_WORKER)
    assert len(case.decide(command, state(OPENED), context(SOTE))) == 1


@pytest.mark.parametrize("command", [
    CLOSE, TransferResponsibility(to_organisation_id=NGO, to_worker_id=OTHER_WORKER)])
def test_closed_case_takes_no_commands(command: case.CaseCommand) -> None:
    closed = state(OPENED, CaseClosed(case_id=CASE_ID, client_id=CLIENT_ID,
                                      exit_destination=ExitDestination.OTHER, occurred_at=NOW))
    with pytest.raises(StateConflict):
        case.decide(command, closed, context(SOTE))


@pytest.mark.parametrize("command", [
    CLOSE, TransferResponsibility(to_organisation_id=NGO, to_worker_id=OTHER_WORKER)])
def test_unknown_case(command: case.CaseCommand) -> None:
    with pytest.raises(UnknownAggregate):
        case.decide(command, case.initial_state, context(SOTE))
