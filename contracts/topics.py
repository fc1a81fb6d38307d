"""Kafka topic names and CloudEvents `source` values of the published language."""

from collections.abc import Mapping
from types import MappingProxyType

REFERRAL_TOPIC = "polku.referral.v1"
ASSESSMENT_TOPIC = "polku.assessment.v1"
COACHING_TOPIC = "polku.coaching.v1"

SERVICE_TOPICS: Mapping[str, str] = MappingProxyType(
    {
        "referral": REFERRAL_TOPIC,
        "assessment": ASSESSMENT_TOPIC,
        "coaching": COACHING_TOPIC,
    }
)

SOURCES: Mapping[str, str] = MappingProxyType(
    {service: f"polku/{service}" for service in SERVICE_TOPICS}
)

def dlq_topic(consumer: str) -> str:
    """The dead-letter topic of one consumer (EVENTS.md, Topics)."""
    if not consumer:
        raise ValueError("consumer name must not be empty")
    return f"polku.dlq.{consumer}"
