"""The synthetic world of the scale generator: organisations, workers, code weights, clocks,
and the writer that turns one generated event into a valid CloudEvents envelope."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts.organisations import OrganisationRegistry, load_registry
from contracts.topics import SERVICE_TOPICS, SOURCES

DAY = 86_400
# Regions weighted by population (Statistics Finland, rounded thousands).
REGION_WEIGHTS = {"pirkanmaa": 530, "vantaa-kerava": 280, "paijat-hame": 205,
                  "keski-uusimaa": 200, "kymenlaakso": 160}
WORKERS_PER_ORGANISATION = 30
_WORKER_NAMESPACE = uuid.UUID("6f1f1c52-31a4-4b0e-9b7e-4d1b5d1b2c10")

# A history ends here by default: a fixed moment in the past, so that a seed always gives
# the same events and a query "as of now" sees all of them, whatever day it runs.
DEFAULT_END = datetime(2026, 11, 1, tzinfo=UTC)
DEFAULT_YEARS = 5


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


_DAY_TEXT: dict[int, str] = {}


def day_text(day: int) -> str:
    """ISO date of a day number (days since 1970-01-01)."""
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
    return text


def iso(seconds: int) -> str:
    """RFC 3339 UTC text of an instant in epoch seconds, as the services write it."""
    day, rest = divmod(seconds, DAY)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{day_text(day)}T{hours:02d}:{minutes:02d}:{secs:02d}Z"


class FastRandom(random.Random):
    """`random.Random` with a `randint` that skips the argument checks (the hot path)."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


class Weighted:
    """A fixed categorical distribution drawn with one `random()` call."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        self.values = list(weights)
        total = sum(weights.values())
        running, self.cumulative = 0.0, []
        for value in self.values:
            running += weights[value] / total
            self.cumulative.append(running)

    def __call__(self, rng: random.Random) -> str:
        x = rng.random()
        for value, bound in zip(self.values, self.cumulative, strict=True):
            if x < bound:
                return value
        return self.values[-1]


@dataclass(frozen=True)
class Region:
    code: str
    by_kind: dict[str, tuple[str, ...]]

    def org(self, rng: random.Random, kind: str) -> str:
        """An organisation of `kind` in the region (wellbeing services when it has none)."""
        choices = self.by_kind.get(kind) or self.by_kind["wellbeing_services"]
        return choices[0] if len(choices) == 1 else rng.choice(choices)


@dataclass(frozen=True)
class World:
    """Regions and their organisations from the organisation registry, and worker pools."""

    regions: dict[str, Region]
    region_of: dict[str, str]
    kind_of: dict[str, str]
    pick_region: Weighted
    workers: dict[str, tuple[str, ...]] = field(repr=False)

    @classmethod
    def from_registry(cls, registry: OrganisationRegistry | None = None) -> World:
        registry = registry or load_registry()
        by_region: dict[str, dict[str, list[str]]] = {}
        for org in registry.all():
            by_region.setdefault(org.region, {}).setdefault(str(org.kind), []).append(org.id)
        regions = {code: Region(code, {k: tuple(v) for k, v in kinds.items()})
                   for code, kinds in by_region.items() if "wellbeing_services" in kinds}
        weights = {code: REGION_WEIGHTS.get(code, 150) for code in regions}
        workers = {org.id: tuple(str(uuid.uuid5(_WORKER_NAMESPACE, f"{org.id}/{i}"))
                                 for i in range(WORKERS_PER_ORGANISATION))
                   for org in registry.all()}
        return cls(regions, {o.id: o.region for o in registry.all()},
                   {o.id: str(o.kind) for o in registry.all()}, Weighted(weights), workers)

    def worker(self, rng: random.Random, org: str) -> str:
        return rng.choice(self.workers[org])


class Writer:
    """Envelopes of one shard of the history, valid as the services would publish them.

    Each stream's events get consecutive `streamversion`s, and recorded times (`time`)
    that never go backwards within a stream; an event recorded at or after `end` is not
    written (nor, therefore, anything later in its stream): the history is cut at `end`.
    """

    def __init__(self, rng: random.Random, end: int) -> None:
        self.rng, self.end = rng, end
        self.envelopes: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self._streams: dict[str, tuple[int, int]] = {}

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def lag(self) -> int:
        """Seconds from business time to recorded time: mostly soon, some records late."""
        x = self.rng.random()
        if x < 0.85:
            return self.rng.randint(60, 4 * 3600)
        if x < 0.95:
            return self.rng.randint(1, 14) * DAY
        if x < 0.99:
            return self.rng.randint(15, 90) * DAY
        return self.rng.randint(91, 400) * DAY  # backfilled from paper or another system

    def forget_streams(self) -> None:
        """Streams of one client are never written again once the client is generated."""
        self._streams.clear()

    def emit(self, service: str, type_: str, subject: str, data: dict[str, Any], at: int,
             org: str, role: str, actor: str, *, recorded: int | None = None) -> int:
        """Write one event (unless the cut drops it); returns its recorded time."""
        version, last = self._streams.get(subject, (0, 0))
        time = max(recorded if recorded is not None else at + self.lag(), last + 1, at)
        self._streams[subject] = (version + 1, time)
        if time >= self.end:
            return time
        data["occurred_at"] = iso(at)
        event_id = self.uuid()
        envelope: dict[str, Any] = {
            "specversion": "1.0", "id": event_id, "source": SOURCES[service],
            "type": type_, "subject": subject, "time": iso(time),
            "datacontenttype": "application/json", "dataversion": 1,
            "streamversion": version + 1,
        }
        client = data.get("client_id")
        if client is not None:
            envelope["clientid"] = client
        # One command, one event here: the correlation id is the event's own id.
        envelope |= {"correlationid": event_id, "actororg": org, "actorrole": role,
                     "actor": actor, "data": data}
        self.envelopes.append(envelope)
        self.counts[type_] += 1
        return time


def topic_of(envelope: dict[str, Any]) -> str:
    return SERVICE_TOPICS[envelope["source"].removeprefix("polku/")]


def pick_some(rng: random.Random, values: Sequence[str], most: int) -> list[str]:
    return rng.sample(list(values), rng.randint(1, most))
