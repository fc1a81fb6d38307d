"""The development commands of `polku`: the local stack, the demo, the generated documents.

Their imports stay inside the commands, so the operator commands work on a production install;
`polku up` refuses with the install command when the `stack` extra is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from polku.cli_support import SERVICES, fail, load_definition
from services.runtime.settings import ServiceSettings

if TYPE_CHECKING:
    from polku.up import RunningStack


def up(
    demo: Annotated[bool, typer.Option("--demo", help="load the demo pathways")] = False,
    services: Annotated[str, typer.Option(help="comma list of services to start")] = ",".join(
        SERVICES),
    reset: Annotated[bool, typer.Option("--reset", help="delete the stack's data first")] = False,
    clients: Annotated[int, typer.Option(help="demo size (clients)")] = 600,
    seed: Annotated[int, typer.Option(help="demo random seed")] = 42,
) -> None:
    """Start the embedded stack (PostgreSQL, Kafka on 127.0.0.1:9092) and the services;
    run until Ctrl-C, then stop everything. A second run reuses the data unless --reset."""
    from polku.extras import MissingExtra, require_stack

    try:
        require_stack("`polku up` (the embedded PostgreSQL and Kafka)")
    except MissingExtra as error:
        fail(str(error))
    from polku.up import up as run_up

    names = [n.strip() for n in services.split(",") if n.strip()]
    for name in names:
        load_definition(name)

    def load(stack: RunningStack) -> None:
        from polku.demo.generator import build_plan
        from polku.demo.loader import ServiceUrls
        from polku.demo.progress import run_demo

        secret = ServiceSettings().polku_jwt_secret or ""
        urls = ServiceUrls(referral=stack.urls["referral"],
                           assessment=stack.urls["assessment"], coaching=stack.urls["coaching"])
        report = run_demo(build_plan(seed=seed, clients=clients), urls, secret=secret)
        if report.interrupted:
            raise KeyboardInterrupt

    try:
        run_up(names=names, reset=reset, demo=load if demo else None,
               report=lambda line: typer.echo(line))
    except RuntimeError as error:
        fail(str(error))


def demo(
    seed: Annotated[int, typer.Option(help="the same seed gives the same pathways")] = 42,
    clients: Annotated[int, typer.Option(min=0, help="clients over the five seed regions")] = 2000,
    referral_url: Annotated[str, typer.Option(help="referral service")] = "http://127.0.0.1:8001",
    assessment_url: Annotated[str, typer.Option(help="assessment service")] = (
        "http://127.0.0.1:8002"),
    coaching_url: Annotated[str, typer.Option(help="coaching service")] = "http://127.0.0.1:8003",
    concurrency: Annotated[int, typer.Option(min=1, help="pathways sent at once")] = 16,
) -> None:
    """Load demo pathways for the five seed regions through the services' HTTP APIs."""
    from polku.demo.generator import build_plan
    from polku.demo.loader import ServicesUnavailable, ServiceUrls
    from polku.demo.progress import run_demo

    secret = ServiceSettings().polku_jwt_secret
    if not secret:
        fail("POLKU_JWT_SECRET is empty: the demo signs development tokens with it")
    plan = build_plan(seed=seed, clients=clients)
    urls = ServiceUrls(referral=referral_url, assessment=assessment_url, coaching=coaching_url)
    try:
        report = run_demo(plan, urls, secret=secret or "", concurrency=concurrency)
    except ServicesUnavailable as error:
        fail(f"service not reachable: {error} (start them with `polku up`)")
    if report.interrupted:
        raise typer.Exit(130)
    if report.tracks_failed or report.aborted:
        raise typer.Exit(1)


def api_docs(
    target: Annotated[Path, typer.Option(help="output folder")] = Path("docs/api"),
) -> None:
    """Write the OpenAPI and AsyncAPI documents of the four services to docs/api/."""
    from polku.api_docs import write

    written = write(target)
    typer.echo(f"wrote {len(written)} API documents to {target}")


def config_reference() -> None:
    """Print the configuration reference (every environment variable)."""
    from polku.config_reference import render

    typer.echo(render(), nl=False)


def register(app: typer.Typer) -> None:
    """Add the development commands to the `polku` command line."""
    app.command()(up)
    app.command()(demo)
    app.command("api-docs")(api_docs)
    app.command("config-reference")(config_reference)
