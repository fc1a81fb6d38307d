"""Polku on a Kafka that requires TLS, a SCRAM login and ACLs: the real referral relay and the
real assessment consumer, dead letters listed and replayed, `polku republish`, what a
principal may not do, and wrong credentials failing fast with the setting to fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from aiokafka.errors import TopicAuthorizationFailedError

from contracts.topics import ASSESSMENT_TOPIC, REFERRAL_TOPIC
from polku.infra import Infrastructure
from services.assessment.app import definition as assessment
from services.referral.app import definition as referral
from services.runtime.kafka_clients import KafkaConnection, KafkaSetupError
from services.runtime.topics import ensure_topics
from tests.e2e.referral.support import PEOPLE, topic_records
from tests.integration.kafka_security.conftest import ASSESSMENT_DLQ, SecuredKafka
from tests.integration.runtime.support import wait_for
from tests.support.services import auth, running_service

SOTE, EMPLOYMENT = "kymenlaakso-sote", "kymenlaakso-employment"
NOT_AN_EVENT = b"not a cloudevent"


@dataclass(frozen=True)
class Pathway:
    referral_db: str
    events: int  # what referral stored (and its relay published)
    consumed: int  # what assessment's consumer took in
    referrals_known: int  # ReferralMade events in assessment's access tables


def polku(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run a `polku` command with the environment of a deployment; the result and seconds."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "polku", *args], capture_output=True,
                            text=True, timeout=120, env={**os.environ, **env})
    return result, time.monotonic() - started


async def _make_referral(http: httpx.AsyncClient) -> None:
    client = await http.post("/clients", json=PEOPLE.person(), headers=auth(SOTE, "nurse"))
    assert client.status_code == 201, client.text
    made = await http.post("/referrals", headers=auth(EMPLOYMENT, "employment_expert"),
                           json={"client_id": client.json()["client_id"],
                                 "target_organisation_id": SOTE,
                                 "target_service": "job_coaching", "reasons": ["other"]})
    assert made.status_code == 201, made.text


@pytest.fixture(scope="module")
async def pathway(secured: SecuredKafka, infra: Infrastructure) -> AsyncIterator[Pathway]:
    """The referral service (principal `referral`) makes a client and a referral; its relay
    publishes them over TLS + SCRAM; the assessment service (principal `assessment`) consumes
    them, and dead-letters a message that is not an event."""
    names = [f"test_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    referral_db, assessment_db = [await infra.adatabase_url(n) for n in names]
    try:
        async with (
            running_service(referral, database_url=referral_db, kafka_bootstrap=secured.secure,
                            **secured.settings("referral")) as writer,
            running_service(assessment, database_url=assessment_db,
                            kafka_bootstrap=secured.secure,
                            **secured.settings("assessment")) as reader,
            writer.client() as http,
        ):
            await _make_referral(http)
            events = len(await writer.ctx.store.read_from_position(1, 100))

            async def published() -> bool:
                return bool(writer.ctx.relay.published >= events)

            await wait_for(published, what="the relay publishing through SASL_SSL")
            # The referral principal may write its topic, whatever it writes.
            producer = secured.connection("referral").producer()
            await secured.connection("referral").start(producer)
            try:
                await producer.send_and_wait(REFERRAL_TOPIC, NOT_AN_EVENT, key=b"k")
            finally:
                await producer.stop()
            consumer = reader.ctx.consumers[0]

            async def referrals_known() -> int:
                return int(await reader.ctx.pool.fetchval(
                    "SELECT count(*) FROM access_events WHERE event_type = 'ReferralMade'"))

            async def taken_in() -> bool:
                # Each partition is consumed on its own: the dead letter may come first.
                return bool(await topic_records(secured.plain, ASSESSMENT_DLQ)) and (
                    await referrals_known() >= 1 and consumer.processed >= 1)

            await wait_for(taken_in, what="the consumer taking in the referral and "
                           "dead-lettering the non-event through SASL_SSL")
            known = await referrals_known()
            found = Pathway(referral_db, events, consumer.processed, known)
        # The services stop here: what the tests send next is not consumed again.
        yield found
    finally:
        for name in names:
            await infra.drop_database(name)


async def test_the_relay_publishes_and_the_consumer_consumes_through_tls_and_scram(
    pathway: Pathway, secured: SecuredKafka
) -> None:
    records = await topic_records(secured.plain, REFERRAL_TOPIC)
    types = [json.loads(r.value)["type"] for r in records if r.value != NOT_AN_EVENT]
    assert len(types) >= pathway.events >= 2
    assert any(t.endswith("ReferralMade") for t in types), types
    assert pathway.consumed >= 1, "assessment's consumer took in the referral events"
    assert pathway.referrals_known == 1, "assessment knows of the referral"


async def test_the_operator_lists_and_replays_dead_letters(
    pathway: Pathway, secured: SecuredKafka
) -> None:
    listed, _ = polku("dlq", "list", "--consumer", "assessment", env=secured.env("operator"))
    assert listed.returncode == 0, listed.stderr
    assert "assessment@0: reason=" in listed.stdout
    before = len(await topic_records(secured.plain, REFERRAL_TOPIC))
    replayed, _ = polku("dlq", "replay", "--consumer", "assessment", env=secured.env("operator"))
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 1 dead letter(s) of assessment" in replayed.stdout
    after = await topic_records(secured.plain, REFERRAL_TOPIC)
    assert len(after) == before + 1
    assert sum(r.value == NOT_AN_EVENT for r in after) == 2, "sent back to its topic"
    again, _ = polku("dlq", "replay", "--consumer", "assessment", env=secured.env("operator"))
    assert "replayed 0 dead letter(s)" in again.stdout, "the replay's group kept its progress"


async def test_the_operator_republishes_referrals_events(
    pathway: Pathway, secured: SecuredKafka
) -> None:
    before = len(await topic_records(secured.plain, REFERRAL_TOPIC))
    result, _ = polku("republish", "--service", "referral", "--from", "1",
                      env={**secured.env("operator"), "DATABASE_URL": pathway.referral_db})
    assert result.returncode == 0, result.stderr
    assert f"re-sent {pathway.events} events of referral" in result.stdout
    assert len(await topic_records(secured.plain, REFERRAL_TOPIC)) == before + pathway.events


async def _refused_writing(kafka: KafkaConnection, topic: str) -> None:
    producer = kafka.producer()
    await kafka.start(producer)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(topic, b"{}", key=b"k")
    finally:
        await producer.stop()


async def test_a_principal_is_refused_what_its_acls_do_not_allow(
    secured: SecuredKafka,
) -> None:
    # Assessment reads the referral topic, may not write it.
    await _refused_writing(secured.connection("assessment"), REFERRAL_TOPIC)
    # The referral principal may not read dead letters: the command says who lacks what.
    result, _ = polku("dlq", "list", "--consumer", "assessment", env=secured.env("referral"))
    assert result.returncode == 2
    assert (f"does not allow KAFKA_SASL_USERNAME=referral to describe the topic "
            f"{ASSESSMENT_DLQ}") in result.stderr


async def test_each_principal_is_refused_outside_its_own_topics_and_group(
    secured: SecuredKafka,
) -> None:
    # The operator writes the referral topic (replay, republish), not assessment's.
    await _refused_writing(secured.connection("operator"), ASSESSMENT_TOPIC)
    # The referral principal may not consume in assessment's group: refused at start, at
    # once, naming the principal and the group (not "did not answer", not retried).
    kafka = secured.connection("referral")
    consumer = kafka.consumer(REFERRAL_TOPIC, group_id="polku-assessment")
    started = time.monotonic()
    with pytest.raises(KafkaSetupError) as refused:
        await kafka.start(consumer)
    assert time.monotonic() - started < 5
    assert not refused.value.retryable
    text = str(refused.value)
    assert "does not allow KAFKA_SASL_USERNAME=referral to use the consumer group" in text, text
    assert "polku-assessment" in text and "did not answer" not in text


async def test_a_principal_that_may_not_create_a_missing_topic_is_told_so(
    secured: SecuredKafka,
) -> None:
    # The services' principals may not create topics: a missing one is a named refusal,
    # at once, not a logged "created" and a topic that does not exist.
    missing = f"polku.test.{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    with pytest.raises(KafkaSetupError) as refused:
        await ensure_topics(secured.connection("referral"), [missing])
    assert time.monotonic() - started < 15
    assert not refused.value.retryable
    assert (f"does not allow KAFKA_SASL_USERNAME=referral to create the topic {missing}"
            in str(refused.value)), refused.value
    plain = KafkaConnection(secured.plain)
    admin = plain.admin()
    await plain.start(admin)
    try:
        assert missing not in await admin.list_topics()
    finally:
        await admin.close()


async def test_a_principal_that_writes_dead_letters_may_not_read_them(
    pathway: Pathway, secured: SecuredKafka
) -> None:
    # Assessment writes its DLQ (and so may describe it) but not read it: the letters the
    # pathway left there are refused by name, not with the client's traceback.
    result, _ = polku("dlq", "list", "--consumer", "assessment", env=secured.env("assessment"))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert (f"does not allow KAFKA_SASL_USERNAME=assessment to read the topic "
            f"{ASSESSMENT_DLQ}") in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


async def test_a_wrong_password_fails_fast_naming_the_setting(secured: SecuredKafka) -> None:
    result, seconds = polku("dlq", "list", env=secured.env("operator", "wrong-password"))
    assert result.returncode == 2
    assert "refused the SASL login of KAFKA_SASL_USERNAME=operator" in result.stderr
    assert "KAFKA_SASL_PASSWORD" in result.stderr
    assert "wrong-password" not in result.stderr + result.stdout
    assert seconds < 15, f"took {seconds:.1f} s"
    # A service's start-up (its topics first) stops at once, not after the 60 s it waits for
    # a broker that is still starting.
    started = time.monotonic()
    with pytest.raises(KafkaSetupError, match="KAFKA_SASL_PASSWORD") as refused:
        await ensure_topics(secured.connection("referral", "wrong-password"), [REFERRAL_TOPIC])
    assert not refused.value.retryable
    assert time.monotonic() - started < 5


async def test_an_untrusted_broker_certificate_names_the_ca_setting(
    secured: SecuredKafka,
) -> None:
    settings = secured.env("referral")
    del settings["KAFKA_SSL_CA_FILE"]  # trusting the system's CAs only
    result, seconds = polku("dlq", "list", env=settings)
    assert result.returncode == 2
    assert "set KAFKA_SSL_CA_FILE to the CA that signed" in result.stderr
    assert seconds < 15


async def test_a_plaintext_client_on_the_secured_listener_does_not_hang(
    secured: SecuredKafka,
) -> None:
    kafka = KafkaConnection(secured.secure, connect_timeout=5)
    started = time.monotonic()
    with pytest.raises(KafkaSetupError, match="KAFKA_SECURITY_PROTOCOL=PLAINTEXT"):
        await kafka.start(kafka.admin())
    assert time.monotonic() - started < 7


async def test_an_mtls_client_reads_what_its_certificate_is_allowed(
    pathway: Pathway, secured: SecuredKafka
) -> None:
    listed, _ = polku("dlq", "list", "--consumer", "assessment", env=secured.mtls_env())
    assert listed.returncode == 0, listed.stderr
    assert "assessment@0: reason=" in listed.stdout
    other, _ = polku("dlq", "list", "--consumer", "coaching", env=secured.mtls_env())
    assert other.returncode == 2
    cert, _ = secured.client_files
    assert (f"does not allow the principal of KAFKA_SSL_CERT_FILE={cert} to describe the "
            "topic polku.dlq.coaching") in other.stderr
    without, seconds = polku("dlq", "list", "--consumer", "assessment",
                             env=secured.mtls_env(certificate=False))
    assert without.returncode == 2
    assert "requires a client certificate (mTLS), set KAFKA_SSL_CERT_FILE and " \
        "KAFKA_SSL_KEY_FILE" in without.stderr, without.stderr
    assert seconds < 15
