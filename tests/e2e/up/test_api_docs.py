"""docs/api/ holds the generated OpenAPI and AsyncAPI documents; they must not drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from polku.api_docs import SERVICES, render_all
from services.referral.app import definition as referral
from tests.support.services import running_service

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api"
REGENERATE = "run `polku api-docs` (.venv/bin/polku api-docs) and commit docs/api/"


def committed(name: str) -> Any:
    return json.loads((DOCS / name).read_text(encoding="utf-8"))


def test_the_committed_documents_are_what_the_code_generates() -> None:
    rendered = render_all()
    assert sorted(rendered) == sorted(
        f"{service}.{kind}.json" for service in SERVICES for kind in ("openapi", "asyncapi"))
    on_disk = sorted(p.name for p in DOCS.glob("*.json"))
    assert on_disk == sorted(rendered), f"docs/api/ has other files than generated: {REGENERATE}"
    stale = [name for name, text in rendered.items()
             if (DOCS / name).read_text(encoding="utf-8") != text]
    assert not stale, f"docs/api/ is out of date ({', '.join(stale)}): {REGENERATE}"


def test_generation_is_deterministic() -> None:
    assert render_all() == render_all()


def test_every_document_describes_its_service() -> None:
    for service in SERVICES:
        openapi = committed(f"{service}.openapi.json")
        asyncapi = committed(f"{service}.asyncapi.json")
        assert openapi["info"]["title"] == f"Polku {service} service"
        assert openapi["paths"], service
        assert asyncapi["info"]["title"] == f"Polku {service}"
        actions = {op["action"] for op in asyncapi["operations"].values()}
        addresses = {ch["address"] for ch in asyncapi["channels"].values()}
        # Referral only publishes, reporting only consumes, the other two do both.
        assert actions == {"referral": {"send"}, "reporting": {"receive"}}.get(
            service, {"send", "receive"}), service
        assert "polku.referral.v1" in addresses, service


async def test_the_running_service_serves_the_committed_documents(
    database_url: str, kafka_bootstrap: str
) -> None:
    async with running_service(referral, database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap) as svc, svc.client() as http:
        openapi = await http.get("/openapi.json")
        asyncapi = await http.get("/asyncapi.json")
    assert openapi.status_code == 200
    assert openapi.json() == committed("referral.openapi.json"), REGENERATE
    assert asyncapi.status_code == 200
    served, documented = asyncapi.json(), committed("referral.asyncapi.json")
    # The only difference allowed: the broker address (the test's, not the documented one).
    assert served.pop("servers")["development"]["host"] == kafka_bootstrap
    documented.pop("servers")
    assert served == documented, REGENERATE
