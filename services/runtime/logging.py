"""structlog configuration: JSON lines with bound context, and identity-code redaction.

The redaction processor is the last line of defence: personal identity codes must never
reach a log line, so anything shaped like one is replaced before rendering.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

# DDMMYY, century sign, individual number, check character (DOMAIN.md).
IDENTITY_CODE = re.compile(
    r"(?<![0-9A-Za-z])[0-3]\d[01]\d\d\d[-+A-FU-Y]\d{3}[0-9A-Y](?![0-9A-Za-z])"
)
REDACTED = "[redacted-identity-code]"


def redact(value: Any) -> Any:
    if isinstance(value, str):
        return IDENTITY_CODE.sub(REDACTED, value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    return value


def redact_identity_codes(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: scrub identity-code-shaped strings from every field."""
    return {key: redact(value) for key, value in event_dict.items()}


def configure_logging(service: str, *, fmt: str = "json", level: str = "INFO") -> None:
    """Configure structlog once per process; stdlib logging (uvicorn, aiokafka) goes through it."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_identity_codes,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka", "faststream"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
