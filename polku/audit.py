"""`polku audit reads`: a data protection officer's read audit from referral and reporting, merged.

Both services answer `GET /audit/reads` (API.md) for the officer's token: referral the reads
of personal data, reporting the reads of timelines. This command fetches every page of both,
merges them into one chronological list with a `service` column, and prints it as CSV (or
writes an XLSX file when XlsxWriter is installed). The token comes from `--token` or
`POLKU_TOKEN`; in development `--org` signs a data protection officer's token of that
organisation with the development key instead.
"""

from __future__ import annotations

import csv
import sys
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Annotated, Any

import httpx
import typer

from polku.cli_support import environment_settings, fail

SERVICES = ("referral", "reporting")
COLUMNS = ("read_at", "service", "organisation_id", "role", "professional_id", "client_id",
           "granted")
PAGE = 10_000
DPO = "data_protection_officer"

audit_app = typer.Typer(help="The read audit for data protection officers.",
                        no_args_is_help=True)


class AuditUnavailable(Exception):
    """A service refused or could not answer; the message says which and why."""


def fetch_reads(client: httpx.Client, service: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every page of one service's `GET /audit/reads`, each read tagged with the service."""
    reads: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page_params = {**params, "limit": str(PAGE), **({"cursor": cursor} if cursor else {})}
        try:
            answer = client.get("/audit/reads", params=page_params)
        except httpx.HTTPError as error:
            raise AuditUnavailable(f"{service} at {client.base_url} did not answer: {error} "
                                   "(is it running? see --referral-url, --reporting-url)") from None
        if answer.status_code != 200:
            raise AuditUnavailable(f"{service} answered {answer.status_code}: {_detail(answer)}")
        body = answer.json()
        reads += [{**read, "service": service} for read in body["reads"]]
        cursor = body.get("next_cursor")
        if not cursor:
            return reads


def _detail(answer: httpx.Response) -> str:
    try:
        problem = answer.json()
    except ValueError:
        return answer.text[:200]
    fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in problem.get("errors") or [])
    return fields or str(problem.get("detail") or problem.get("title") or answer.text[:200])


def merge(*lists: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One chronological list (ties: by service, then as each service ordered them)."""
    everything = [read for reads in lists for read in reads]
    return sorted(everything, key=lambda r: (datetime.fromisoformat(r["read_at"]), r["service"]))


def write_csv(reads: list[dict[str, Any]], out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for read in reads:
        writer.writerow([str(read[c]).lower() if c == "granted" else read[c] for c in COLUMNS])


def write_xlsx(reads: list[dict[str, Any]], path: Path) -> None:
    """One sheet: times as Excel date-times (UTC), `granted` as booleans."""
    try:
        import xlsxwriter  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        fail("XLSX needs the XlsxWriter package (pip install xlsxwriter); "
             "or use --format csv")
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("read audit")
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        sheet.write_row(0, 0, ["read_at (UTC)", *COLUMNS[1:]])
        for row, read in enumerate(reads, start=1):
            moment = datetime.fromisoformat(read["read_at"])
            sheet.write_datetime(row, 0, moment.astimezone(UTC).replace(tzinfo=None), when)
            sheet.write_row(row, 1, [read[c] for c in COLUMNS[1:-1]])
            sheet.write_boolean(row, len(COLUMNS) - 1, bool(read["granted"]))
        sheet.set_column(0, 0, 20)
        sheet.set_column(1, len(COLUMNS) - 1, 24)
        sheet.autofilter(0, 0, len(reads), len(COLUMNS) - 1)


def _token(token: str | None, org: str | None) -> str:
    """The officer's token, or a development one signed for `org`."""
    if token:
        return token
    if org is None:
        fail("give a data protection officer's token: --token or POLKU_TOKEN (in development, "
             "--org ORGANISATION signs one with the development key)")
    settings = environment_settings()
    if settings.polku_environment != "development" or not settings.polku_jwt_secret:
        fail("--org signs a development token, which needs POLKU_ENVIRONMENT=development and "
             "POLKU_JWT_SECRET; in production give the officer's token with --token")
    from services.runtime.http import issue_token

    return issue_token(secret=settings.polku_jwt_secret, org=org, role=DPO,
                       sub=str(uuid.uuid4()), ttl=timedelta(hours=1))


@audit_app.command("reads")
def reads(
    client_id: Annotated[str | None, typer.Option(
        "--client-id", help="only reads of this client (its client_id)")] = None,
    date_from: Annotated[str | None, typer.Option(
        "--from", help="first day, YYYY-MM-DD (in Finland)")] = None,
    date_to: Annotated[str | None, typer.Option(
        "--to", help="last day, YYYY-MM-DD (in Finland), included")] = None,
    format: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
    output: Annotated[Path | None, typer.Option(
        "--output", help="write to this file (required for xlsx); default: standard output",
    )] = None,
    token: Annotated[str | None, typer.Option(
        "--token", envvar="POLKU_TOKEN", help="a data protection officer's bearer token")] = None,
    org: Annotated[str | None, typer.Option(
        "--org", help="development only: sign an officer's token of this organisation")] = None,
    referral_url: Annotated[str, typer.Option(envvar="POLKU_REFERRAL_URL")] = (
        "http://127.0.0.1:8001"),
    reporting_url: Annotated[str, typer.Option(envvar="POLKU_REPORTING_URL")] = (
        "http://127.0.0.1:8004"),
) -> None:
    """The recorded reads of personal data (referral) and timelines (reporting) that the
    officer may see, oldest first, as one list with a `service` column."""
    if format not in ("csv", "xlsx"):
        fail(f"--format must be csv or xlsx, not {format!r}")
    if format == "xlsx" and output is None:
        fail("--format xlsx writes a file: give --output FILE.xlsx")
    params = {k: v for k, v in (("client_id", client_id), ("from", date_from),
                                ("to", date_to)) if v is not None}
    bearer = {"Authorization": f"Bearer {_token(token, org)}"}
    found: list[list[dict[str, Any]]] = []
    try:
        for service, url in zip(SERVICES, (referral_url, reporting_url), strict=True):
            with httpx.Client(base_url=url, headers=bearer, timeout=60.0) as client:
                found.append(fetch_reads(client, service, params))
    except AuditUnavailable as error:
        fail(str(error))
    merged = merge(*found)
    if format == "xlsx" and output is not None:
        write_xlsx(merged, output)
    elif output is not None:
        with output.open("w", encoding="utf-8", newline="") as out:
            write_csv(merged, out)
    else:
        write_csv(merged, sys.stdout)
    if output is not None:
        typer.echo(f"wrote {len(merged)} reads to {output}", err=True)


def register(app: typer.Typer) -> None:
    """Add `polku audit` to the command line."""
    app.add_typer(audit_app, name="audit")
