"""Probes every service's bad-input tests share (API.md, Common rules): times and dates past
the bounds or overflowing a conversion, `true` as a number, bodies that are not JSON,
correlation ids that must be replaced, and what a refusal must look like."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
from hypothesis import strategies as st

from services.runtime.logging import IDENTITY_CODE

PROBLEM = "application/problem+json"

OVERFLOWING_TIMES = ["9999-12-31T23:00:00-01:00", "0001-01-01T00:00:00+01:00"]
OUT_OF_RANGE_TIMES = [*OVERFLOWING_TIMES, "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z",
                      "1899-12-31T23:59:59Z", "2201-01-01T00:00:00Z"]
OUT_OF_RANGE_DATES = ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"]
NOT_NUMBERS: list[Any] = [True, False, "7"]

_OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))


def extreme_times() -> st.SearchStrategy[str]:
    """RFC 3339 times before 1900 or after 2200 with any offset: the overflow cases."""
    far = (st.datetimes(max_value=datetime(1899, 12, 31, 23, 59))
           | st.datetimes(min_value=datetime(2201, 1, 1, 0, 1)))
    return (st.builds(lambda moment, tz: moment.replace(tzinfo=tz).isoformat(), far, _OFFSETS)
            | st.sampled_from(OUT_OF_RANGE_TIMES))


def extreme_dates() -> st.SearchStrategy[str]:
    """`YYYY-MM-DD` dates before 1900 or after 2200."""
    return (st.dates(max_value=date(1899, 12, 31)) | st.dates(min_value=date(2201, 1, 1))).map(
        date.isoformat)


@st.composite
def not_json(draw: st.DrawFn) -> tuple[bytes, str | None]:
    """(body, Content-Type) of a body that is not JSON: malformed bytes sent as JSON, or a
    JSON document sent as another content type, or no content type at all."""
    how = draw(st.sampled_from(["malformed", "other-type", "no-type"]))
    if how == "malformed":
        raw = draw(st.binary(min_size=1, max_size=40) | st.sampled_from(
            [b"{", b'{"a": ', b"{'single': 'quotes'}", b"\xff\xfe", b"[1, 2", b"NaNa"]))
        try:
            json.loads(raw)
        except ValueError:
            return raw, "application/json"
        return raw + b"}{", "application/json"
    document = json.dumps(draw(st.dictionaries(st.text(max_size=8), st.integers(),
                                               min_size=1, max_size=3))).encode()
    if how == "no-type":
        return document, None
    return document, draw(st.sampled_from(["text/plain", "application/x-www-form-urlencoded",
                                           "multipart/form-data; boundary=x", "text/json"]))


def post_raw(http: httpx.Client, path: str, body: bytes, content_type: str | None,
             headers: dict[str, str] | None = None, method: str = "POST") -> httpx.Response:
    """Send bytes as they are (httpx adds no content type of its own to raw content)."""
    sent = dict(headers or {})
    if content_type is not None:
        sent["Content-Type"] = content_type
    return http.request(method, path, content=body, headers=sent)


CORRELATION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# What an attacker or a careless client might send: personal data, injections, a log line.
BAD_CORRELATION_IDS = [
    "131052-308T Aino Virtanen", "131052-308T", "a" * 65, "x/../../etc", "id\u00e4", "<script>",
    "a b", "'; DROP TABLE events; --", "${jndi:ldap://x}", "\u00a0", "correlation:id",
]
# Header values httpx can send: printable Latin-1, no surrounding whitespace.
correlation_ids = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    min_size=1, max_size=80,
).filter(lambda text: text == text.strip())


def assert_correlation(sent: str, answered: str) -> None:
    """A valid id is kept; anything else — an identity code too — is replaced by a fresh
    UUID, never echoed."""
    if CORRELATION_ID.fullmatch(sent) and not IDENTITY_CODE.search(sent):
        assert answered == sent
        return
    assert answered != sent
    uuid.UUID(answered)


def assert_problem(response: httpx.Response, status: int | None = None,
                   field: str | None = None) -> dict[str, Any]:
    """A problem+json 4xx (the given status), naming the field when one is given."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM, response.headers
    problem: dict[str, Any] = response.json()
    assert problem["status"] == response.status_code
    assert {"type", "title", "detail"} <= problem.keys()
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    if response.status_code == 405:
        assert response.headers["Allow"], response.headers
    return problem


def assert_error_is_problem(status_code: int, headers: Any) -> None:
    """For a schemathesis response (headers: name → list of values): a 4xx is problem+json,
    never a bare JSON or HTML error; nothing is a 5xx."""
    assert status_code < 500, status_code
    if status_code >= 400:
        values = {name.lower(): value for name, value in headers.items()}
        content_type = values.get("content-type")
        if isinstance(content_type, list):
            content_type = content_type[0] if content_type else None
        assert content_type == PROBLEM, (status_code, content_type)
        if status_code == 405:
            assert values.get("allow"), status_code
