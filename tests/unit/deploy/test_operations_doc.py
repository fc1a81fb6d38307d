"""docs/OPERATIONS.md covers every metric the services export and every operator command."""

from __future__ import annotations

from pathlib import Path

from services.runtime.metrics import REGISTRY

ROOT = Path(__file__).resolve().parents[3]
OPERATIONS = (ROOT / "docs" / "OPERATIONS.md").read_text("utf-8")
ALERTED = (
    "polku_relay_lag_events",
    "polku_relay_published_total",
    "polku_consumer_lag",
    "polku_dead_letters_total",
    "polku_http_requests_total",
    "polku_projection_position",
)


def exported_metric_names() -> set[str]:
    # prometheus_client names a counter family without its `_total` sample suffix.
    return {
        family.name + ("_total" if family.type == "counter" else "")
        for family in REGISTRY.collect()
        if family.name.startswith("polku_")
    }


def test_every_exported_metric_is_documented() -> None:
    names = exported_metric_names()
    assert "polku_events_appended_total" in names
    missing = [name for name in sorted(names) if f"`{name}`" not in OPERATIONS]
    assert not missing, f"document these metrics in docs/OPERATIONS.md: {missing}"


def test_alerts_reference_the_key_metrics() -> None:
    alerts = OPERATIONS.split("Alert on these", 1)[1]
    for name in ALERTED:
        assert name in alerts, name


def test_operator_procedures_are_present() -> None:
    for command in (
        "polku republish --service",
        "polku replay",
        "polku dlq list",
        "polku dlq replay --consumer",
        "docker compose -f deploy/compose.yaml up",
        "kubectl apply -k deploy/k8s/overlays/production",
        "DELETE FROM consumer_offsets",
    ):
        assert command in OPERATIONS, command
