"""The reporting response models keep up with the catalogue: every group key and extra an
indicator can put in a row is a typed field of IndicatorRow, and the catalogue's own answer
is a valid Catalogue; every query route documents its 200 answer."""

from __future__ import annotations

from polku.api_docs import definition_of, openapi
from services.reporting.indicators import INDICATORS
from services.reporting.schemas import (
    CSV,
    TABLE_FORMATS,
    XLSX,
    Catalogue,
    IndicatorRow,
    answers,
)

ROW_FIELDS = {"n", "value", "suppressed"}


def test_every_group_key_and_extra_of_the_catalogue_is_a_row_field() -> None:
    possible = {key for i in INDICATORS for key in (*i.group_by, *i.always, *i.extras)}
    assert set(IndicatorRow.model_fields) == possible | ROW_FIELDS


def test_only_the_row_fields_every_row_has_are_required() -> None:
    required = {name for name, field in IndicatorRow.model_fields.items() if field.is_required()}
    assert required == ROW_FIELDS


def test_the_catalogue_answer_is_a_catalogue() -> None:
    answer = {"indicators": [indicator.describe() for indicator in INDICATORS]}
    assert Catalogue.model_validate(answer).model_dump(by_alias=True) == answer


def test_answers_only_documents_and_adds_a_media_type_per_format() -> None:
    documented = answers(Catalogue, TABLE_FORMATS)[200]
    assert documented["model"] is Catalogue
    assert set(documented["content"]) == set(TABLE_FORMATS)
    assert CSV in TABLE_FORMATS
    assert "model" not in answers(None, (CSV,))[200]


def test_every_reporting_query_documents_a_typed_answer() -> None:
    document = openapi(definition_of("reporting"))
    untyped = []
    for path, item in document["paths"].items():
        if path.startswith("/dashboard"):
            continue
        content = item["get"]["responses"]["200"]["content"]
        # Files only (GET /indicators/export: CSV or XLSX) have no JSON model.
        if not any(media.get("schema", {}).get("$ref") for media in content.values()) \
                and not set(content) <= {CSV, XLSX}:
            untyped.append(path)
    assert untyped == []
