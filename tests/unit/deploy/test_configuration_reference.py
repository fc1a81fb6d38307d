"""docs/CONFIGURATION.md lists exactly the settings the code reads, as render() makes it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from polku import config_reference
from services.runtime.settings import SETTINGS_MODELS

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "CONFIGURATION.md"
REGENERATE = "python -m polku.config_reference > docs/CONFIGURATION.md"
_ROW = re.compile(r"^\|\s*([A-Z][A-Z0-9_]*)\s*\|")


def documented_variables(text: str) -> list[str]:
    """First-column names of every table row (header and separator rows excluded)."""
    return [m[1] for line in text.splitlines() if (m := _ROW.match(line))]


def code_variables() -> set[str]:
    return {name.upper() for model in SETTINGS_MODELS for name in model.model_fields}


def test_every_setting_in_code_is_documented_and_nothing_else() -> None:
    documented = documented_variables(DOC.read_text("utf-8"))
    assert len(documented) == len(set(documented)), "a setting is documented twice"
    missing = code_variables() - set(documented)
    stale = set(documented) - code_variables()
    assert not missing, f"undocumented settings {sorted(missing)}; run {REGENERATE}"
    assert not stale, f"documented settings the code no longer has {sorted(stale)}"


def test_configuration_doc_is_exactly_the_rendered_reference() -> None:
    assert DOC.read_text("utf-8") == config_reference.render(), f"run {REGENERATE}"


def test_rendered_rows_carry_default_and_description() -> None:
    for model in SETTINGS_MODELS:
        for variable, _type, default, description in config_reference.settings_rows(model):
            assert default, variable
            assert description, f"{variable} has no description in settings.py"


def test_development_keys_are_not_printed() -> None:
    text = config_reference.render()
    from services.runtime import settings

    for constant in ("DEV_JWT_SECRET", "DEV_MASTER_KEY", "DEV_CLIENT_ID_KEY", "DEV_RESEARCH_KEY"):
        assert getattr(settings, constant) not in text


def test_table_parser_sees_pipes_inside_cells_as_text() -> None:
    row = "| " + " | ".join(config_reference._cell(c) for c in ("A_B", "x | y", "d", "e")) + " |"
    assert documented_variables(row) == ["A_B"]
    assert row.count("\\|") == 1


def test_check_mode_reports_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "CONFIGURATION.md"
    stale.write_text(config_reference.render().replace("KAFKA_BOOTSTRAP_SERVERS", "KAFKA"))
    assert config_reference.main(["--check", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    stale.write_text(config_reference.render())
    assert config_reference.main(["--check", str(stale)]) == 0
