"""Intake of both CloudEvents content modes (Kafka protocol binding) on real ConsumerRecords:
structured (the envelope as the value) and binary (attributes in `ce_` headers, data as the
value), through the same validation, malformed records to dead letters with a reason."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord

from contracts.codes import Role
from contracts.envelope import Envelope
from contracts.events.referral import ClientRegistered
from contracts.topics import REFERRAL_TOPIC
from services.runtime.intake import ConsumerSpec, Sorted, classify, envelope_of


async def _ignore(conn: Any, events: Any) -> None:
    return None


SPEC = ConsumerSpec(name="test", topics=(REFERRAL_TOPIC,),
                    subscribed_types=frozenset({"ClientRegistered"}), handler=_ignore)


def envelope(**extra: Any) -> Envelope:
    client = uuid.uuid4()
    event = ClientRegistered(client_id=client, birth_year=1980, sex="female",
                             home_region="kymenlaakso",
                             occurred_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    made = Envelope.for_event(
        event, source="partner/register", streamversion=1, correlationid="c-1",
        actororg="kymenlaakso-sote", actorrole=Role.SOCIAL_WORKER, actor=str(uuid.uuid4()),
        causationid="cmd-7",
    )
    return made.model_copy(update=extra) if extra else made


def record(value: bytes | None, headers: list[tuple[str, bytes]], offset: int = 0
           ) -> ConsumerRecord:
    return ConsumerRecord(
        topic=REFERRAL_TOPIC, partition=0, offset=offset, timestamp=0, timestamp_type=0,
        key=b"k", value=value, checksum=None, serialized_key_size=1,
        serialized_value_size=len(value or b""), headers=headers,
    )


def structured(env: Envelope) -> ConsumerRecord:
    return record(env.to_json_bytes(), [("content-type", b"application/cloudevents+json")])


def binary_headers(env: Envelope, content_type: bytes | None = b"application/json"
                   ) -> list[tuple[str, bytes]]:
    attributes = {k: v for k, v in env.to_dict().items() if k not in ("data", "datacontenttype")}
    headers = [(f"ce_{name}", str(value).encode()) for name, value in attributes.items()]
    return headers + ([("content-type", content_type)] if content_type is not None else [])


def binary(env: Envelope, **changes: bytes | None) -> ConsumerRecord:
    headers = [(k, v) for k, v in binary_headers(env) if k not in changes]
    headers += [(k, v) for k, v in changes.items() if k != "value" and v is not None]
    value = changes["value"] if "value" in changes else json.dumps(env.data).encode()
    return record(value, headers)


def one_dead(result: Sorted) -> tuple[str, str]:
    assert not result.events and len(result.dead) == 1, result
    return result.dead[0].reason, result.dead[0].detail


def test_structured_mode_is_read_from_the_value() -> None:
    env = envelope()
    result = classify(SPEC, [structured(env)])
    assert [e.envelope for e in result.events] == [env]
    assert isinstance(result.events[0].data, ClientRegistered)


def test_binary_mode_gives_the_same_envelope_and_event_as_structured_mode() -> None:
    env = envelope()
    result = classify(SPEC, [binary(env)])
    assert not result.dead
    (event,) = result.events
    assert event.envelope == env
    assert event.envelope.dataversion == env.dataversion and event.envelope.causationid == "cmd-7"
    assert event.data == classify(SPEC, [structured(env)]).events[0].data


def test_binary_mode_keeps_extension_attributes_and_accepts_a_charset() -> None:
    env = envelope()
    rec = binary(env, **{"content-type": b"application/json; charset=UTF-8",
                         "ce_importbatch": b"batch-42"})
    parsed = envelope_of(rec)
    assert parsed.model_extra == {"importbatch": "batch-42"}
    assert parsed.datacontenttype == "application/json"


def test_binary_mode_without_content_type_is_json_and_header_names_ignore_case() -> None:
    env = envelope()
    headers = [(k.upper() if k == "ce_id" else k, v) for k, v in binary_headers(env, None)]
    parsed = envelope_of(record(json.dumps(env.data).encode(), headers))
    assert parsed == env


def test_a_cloudevents_content_type_means_structured_even_with_ce_headers() -> None:
    env = envelope()
    rec = record(env.to_json_bytes(), [("content-type", b"application/cloudevents+json"),
                                       ("ce_specversion", b"1.0")])
    assert envelope_of(rec) == env


def test_a_record_without_ce_specversion_is_structured() -> None:
    env = envelope()
    rec = record(json.dumps(env.data).encode(),
                 [h for h in binary_headers(env) if h[0] != "ce_specversion"])
    reason, detail = one_dead(classify(SPEC, [rec]))
    assert reason == "unparseable" and "binary mode" not in detail


@pytest.mark.parametrize(("changes", "named"), [
    ({"ce_id": None}, "id"),
    ({"ce_dataversion": b"two"}, "dataversion"),
    ({"ce_time": b"yesterday"}, "time"),
    ({"ce_actorrole": b"wizard"}, "actorrole"),
    ({"ce_specversion": b"0.3"}, "specversion"),
    ({"value": b"{not json"}, "not JSON"),
    ({"value": None}, "no value"),
    ({"value": b"[1, 2]"}, "data"),
    ({"content-type": b"application/avro"}, "application/avro"),
    ({"content-type": b"application/json; charset=latin-1"}, "latin-1"),
    ({"ce_subject": b"\xff\xfe"}, "ce_subject is not UTF-8"),
    ({"ce_data": b"{}"}, "ce_data"),
])
def test_malformed_binary_records_are_dead_letters_naming_what_is_wrong(
    changes: dict[str, bytes | None], named: str
) -> None:
    reason, detail = one_dead(classify(SPEC, [binary(envelope(), **changes)]))
    assert reason == "unparseable"
    assert detail.startswith("binary mode: ") and named in detail, detail


def test_a_header_given_twice_with_two_values_is_refused() -> None:
    env = envelope()
    rec = binary(env)
    rec = record(rec.value, [*rec.headers, ("ce_id", str(uuid.uuid4()).encode())])
    reason, detail = one_dead(classify(SPEC, [rec]))
    assert reason == "unparseable" and "ce_id appears twice" in detail


def test_binary_data_goes_through_the_same_schema_validation() -> None:
    env = envelope()
    bad = json.dumps({**env.data, "birth_year": 1700}).encode()
    for rec in (binary(env, value=bad),
                structured(env.model_copy(update={"data": json.loads(bad)}))):
        reason, detail = one_dead(classify(SPEC, [rec]))
        assert reason == "schema-invalid" and "birth_year" in detail


def test_a_binary_event_of_a_type_not_subscribed_is_passed_not_handled() -> None:
    env = envelope(type="PartnerNoticeGiven")
    result = classify(SPEC, [binary(env)])
    assert not result.events and not result.dead
    assert [p.event_id for p in result.passed] == [env.id]


def test_both_modes_in_one_batch_keep_their_offsets() -> None:
    first, second = envelope(), envelope()
    recs = [structured(first), binary(second)]
    recs[1] = record(recs[1].value, list(recs[1].headers), offset=1)
    result = classify(SPEC, recs)
    assert [(e.envelope.id, e.offset) for e in result.events] == [(first.id, 0), (second.id, 1)]
