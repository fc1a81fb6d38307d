"""The `polku` command: run and operate the services (migrations, replays, repairs, keys, tokens).

The development commands (local stack, demo, generated documents) are in polku/develop.py.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from polku import audit, develop
from polku.cli_support import (
    CONSUMERS,
    SERVICES,
    WRITE_SERVICES,
    environment_settings,
    fail,
    kafka_connection,
    kafka_run,
    load_definition,
)
from services.runtime.settings import ServiceSettings

app = typer.Typer(help="Polku: the event backbone of the work ability support pathway.",
                  no_args_is_help=True, add_completion=False)
dlq_app = typer.Typer(help="Dead letters: list and replay.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="referral, assessment, coaching or reporting")],
) -> None:
    """Run one service (HTTP API, relay, consumers) with settings from the environment."""
    import uvicorn

    from services.runtime.environment import describe, production_problems
    from services.runtime.process import tune_gc
    from services.runtime.service import configure, create_app

    definition = load_definition(service)
    settings = environment_settings()
    problems = production_problems(settings, service)
    if problems:
        fail(describe(problems))
    configure(definition, settings)
    tune_gc()
    uvicorn.run(
        create_app(definition, settings),
        host=settings.polku_http_host,
        port=settings.polku_http_port or definition.default_port,
        log_config=None,
        access_log=False,
    )


@app.command()
def migrate(
    service: Annotated[str | None, typer.Option(help="only this service")] = None,
) -> None:
    """Apply pending SQL migrations to the service database (DATABASE_URL)."""
    import asyncpg

    from services.runtime.migrate import apply_migrations

    async def run() -> None:
        names = [service] if service else list(SERVICES)
        for name in names:
            definition = load_definition(name)
            url = os.environ.get(f"{name.upper()}_DATABASE_URL") or ServiceSettings().database_url
            conn = await asyncpg.connect(url)
            try:
                done = await apply_migrations(conn, "services.runtime", *definition.migrations)
            finally:
                await conn.close()
            typer.echo(f"{name}: {len(done)} migration(s) applied" +
                       (f" ({', '.join(done)})" if done else ""))

    asyncio.run(run())


@app.command()
def token(
    org: Annotated[str, typer.Option(help="organisation id, e.g. kymenlaakso-sote")],
    role: Annotated[str, typer.Option(help="Role code, e.g. social_worker")],
    sub: Annotated[str | None, typer.Option(help="professional id, a UUID; random if none")] = None,
    hours: Annotated[float, typer.Option(help="validity in hours (at most the maximum)")] = 8.0,
) -> None:
    """Print a development token signed with the configured HS256 key."""
    import uuid
    from datetime import timedelta

    from contracts.codes import Role
    from services.runtime.http import issue_token

    try:
        Role(role)
    except ValueError:
        fail(f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}")
    try:
        professional = str(uuid.UUID(sub)) if sub is not None else str(uuid.uuid4())
    except ValueError:
        fail(f"--sub must be a UUID (the professional's id), not {sub!r}; "
             "leave it out for a random one")
    settings = environment_settings()
    if hours * 3600 > settings.polku_jwt_max_token_lifetime:
        fail(f"--hours {hours:g} is longer than POLKU_JWT_MAX_TOKEN_LIFETIME "
             f"({settings.polku_jwt_max_token_lifetime} s): services would refuse the token")
    if not settings.polku_jwt_secret:
        fail("POLKU_JWT_SECRET is empty: development tokens need the HS256 secret")
    issuers, audiences = settings.jwt_issuers(), settings.jwt_audiences()
    typer.echo(issue_token(secret=settings.polku_jwt_secret or "", org=org, role=role,
                           sub=professional, ttl=timedelta(hours=hours),
                           issuer=issuers[0] if issuers else None,
                           audience=audiences[0] if audiences else None))


@app.command()
def republish(
    service: Annotated[str, typer.Option(help="referral, assessment or coaching")],
    from_: Annotated[int, typer.Option("--from", help="first event position to re-send")] = 1,
) -> None:
    """Re-send stored events from POSITION to the service's topic (consumers deduplicate)."""
    import asyncpg
    from rich.progress import Progress

    from services.runtime.relay import republish as run_republish
    from services.runtime.service import make_broker

    if service not in WRITE_SERVICES:
        fail(f"republish works on {', '.join(WRITE_SERVICES)}, not {service!r}")
    topic = load_definition(service).produces
    if topic is None:
        fail(f"{service} publishes no topic")
    settings = environment_settings()

    async def run() -> int:
        pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
        broker = make_broker(settings, f"{service}-republish")
        kafka = kafka_connection(settings)
        try:
            await kafka.started(broker.connect)
            total = await pool.fetchval(
                "SELECT count(*) FROM events WHERE position >= $1", from_
            )
            with Progress() as progress:
                task = progress.add_task(f"republishing {service}", total=total)
                return await run_republish(
                    pool=pool, broker=broker, topic=topic, from_position=from_,
                    progress=lambda n: progress.advance(task, n),
                )
        finally:
            await broker.stop()
            await pool.close()

    sent = kafka_run(run())
    typer.echo(f"re-sent {sent} events of {service} from position {from_}")


@app.command("rotate-master-key")
def rotate_master_key() -> None:
    """Re-wrap personal-data keys from the previous master key to the current one.

    Every client key that opens only with POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY (old) is
    wrapped again with POLKU_PERSONAL_DATA_MASTER_KEY (new), in one transaction, in the
    referral database (REFERRAL_DATABASE_URL or DATABASE_URL). See docs/OPERATIONS.md."""
    import asyncpg

    from polku.progress import phased_progress
    from services.referral.personal_data import (
        PersonalDataUnreadable,
        PersonalDataVault,
        rewrap_all,
    )

    settings = environment_settings()
    if not settings.polku_personal_data_previous_master_key:
        fail("POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY is not set: set it to the old master "
             "key and POLKU_PERSONAL_DATA_MASTER_KEY to the new one (docs/OPERATIONS.md, "
             "\"Personal-data master key\"); nothing was changed")
    try:
        vault = PersonalDataVault(
            master_key=settings.polku_personal_data_master_key,
            client_id_key=settings.polku_client_id_key,
            previous_master_key=settings.polku_personal_data_previous_master_key,
        )
    except ValueError as error:
        fail(f"invalid configuration: {error}")
    if not vault.has_previous_key:
        fail("POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY equals POLKU_PERSONAL_DATA_MASTER_KEY: "
             "set the master key to the new key first; nothing was changed")
    url = os.environ.get("REFERRAL_DATABASE_URL") or settings.database_url

    async def run() -> int:
        conn = await asyncpg.connect(url)
        try:
            with phased_progress() as progress:
                return await rewrap_all(
                    conn, vault,
                    progress=lambda checked, total: progress("checking client keys",
                                                             checked, total),
                )
        finally:
            await conn.close()

    try:
        changed = asyncio.run(run())
    except PersonalDataUnreadable as error:
        fail(f"rotation refused: {error}")
    except (OSError, asyncpg.PostgresError) as error:
        fail(f"rotation failed, nothing was changed: {error}. Is the referral database at "
             "REFERRAL_DATABASE_URL or DATABASE_URL reachable?")
    typer.echo(f"re-wrapped {changed} client key(s) under the current master key; "
               "now remove POLKU_PERSONAL_DATA_PREVIOUS_MASTER_KEY and redeploy referral")


@app.command()
def replay(
    from_topics: Annotated[bool, typer.Option(
        "--from-topics",
        help="first re-read the three service topics from the beginning into event_log",
    )] = False,
    chunk_size: Annotated[int, typer.Option(help="events per rebuild transaction")] = 20_000,
) -> None:
    """Rebuild reporting projections (shadow schema, then swap) while the service answers."""
    from polku.progress import phased_progress
    from services.reporting.app import record_keys
    from services.reporting.replay import ReplayResult
    from services.reporting.replay import replay as run_replay
    from services.runtime.process import tune_gc

    settings = environment_settings()
    url = os.environ.get("REPORTING_DATABASE_URL") or settings.database_url
    tune_gc()
    labels = {"rebuild": "rebuilding projections from event_log",
              "topics": "reading topics into event_log and the projections"}

    async def run() -> ReplayResult:
        with phased_progress(labels) as progress:
            return await run_replay(
                url, from_topics=from_topics, kafka=kafka_connection(settings),
                chunk_size=chunk_size, progress=progress, keys=record_keys(settings),
            )

    try:
        result = kafka_run(run())
    except (OSError, ConnectionError) as error:
        fail(f"replay failed: {error}. Is PostgreSQL at DATABASE_URL (and Kafka at "
             "KAFKA_BOOTSTRAP_SERVERS for --from-topics) reachable?")
    if from_topics:
        typer.echo(f"read {result.read} messages from the topics ({result.new} new, "
                   f"{result.skipped} skipped as dead letters)")
    typer.echo(f"rebuilt reporting projections from {result.rebuilt} events")


@dlq_app.command("list")
def dlq_list(
    consumer: Annotated[str | None, typer.Option(help="assessment, coaching or reporting")] = None,
) -> None:
    """List dead letters with their reasons."""
    from services.runtime.dlq import read_dead_letters

    kafka = kafka_connection(environment_settings())
    names = [consumer] if consumer else list(CONSUMERS)
    letters = kafka_run(read_dead_letters(kafka, names))
    if not letters:
        typer.echo("no dead letters")
    for letter in letters:
        typer.echo(letter.describe())


@dlq_app.command("replay")
def dlq_replay(
    consumer: Annotated[str, typer.Option(help="assessment, coaching or reporting")],
) -> None:
    """Send a consumer's dead letters back to their original topics (after a fix)."""
    from services.runtime.dlq import replay_dead_letters

    kafka = kafka_connection(environment_settings())
    count = kafka_run(replay_dead_letters(kafka, consumer))
    typer.echo(f"replayed {count} dead letter(s) of {consumer}")


@app.command()
def schemas(
    target: Annotated[Path, typer.Option(help="output folder")] = Path("contracts/schemas"),
) -> None:
    """Export the JSON Schema of every event to contracts/schemas/."""
    from contracts.schema_export import export_schemas

    written = export_schemas(target)
    typer.echo(f"wrote {len(written)} schema files to {target}")


develop.register(app)
audit.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
