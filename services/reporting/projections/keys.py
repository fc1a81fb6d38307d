"""Record keys on the fact rows, so that the database sums a published count's cell key.

Disclosure control (INDICATORS.md) perturbs every published count with the noise of its
cell key: the sum, modulo 2^64, of the record keys of the count's distinct units, a record
key being the first 8 bytes of HMAC-SHA256(POLKU_PERTURBATION_KEY, the unit's id). Summed
in Python, each count sent the ids of its units, hundreds of thousands at national volume:
most of a perturbed query's time. So every fact row of a client carries its client's record
key (`client_key`), feedback its own as well (`feedback_key`: client_experience's units are
the records), and a cell's key is `sum(DISTINCT client_key)` in the statement.

* A key is stored as a signed bigint: the unsigned key minus 2^64 when it is 2^63 or more,
  the same number modulo 2^64, so sums modulo 2^64 are the same.
* `sum(DISTINCT key)` sums each distinct unit's key once only if no two units share a key.
  `record_key_units` holds every unit by its key: a second unit with a key already there
  (about 3 chances in 10^8 among a million units, those of ten million events) is found
  as it is added.
* A unit that is a record (a feedback: `RECORDS`) almost always has one fact row (its
  aggregate `feedback:<feedback_id>` refuses a second event; only a record given again
  under another event id has more). Its rows say whether they are not the only one
  (`shared`): `record_rows` holds each record once, so a second row is found as it is
  added (its insert waits for a concurrent writer's), and every row of that record is
  marked in the same transaction. A count of records then sums the keys of the unshared
  rows as they are and only the shared rows' distinct keys (indicators/cells.py:
  `Count.shared`): at ten million events that spared `client_experience`'s chart twelve
  sorts of its year of feedback (its statement 131 → 68 ms).
* `record_keys_of` says which key the stored keys are (its fingerprint, an HMAC of a fixed
  text, not the key), written by `ensure_keyed` once every row is keyed (and every shared
  record marked) and no two units share a key. A statement sums keys only when it names
  the key of the query; a row left unkeyed (a writer without keys, a rebuild) sends its
  cells back to Python's sums (indicators/cells.py), so an answer never depends on
  whether the keys are there.
"""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from services.reporting.projections.facts import FACT_COLUMNS

MODULUS = 2**64
_SIGN = 2**63

# Fact table → (unit column, key column) of each unit its rows carry the key of.
KEYED: dict[str, tuple[tuple[str, str], ...]] = {
    table: (("client_id", "client_key"),) + (
        (("feedback_id", "feedback_key"),) if table == "feedback" else ())
    for table, columns in FACT_COLUMNS.items() if "client_id" in columns
}

# Fact table → its unit that is a record (the module's docstring); its rows' column
# `shared` says whether the record has other rows.
RECORDS: dict[str, str] = {"feedback": "feedback_id"}

# Which of a batch's records ($1) are new to `record_rows` (once each).
_RECORD = """
INSERT INTO record_rows (unit) SELECT unnest($1::text[]) ON CONFLICT (unit) DO NOTHING
RETURNING unit
"""

_REGISTER = """
WITH batch AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS b(record_key, unit)),
     added AS (INSERT INTO record_key_units SELECT record_key, unit FROM batch
               ON CONFLICT (record_key) DO NOTHING)
SELECT count(*) FROM batch JOIN record_key_units r USING (record_key) WHERE r.unit <> batch.unit
"""


def record_key(key: bytes, unit: str) -> int:
    """The first 8 bytes of HMAC-SHA256(key, unit id as UTF-8), as a big-endian integer."""
    return int.from_bytes(hmac.digest(key, unit.encode("utf-8"), "sha256")[:8], "big")


def signed(value: int) -> int:
    """A record key (0 … 2^64 − 1) as a bigint: the same number modulo 2^64."""
    return value - MODULUS if value >= _SIGN else value


def fingerprint(key: bytes) -> str:
    """Which key stored keys are, without the key: an HMAC of a fixed text."""
    return hmac.digest(key, b"polku record keys", "sha256")[:16].hex()


@dataclass
class RecordKeys:
    """The record keys of one perturbation key, remembered (bounded) as they are computed."""

    key: bytes
    _known: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, key: str) -> RecordKeys:
        return cls(key.encode("utf-8"))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)

    def signed(self, unit: str | None) -> int | None:
        """The unit's record key as stored (None for no unit)."""
        if unit is None:
            return None
        value = self._known.get(unit)
        if value is None:
            # Bounded (about 25 MB): a miss costs an HMAC, about a microsecond.
            if len(self._known) >= 1 << 18:
                self._known.clear()
            value = self._known[unit] = signed(record_key(self.key, unit))
        return value

    def columns(self, table: str) -> tuple[str, ...]:
        """The key columns a row of `table` adds."""
        return tuple(column for _, column in KEYED.get(table, ()))

    def keyed_rows(self, table: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The fact rows of `table` (FACT_COLUMNS) with their key columns appended."""
        at = [FACT_COLUMNS[table].index(unit) for unit, _ in KEYED.get(table, ())]
        if not at:
            return rows
        key = self.signed
        return [(*row, *(key(row[i]) for i in at)) for row in rows]

    async def register(self, conn: asyncpg.Connection,
                       rows: dict[str, list[tuple[Any, ...]]]) -> bool:
        """Add the units of a batch's fact rows to `record_key_units` (`register_units`)
        and mark the rows of each record that has more than one (the batch's rows already
        written, in its transaction)."""
        units = {row[at] for table, records in rows.items()
                 for at in (FACT_COLUMNS[table].index(u) for u, _ in KEYED.get(table, ()))
                 for row in records if row[at] is not None}
        usable = await self.register_units(conn, units)
        for table, unit in RECORDS.items():
            at = FACT_COLUMNS[table].index(unit)
            records = Counter(row[at] for row in rows.get(table, ()))
            if records:
                records.subtract(r["unit"] for r in await conn.fetch(_RECORD, list(records)))
                shared = [record for record, more in records.items() if more > 0]
                if shared:
                    await conn.execute(f"UPDATE facts.{table} SET shared = true "
                                       f"WHERE {unit} = ANY($1::text[]) AND NOT shared", shared)
        return usable

    async def register_units(self, conn: asyncpg.Connection, units: Iterable[str]) -> bool:
        """Add `units` to `record_key_units`; False (and the stored keys no longer used)
        when one shares its key with another unit."""
        by_key: dict[int, str] = {}
        clash = False
        for unit in units:
            value = self.signed(unit)
            assert value is not None
            clash |= by_key.setdefault(value, unit) != unit
        if not by_key:
            return True
        clash |= bool(await conn.fetchval(_REGISTER, list(by_key), list(by_key.values())))
        if clash:
            await conn.execute("DELETE FROM record_keys_of")
        return not clash


async def keyed_with(conn: asyncpg.Connection) -> str | None:
    """The fingerprint of the key every stored key is of (None: not keyed)."""
    value: str | None = await conn.fetchval("SELECT fingerprint FROM record_keys_of LIMIT 1")
    return value


Progress = Callable[[str, int, int], None]


async def ensure_keyed(conn: asyncpg.Connection, keys: RecordKeys,
                       progress: Progress | None = None) -> bool:
    """Key every fact row with `keys` unless they already are; returns whether the stored
    keys are now usable (False only if two units share a key). Each table is keyed in a
    transaction of its own; writers meanwhile key their rows with the same key. Progress:
    (table, tables done, tables)."""
    if await keyed_with(conn) == keys.fingerprint:
        return True
    # One keying at a time (replicas starting at once): the second finds the work done.
    await conn.execute("SELECT pg_advisory_lock(hashtext('polku record keys'))")
    try:
        return await _key_all(conn, keys, progress)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext('polku record keys'))")


async def _key_all(conn: asyncpg.Connection, keys: RecordKeys,
                   progress: Progress | None) -> bool:
    if await keyed_with(conn) == keys.fingerprint:
        return True
    await conn.execute("DELETE FROM record_keys_of")
    await conn.execute("TRUNCATE record_key_units, record_rows")
    tables = list(KEYED)
    for done, table in enumerate(tables):
        async with conn.transaction():
            for unit_column, key_column in KEYED[table]:
                units = [r[0] for r in await conn.fetch(
                    f"SELECT DISTINCT {unit_column} FROM facts.{table} "
                    f"WHERE {unit_column} IS NOT NULL")]
                values = [keys.signed(unit) for unit in units]
                await conn.execute(
                    f"""UPDATE facts.{table} t SET {key_column} = k.value
                        FROM unnest($1::text[], $2::bigint[]) AS k(unit, value)
                        WHERE t.{unit_column} = k.unit
                          AND t.{key_column} IS DISTINCT FROM k.value""", units, values)
                if not await keys.register_units(conn, units):
                    return False
        if progress is not None:
            progress(table, done + 1, len(tables))
    for table, unit in RECORDS.items():
        async with conn.transaction():
            await conn.execute(f"INSERT INTO record_rows (unit) SELECT {unit} "
                               f"FROM facts.{table} ON CONFLICT (unit) DO NOTHING")
            await conn.execute(f"""UPDATE facts.{table} t SET shared = true
                FROM (SELECT {unit} FROM facts.{table} GROUP BY {unit} HAVING count(*) > 1) s
                WHERE t.{unit} = s.{unit} AND NOT t.shared""")
    await conn.execute("INSERT INTO record_keys_of (fingerprint) VALUES ($1)", keys.fingerprint)
    return True

