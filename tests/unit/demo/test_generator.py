"""The demo plan is deterministic, valid against the contracts, and never in the future."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.commands import AcceptReferral, CloseCase, MakeReferral, RegisterClient
from contracts.identity import parse_identity_code
from polku.demo.generator import build_plan, default_until
from polku.demo.people import identity_code
from polku.demo.plan import Plan

UNTIL = date(2026, 10, 30)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(seed=7, clients=600, until=UNTIL)


def _fingerprint(plan: Plan) -> list[tuple[str, str, str, str, str]]:
    return [(track.key, step.key, step.actor.org, step.occurred_at.isoformat(), repr(step.body))
            for track in plan.tracks for step in track.steps]


def test_the_same_seed_gives_the_same_plan(plan: Plan) -> None:
    assert _fingerprint(build_plan(seed=7, clients=600, until=UNTIL)) == _fingerprint(plan)


def test_another_seed_gives_another_plan(plan: Plan) -> None:
    assert _fingerprint(build_plan(seed=8, clients=600, until=UNTIL)) != _fingerprint(plan)


def test_the_size_is_the_number_of_clients(plan: Plan) -> None:
    registrations = [step for track in plan.tracks for step in track.steps
                     if step.command is RegisterClient]
    assert len(plan.client_tracks()) == len(registrations) == 600


def test_identity_codes_are_valid_temporary_and_unique(plan: Plan) -> None:
    codes = [step.body["identity_code"] for track in plan.tracks for step in track.steps
             if step.command is RegisterClient]
    for code in codes:
        parsed = parse_identity_code(code)
        assert parsed.is_temporary
        assert 900 <= int(code[7:10]) <= 999
    assert len(set(codes)) == len(codes)


def test_check_character_follows_the_modulo_31_rule() -> None:
    # DOMAIN.md: the nine digits DDMMYYZZZ as one integer modulo 31 index the check string.
    assert identity_code(date(1952, 10, 13), 908) == "131052-908" + \
        "0123456789ABCDEFHJKLMNPRSTUVWXY"[131052908 % 31]
    assert identity_code(date(2001, 1, 1), 901)[6] == "A"


def test_nothing_happens_after_until_or_in_the_future(plan: Plan) -> None:
    now = datetime.now(UTC)
    for track in plan.tracks:
        for step in track.steps:
            assert step.occurred_at.date() <= UNTIL
            assert step.occurred_at < now


def test_default_until_is_in_the_past() -> None:
    assert default_until(date(2026, 3, 10)) == date(2026, 3, 9)
    assert default_until(date(2030, 1, 1)) == date(2026, 10, 30)
    assert default_until() < datetime.now(UTC).date()


def test_every_body_validates_against_its_command_model(plan: Plan) -> None:
    for track in plan.tracks:
        for step in track.steps:
            step.validate()


def test_steps_only_use_ids_learned_earlier_and_keep_business_order(plan: Plan) -> None:
    for track in plan.tracks:
        learned: set[str] = set()
        previous = None
        for step in track.steps:
            assert step.refs() <= learned, (track.key, step.key)
            if step.produces:
                learned.add(step.produces[0])
            if previous is not None and track.kind == "client":
                assert step.occurred_at > previous
            previous = step.occurred_at


def test_the_target_accepts_and_the_holder_closes(plan: Plan) -> None:
    for track in plan.client_tracks():
        targets: dict[str, str] = {}
        holders: dict[str, str] = {}
        for step in track.steps:
            episode = step.key.split(".")[0]
            if step.command is MakeReferral:
                targets[episode] = step.body["target_organisation_id"]
            elif step.command is AcceptReferral:
                assert step.actor.org == targets[episode]
                assert step.body["responsible_worker_id"] == str(step.actor.sub)
                holders[episode] = step.actor.org
            elif step.key.endswith(".transfer"):
                assert step.actor.org == holders[episode]
                holders[episode] = step.body["to_organisation_id"]
            elif step.command is CloseCase:
                assert step.actor.org == holders[episode]


def test_assessment_and_coaching_orgs_are_involved_or_consented(plan: Plan) -> None:
    """The services refuse (403) an organisation neither involved nor in a consent."""
    for track in plan.client_tracks():
        consented: set[str] = set()
        case_orgs: set[str] = set()
        for step in track.steps:
            if step.key == "consent.data_sharing":
                consented |= set(step.body["organisation_ids"])
            if step.command is AcceptReferral:
                case_orgs.add(step.actor.org)
            if step.service != "referral":
                assert step.actor.org in consented | case_orgs, (track.key, step.key)
                if step.actor.org not in consented:
                    assert not step.actor.org.endswith(("-ngo", "-mtp", "-employment"))


def test_idempotency_keys_are_stable_and_distinct(plan: Plan) -> None:
    track = plan.client_tracks()[0]
    keys = [plan.idempotency_key(track, step) for step in track.steps]
    assert len(set(keys)) == len(keys)
    again = build_plan(seed=7, clients=600, until=UNTIL)
    assert keys == [again.idempotency_key(again.client_tracks()[0], s)
                    for s in again.client_tracks()[0].steps]


def test_pathways_start_across_the_whole_window(plan: Plan) -> None:
    months = {track.steps[0].occurred_at.strftime("%Y-%m") for track in plan.client_tracks()}
    assert "2024-01" in months and "2026-09" in months
    assert len(months) >= 30


def test_a_small_plan_still_works() -> None:
    small = build_plan(seed=1, clients=5, until=UNTIL)
    assert len(small.client_tracks()) == 5
    assert build_plan(seed=1, clients=0, until=UNTIL).client_tracks() == []


def test_until_too_early_is_refused() -> None:
    with pytest.raises(ValueError):
        build_plan(clients=10, until=date(2024, 1, 1) + timedelta(days=10))
