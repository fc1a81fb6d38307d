"""A whole synthetic history, deterministic from a seed: independent shards of clients (and
the coaching teams' fidelity reviews), generated in a process pool and streamed in order."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

from pydantic_core import to_json

from bench.scale.coaching import COACHING_KINDS, fidelity_review
from bench.scale.pathway import pathway
from bench.scale.world import DAY, DEFAULT_END, DEFAULT_YEARS, FastRandom, World, Writer, epoch

CLIENTS_PER_SHARD = 200
REVIEWS_PER_SHARD = 2


@lru_cache(maxsize=1)
def _world() -> World:
    return World.from_registry()


@dataclass(frozen=True)
class History:
    """Clients whose first referral falls in the `years` before `end`; cut at `end`."""

    seed: int = 7
    end: datetime = DEFAULT_END
    years: float = DEFAULT_YEARS

    @property
    def days(self) -> tuple[int, int]:
        last = epoch(self.end) // DAY
        return last - int(self.years * 365.25), last

    def shard(self, index: int) -> Writer:
        """The events of shard `index`, the same for the same seed whatever else runs."""
        world = _world()
        rng = FastRandom(f"polku-scale:{self.seed}:{index}")
        writer = Writer(rng, epoch(self.end))
        first, last = self.days
        for _ in range(CLIENTS_PER_SHARD):
            pathway(writer, world, first + int(rng.random() * (last - first)))
        for _ in range(REVIEWS_PER_SHARD):
            region = world.regions[world.pick_region(rng)]
            org = region.org(rng, rng.choice(COACHING_KINDS))
            fidelity_review(writer, org, world.worker(rng, org),
                            first + int(rng.random() * (last - first)))
        return writer

    def envelopes(self, count: int) -> Iterator[dict[str, Any]]:
        """The first `count` envelopes, shard by shard, in this process."""
        produced, index = 0, 0
        while produced < count:
            for envelope in self.shard(index).envelopes[: count - produced]:
                produced += 1
                yield envelope
            index += 1


def copy_line(envelope: dict[str, Any]) -> bytes:
    """One row of event_log in COPY text format (the columns of `LOG_COLUMNS`)."""
    text = to_json(envelope)
    if b"\\" in text:
        text = text.replace(b"\\", b"\\\\")
    head = "\t".join((envelope["id"], envelope["source"], envelope["type"],
                      envelope["subject"], envelope.get("clientid") or "\\N",
                      envelope["data"]["occurred_at"], envelope["time"], ""))
    return head.encode() + text + b"\n"


LOG_COLUMNS = ("event_id", "source", "type", "subject", "client_id", "occurred_at",
               "recorded_at", "envelope")


def _shard_rows(history: History, index: int) -> tuple[bytes, list[int]]:
    """A shard as COPY text, and where each of its rows ends (for cutting at a count)."""
    ends, size, parts = [], 0, []
    for envelope in history.shard(index).envelopes:
        line = copy_line(envelope)
        parts.append(line)
        size += len(line)
        ends.append(size)
    return b"".join(parts), ends


class ShardStream:
    """Shards generated ahead in a process pool, handed out in order, cut at `count` events."""

    def __init__(self, history: History, count: int, processes: int | None = None) -> None:
        self.history, self.count = history, count
        self.processes = processes or multiprocessing.cpu_count()
        self.produced = 0

    def __iter__(self) -> Iterator[bytes]:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(self.processes) as pool:
            pending: deque[AsyncResult[tuple[bytes, list[int]]]] = deque()
            index = 0
            while self.produced < self.count:
                while len(pending) < 2 * self.processes:
                    pending.append(self._submit(pool, index))
                    index += 1
                rows, ends = pending.popleft().get()
                wanted = self.count - self.produced
                if len(ends) > wanted:
                    rows, ends = rows[: ends[wanted - 1]] if wanted else b"", ends[:wanted]
                self.produced += len(ends)
                yield rows
            pool.terminate()

    def _submit(self, pool: Pool, index: int) -> AsyncResult[tuple[bytes, list[int]]]:
        return pool.apply_async(_shard_rows, (self.history, index))
