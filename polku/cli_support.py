"""What the `polku` commands share: the service names, loading a service, refusing clearly."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

from services.runtime.settings import ServiceSettings

if TYPE_CHECKING:  # the service wiring imports the web stack: only when a command needs it
    from services.runtime.kafka_clients import KafkaConnection
    from services.runtime.service import ServiceDefinition

T = TypeVar("T")

SERVICES = ("referral", "assessment", "coaching", "reporting")
WRITE_SERVICES = ("referral", "assessment", "coaching")
CONSUMERS = ("assessment", "coaching", "reporting")


def load_definition(name: str) -> ServiceDefinition:
    """The wiring of service `name` (services/<name>/app.py), or a refusal naming the choices."""
    if name not in SERVICES:
        raise typer.BadParameter(f"unknown service {name!r}; one of {', '.join(SERVICES)}")
    definition: ServiceDefinition = importlib.import_module(f"services.{name}.app").definition
    return definition


def fail(message: str) -> NoReturn:
    """Say what is wrong on stderr and exit 2."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def environment_settings() -> ServiceSettings:
    """The environment's settings, or a clear refusal naming what is wrong."""
    from pydantic import ValidationError

    try:
        return ServiceSettings()
    except ValidationError as error:
        fail(f"invalid configuration: {error}")


def kafka_connection(settings: ServiceSettings) -> KafkaConnection:
    """The Kafka connection the settings describe, or a refusal naming the setting."""
    from services.runtime.kafka_clients import KafkaConnection, KafkaSetupError

    try:
        return KafkaConnection.from_settings(settings)
    except KafkaSetupError as error:
        fail(str(error))


def kafka_run(work: Coroutine[Any, Any, T]) -> T:
    """Run a command's Kafka work; a refused login or an unreachable broker is a clear
    message naming the setting to fix (exit 2), not a traceback."""
    from services.runtime.kafka_clients import KafkaSetupError

    try:
        return asyncio.run(work)
    except KafkaSetupError as error:
        fail(str(error))
