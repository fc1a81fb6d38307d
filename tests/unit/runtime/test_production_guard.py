"""No development secrets in production: production_problems names every offending setting,
and the app refuses to start (its lifespan raises before it opens anything)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.runtime.environment import (
    DEVELOPMENT_KEYS,
    ProductionMisconfigured,
    production_problems,
)
from services.runtime.service import ServiceDefinition, create_app
from services.runtime.settings import (
    DEV_CLIENT_ID_KEY,
    DEV_JWT_SECRET,
    DEV_MASTER_KEY,
    DEV_PERTURBATION_KEY,
    DEV_RESEARCH_KEY,
    ServiceSettings,
)


def public_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


PUBLIC_KEY = public_key_pem()


def proper(**overrides: Any) -> ServiceSettings:
    """Production settings with every key set properly, then `overrides`."""
    values: dict[str, Any] = {
        "polku_environment": "production",
        "polku_jwt_secret": "",
        "polku_jwt_public_key": PUBLIC_KEY,
        "polku_jwt_issuer": "https://idp.example.fi/realms/polku",
        "polku_jwt_audience": "polku",
        "polku_personal_data_master_key": "bXktb3duLW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZyE=",
        "polku_client_id_key": secrets.token_hex(32),
        "polku_research_key": secrets.token_hex(32),
        "polku_perturbation_key": secrets.token_hex(32),
    }
    return ServiceSettings(**{**values, **overrides})


DEFAULTS = [
    ("POLKU_JWT_SECRET", {"polku_jwt_secret": DEV_JWT_SECRET}),
    ("POLKU_PERSONAL_DATA_MASTER_KEY", {"polku_personal_data_master_key": DEV_MASTER_KEY}),
    ("POLKU_CLIENT_ID_KEY", {"polku_client_id_key": DEV_CLIENT_ID_KEY}),
    ("POLKU_RESEARCH_KEY", {"polku_research_key": DEV_RESEARCH_KEY}),
    ("POLKU_PERTURBATION_KEY", {"polku_perturbation_key": DEV_PERTURBATION_KEY}),
    ("POLKU_JWT_ALLOW_HS256", {"polku_jwt_allow_hs256": True}),
]


def test_proper_production_settings_have_no_problem() -> None:
    assert production_problems(proper()) == []


def test_development_never_refuses() -> None:
    assert production_problems(ServiceSettings(polku_environment="development")) == []


@pytest.mark.parametrize(("variable", "override"), DEFAULTS)
def test_each_development_default_is_named_with_what_to_do(
    variable: str, override: dict[str, Any]
) -> None:
    (problem,) = production_problems(proper(**override))
    assert problem.startswith(variable + " ")
    assert "set" in problem  # it says what to do


def test_every_offending_setting_is_named_at_once() -> None:
    settings = ServiceSettings(polku_environment="production", polku_jwt_allow_hs256=True)
    named = [p.split()[0] for p in production_problems(settings)]
    assert named == ["POLKU_JWT_SECRET", "POLKU_PERSONAL_DATA_MASTER_KEY", "POLKU_CLIENT_ID_KEY",
                     "POLKU_RESEARCH_KEY", "POLKU_PERTURBATION_KEY", "POLKU_JWT_ALLOW_HS256",
                     "POLKU_JWT_ISSUER", "POLKU_JWT_AUDIENCE"]


def test_the_guard_covers_every_published_development_constant() -> None:
    assert {key.default for key in DEVELOPMENT_KEYS} == {
        DEV_JWT_SECRET, DEV_MASTER_KEY, DEV_CLIENT_ID_KEY, DEV_RESEARCH_KEY,
        DEV_PERTURBATION_KEY}


def test_a_service_is_judged_on_the_keys_it_reads() -> None:
    # The Kubernetes manifests give each service only its own keys (least privilege).
    research_default = proper(polku_research_key=DEV_RESEARCH_KEY)
    assert production_problems(research_default, "referral") == []
    assert [p.split()[0] for p in production_problems(research_default, "reporting")] == [
        "POLKU_RESEARCH_KEY"]
    master_default = proper(polku_personal_data_master_key=DEV_MASTER_KEY)
    assert production_problems(master_default, "coaching") == []
    assert production_problems(master_default, "referral") != []
    jwt_default = proper(polku_jwt_secret=DEV_JWT_SECRET)
    for service in ("referral", "assessment", "coaching", "reporting"):
        assert production_problems(jwt_default, service) != []


def test_production_without_any_way_to_verify_a_token_is_refused() -> None:
    (problem,) = production_problems(proper(polku_jwt_public_key=None))
    assert problem.startswith("POLKU_JWT_JWKS_URL ")


async def test_the_app_lifespan_refuses_before_opening_anything() -> None:
    # DATABASE_URL points nowhere: the refusal must come before any connection attempt.
    settings = proper(polku_client_id_key=DEV_CLIENT_ID_KEY,
                      database_url="postgresql://nobody@127.0.0.1:1/none")
    app = create_app(ServiceDefinition(name="referral", title="t", default_port=0, routers=[]),
                     settings)
    with pytest.raises(ProductionMisconfigured) as refused:
        async with app.router.lifespan_context(app):
            pass
    assert "POLKU_CLIENT_ID_KEY" in str(refused.value)
    assert refused.value.problems == production_problems(settings, "referral")
