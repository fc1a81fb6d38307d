"""The read audit's rule and its pieces without servers: only a data protection officer of an
organisation that may act reads the audit; it sees its own organisation's reads and every read
of a client the organisation is involved with today; days are Finnish days; cursors round-trip
and a forged one is a 422 naming `cursor`."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.codes import OrganisationKind, Role
from contracts.identity import FINLAND
from services.runtime.access.facts import CaseFact, ClientFacts
from services.runtime.access.policy import Actor, Windows, audit_covers, audit_shows, may_read_audit
from services.runtime.errors import ValidationFailed
from services.runtime.read_audit import AuditQuery, Cursor, to_csv

TODAY = date(2026, 6, 1)
HOLDER, FORMER, STRANGER = "holder", "former-holder", "stranger"


def facts(*, closed_days_ago: int | None = None, transferred_days_ago: int = 10) -> ClientFacts:
    case = CaseFact(uuid.uuid4(), HOLDER, TODAY - timedelta(days=300),
                    closed_on=(TODAY - timedelta(days=closed_days_ago)
                               if closed_days_ago is not None else None),
                    transferred_away=((FORMER, TODAY - timedelta(days=transferred_days_ago)),))
    return ClientFacts(client_id=uuid.uuid4(), registrar=FORMER,
                       registered_on=TODAY - timedelta(days=300), cases={case.case_id: case})


@pytest.mark.parametrize("role", list(Role))
def test_only_the_data_protection_officer_reads_the_audit(role: Role) -> None:
    verdict = may_read_audit(Actor(HOLDER, role, OrganisationKind.WELLBEING_SERVICES))
    assert verdict.allowed is (role is Role.DATA_PROTECTION_OFFICER)


@pytest.mark.parametrize("kind", [None, OrganisationKind.EMPLOYER])
def test_an_unknown_organisation_or_an_employer_reads_no_audit(
    kind: OrganisationKind | None,
) -> None:
    assert not may_read_audit(Actor(HOLDER, Role.DATA_PROTECTION_OFFICER, kind)).allowed


def test_the_officer_sees_its_own_reads_of_any_client() -> None:
    assert audit_shows(facts(), STRANGER, TODAY, reader_org=STRANGER)
    assert not audit_shows(facts(), STRANGER, TODAY, reader_org=HOLDER)


def test_the_officer_of_an_involved_organisation_sees_everyones_reads() -> None:
    assert audit_shows(facts(), HOLDER, TODAY, reader_org=STRANGER)
    # Transferred away 10 days ago: still involved (180 days) and so still sees them.
    assert audit_shows(facts(), FORMER, TODAY, reader_org=STRANGER)


def test_involvement_ends_with_the_window_day_180_included() -> None:
    assert audit_covers(facts(closed_days_ago=180), HOLDER, TODAY)
    assert not audit_covers(facts(closed_days_ago=181), HOLDER, TODAY)
    assert not audit_covers(facts(transferred_days_ago=181), FORMER, TODAY)
    assert audit_covers(facts(closed_days_ago=200), HOLDER, TODAY, Windows(involvement_days=365))


def test_the_registrar_alone_is_not_involved() -> None:
    registered_only = ClientFacts(client_id=uuid.uuid4(), registrar=STRANGER,
                                  registered_on=TODAY)
    assert not audit_covers(registered_only, STRANGER, TODAY)


def test_days_are_finnish_days_both_included() -> None:
    start, end = AuditQuery(date_from=date(2026, 1, 5), date_to=date(2026, 1, 5)).bounds()
    assert start == datetime(2026, 1, 4, 22, tzinfo=UTC)
    assert end == datetime(2026, 1, 5, 22, tzinfo=UTC)
    summer_start, _ = AuditQuery(date_from=date(2026, 7, 1)).bounds()
    assert summer_start == datetime(2026, 6, 30, 21, tzinfo=UTC)
    assert AuditQuery().bounds() == (None, None)


def test_a_cursor_round_trips_and_a_forged_one_names_the_field() -> None:
    cursor = Cursor(datetime(2026, 1, 5, 10, 30, 1, 123456, tzinfo=UTC), 42)
    assert Cursor.decode(cursor.encode()) == cursor
    forged_times = [Cursor(datetime(2026, 1, 5), 1).encode(),  # no offset
                    Cursor(datetime(1, 1, 1, tzinfo=UTC), 1).encode(),  # out of bounds
                    Cursor(cursor.read_at, 2**63).encode(), Cursor(cursor.read_at, -1).encode()]
    for forged in ("garbage!", "", "eA", "\u00e4\u00e4\u00e4\u00e4", *forged_times):
        with pytest.raises(ValidationFailed) as raised:
            Cursor.decode(forged)
        assert raised.value.field == "cursor"


def test_csv_has_a_header_and_the_reads_in_order() -> None:
    read = {"read_at": datetime(2026, 1, 5, tzinfo=FINLAND).isoformat(),
            "organisation_id": HOLDER, "role": "nurse", "professional_id": str(uuid.uuid4()),
            "client_id": str(uuid.uuid4()), "granted": False}
    lines = to_csv([read]).splitlines()
    assert lines[0] == "read_at,organisation_id,role,professional_id,client_id,granted"
    assert lines[1].endswith(",false") and lines[1].startswith(read["read_at"])
