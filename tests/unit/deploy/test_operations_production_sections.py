"""docs/OPERATIONS.md has a section per part of issue 14 (Kafka security, the identity
provider, the locked build, readiness, CloudEvents binary mode, published contracts), and the
Kubernetes settings the Kafka, identity-provider and readiness sections show are the ones the
production overlay and the base really use: a doc that drifts from the manifests fails."""

from __future__ import annotations

import re

import pytest

from services.runtime.settings import ServiceSettings
from tests.unit.deploy.kustomize_render import containers, pod_specs, render
from tests.unit.deploy.test_deploy_kubernetes import (
    BASE,
    K8S,
    PRODUCTION,
    SERVICES,
    config_data,
    env_of,
    one,
)
from tests.unit.deploy.test_operations_doc import OPERATIONS

SECTIONS = (
    "## Kafka security",
    "## Identity provider (JWKS)",
    "## The image's dependencies: lock, SBOM, audit",
    "## Readiness",
    "## CloudEvents binary mode",
    "## Published contracts (for partners generating code)",
)
_LITERAL = re.compile(r"^\s+- '?([A-Z][A-Z0-9_]+)=(.*?)'?$", re.MULTILINE)
_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def section(title: str) -> str:
    """The text of `title`'s section, up to the next section of the same level."""
    assert OPERATIONS.count(f"\n{title}\n") == 1, f"docs/OPERATIONS.md lacks {title!r}"
    return OPERATIONS.split(f"\n{title}\n", 1)[1].split("\n## ", 1)[0]


def yaml_blocks(text: str) -> list[str]:
    return _BLOCK.findall(text)


@pytest.mark.parametrize("title", SECTIONS)
def test_a_section_per_item_of_the_issue(title: str) -> None:
    assert len(section(title).split()) > 80, f"{title} is too short to configure anything"


def test_the_kafka_sections_overlay_settings_are_the_overlays() -> None:
    production = render(PRODUCTION)
    config = config_data(production, "polku-config")
    text = section("## Kafka security")
    (block,) = [b for b in yaml_blocks(text) if "KAFKA_SECURITY_PROTOCOL" in b]
    shown = dict(_LITERAL.findall(block))
    assert {"KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SSL_CA_FILE"} <= set(shown)
    assert {name: config.get(name) for name in shown} == shown
    # The per-service user and password secret the section shows, for every service.
    assert "value: polku-referral" in block and "key: kafka-referral-password" in block
    secret_keys = set(re.findall(r"^  ([a-z0-9-]+):", (K8S / "secret.example.yaml").read_text(
        "utf-8"), re.MULTILINE))
    for service in SERVICES:
        env = env_of(next(containers(one(production, "Deployment", service))))
        key = env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"]
        assert key in secret_keys and f"kafka-{service}-password" == key
    assert "kafka-ca-certificate" in secret_keys and "kafka-ca-certificate" in text


def test_the_identity_provider_sections_overlay_settings_are_the_overlays() -> None:
    config = config_data(render(PRODUCTION), "polku-config")
    first = yaml_blocks(section("## Identity provider (JWKS)"))[0]
    shown = dict(_LITERAL.findall(first))
    assert set(shown) == {"POLKU_JWT_JWKS_URL", "POLKU_JWT_ISSUER", "POLKU_JWT_AUDIENCE"}
    assert {name: config.get(name) for name in shown} == shown


def test_every_setting_the_identity_provider_examples_use_exists() -> None:
    """The Keycloak and Entra ID examples name real settings, with values they accept."""
    fields = ServiceSettings.model_fields
    for block in yaml_blocks(section("## Identity provider (JWKS)")):
        for name, _ in _LITERAL.findall(block):
            assert name.lower() in fields, name


def test_the_readiness_sections_probe_and_settings_are_the_bases_and_the_defaults() -> None:
    (block,) = yaml_blocks(section("## Readiness"))
    base = render(BASE)
    for service in SERVICES:
        (spec,) = pod_specs(one(base, "Deployment", service))
        probe = next(iter(spec["containers"]))["readinessProbe"]
        assert probe["httpGet"]["path"] == "/readyz"
        for field in ("periodSeconds", "timeoutSeconds", "failureThreshold"):
            assert f"{field}: {probe[field]}\n" in block, (service, field)
    defaults = ServiceSettings.model_fields
    shown = _LITERAL.findall(block)
    assert {name for name, _ in shown} == {"POLKU_BROKER_STARTUP_WAIT_SECONDS",
                                           "POLKU_BROKER_CHECK_SECONDS"}
    for name, value in shown:
        assert float(value) == defaults[name.lower()].default, name


def test_the_broker_and_identity_provider_alerts_are_there() -> None:
    alerts = OPERATIONS.split("Alert on these", 1)[1]
    for metric in ("polku_broker_reachable", "polku_relay_lag_seconds",
                   "polku_jwks_fetches_total"):
        assert metric in alerts, metric
