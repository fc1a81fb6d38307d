"""One schemathesis run over a running service's own /openapi.json, shared by every service:
valid and invalid requests to each operation, with times and dates past the bounds among the
generated ones and a random correlation id on each; no answer is a 5xx, every 4xx is
problem+json (a 405 with `Allow`), and a correlation id is kept only when valid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.support.bad_input import (
    assert_correlation,
    assert_error_is_problem,
    correlation_ids,
    extreme_dates,
    extreme_times,
)

PathParameters = Callable[[Any], Sequence[dict[str, str] | None]]

_OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))


def register_extreme_formats() -> None:
    """Make generated `date` and `date-time` strings include values past 1900 … 2200 (and
    overflowing offsets) beside ordinary ones; process-wide, as schemathesis keeps formats."""
    ordinary_times = st.builds(
        lambda moment, tz: moment.replace(tzinfo=tz).isoformat(),
        st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 12, 31)), _OFFSETS)
    ordinary_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)).map(
        date.isoformat)
    schemathesis.openapi.format("date-time", ordinary_times | extreme_times())
    schemathesis.openapi.format("date", ordinary_dates | extreme_dates())


def no_path_parameters(_: Any) -> Sequence[dict[str, str] | None]:
    return (None,)


def _modes(operation: Any) -> tuple[GenerationMode, ...]:
    """Both modes; only valid data where there is nothing to make invalid (no input)."""
    # The Polku-Consistency header every operation takes is free text: nothing to make
    # invalid in it that a header can carry.
    headers = [h for h in operation.headers if getattr(h, "name", "") != "Polku-Consistency"]
    inputs = (operation.path_parameters, operation.query, headers, operation.body)
    if any(len(group) for group in inputs):
        return (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    return (GenerationMode.POSITIVE,)


def run_schemathesis(
    base_url: str, headers: dict[str, str], *, operations: int, max_examples: int = 12,
    path_parameters: PathParameters = no_path_parameters, checks: Sequence[Any] = (),
) -> Counter[int]:
    """Run every operation in both generation modes (and with each set of known path
    parameters); returns how often each status was answered. `checks` are schemathesis
    checks run beside not_a_server_error (e.g. that answers conform to the document)."""
    register_extreme_formats()
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) == operations, [f"{o.method} {o.path}" for o in found]
    statuses: Counter[int] = Counter()
    for operation in found:
        for mode in _modes(operation):
            for known in path_parameters(operation):
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=known)

                @settings(max_examples=max_examples, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
                @given(case=strategy, correlation=correlation_ids)
                def call(case: schemathesis.Case, correlation: str) -> None:
                    sent = {**headers, "X-Correlation-Id": correlation.encode("latin-1")}
                    response = case.call(base_url=base_url, headers=sent)
                    statuses[response.status_code] += 1
                    case.validate_response(response, checks=[not_a_server_error, *checks])
                    assert_error_is_problem(response.status_code, response.headers)
                    answered = {k.lower(): v for k, v in response.headers.items()}
                    assert_correlation(correlation, answered["x-correlation-id"][0])

                call()
    return statuses
