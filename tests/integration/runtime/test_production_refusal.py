"""`polku serve` in production refuses to start with each development default in turn,
naming that setting; with proper values it gets past the guard."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.runtime.settings import (
    DEV_CLIENT_ID_KEY,
    DEV_JWT_SECRET,
    DEV_MASTER_KEY,
    DEV_PERTURBATION_KEY,
    DEV_RESEARCH_KEY,
)

POLKU = str(Path(sys.executable).parent / "polku")
REFUSAL = "refusing to start with POLKU_ENVIRONMENT=production"
# (service that reads it, variable, development value)
CASES = [
    ("referral", "POLKU_JWT_SECRET", DEV_JWT_SECRET),
    ("assessment", "POLKU_JWT_SECRET", DEV_JWT_SECRET),
    ("referral", "POLKU_PERSONAL_DATA_MASTER_KEY", DEV_MASTER_KEY),
    ("referral", "POLKU_CLIENT_ID_KEY", DEV_CLIENT_ID_KEY),
    ("reporting", "POLKU_RESEARCH_KEY", DEV_RESEARCH_KEY),
    ("reporting", "POLKU_PERTURBATION_KEY", DEV_PERTURBATION_KEY),
    ("coaching", "POLKU_JWT_ALLOW_HS256", "true"),
]


def proper_environment() -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    inherited = {k: v for k, v in os.environ.items()
                 if not k.startswith("POLKU_") and k not in ("DATABASE_URL",)}
    return {
        **inherited,
        "POLKU_ENVIRONMENT": "production",
        "POLKU_JWT_SECRET": "",
        "POLKU_JWT_PUBLIC_KEY": pem,
        "POLKU_JWT_ISSUER": "https://idp.example.fi/realms/polku",
        "POLKU_JWT_AUDIENCE": "polku",
        "POLKU_PERSONAL_DATA_MASTER_KEY": "bXktb3duLW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZyE=",
        "POLKU_CLIENT_ID_KEY": secrets.token_hex(32),
        "POLKU_RESEARCH_KEY": secrets.token_hex(32),
        "POLKU_PERTURBATION_KEY": secrets.token_hex(32),
        # Nothing listens here: a service that got past the guard fails to connect instead.
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "POLKU_LOG_FORMAT": "console",
    }


def start(service: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([POLKU, "serve", service], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_a_production_service_refuses_each_development_default_naming_it() -> None:
    proper = proper_environment()
    started = [(case, start(case[0], {**proper, case[1]: case[2]})) for case in CASES]
    control = start("referral", proper)
    for (service, variable, _), process in started:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 2, (service, variable, output)
        assert REFUSAL in output, (service, variable, output)
        named = [line.split()[1] for line in output.splitlines()
                 if line.lstrip().startswith("* ")]
        assert named == [variable], (service, output)
    output, _ = control.communicate(timeout=120)
    assert REFUSAL not in output, output
    assert control.returncode != 0  # it did try to start: the database is not there
