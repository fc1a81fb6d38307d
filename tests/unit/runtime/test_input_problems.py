"""The shared HTTP plumbing of API.md's common rules, without servers: correlation ids kept
only when valid, bodies that are not JSON as 400, 405 with `Allow`, and problem+json
documented on every operation of an OpenAPI document."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import pytest
from fastapi import Body, FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from contracts.commands.referral import GiveFeedback
from services.runtime.http import ObservabilityMiddleware, valid_correlation_id
from services.runtime.openapi_problems import PROBLEM, install_problem_documentation
from services.runtime.responses import install_problem_handlers

ALLOWED = re.compile(r"[A-Za-z0-9._-]{1,64}")


@pytest.mark.parametrize("value", ["abc", "a" * 64, "req-1.2_3", str(uuid.uuid4()),
                                   "ABC-def.0"])
def test_valid_correlation_ids_are_kept(value: str) -> None:
    assert valid_correlation_id(value) == value


@pytest.mark.parametrize("value", ["", "a" * 65, "a b", "131052-308T", "id:131052-308T",
                                   "x\ny", "ä", "<b>", "a/b", "{x}"])
def test_anything_else_is_not_a_correlation_id(value: str) -> None:
    assert valid_correlation_id(value) is None


def test_other_spellings_of_a_uuid_are_given_canonically() -> None:
    value = uuid.uuid4()
    assert valid_correlation_id(f"urn:uuid:{value}") == str(value)
    assert valid_correlation_id(f"{{{value}}}") == str(value)


@given(st.text(max_size=100))
def test_a_kept_correlation_id_is_safe_to_log(value: str) -> None:
    kept = valid_correlation_id(value)
    if kept is not None:
        assert ALLOWED.fullmatch(kept)
        assert kept == value or uuid.UUID(kept)


class Reply(BaseModel):
    ok: bool


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_problem_documentation(app)
    app.add_middleware(ObservabilityMiddleware, service="unit")

    @app.post("/feedback", responses={409: {"description": "a conflict of this route"}})
    async def feedback(body: GiveFeedback) -> Reply:
        return Reply(ok=True)

    @app.get("/feedback")
    async def read(as_of: str | None = None) -> Reply:
        return Reply(ok=True)

    @app.post("/optional")
    async def optional(body: Annotated[GiveFeedback | None, Body()] = None) -> Reply:
        return Reply(ok=True)

    return app


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize(("content", "content_type"), [
    (b"", None), (b"{", "application/json"), (b"\xff\xfe", "application/json"),
    (b'{"score": 5}', "text/plain"), (b'{"score": 5}', None),
])
def test_a_body_that_is_not_json_is_400(client: Any, content: bytes,
                                        content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/feedback", content=content, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"] == [{"field": "body", "message": "not JSON"}]


def test_json_breaking_the_schema_is_422(client: Any) -> None:
    for body in (b"null", b"[]", b'{"score": true}',
                 b'{"occurred_at": "9999-12-31T23:00:00-01:00"}'):
        response = client.post("/feedback", content=body,
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
    assert client.post("/optional", content=b"").status_code == 200  # optional: no body


def test_405_names_every_method_of_the_path(client: Any) -> None:
    response = client.put("/feedback")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["Allow"] == "GET, POST"


def test_a_bad_correlation_id_is_replaced(client: Any) -> None:
    answered = client.get("/feedback", headers={"X-Correlation-Id": "131052-308T Aino"})
    uuid.UUID(answered.headers["X-Correlation-Id"])
    kept = client.get("/feedback", headers={"X-Correlation-Id": "bad id",
                                            "X-Request-Id": "good-id"})
    assert kept.headers["X-Correlation-Id"] == "good-id"


def test_every_operation_documents_its_problems() -> None:
    document = _app().openapi()
    post = document["paths"]["/feedback"]["post"]["responses"]
    get = document["paths"]["/feedback"]["get"]["responses"]
    assert {"400", "405", "409", "422"} <= post.keys()
    assert post["409"]["description"] == "a conflict of this route"
    assert {"405", "422"} <= get.keys() and "400" not in get
    for response in (post["400"], post["409"], post["422"], get["405"]):
        assert response["content"] == {PROBLEM: {"schema": {
            "$ref": "#/components/schemas/Problem"}}}
    assert "Allow" in get["405"]["headers"]
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "Problem" in schemas
    assert _app().openapi() == document  # deterministic
