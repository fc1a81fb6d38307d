"""Log lines are JSON with bound context, and identity codes never survive into them."""

from __future__ import annotations

import json
import logging

import structlog

from services.runtime.logging import REDACTED, configure_logging, get_logger, redact


def test_identity_code_shapes_are_redacted_everywhere() -> None:
    assert redact("client 131052-308T asked") == f"client {REDACTED} asked"
    assert redact({"nested": ["010101A123N"]}) == {"nested": [REDACTED]}
    # Ids that merely contain digits are left alone.
    assert redact("kymenlaakso-employer-1") == "kymenlaakso-employer-1"
    assert redact("3f2c9a40-1d2e-4c55-9f0e-2b7c1d1e9a10") == (
        "3f2c9a40-1d2e-4c55-9f0e-2b7c1d1e9a10")


def test_json_log_line_has_bound_context_and_no_identity_code(capsys) -> None:  # type: ignore[no-untyped-def]
    configure_logging("referral", fmt="json", level="INFO")
    try:
        with structlog.contextvars.bound_contextvars(correlation_id="c-1"):
            get_logger("t").info("client.registered", stream="client:x", event_id="e-1",
                                 note="hetu 131052-308T")
        logging.getLogger("third.party").warning("raw 131052-308T")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        structlog.contextvars.clear_contextvars()
    first = lines[0]
    assert first["event"] == "client.registered"
    assert (first["service"], first["correlation_id"], first["stream"], first["event_id"]) == (
        "referral", "c-1", "client:x", "e-1")
    assert first["note"] == f"hetu {REDACTED}"
    assert "131052-308T" not in json.dumps(lines)
    assert len(lines) == 2
