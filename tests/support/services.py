"""Run a service for a test: the real app on uvicorn, over real HTTP, on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import uvicorn

from services.runtime.http import issue_token
from services.runtime.service import ServiceDefinition, create_app
from services.runtime.settings import DEV_JWT_SECRET, ServiceSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token(org: str, role: str, sub: str | None = None, *, ttl: float = 3600.0) -> str:
    return issue_token(secret=DEV_JWT_SECRET, org=org, role=role, sub=sub or str(uuid.uuid4()),
                       ttl=timedelta(seconds=ttl))


def auth(org: str, role: str, sub: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(org, role, sub)}"}


@dataclass
class RunningService:
    base_url: str
    app: object
    settings: ServiceSettings

    @property
    def ctx(self):  # type: ignore[no-untyped-def]
        return self.app.state.ctx  # type: ignore[attr-defined]

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=30.0)


@contextlib.asynccontextmanager
async def running_service(
    definition: ServiceDefinition, *, database_url: str, kafka_bootstrap: str, **overrides: object
) -> AsyncIterator[RunningService]:
    """Start the service (migrations, topics, relay, consumers, HTTP) and stop it after."""
    port = free_port()
    settings = ServiceSettings(
        database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap,
        polku_http_port=port, polku_relay_idle_seconds=0.02, **overrides,  # type: ignore[arg-type]
    )
    app = create_app(definition, settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                       lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"{definition.name} did not start")
            await asyncio.sleep(0.05)
        yield RunningService(f"http://127.0.0.1:{port}", app, settings)
    finally:
        server.should_exit = True
        await task


class ServiceThread:
    """The service on its own thread and event loop, for synchronous callers (schemathesis)."""

    def __init__(self, definition: ServiceDefinition, *, database_url: str,
                 kafka_bootstrap: str, **overrides: object) -> None:
        import threading

        self.port = free_port()
        self.settings = ServiceSettings(
            database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap,
            polku_http_port=self.port, **overrides,  # type: ignore[arg-type]
        )
        self.app = create_app(definition, self.settings)
        self.server = uvicorn.Server(uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_config=None, access_log=False,
            lifespan="on"))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None
        self.base_url = f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve())
        except BaseException as error:  # surfaced by start()
            self.error = error

    def start(self) -> ServiceThread:
        import time

        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if self.error or not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"service did not start: {self.error!r}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def __enter__(self) -> ServiceThread:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
