"""deploy/compose.yaml: valid Compose, public images plus our own, wired as documented."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from contracts.topics import SERVICE_TOPICS, dlq_topic
from services.runtime.settings import SETTINGS_MODELS

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
SERVICES = {"referral": 8001, "assessment": 8002, "coaching": 8003, "reporting": 8004}
CONSUMERS = ("assessment", "coaching", "reporting")
PUBLIC_IMAGES = {"apache/kafka", "postgres"}
PROJECT_IMAGE = "${POLKU_IMAGE:-polku:dev}"
SECRET_VARIABLES = {
    "POLKU_JWT_SECRET",
    "POLKU_PERSONAL_DATA_MASTER_KEY",
    "POLKU_CLIENT_ID_KEY",
    "POLKU_RESEARCH_KEY",
    "POLKU_PERTURBATION_KEY",
    "POSTGRES_PASSWORD",
    "POLKU_DB_PASSWORD",
}
_REQUIRED_SUBSTITUTION = re.compile(r"^\$\{(?P<name>[A-Z_]+):\?[^}]+\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text("utf-8"))


def compose_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendor.joinpath("compose-spec.json").read_text("utf-8"))


def polku_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: spec for name, spec in compose["services"].items() if spec["image"] == PROJECT_IMAGE
    }


def test_compose_file_passes_check_jsonschema_compose_spec() -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_schema_rejects_what_compose_rejects(compose: dict[str, Any]) -> None:
    # The loaded document (YAML anchors and merge keys resolved) is valid too, and the
    # schema is strict enough to notice a misspelt key.
    schema = compose_schema()
    jsonschema.validate(compose, schema)
    broken = yaml.safe_load(COMPOSE.read_text("utf-8"))
    broken["services"]["reporting"]["depends_on_"] = broken["services"]["reporting"].pop(
        "depends_on"
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_only_public_images_and_the_projects_own(compose: dict[str, Any]) -> None:
    for name, spec in compose["services"].items():
        image = spec["image"]
        if image == PROJECT_IMAGE:
            assert spec["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
            continue
        repository, _, tag = image.partition(":")
        assert repository in PUBLIC_IMAGES, f"{name} uses {image}"
        assert tag and tag != "latest", f"{name} must pin a tag: {image}"
        assert "build" not in spec


def test_kafka_version_matches_the_embedded_broker_pom(compose: dict[str, Any]) -> None:
    pom = ElementTree.parse(DEPLOY / "kafka" / "pom.xml")
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    version = pom.getroot().find("m:properties/m:kafka.version", namespace)
    assert version is not None
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{version.text}"
    assert compose["services"]["kafka-topics"]["image"] == f"apache/kafka:{version.text}"


def test_kafka_runs_kraft_with_a_healthcheck(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "CLUSTER_ID" in env and "KAFKA_ZOOKEEPER_CONNECT" not in env
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "9092" in " ".join(kafka["healthcheck"]["test"])


def test_topic_job_creates_every_topic_with_six_partitions_kept_forever(
    compose: dict[str, Any],
) -> None:
    script = compose["services"]["kafka-topics"]["command"][0]
    assert "--if-not-exists" in script
    assert "--partitions 6" in script and "retention.ms=-1" in script
    for topic in SERVICE_TOPICS.values():
        assert topic in script, topic
    for consumer in CONSUMERS:
        assert "polku.dlq.$$consumer" in script and consumer in script
        assert dlq_topic(consumer) == f"polku.dlq.{consumer}"
    for service in SERVICES:
        depends = compose["services"][service]["depends_on"]
        assert depends["kafka-topics"] == {"condition": "service_completed_successfully"}


def test_each_service_runs_serve_with_own_database_port_and_healthcheck(
    compose: dict[str, Any],
) -> None:
    databases = set()
    for service, port in SERVICES.items():
        spec = compose["services"][service]
        assert spec["command"] == ["serve", service]
        env = spec["environment"]
        assert env["POLKU_HTTP_PORT"] == str(port)
        assert env["POLKU_HTTP_HOST"] == "0.0.0.0"
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        url = env["DATABASE_URL"]
        assert url == f"postgresql://{service}:${{POLKU_DB_PASSWORD}}@postgres:5432/{service}"
        databases.add(url.rsplit("/", 1)[1])
        assert any(str(port) in published for published in spec["ports"])
        assert spec["healthcheck"]["test"] == ["CMD", "python", "/opt/venv/bin/polku-healthcheck"]
        assert spec["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert spec["depends_on"]["kafka"] == {"condition": "service_healthy"}
        migrate = compose["services"][f"{service}-migrate"]
        assert spec["depends_on"][f"{service}-migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert migrate["command"] == ["migrate", "--service", service]
        assert migrate["environment"]["DATABASE_URL"] == url
    assert databases == set(SERVICES)
    # The dashboard: container port 8004 published, by default on the host's 8004.
    assert compose["services"]["reporting"]["ports"] == [
        "${POLKU_REPORTING_PUBLISH:-127.0.0.1:8004}:8004"
    ]


def test_postgres_init_script_creates_every_service_database(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:17"
    mounts = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert mounts and mounts[0].startswith("./postgres/init-databases.sh:")
    script = (DEPLOY / "postgres" / "init-databases.sh").read_text("utf-8")
    loop = re.search(r"^for service in (.+); do$", script, re.MULTILINE)
    assert loop is not None
    assert loop[1].split() == list(SERVICES)
    assert 'CREATE DATABASE :"service" OWNER :"service"' in script
    # The last database created is the one the healthcheck waits for.
    assert f"-d {list(SERVICES)[-1]}" in " ".join(postgres["healthcheck"]["test"])


def test_secrets_come_only_from_required_substitutions(compose: dict[str, Any]) -> None:
    seen = set()
    for name, spec in compose["services"].items():
        for variable, value in (spec.get("environment") or {}).items():
            if variable in SECRET_VARIABLES:
                match = _REQUIRED_SUBSTITUTION.match(str(value))
                assert match and match["name"] == variable, f"{name}.{variable} = {value!r}"
                seen.add(variable)
    assert seen == SECRET_VARIABLES
    text = COMPOSE.read_text("utf-8")
    from services.runtime import settings

    for constant in ("DEV_JWT_SECRET", "DEV_MASTER_KEY", "DEV_CLIENT_ID_KEY", "DEV_RESEARCH_KEY",
                     "DEV_PERTURBATION_KEY"):
        assert getattr(settings, constant) not in text
    example = (DEPLOY / ".env.example").read_text("utf-8")
    for variable in SECRET_VARIABLES:
        assert re.search(rf"^{variable}=$", example, re.MULTILINE), variable


def test_compose_is_for_trying_polku_out_in_development(compose: dict[str, Any]) -> None:
    for name, spec in polku_services(compose).items():
        assert spec["environment"]["POLKU_ENVIRONMENT"] == "development", name


def test_personal_data_keys_only_where_needed(compose: dict[str, Any]) -> None:
    for service in SERVICES:
        env = compose["services"][service]["environment"]
        assert ("POLKU_PERSONAL_DATA_MASTER_KEY" in env) == (service == "referral")
        assert ("POLKU_CLIENT_ID_KEY" in env) == (service == "referral")
        assert ("POLKU_RESEARCH_KEY" in env) == (service == "reporting")
        assert ("POLKU_PERTURBATION_KEY" in env) == (service == "reporting")


def test_polku_containers_set_only_known_settings(compose: dict[str, Any]) -> None:
    known = {name.upper() for model in SETTINGS_MODELS for name in model.model_fields}
    services = polku_services(compose)
    assert set(services) == set(SERVICES) | {f"{s}-migrate" for s in SERVICES}
    for name, spec in services.items():
        unknown = set(spec["environment"]) - known
        assert not unknown, f"{name} sets settings the code does not read: {sorted(unknown)}"
