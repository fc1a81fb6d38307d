"""The service's link to Kafka, kept in the background: a service starts and serves commands
while the broker is away (the outbox keeps them), and connects its clients once it answers.

Until the first connection the link retries, with backoff, creating the topics and starting
the FastStream broker (producer, admin and the consumers' subscribers); afterwards the
clients reconnect by themselves and the link only watches the broker. Either way the
`polku_broker_reachable` gauge says whether the broker answers; readiness does not.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from faststream.kafka import KafkaBroker

from services.runtime.kafka_clients import KafkaConnection, KafkaSetupError
from services.runtime.logging import get_logger
from services.runtime.metrics import BROKER_REACHABLE
from services.runtime.settings import ServiceSettings
from services.runtime.topics import KEEP_FOREVER, ensure_topics

log = get_logger(__name__)

_MAX_BACKOFF = 10.0


def is_refusal(error: BaseException) -> bool:
    """A refused login, certificate or permission (kafka_clients.py): waiting does not mend
    it. A broker that does not answer, or not in time, may come back: not a refusal."""
    if not isinstance(error, KafkaSetupError) or error.retryable:
        return False
    cause = error.__cause__
    if isinstance(cause, TimeoutError):
        return False
    return is_refusal(cause) if isinstance(cause, KafkaSetupError) else True


class BrokerLink:
    """Connects `broker` in the background, after creating the service's `topics` and its
    consumers' `dead_letter_topics` where missing, and then watches the broker."""

    def __init__(
        self,
        broker: KafkaBroker,
        *,
        service: str,
        settings: ServiceSettings,
        topics: Sequence[str],
        dead_letter_topics: Sequence[str] = (),
        ping_timeout: float = 5.0,
    ) -> None:
        self.broker = broker
        self.service = service
        self.settings = settings
        self.kafka = KafkaConnection.from_settings(settings)
        self.topics, self.dead_letter_topics = list(topics), list(dead_letter_topics)
        self.check_seconds = settings.polku_broker_check_seconds
        self.ping_timeout = ping_timeout
        self.connected = asyncio.Event()  # set once the clients have started
        # The broker refused this service (login, certificate, ACL): a misconfiguration
        # that start-up reports at once instead of serving (service.py).
        self.refused: KafkaSetupError | None = None
        self._settled = asyncio.Event()  # connected, or refused
        self.reachable = False
        self.attempts = 0

    def _report(self, reachable: bool, *, always: bool = False, **fields: object) -> None:
        """Set the gauge; log a change (or, while connecting, every failed attempt)."""
        if always or reachable != self.reachable:
            if reachable:
                log.info("broker.reachable", service=self.service, **fields)
            else:
                log.warning("broker.unreachable", service=self.service, **fields)
        self.reachable = reachable
        BROKER_REACHABLE.labels(self.service).set(int(reachable))

    async def wait_connected(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the first connection (or a refusal); whether
        the service is connected."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout)
        return self.connected.is_set()

    async def run(self) -> None:
        """Connect, retrying until the broker answers; then watch it until cancelled."""
        BROKER_REACHABLE.labels(self.service).set(0)
        await self._connect()
        while True:
            await asyncio.sleep(self.check_seconds)
            try:
                answers = await self.broker.ping(timeout=self.ping_timeout)
            except Exception:
                answers = False
            self._report(answers)

    async def prepare(self) -> None:
        """The topics, where missing (one attempt of a few seconds: `_connect` retries)."""
        replication = self.settings.polku_topic_replication_factor
        await ensure_topics(self.kafka, self.topics, config=KEEP_FOREVER, timeout=5.0,
                            partitions=self.settings.polku_topic_partitions,
                            replication_factor=replication)
        if self.dead_letter_topics:
            await ensure_topics(self.kafka, self.dead_letter_topics, config=KEEP_FOREVER,
                                timeout=5.0, partitions=1, replication_factor=replication)

    async def _connect(self) -> None:
        backoff = 0.5
        while True:
            self.attempts += 1
            try:
                await self.prepare()
                await self.kafka.started(self.broker.start)  # bounded, errors explained
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Start again from nothing: a half-started broker (producer up, a
                # subscriber not) must not keep clients of the failed attempt.
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                if is_refusal(error):
                    self.refused = error if isinstance(error, KafkaSetupError) else None
                    self._settled.set()
                self._report(False, always=True, error=str(error) or repr(error),
                             attempt=self.attempts, retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            self._report(True, always=True, attempt=self.attempts)
            self.refused = None
            self.connected.set()
            self._settled.set()
            return
