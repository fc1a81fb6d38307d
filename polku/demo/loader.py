"""Sends a demo plan through the services' HTTP APIs: real commands with development tokens.

Each track (one client's pathway, or one organisation's records) runs its steps in order;
tracks run concurrently up to a bound. Every POST carries an Idempotency-Key derived from the
seed, so an interrupted load re-run with the same options continues where it stopped.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from polku.demo.plan import Actor, Plan, ServiceName, Step, Track

DASHBOARD_URL = "http://127.0.0.1:8004/dashboard"
TOKEN_TTL = timedelta(hours=12)
ABORT_AFTER_FAILURES = 20
"""Stop taking new tracks when this many failed before any succeeded (services down, bad key)."""


@dataclass(frozen=True)
class ServiceUrls:
    referral: str = "http://127.0.0.1:8001"
    assessment: str = "http://127.0.0.1:8002"
    coaching: str = "http://127.0.0.1:8003"

    def of(self, service: ServiceName) -> str:
        url: str = getattr(self, service)
        return url.rstrip("/")


CONSISTENCY = "Polku-Consistency"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    """Tries for 409, 429, 5xx and connection errors."""
    authorisation_wait: float = 10.0
    """Seconds to retry 403/404 from assessment and coaching — a fallback: with the
    consistency token they answer only once they know who is involved, so retries are rare."""
    base_delay: float = 0.25
    max_delay: float = 3.0

    def delay(self, attempt: int) -> float:
        backoff = float(min(self.max_delay, self.base_delay * 2.0 ** attempt))
        return backoff * random.uniform(0.8, 1.2)


@dataclass
class LoadReport:
    """What was sent; shared with the caller so an interrupted load can still be summarised."""

    sent: Counter[str] = field(default_factory=Counter)
    tracks_done: int = 0
    tracks_failed: int = 0
    retries: int = 0
    failures: list[str] = field(default_factory=list)
    aborted: bool = False
    interrupted: bool = False


class StepFailed(Exception):
    """A step the services refused for good; the rest of its track cannot run."""


class ServicesUnavailable(Exception):
    """A service did not answer its health check."""


class Tokens:
    """One development token per simulated professional, issued once."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._cache: dict[Actor, str] = {}

    def of(self, actor: Actor) -> str:
        token = self._cache.get(actor)
        if token is None:
            from services.runtime.http import issue_token

            token = issue_token(secret=self._secret, org=actor.org, role=actor.role.value,
                                sub=str(actor.sub), ttl=TOKEN_TTL)
            self._cache[actor] = token
        return token


async def check_services(http: httpx.AsyncClient, urls: ServiceUrls) -> None:
    for service in ("referral", "assessment", "coaching"):
        url = f"{urls.of(service)}/healthz"
        try:
            response = await http.get(url)
        except httpx.TransportError as error:
            raise ServicesUnavailable(f"{service} service at {url}: {error}") from error
        if response.status_code != 200:
            raise ServicesUnavailable(f"{service} service at {url}: {response.status_code}")


class Sender:
    """Sends one track's steps in order, learning the ids the services assign."""

    def __init__(self, http: httpx.AsyncClient, urls: ServiceUrls, tokens: Tokens,
                 retry: RetryPolicy, report: LoadReport) -> None:
        self._http, self._urls, self._tokens = http, urls, tokens
        self._retry, self._report = retry, report

    async def run_track(self, plan: Plan, track: Track) -> bool:
        ids: dict[str, str] = {}
        # The latest consistency token per service: sent with every later step, so a service
        # answers only once it has consumed what this client's earlier steps wrote (API.md,
        # Polku-Consistency). A client's events share a partition, so the latest token of a
        # service covers its earlier ones.
        tokens: dict[str, str] = {}
        for step in track.steps:
            try:
                await self.send(plan, track, step, ids, tokens)
            except StepFailed as error:
                self._report.tracks_failed += 1
                if len(self._report.failures) < 50:
                    self._report.failures.append(f"{track.key} {step.key}: {error}")
                return False
        self._report.tracks_done += 1
        return True

    async def send(self, plan: Plan, track: Track, step: Step, ids: dict[str, str],
                   tokens: dict[str, str] | None = None) -> None:
        missing = step.refs() - ids.keys()
        if missing:
            raise StepFailed(f"no id learned for {', '.join(sorted(missing))}")
        tokens = {} if tokens is None else tokens
        url = self._urls.of(step.service) + step.resolved_path(ids)
        response = await self._post(step, url, step.payload(ids), plan.idempotency_key(track, step),
                                    ",".join(tokens.values()) or None)
        if response.status_code >= 400:
            raise StepFailed(f"POST {url} → {response.status_code} {_problem(response)}")
        token = response.headers.get(CONSISTENCY)
        if token:
            tokens[token.split(":", 1)[0]] = token
        self._report.sent[step.command.__name__] += 1
        if step.produces is not None:
            name, field_name = step.produces
            learned = response_id(response, field_name)
            if learned is not None:
                ids[name] = learned

    async def _post(self, step: Step, url: str, payload: Mapping[str, Any],
                    key: str, consistency: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._tokens.of(step.actor)}",
                   "Idempotency-Key": key}
        if consistency:
            headers[CONSISTENCY] = consistency
        loop = asyncio.get_running_loop()
        waiting_until = loop.time() + self._retry.authorisation_wait
        attempt = 0
        while True:
            try:
                response = await self._http.post(url, json=payload, headers=headers)
            except httpx.TransportError as error:
                attempt += 1
                if attempt >= self._retry.attempts:
                    raise StepFailed(f"POST {url}: {type(error).__name__} {error}") from error
                await self._pause(attempt)
                continue
            status = response.status_code
            if status < 400:
                return response
            if (status in (403, 404) and step.service != "referral"
                    and loop.time() < waiting_until):
                await self._pause(min(attempt + 1, 3))
                attempt += 1
                continue
            if (status in (409, 429) or status >= 500) and attempt + 1 < self._retry.attempts:
                attempt += 1
                await self._pause(attempt)
                continue
            return response

    async def _pause(self, attempt: int) -> None:
        self._report.retries += 1
        await asyncio.sleep(self._retry.delay(attempt))


def response_id(response: httpx.Response, field_name: str) -> str | None:
    """The created id: the named field, else `id`, else the last segment of `Location`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for name in (field_name, "id"):
            if isinstance(body.get(name), str):
                return str(body[name])
    location = response.headers.get("location")
    return location.rstrip("/").rsplit("/", 1)[-1] if location else None


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return str(body)[:200]
    detail = str(body.get("detail") or body.get("title") or "")
    errors = body.get("errors") or []
    if isinstance(errors, list) and errors:
        detail += " " + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors[:3]
                                  if isinstance(e, dict))
    return detail[:300]


async def load_plan(plan: Plan, urls: ServiceUrls, *, secret: str, concurrency: int = 16,
                    retry: RetryPolicy | None = None, report: LoadReport | None = None,
                    on_track: Callable[[Track, bool], None] | None = None,
                    transport: httpx.AsyncBaseTransport | None = None,
                    check: bool = True) -> LoadReport:
    """Send every track of `plan`; returns (and fills `report`) with what was sent."""
    report = report if report is not None else LoadReport()
    connections = concurrency * 3
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(transport=transport, timeout=30.0, limits=limits) as http:
        if check:
            await check_services(http, urls)
        sender = Sender(http, urls, Tokens(secret), retry or RetryPolicy(), report)
        pending: Iterator[Track] = iter(plan.tracks)

        async def worker() -> None:
            for track in pending:  # one shared iterator: each track is taken once
                if report.tracks_failed >= ABORT_AFTER_FAILURES and report.tracks_done == 0:
                    report.aborted = True
                    return
                ok = await sender.run_track(plan, track)
                if on_track is not None:
                    on_track(track, ok)

        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    return report
