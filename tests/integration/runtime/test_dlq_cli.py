"""`polku dlq list|replay` and `polku token` against the real broker."""

from __future__ import annotations

import uuid

import jwt
import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from contracts.topics import dlq_topic
from polku.cli import app
from services.runtime.dlq import read_dead_letters, replay_dead_letters
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.settings import DEV_JWT_SECRET
from services.runtime.topics import ensure_topics
from tests.integration.runtime.test_relay_consumer import topic_messages_raw


async def test_dead_letters_are_listed_and_replayed_once(
    kafka_bootstrap: str, new_topic: str
) -> None:
    consumer = f"test-{uuid.uuid4().hex[:8]}"
    await ensure_topics(KafkaConnection(kafka_bootstrap), [dlq_topic(consumer)], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for i, reason in enumerate(["unparseable", "schema-invalid"]):
            await producer.send_and_wait(
                dlq_topic(consumer), f'{{"id": "{i}"}}'.encode(), key=b"k",
                headers=[("dlq-reason", reason.encode()), ("dlq-topic", new_topic.encode()),
                         ("dlq-partition", b"0"), ("dlq-offset", str(i).encode())],
            )
    finally:
        await producer.stop()

    letters = await read_dead_letters(KafkaConnection(kafka_bootstrap), [consumer])
    assert [letter.headers["dlq-reason"] for letter in letters] == ["unparseable",
                                                                   "schema-invalid"]
    assert "reason=unparseable" in letters[0].describe()

    assert await replay_dead_letters(KafkaConnection(kafka_bootstrap), consumer) == 2
    replayed = await topic_messages_raw(kafka_bootstrap, new_topic)
    assert sorted(v for _, v in replayed) == [b'{"id": "0"}', b'{"id": "1"}']
    kafka = KafkaConnection(kafka_bootstrap)
    assert await replay_dead_letters(kafka, consumer) == 0, "replayed only once"
    # Listing does not consume: both letters are still there for the record.
    assert len(await read_dead_letters(KafkaConnection(kafka_bootstrap), [consumer])) == 2


def test_token_command_prints_a_verifiable_development_token() -> None:
    professional = "0b5e7a52-3c1d-4e8f-9a2b-6c7d8e9f0a1b"
    result = CliRunner().invoke(app, ["token", "--org", "kymenlaakso-sote", "--role",
                                      "social_worker", "--sub", professional])
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), DEV_JWT_SECRET, algorithms=["HS256"])
    assert (claims["org"], claims["role"], claims["sub"]) == (
        "kymenlaakso-sote", "social_worker", professional)
    bad = CliRunner().invoke(app, ["token", "--org", "x", "--role", "wizard"])
    assert bad.exit_code != 0 and "unknown role" in bad.output
    not_a_uuid = CliRunner().invoke(app, ["token", "--org", "kymenlaakso-sote", "--role",
                                          "social_worker", "--sub", "p-1"])
    assert not_a_uuid.exit_code != 0 and "--sub must be a UUID" in not_a_uuid.output
    too_long = CliRunner().invoke(app, ["token", "--org", "kymenlaakso-sote", "--role",
                                        "social_worker", "--hours", "13"])
    assert too_long.exit_code != 0 and "POLKU_JWT_MAX_TOKEN_LIFETIME" in too_long.output
    random_sub = CliRunner().invoke(app, ["token", "--org", "kymenlaakso-sote", "--role",
                                          "social_worker"])
    sub = jwt.decode(random_sub.output.strip(), DEV_JWT_SECRET, algorithms=["HS256"])["sub"]
    assert str(uuid.UUID(sub)) == sub


def test_token_command_names_the_configured_issuer_and_audience(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLKU_JWT_ISSUER", "https://idp.example/realms/polku")
    monkeypatch.setenv("POLKU_JWT_AUDIENCE", "polku-api,polku-dashboard")
    result = CliRunner().invoke(app, ["token", "--org", "kymenlaakso-sote", "--role",
                                      "social_worker"])
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), DEV_JWT_SECRET, algorithms=["HS256"],
                        audience="polku-api", issuer="https://idp.example/realms/polku")
    assert claims["aud"] == "polku-api"
