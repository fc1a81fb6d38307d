"""Writes the JSON Schema of every event model and of the envelope into `contracts/schemas/`."""

import json
import sys
from pathlib import Path
from typing import Any

from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.registry import all_models

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_TARGET = Path(__file__).parent / "schemas"
ENVELOPE_FILE = "envelope.json"


def schema_file_name(model: type[Event]) -> str:
    return f"{model.event_type}.v{model.data_version}.json"


def event_schema(model: type[Event]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema["$schema"] = SCHEMA_DIALECT
    schema["x-event-type"] = model.event_type
    schema["x-dataversion"] = model.data_version
    schema["x-stream-kind"] = model.stream_kind
    return schema


def envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema()
    schema["$schema"] = SCHEMA_DIALECT
    return schema


def render(schema: dict[str, Any]) -> str:
    """Deterministic text: sorted keys, indent 2, trailing newline."""
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    """File name → content for everything `export_schemas` writes."""
    rendered = {schema_file_name(model): render(event_schema(model)) for model in all_models()}
    rendered[ENVELOPE_FILE] = render(envelope_schema())
    return dict(sorted(rendered.items()))


def export_schemas(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in expected_files().items():
        path = target / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DEFAULT_TARGET
    for path in export_schemas(target):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
