"""The benchmark's synthetic histories are valid events of the published language."""

from bench.synthetic import events
from contracts.envelope import Envelope
from contracts.registry import parse_data


def test_every_synthetic_event_validates_against_the_contracts() -> None:
    seen = set()
    for _, raw in events(220):
        envelope = Envelope.model_validate(raw)
        parse_data(envelope)
        seen.add(envelope.type)
    assert len(seen) == 10
