"""Every Kafka client of the project is built by the one factory (issue 14, item 1): no module
outside services/runtime/kafka_clients.py constructs an aiokafka producer, consumer or admin
client or a FastStream KafkaBroker itself, so none can bypass the TLS/SASL settings.

The tests are out of scope (they play partners and plaintext helpers on purpose)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FACTORY = ROOT / "services" / "runtime" / "kafka_clients.py"
SCANNED = ("services", "polku", "bench", "contracts", "scripts")
CLIENTS = frozenset({"AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient",
                     "KafkaAdminClient", "KafkaBroker"})


def constructions(path: Path) -> list[str]:
    """`file:line Name(` for every call of a Kafka client class in `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (func.id if isinstance(func, ast.Name)
                else func.attr if isinstance(func, ast.Attribute) else None)
        if name in CLIENTS:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}(")
    return found


def project_files() -> list[Path]:
    return sorted(path for folder in SCANNED for path in (ROOT / folder).rglob("*.py")
                  if ".venv" not in path.parts)


def test_the_scan_sees_the_factorys_own_constructions() -> None:
    """Guard: the scan is not vacuous (the factory builds all four kinds)."""
    names = {found.rsplit(" ", 1)[1] for found in constructions(FACTORY)}
    assert names == {"AIOKafkaProducer(", "AIOKafkaConsumer(", "AIOKafkaAdminClient(",
                     "KafkaBroker("}


def test_no_kafka_client_is_built_outside_the_factory() -> None:
    bypasses = [found for path in project_files() if path != FACTORY
                for found in constructions(path)]
    assert bypasses == [], (
        "build Kafka clients with services.runtime.kafka_clients.KafkaConnection "
        f"(.producer(), .consumer(), .admin(), .broker()): {bypasses}")
