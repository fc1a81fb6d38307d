"""The service app factory: one place that wires a service's domain to the shared runtime.

A service is a `ServiceDefinition` (routers, consumers, migrations, topic); `create_app`
builds the FastAPI app whose lifespan opens the database pool, migrates, creates topics,
starts the FastStream broker with the consumers and the relay, and tears all down again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from faststream.kafka import KafkaBroker
from prometheus_client import generate_latest

from contracts.codes import OrganisationKind
from contracts.envelope import Envelope
from contracts.organisations import OrganisationRegistry, load_registry
from contracts.topics import SERVICE_TOPICS, SOURCES
from services.runtime.access import MIGRATIONS as ACCESS_MIGRATIONS
from services.runtime.access import AccessStore, PostgresAccessStore
from services.runtime.application import CommandBus, CommandMeta
from services.runtime.asyncapi import asyncapi_document
from services.runtime.broker_link import BrokerLink
from services.runtime.consistency import HEADER as CONSISTENCY
from services.runtime.consistency import Seen, parse, wait_until_seen
from services.runtime.consumer import BatchConsumer
from services.runtime.environment import refuse_development_defaults
from services.runtime.errors import NotAuthorised, NotCaughtUp, ValidationFailed
from services.runtime.eventstore import EventStore, PostgresEventStore
from services.runtime.http import ObservabilityMiddleware, TokenVerifier, command_meta
from services.runtime.intake import ConsumerSpec
from services.runtime.kafka_clients import KafkaConnection
from services.runtime.logging import configure_logging, get_logger
from services.runtime.metrics import REGISTRY
from services.runtime.migrate import apply_migrations
from services.runtime.openapi_problems import install_problem_documentation
from services.runtime.principal import Principal
from services.runtime.relay import Relay
from services.runtime.responses import install_problem_handlers
from services.runtime.retention import idempotency_ttl, start_retention
from services.runtime.settings import ServiceSettings

log = get_logger(__name__)


@dataclass
class ServiceContext:
    """What a running service's routes and handlers can reach."""

    name: str
    settings: ServiceSettings
    pool: asyncpg.Pool
    broker: KafkaBroker
    organisations: OrganisationRegistry
    verifier: TokenVerifier
    store: EventStore
    bus: CommandBus
    relay: Relay | None = None
    consumers: list[BatchConsumer] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Per source service, how each consumer of its topic tells the events it has taken in
    # (the consistency token's wait).
    seen_by: dict[str, list[Seen]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    # The referral events the access policy folds and the case index (assessment, coaching).
    access: AccessStore | None = None
    # Kafka, connected in the background (the service serves while the broker is away).
    link: BrokerLink | None = None


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    default_port: int
    routers: Sequence[APIRouter]
    produces: str | None = None
    consumes: Sequence[str] = ()
    consumers: Callable[[ServiceContext], Sequence[ConsumerSpec]] = lambda _: ()
    migrations: Sequence[str] = ()
    on_start: Callable[[ServiceContext], Awaitable[None]] | None = None
    description: str = ""
    # Read-audit tables (each with `read_at`) kept for the statutory period (retention.py).
    read_audit_tables: Sequence[str] = ()
    # PostgreSQL session settings of the service's connections (e.g. reporting's work_mem).
    session_settings: Callable[[ServiceSettings], dict[str, str]] = lambda _: {}


DEFAULT_PORTS = {"referral": 8001, "assessment": 8002, "coaching": 8003, "reporting": 8004}


def write_service(name: str, router: APIRouter, *, title: str, description: str,
                  **wiring: Any) -> ServiceDefinition:
    """A write service: its router, its own topic and default port; `wiring` adds what
    it consumes, its migrations and start-up."""
    return ServiceDefinition(name=name, title=title, default_port=DEFAULT_PORTS[name],
                             routers=[router], produces=SERVICE_TOPICS[name],
                             description=description, **wiring)


def make_broker(settings: ServiceSettings, name: str) -> KafkaBroker:
    """The service's FastStream broker, connecting as the settings say (TLS, SASL)."""
    return KafkaConnection.from_settings(settings).broker(
        client_id=f"polku-{name}",
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=512 * 1024,
        max_request_size=4 * 1024 * 1024,
        log_level=logging.DEBUG,  # per-message "Received/Processed" lines are noise at INFO
    )


def document_broker(definition: ServiceDefinition, broker: KafkaBroker) -> None:
    """Declare the published topic on the broker so AsyncAPI shows it."""
    if definition.produces:
        broker.publisher(
            definition.produces,
            title=f"{definition.name}-events",
            schema=Envelope,
            description=f"Domain events of the {definition.name} service (EVENTS.md), "
            "CloudEvents JSON, key = clientid or subject.",
        )


def _topics(definition: ServiceDefinition) -> list[str]:
    return [t for t in (definition.produces, *definition.consumes) if t]


async def start_context(
    definition: ServiceDefinition, settings: ServiceSettings
) -> ServiceContext:
    pool = await asyncpg.create_pool(settings.database_url, min_size=2, max_size=10,
                                     server_settings=definition.session_settings(settings))
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn, "services.runtime", *definition.migrations)
    except BaseException:
        await pool.close()
        raise
    broker = make_broker(settings, definition.name)
    document_broker(definition, broker)
    store = PostgresEventStore(pool, idempotency_ttl=idempotency_ttl(settings))
    ctx = ServiceContext(
        name=definition.name,
        settings=settings,
        pool=pool,
        broker=broker,
        organisations=load_registry(settings.polku_organisations_file),
        verifier=TokenVerifier.from_settings(settings),
        store=store,
        bus=CommandBus(store, service=definition.name,
                       source=SOURCES.get(definition.name, f"polku/{definition.name}")),
        # Services that keep the access tables (and consume polku.referral.v1 into them).
        access=(PostgresAccessStore(pool) if ACCESS_MIGRATIONS in definition.migrations
                else None),
    )
    _add_consumers(ctx, definition)
    try:
        if definition.on_start is not None:
            await definition.on_start(ctx)
    except BaseException:
        await pool.close()
        raise
    try:
        await _connect_broker(ctx, definition)
    except BaseException:
        await stop_context(ctx)
        raise
    ctx.tasks.append(start_retention(pool, settings, service=definition.name,
                                     read_audit_tables=definition.read_audit_tables))
    log.info("service.started", topics=_topics(definition), consumers=len(ctx.consumers))
    return ctx


async def _connect_broker(ctx: ServiceContext, definition: ServiceDefinition) -> None:
    """Connect to Kafka in the background (broker_link.py), the relay publishing once it
    is connected; start-up waits for it a bounded time, then serves without the broker."""
    settings = ctx.settings
    link = ctx.link = BrokerLink(
        ctx.broker, service=definition.name, settings=settings, topics=_topics(definition),
        dead_letter_topics=[f"polku.dlq.{c.spec.name}" for c in ctx.consumers],
    )
    ctx.tasks.append(asyncio.create_task(link.run(), name=f"{definition.name}-broker"))
    if definition.produces:
        ctx.relay = Relay(
            name=definition.name, pool=ctx.pool, broker=ctx.broker, topic=definition.produces,
            batch_size=settings.polku_relay_batch_size,
            idle_seconds=settings.polku_relay_idle_seconds, connected=link.connected,
        )
        ctx.tasks.append(asyncio.create_task(ctx.relay.run(), name=f"{definition.name}-relay"))
    if not await link.wait_connected(settings.polku_broker_startup_wait_seconds):
        if link.refused is not None:  # a misconfiguration: say so now, do not serve
            raise link.refused
        log.warning("service.serving_without_broker", bootstrap=settings.kafka_bootstrap_servers,
                    waited=settings.polku_broker_startup_wait_seconds)


def _add_consumers(ctx: ServiceContext, definition: ServiceDefinition) -> None:
    """The service's consumers (their dead-letter topics come with the broker link), and for
    the consistency token, which of them take in which source service's events."""
    settings = ctx.settings
    for spec in definition.consumers(ctx):
        consumer = BatchConsumer(
            spec, pool=ctx.pool, broker=ctx.broker,
            max_records=settings.polku_consumer_max_records,
            retries=settings.polku_consumer_retries,
        )
        ctx.consumers.append(consumer)
        for source, topic in SERVICE_TOPICS.items():
            if topic in spec.topics:
                ctx.seen_by.setdefault(source, []).append(consumer.seen)


async def stop_context(ctx: ServiceContext) -> None:
    for task in ctx.tasks:
        task.cancel()
    for task in ctx.tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    with contextlib.suppress(Exception):
        await ctx.broker.stop()
    for consumer in ctx.consumers:
        await consumer.drain()
    await ctx.pool.close()
    log.info("service.stopped")


def get_context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


_bearer = HTTPBearer(auto_error=False, description="JWT with claims sub, org, role, exp")


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    ctx = get_context(request)
    principal = ctx.verifier.verify(request.headers.get("Authorization"))
    # DESIGN.md, the access policy: only organisations in the registry act, and employers
    # (placement partners, not services) have no rights at all.
    if principal.org not in ctx.organisations:
        raise NotAuthorised("the token's organisation is not in the organisation registry")
    if ctx.organisations.kind_of(principal.org) is OrganisationKind.EMPLOYER:
        raise NotAuthorised("organisations of kind employer have no rights in Polku")
    return principal


def authenticate_reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """A valid token only: the reads of clients (personal data, timelines) leave the
    organisation's rights to the access policy, so that a refused read is recorded too."""
    return get_context(request).verifier.verify(request.headers.get("Authorization"))


async def await_consistency(
    request: Request,
    value: Annotated[str | None, Header(
        alias=CONSISTENCY,
        description="Consistency tokens of earlier responses (comma-joined): the service "
        "answers only once it has consumed the events they name (read-your-writes across "
        "services), or 503 with Retry-After after the configured bound.")] = None,
) -> None:
    """Read-your-writes across services (API.md, Polku-Consistency): wait, up to the bound,
    until this service has consumed the events the request's token names."""
    if not value:
        return
    try:
        wanted = parse(value)
    except ValueError as error:
        raise ValidationFailed(CONSISTENCY, str(error)) from None
    ctx = get_context(request)
    bound = ctx.settings.polku_consistency_wait_seconds
    if not await wait_until_seen(wanted, ctx.seen_by, timeout=bound):
        raise NotCaughtUp(
            f"the {ctx.name} service has not yet consumed the events named by "
            f"{CONSISTENCY} (waited {bound:g} s): retry after a moment", retry_after=1)


async def meta_of(
    request: Request, principal: Annotated[Principal, Depends(authenticate)]
) -> CommandMeta:
    return await command_meta(request, principal)


Ctx = Annotated[ServiceContext, Depends(get_context)]
Auth = Annotated[Principal, Depends(authenticate)]
Reader = Annotated[Principal, Depends(authenticate_reader)]
Meta = Annotated[CommandMeta, Depends(meta_of)]


async def _database_answers(pool: asyncpg.Pool, timeout: float = 3.0) -> bool:
    try:
        return bool(await asyncio.wait_for(pool.fetchval("SELECT 1"), timeout) == 1)
    except Exception:
        return False


def operational_router(definition: ServiceDefinition) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": definition.name}

    @router.get("/readyz", include_in_schema=False)
    async def readyz(ctx: Ctx) -> JSONResponse:
        """API.md (readiness v2): a write service is ready when its database answers (the
        outbox keeps commands while the broker is away; broker and relay lag are metrics);
        a consuming service (reporting) when its database answers and its consumer runs."""
        checks = {"database": await _database_answers(ctx.pool)}
        if not definition.produces:
            checks["consumers"] = bool(ctx.consumers) and all(c.running for c in ctx.consumers)
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @router.get("/metrics", include_in_schema=False)
    async def metrics(ctx: Ctx) -> PlainTextResponse:
        if ctx.relay is not None:
            with contextlib.suppress(Exception):  # database away: the other metrics still
                await ctx.relay.measure_lag()
        return PlainTextResponse(generate_latest(REGISTRY).decode(),
                                 media_type="text/plain; version=0.0.4")

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi(ctx: Ctx) -> Any:
        return asyncapi_document(definition, ctx.broker,
                                 [c.spec for c in ctx.consumers])

    return router


def create_app(
    definition: ServiceDefinition, settings: ServiceSettings | None = None
) -> FastAPI:
    settings = settings or ServiceSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        refuse_development_defaults(settings, definition.name)
        ctx = await start_context(definition, settings)
        app.state.ctx = ctx
        try:
            yield
        finally:
            await stop_context(ctx)

    app = FastAPI(
        dependencies=[Depends(await_consistency)],
        title=f"Polku {definition.name} service",
        description=definition.description or definition.title,
        version="1.0.0",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    install_problem_documentation(app)
    app.add_middleware(ObservabilityMiddleware, service=definition.name)
    app.include_router(operational_router(definition))
    for router in definition.routers:
        app.include_router(router)
    return app


def configure(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    configure_logging(definition.name, fmt=settings.polku_log_format,
                      level=settings.polku_log_level)
