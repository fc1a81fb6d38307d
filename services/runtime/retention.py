"""Bounded growth: the periodic maintenance that expires, prunes and measures what would grow.

Every service runs it (started with the service, every POLKU_RETENTION_INTERVAL_SECONDS):

* Idempotency-Key records older than POLKU_IDEMPOTENCY_TTL_DAYS are deleted (the event store
  already ignores them, so an expired key is new).
* A consumer's dedup rows (`processed_events`) are pruned once no redelivery can need them;
  `prune_processed_events` says why that is safe.
* The read audit (the tables a service names in `read_audit_tables`, each with a `read_at`)
  is kept for POLKU_READ_AUDIT_RETENTION_YEARS and then deleted.
* Each of these tables' rows and bytes become the `polku_table_rows` and `polku_table_bytes`
  gauges.

Deletes run in batches of POLKU_RETENTION_BATCH_SIZE rows, one statement and transaction per
batch, so no run holds long locks or writes a huge transaction. Replicas may run it at the
same time: deleting what another replica just deleted is harmless.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg

from services.runtime.logging import get_logger
from services.runtime.metrics import RETENTION_DELETED, TABLE_BYTES, TABLE_ROWS
from services.runtime.settings import ServiceSettings

log = get_logger(__name__)

IDEMPOTENCY = "idempotency_keys"
DEDUP = "processed_events"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Below this size a table's rows are counted exactly; above it the planner's estimate is used.
_COUNT_EXACTLY_BELOW_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class RetentionPolicy:
    idempotency_ttl: timedelta = timedelta(days=7)
    dedup_min_age: timedelta = timedelta(days=90)
    dedup_offset_window: int = 10_000
    read_audit_years: int = 12
    batch_size: int = 10_000

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> RetentionPolicy:
        return cls(
            idempotency_ttl=idempotency_ttl(settings),
            dedup_min_age=timedelta(days=settings.polku_processed_events_min_age_days),
            dedup_offset_window=settings.polku_processed_events_offset_window,
            read_audit_years=settings.polku_read_audit_retention_years,
            batch_size=settings.polku_retention_batch_size,
        )


def idempotency_ttl(settings: ServiceSettings) -> timedelta:
    return timedelta(days=settings.polku_idempotency_ttl_days)


@dataclass
class Deleted:
    """What one run deleted: rows and DELETE statements per table."""

    rows: dict[str, int] = field(default_factory=dict)
    statements: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, rows: int, statements: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + rows
        self.statements[table] = self.statements.get(table, 0) + statements


async def delete_in_batches(
    pool: asyncpg.Pool, sql: str, *args: Any, batch_size: int
) -> tuple[int, int]:
    """Run `sql`, a DELETE of at most its last parameter's rows, until a statement deletes
    fewer than `batch_size`; returns (rows, statements). Each statement commits alone."""
    rows = statements = 0
    while True:
        status = await pool.execute(sql, *args, batch_size)
        deleted = int(status.rsplit(" ", 1)[-1])
        rows += deleted
        statements += 1
        if deleted < batch_size:
            return rows, statements


_EXPIRE_IDEMPOTENCY = """
DELETE FROM idempotency_keys
WHERE (organisation_id, key) IN (
        SELECT organisation_id, key FROM idempotency_keys
        WHERE created_at <= now() - $1::interval LIMIT $2)
  -- checked again on the row itself: a record a new request just renewed stays
  AND created_at <= now() - $1::interval
"""


async def expire_idempotency(pool: asyncpg.Pool, policy: RetentionPolicy) -> tuple[int, int]:
    """Delete Idempotency-Key records past their TTL (lookups already ignore them)."""
    return await delete_in_batches(
        pool, _EXPIRE_IDEMPOTENCY, policy.idempotency_ttl, batch_size=policy.batch_size
    )


_PRUNE_PLACED = """
DELETE FROM processed_events
WHERE (consumer, event_id) IN (
    SELECT p.consumer, p.event_id
    FROM consumer_offsets o
    JOIN processed_events p
      ON p.consumer = o.consumer AND p.topic = o.topic AND p.partition = o.partition
     AND p.topic_offset < o.next_offset - $1
    WHERE p.processed_at < now() - $2::interval
    LIMIT $3)
"""
_PRUNE_UNPLACED = """
DELETE FROM processed_events
WHERE (consumer, event_id) IN (
    SELECT consumer, event_id FROM processed_events
    WHERE topic IS NULL AND processed_at < now() - $1::interval
    LIMIT $2)
"""


async def prune_processed_events(pool: asyncpg.Pool, policy: RetentionPolicy) -> tuple[int, int]:
    """Delete the dedup rows that no redelivery can need any more.

    Why this is safe. A row is deleted only when both hold:

    1. Its offset is below the offset the consumer stored for that partition by more than
       the redelivery window (POLKU_PROCESSED_EVENTS_OFFSET_WINDOW). The consumer stores its
       offsets in the same transaction as its effects and its dedup rows, and on every
       (re)assignment, restart and rewind it resumes at the stored offset (consumer.py), so
       the broker can only redeliver from the stored offset on. A row below it was written
       by an event at an offset the consumer will not read again; the window is a margin for
       an operator who winds `consumer_offsets` back. A partition with no stored offset (a
       consumer never run here, or renamed) keeps its rows; after a topic is recreated the
       stored offsets restart small, and rows with larger old offsets stay until the new
       offsets pass them.
    2. It was processed longer ago than POLKU_PROCESSED_EVENTS_MIN_AGE_DAYS. The other
       source of duplicates is a re-send of the same event at a new, higher offset: a relay
       that crashed between publishing and its checkpoint, or a relay standby taking over,
       re-sends within seconds or minutes, and an operator's `polku republish` after a
       broker lost data re-sends recent events. All of these fall well inside the age, so
       their rows are still there and the duplicate is ignored.

    What remains is a deliberate republish of events older than the age (for example the
    whole store onto a rebuilt cluster). Those events reach the handlers again, in their
    original order (republish sends a range in position order, one client's events on one
    partition), and the handlers' effects are idempotent by natural keys: the access policy
    keeps each referral event once, keyed by the event's own id (`access_events.event_id`
    is unique), `access_cases` by its case id, and a derived append (coaching's engagement
    for a case) is refused by its stream version. A handler whose effect is not idempotent
    by key must not rely on this table beyond the age. Dead letters replayed from a DLQ were
    never applied, so they have no row to lose.

    Rows written before the positions were recorded (topic NULL) are pruned by age alone:
    they are older than every stored offset's recent past.
    """
    placed = await delete_in_batches(
        pool, _PRUNE_PLACED, policy.dedup_offset_window, policy.dedup_min_age,
        batch_size=policy.batch_size,
    )
    unplaced = await delete_in_batches(
        pool, _PRUNE_UNPLACED, policy.dedup_min_age, batch_size=policy.batch_size
    )
    return placed[0] + unplaced[0], placed[1] + unplaced[1]


def _quoted(table: str) -> str:
    if not _IDENTIFIER.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    return f'"{table}"'


async def purge_read_audit(
    pool: asyncpg.Pool, table: str, policy: RetentionPolicy
) -> tuple[int, int]:
    """Delete read-audit rows older than the statutory period, oldest first, in batches."""
    cutoff = await pool.fetchval(
        "SELECT now() - make_interval(years => $1)", policy.read_audit_years
    )
    name = _quoted(table)
    # Read-audit rows are never updated, so a row's ctid is stable for the statement.
    sql = f"""DELETE FROM {name} WHERE ctid = ANY (ARRAY(
                  SELECT ctid FROM {name} WHERE read_at < $1 ORDER BY read_at LIMIT $2))"""
    return await delete_in_batches(pool, sql, cutoff, batch_size=policy.batch_size)


async def measure_tables(pool: asyncpg.Pool, service: str, tables: Sequence[str]) -> None:
    """Set `polku_table_rows` and `polku_table_bytes` for the tables this database has."""
    for table in tables:
        row = await pool.fetchrow(
            """SELECT c.reltuples::bigint AS estimate, pg_relation_size(c.oid) AS heap,
                      pg_total_relation_size(c.oid) AS total
               FROM pg_class c WHERE c.oid = to_regclass($1)""",
            table,
        )
        if row is None:
            continue
        rows = row["estimate"]
        if rows < 0 or row["heap"] < _COUNT_EXACTLY_BELOW_BYTES:
            rows = await pool.fetchval(f"SELECT count(*) FROM {_quoted(table)}")
        TABLE_ROWS.labels(service, table).set(rows)
        TABLE_BYTES.labels(service, table).set(row["total"])


async def run_maintenance(
    pool: asyncpg.Pool, policy: RetentionPolicy, *, service: str,
    read_audit_tables: Sequence[str] = (),
) -> Deleted:
    """One maintenance run: expire, prune, purge, then measure."""
    deleted = Deleted()
    deleted.add(IDEMPOTENCY, *await expire_idempotency(pool, policy))
    deleted.add(DEDUP, *await prune_processed_events(pool, policy))
    for table in read_audit_tables:
        deleted.add(table, *await purge_read_audit(pool, table, policy))
    for table, rows in deleted.rows.items():
        RETENTION_DELETED.labels(service, table).inc(rows)
    await measure_tables(pool, service, [IDEMPOTENCY, DEDUP, *read_audit_tables])
    if any(deleted.rows.values()):
        log.info("retention.deleted", service=service,
                 **{table: rows for table, rows in deleted.rows.items() if rows})
    return deleted


async def run_periodically(
    pool: asyncpg.Pool, policy: RetentionPolicy, *, service: str,
    read_audit_tables: Sequence[str], interval: float,
) -> None:
    """Maintain now and then every `interval` seconds; a failed run is logged and retried."""
    while True:
        try:
            await run_maintenance(pool, policy, service=service,
                                  read_audit_tables=read_audit_tables)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("retention.failed", service=service, error=repr(error),
                        retry_in_seconds=interval)
        await asyncio.sleep(interval)


def start_retention(
    pool: asyncpg.Pool, settings: ServiceSettings, *, service: str,
    read_audit_tables: Sequence[str] = (),
) -> asyncio.Task[None]:
    """The service's maintenance task (stop it by cancelling)."""
    return asyncio.create_task(
        run_periodically(
            pool, RetentionPolicy.from_settings(settings), service=service,
            read_audit_tables=read_audit_tables,
            interval=settings.polku_retention_interval_seconds,
        ),
        name=f"{service}-retention",
    )
