"""The scale generator's histories are valid published events, of every v1 type, in order
within each stream, spread over regions and organisations, and the same for the same seed."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from bench.scale import History, copy_line
from contracts.envelope import Envelope
from contracts.organisations import load_registry
from contracts.registry import EVENTS_BY_TOPIC, parse_data, topic_of

HISTORY = History(seed=11, end=datetime(2026, 11, 1, tzinfo=UTC), years=2)
COUNT = 20_000


def test_every_event_parses_with_the_registry_and_every_v1_type_occurs() -> None:
    types: Counter[str] = Counter()
    for raw in HISTORY.envelopes(COUNT):
        envelope = Envelope.model_validate(raw)
        event = parse_data(envelope)
        assert envelope.subject == event.stream_id
        assert envelope.clientid == event.client_key
        assert envelope.source == f"polku/{topic_of(envelope.type).split('.')[1]}"
        types[envelope.type] += 1
    every_type = {m.event_type for models in EVENTS_BY_TOPIC.values() for m in models}
    assert set(types) == every_type, f"missing: {every_type - set(types)}"
    assert sum(types.values()) == COUNT


def test_streams_are_in_order_and_records_late_but_never_before_they_happen() -> None:
    versions: dict[str, list[int]] = defaultdict(list)
    last_time: dict[str, datetime] = {}
    late = 0
    end = HISTORY.end
    for raw in HISTORY.envelopes(COUNT):
        envelope = Envelope.model_validate(raw)
        occurred = parse_data(envelope).occurred_at
        assert occurred <= envelope.time < end
        late += envelope.time - occurred > timedelta(days=30)
        assert envelope.time >= last_time.get(envelope.subject, envelope.time)
        last_time[envelope.subject] = envelope.time
        versions[envelope.subject].append(envelope.streamversion)
    for subject, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), subject
    assert 0.02 * COUNT < late < 0.1 * COUNT, late


def test_clients_spread_over_every_region_and_many_organisations() -> None:
    registry = load_registry()
    regions: Counter[str] = Counter()
    organisations: set[str] = set()
    kinds: Counter[str] = Counter()
    for raw in HISTORY.envelopes(COUNT):
        if raw["type"] == "ClientRegistered":
            regions[raw["data"]["home_region"]] += 1
        if raw["type"] == "CaseOpened":
            organisations.add(raw["data"]["organisation_id"])
        if raw["type"] == "ResponsibilityTransferred":
            kinds[str(registry.kind_of(raw["data"]["to_organisation_id"]))] += 1
        assert raw["actororg"] in registry
    assert set(regions) == {o.region for o in registry.all()}
    assert len(organisations) >= 4 * len(regions)
    assert len(kinds) >= 3  # transfers to several kinds of organisation


def test_the_same_seed_gives_the_same_history_and_another_seed_another() -> None:
    first = [copy_line(e) for e in HISTORY.envelopes(3000)]
    again = [copy_line(e) for e in History(seed=11, end=HISTORY.end, years=2).envelopes(3000)]
    other = [copy_line(e) for e in History(seed=12, end=HISTORY.end, years=2).envelopes(3000)]
    assert first == again
    assert first != other


def test_repeats_exist_referrals_and_assessments() -> None:
    referrals: Counter[str] = Counter()
    assessments: Counter[tuple[str, str]] = Counter()
    for raw in HISTORY.envelopes(COUNT):
        if raw["type"] == "ReferralMade":
            referrals[raw["clientid"]] += 1
        if raw["type"] == "AssessmentStarted":
            assessments[(raw["clientid"], raw["data"]["kind"])] += 1
    assert sum(n > 1 for n in referrals.values()) > 0.1 * len(referrals)
    assert sum(n > 1 for n in assessments.values()) > 0.05 * len(assessments)
