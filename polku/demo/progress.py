"""The terminal side of `polku demo`: a progress bar over pathways and the final summary."""

from __future__ import annotations

import asyncio
from collections import Counter

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from polku.demo.loader import DASHBOARD_URL, LoadReport, ServiceUrls, load_plan
from polku.demo.plan import Plan, Track

LABELS = (
    ("RegisterClient", "clients registered"),
    ("GiveConsent", "consents"),
    ("MakeReferral", "referrals made"),
    ("AcceptReferral", "referrals accepted (cases opened)"),
    ("DeclineReferral", "referrals declined"),
    ("WithdrawReferral", "referrals withdrawn"),
    ("TransferResponsibility", "responsibility transfers"),
    ("CloseCase", "cases closed"),
    ("StartAssessment", "assessments started"),
    ("CompleteAssessment", "assessments completed"),
    ("CancelAssessment", "assessments cancelled"),
    ("CompleteHealthCheck", "health checks"),
    ("AgreeSupportPlan", "support plans"),
    ("ReviseSupportPlan", "support plan revisions"),
    ("RecordWorkAbilityScore", "work ability scores"),
    ("RecordSelfAssessment", "Kykyviisari self-assessments"),
    ("RecordLabourMarketStatus", "labour market statuses"),
    ("GiveConsultation", "consultations"),
    ("StartCoaching", "coaching engagements"),
    ("CompleteVocationalProfile", "vocational profiles"),
    ("ContactEmployer", "employer contacts"),
    ("StartPlacement", "placements started"),
    ("GiveFollowAlongSupport", "follow-along supports"),
    ("EndPlacement", "placements ended"),
    ("EndCoaching", "coaching engagements ended"),
    ("RecordFidelityReview", "fidelity reviews"),
    ("GiveFeedback", "client feedback (NPS)"),
)


def planned_counts(plan: Plan) -> Counter[str]:
    return Counter(step.command.__name__ for track in plan.tracks for step in track.steps)


async def load_with_progress(plan: Plan, urls: ServiceUrls, *, secret: str, concurrency: int,
                             report: LoadReport, console: Console) -> LoadReport:
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("failed {task.fields[failed]}"), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        clients = progress.add_task("client pathways", total=len(plan.client_tracks()), failed=0)
        teams = progress.add_task("team records", failed=0,
                                  total=len(plan.tracks) - len(plan.client_tracks()))

        def advance(track: Track, ok: bool) -> None:
            task = clients if track.kind == "client" else teams
            failed = progress.tasks[task].fields["failed"] + (0 if ok else 1)
            progress.update(task, advance=1, failed=failed)

        return await load_plan(plan, urls, secret=secret, concurrency=concurrency,
                               report=report, on_track=advance)


def run_demo(plan: Plan, urls: ServiceUrls, *, secret: str, concurrency: int = 16,
             console: Console | None = None) -> LoadReport:
    """Load `plan` with a progress bar and print the summary; Ctrl-C stops cleanly."""
    console = console or Console()
    report = LoadReport()
    try:
        asyncio.run(load_with_progress(plan, urls, secret=secret, concurrency=concurrency,
                                       report=report, console=console))
    except KeyboardInterrupt:
        report.interrupted = True
    print_summary(plan, report, console)
    return report


def print_summary(plan: Plan, report: LoadReport, console: Console) -> None:
    planned = planned_counts(plan)
    table = Table(title=f"Demo load: seed {plan.seed}, {plan.clients} clients, "
                        f"business time up to {plan.until}")
    table.add_column("what")
    table.add_column("created", justify="right")
    table.add_column("planned", justify="right")
    for command, label in LABELS:
        if planned[command]:
            table.add_row(label, str(report.sent[command]), str(planned[command]))
    console.print(table)
    console.print(f"pathways loaded {report.tracks_done}, failed {report.tracks_failed}; "
                  f"retries {report.retries}")
    for failure in report.failures[:10]:
        console.print(f"[red]failed[/red] {failure}")
    if report.aborted:
        console.print("[red]stopped: every pathway so far failed — are the services running with "
                      "the development key?[/red]")
    if report.interrupted:
        console.print("[yellow]interrupted: run the same command again to continue "
                      "(requests carry idempotency keys)[/yellow]")
    console.print(f"Look at the dashboard: {DASHBOARD_URL} (period 2024-01-01 … {plan.until}; "
                  "monthly cells under 5 clients are suppressed by design)")
