"""Committed JSON Schemas match the models, and no committed version was broken."""

import json
from pathlib import Path

import pytest

from contracts.compat import breaking_changes
from contracts.registry import all_models
from contracts.schema_export import (
    DEFAULT_TARGET,
    envelope_schema,
    event_schema,
    expected_files,
    export_schemas,
    schema_file_name,
)
from tests.unit.contracts.contract_samples import EVENT_SAMPLES

COMMITTED = sorted(DEFAULT_TARGET.glob("*.json"))


def test_committed_schemas_equal_freshly_generated_ones() -> None:
    expected = expected_files()
    committed = {path.name: path.read_text(encoding="utf-8") for path in COMMITTED}
    missing = sorted(set(expected) - set(committed))
    stale = sorted(
        name for name in expected if name in committed and committed[name] != expected[name]
    )
    assert not missing, f"run `polku schemas`: missing {missing}"
    assert not stale, f"run `polku schemas`: out of date {stale}"


def test_export_writes_one_file_per_event_version_and_the_envelope(tmp_path: Path) -> None:
    written = export_schemas(tmp_path)
    names = {path.name for path in written}
    assert names == {schema_file_name(model) for model in all_models()} | {"envelope.json"}
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert text.endswith("}\n")
        assert (
            text
            == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        )
    assert export_schemas(tmp_path) == written
    assert [p.read_text(encoding="utf-8") for p in written] == [
        expected_files()[p.name] for p in written
    ]


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.name)
def test_current_models_do_not_break_committed_schemas(path: Path) -> None:
    committed = json.loads(path.read_text(encoding="utf-8"))
    if path.name == "envelope.json":
        current = envelope_schema()
    else:
        type_, version = path.name.removesuffix(".json").rsplit(".v", 1)
        models = {(m.event_type, m.data_version): m for m in all_models()}
        assert (type_, int(version)) in models, f"{path.name} has no model any more"
        current = event_schema(models[(type_, int(version))])
    assert breaking_changes(committed, current) == []


@pytest.mark.parametrize("event_type", sorted(EVENT_SAMPLES))
def test_committed_schema_accepts_what_the_model_accepts(event_type: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DEFAULT_TARGET / f"{event_type}.v1.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(EVENT_SAMPLES[event_type])) == []
    assert list(validator.iter_errors({**EVENT_SAMPLES[event_type], "extra": 1})) != []
