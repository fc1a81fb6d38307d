"""The message catalogue labels everything an export or the dashboard shows: every code of every
code list of the contracts (found by walking the contracts package, so a new code or a new list
fails here until it is labelled), every region, every column of every indicator, list and the
research extract, and every indicator's name — each in Finnish, Swedish and English."""

from __future__ import annotations

import importlib
import pkgutil
import re
import typing
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import contracts
from contracts.codes import Language, ReferringOrgKind
from contracts.organisations import load_registry
from services.reporting.dashboard import labels as dashboard_labels
from services.reporting.dashboard.charts import CHARTS
from services.reporting.dashboard.labels import CODES, page_labels
from services.reporting.indicators import INDICATORS
from services.reporting.labels import (
    INDICATOR,
    ORGANISATION,
    REGION,
    Column,
    Dashboard,
    Definition,
    IndicatorText,
    Text,
    catalogue,
)
from services.reporting.research import COLUMNS as RESEARCH_COLUMNS
from services.reporting.routes import OPERATIONAL_LISTS

# Literal aliases of the contracts that are not codes a reader is shown: the IPS-25 item
# numbers ("1".."25", keys of a review's item scores) and the one instrument name.
NOT_CODE_LISTS = {"FidelityItem"}
# Where a contracts list is labelled under another name in the catalogue.
CATALOGUE_NAME = {"RegionCode": REGION}
DASHBOARD = Path(dashboard_labels.__file__).parent


def contract_code_lists() -> dict[str, list[str]]:
    """Every StrEnum and every module-level Literal of strings in the contracts package."""
    found: dict[str, list[str]] = {}
    for module_info in pkgutil.walk_packages(contracts.__path__, "contracts."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum:
                found[value.__name__] = [code.value for code in value]
            elif typing.get_origin(value) is typing.Literal and name not in NOT_CODE_LISTS:
                codes = typing.get_args(value)
                if all(isinstance(code, str) for code in codes):
                    found[name] = list(codes)
    return found


def test_the_walk_finds_the_code_lists_of_the_contracts() -> None:
    lists = contract_code_lists()
    assert {"ServiceKind", "ExitDestination", "Role", "RegionCode", "Language",
            "KykyviisariDomain"} <= set(lists)
    assert "client_self" in lists["ReferringOrgKind"]


@pytest.mark.parametrize("lang", list(Language))
def test_no_code_of_the_contracts_lacks_a_label(lang: Language) -> None:
    names = catalogue()
    missing = [
        f"{list_name}.{code}"
        for list_name, codes in contract_code_lists().items()
        for code in codes
        if not (names.code(CATALOGUE_NAME.get(list_name, list_name), code, lang) or "").strip()
    ]
    assert missing == []


def test_swedish_and_english_are_translations_not_copies() -> None:
    names = catalogue()
    assert names.code("ReferringOrgKind", "client_self", "sv") == "Klienten själv"
    assert names.code("ExitDestination", "employment", "en") == "Employment"
    assert names.code(REGION, "vantaa-kerava", "sv") == "Vanda och Kervo välfärdsområde"
    differing = sum(
        names.code("ServiceKind", code, "sv") != names.code("ServiceKind", code, "fi")
        for code in names.code_lists["ServiceKind"])
    assert differing == len(names.code_lists["ServiceKind"])


def test_every_region_of_the_registry_and_of_domain_has_names() -> None:
    names = catalogue()
    assert len(names.regions) == 23
    for region in {o.region for o in load_registry()}:
        for lang in Language:
            assert names.regions[region].name(lang) and names.regions[region].short(lang)


def _columns() -> set[str]:
    columns = {"indicator", "n", "value", "suppressed", *RESEARCH_COLUMNS}
    for indicator in INDICATORS:
        columns |= {*indicator.group_by, *indicator.always, *indicator.extras}
    for _, list_columns, _ in OPERATIONAL_LISTS.values():
        columns |= set(list_columns)
    return columns


def test_every_column_has_a_name_and_its_code_list_exists() -> None:
    names = catalogue()
    missing = sorted(c for c in _columns() if c not in names.columns)
    assert missing == []
    known = {*names.code_lists, REGION, ORGANISATION, INDICATOR}
    for column in _columns():
        entry = names.columns[column]
        lists = [entry.codes, *entry.codes_by_indicator.values()]
        assert all(code_list in known for code_list in lists if code_list), column
        assert all(entry.name(lang).strip() for lang in Language), column


def test_indicator_group_keys_name_a_code_list_per_indicator() -> None:
    names = catalogue()
    assert names.code_list_of("kind", "placements_started") == "PlacementKind"
    assert names.code_list_of("kind", "assessments_completed") == "AssessmentKind"
    assert names.value_label("to_service", "none", "en") == "No new service"
    assert names.value_label("wage_subsidy", True, "sv") == "Ja"
    assert names.value_label("organisation", "kymenlaakso-sote", "fi",
                             organisations=load_registry()) == "Kymenlaakson hyvinvointialue"
    # A code the catalogue does not know (an operator's own) shows as itself.
    assert names.value_label("region", "my-own-region", "fi") == "my-own-region"
    assert names.value_label("region", None, "fi") == ""


def test_every_indicator_has_its_names_and_they_match_the_indicator_catalogue() -> None:
    names = catalogue()
    for indicator in INDICATORS:
        text = names.indicators[indicator.id].name
        assert (text.fi, text.en) == (indicator.name_fi, indicator.name_en)
        assert text.sv.strip()


def test_every_research_variable_has_a_meaning_in_every_language() -> None:
    names = catalogue()
    for column in RESEARCH_COLUMNS:
        meaning = names.columns[column].meaning
        assert meaning is not None, column
        assert all(meaning(lang).strip() for lang in Language), column


def test_the_dashboard_reads_its_labels_from_the_catalogue() -> None:
    page: dict[str, Any] = page_labels(load_registry())
    assert page["codes"]["client_self"] == {
        "fi": "Asiakas itse", "sv": "Klienten själv", "en": "Client self"}
    # A shared code takes the exit's word, as before: "Koulutus", not "Oppilaitos".
    assert CODES["education"] == {"fi": "Koulutus", "sv": "Utbildning", "en": "Education"}
    assert set(CODES) >= {code.value for code in ReferringOrgKind}
    assert page["ui"]["sign_in"]["sv"] == "Logga in"
    assert {"id": "vantaa-kerava", "name": "Vantaa–Kerava"} in page["regions"]


def test_every_indicator_has_a_name_and_a_definition_in_every_language() -> None:
    """No language falls back to another: each definition is written in fi, sv and en, the
    English one being the indicator catalogue's own."""
    names = catalogue()
    for indicator in INDICATORS:
        name = {lang: names.indicator_name(indicator.id, lang) for lang in Language}
        definition = {lang: names.indicator_definition(indicator.id, lang, indicator.definition)
                      for lang in Language}
        for texts in (name, definition):
            assert all((text or "").strip() for text in texts.values()), indicator.id
        assert definition[Language.EN] == indicator.definition
        # Translations, not copies of another language (what a fallback would show).
        assert len(set(definition.values())) == 3, indicator.id
        assert name[Language.SV] not in (name[Language.FI], name[Language.EN]), indicator.id


def test_every_indicator_of_the_catalogue_file_has_its_definitions() -> None:
    """Indicators labelled ahead of their computation (INDICATORS.md v2) too."""
    names = catalogue()
    assert {spec.id for spec in INDICATORS} <= set(names.indicators)
    for indicator, text in names.indicators.items():
        assert text.definition.fi.strip() and text.definition.sv.strip(), indicator
        assert text.definition.fi != text.definition.sv, indicator


def test_a_label_without_one_of_its_languages_is_refused() -> None:
    with pytest.raises(ValidationError):
        IndicatorText.model_validate(
            {"name": {"fi": "a", "sv": "b", "en": "c"}, "definition": {"fi": "a"}})
    with pytest.raises(ValidationError):
        Dashboard.model_validate({"ui": {"title": {"fi": "a", "en": "c"}},
                                  "sign_in": {}, "chart_titles": {}})
    with pytest.raises(ValidationError):
        Text.model_validate({"fi": "a", "en": "c"})


def _messages(value: Any, path: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Every message of the catalogue under `value`, by language, with where it is (an
    indicator's definition in fi and sv: its English is the indicator catalogue's)."""
    if isinstance(value, Text | Column):
        yield path, {lang: getattr(value, lang) for lang in Language}
    if isinstance(value, Definition):
        yield path, {"fi": value.fi, "sv": value.sv}
    elif isinstance(value, BaseModel):
        for field in type(value).model_fields:
            if field not in {"fi", "sv", "en"}:
                yield from _messages(getattr(value, field), f"{path}.{field}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _messages(item, f"{path}.{key}")


def test_every_user_facing_label_of_the_catalogue_exists_in_every_language() -> None:
    names = catalogue()
    parts = {"code_lists": names.code_lists, "regions": names.regions,
             "columns": names.columns, "indicators": names.indicators,
             "words": names.words, "lists": names.lists, "dashboard": names.dashboard}
    found = [found for name, part in parts.items() for found in _messages(part, name)]
    assert {path.split(".")[0] for path, _ in found} == set(parts)
    assert len(found) > 600
    definitions = {f"indicators.{indicator}.definition" for indicator in names.indicators}
    assert definitions <= {path for path, _ in found}
    incomplete = sorted(path for path, texts in found
                        if set(texts) != ({"fi", "sv"} if path in definitions else set(Language))
                        or not all(text.strip() for text in texts.values()))
    assert incomplete == []


# The dashboard's words that are the same in Swedish and English (or Finnish).
SAME_IN_SWEDISH = {"organisation", "period", "definition", "n", "nps", "own_for", "token"}


def test_the_dashboard_words_are_in_the_catalogue_in_three_languages() -> None:
    dashboard = catalogue().dashboard
    page: dict[str, Any] = page_labels(load_registry())
    assert page["ui"] == {key: text.model_dump()
                          for key, text in {**dashboard.ui, **dashboard.sign_in}.items()}
    assert page["ui"]["title"] == {
        "fi": "Polku – tilannekuva", "sv": "Polku – lägesbild", "en": "Polku – dashboard"}
    assert page["chart_titles"]["referrals_by_source"]["sv"] == (
        "Hänvisningar enligt hänvisare per månad")
    copied = {key for key, text in {**dashboard.ui, **dashboard.sign_in,
                                    **dashboard.chart_titles}.items()
              if text.sv in (text.fi, text.en)}
    assert copied == SAME_IN_SWEDISH


def _keys_the_page_uses() -> set[str]:
    """The UI keys the dashboard's scripts and markup name, and its charts' measure labels."""
    sources = [path.read_text(encoding="utf-8") for path in DASHBOARD.iterdir()
               if path.suffix in {".js", ".html", ".py"} and ".min." not in path.name]
    patterns = (r'\bui\("([a-z0-9_]+)"', r'data-i18n="([a-z0-9_]+)"',
                r'message = "([a-z0-9_]+)"')
    keys = {key for text in sources for pattern in patterns
            for key in re.findall(pattern, text)}
    return keys | {measure.label for chart in CHARTS for measure in chart.measures}


def test_every_word_the_dashboard_shows_has_a_label_in_every_language() -> None:
    ui = page_labels(load_registry())["ui"]
    used = _keys_the_page_uses()
    assert {"title", "sign_in", "token_malformed", "median_days", "add_chart_title"} <= used
    missing = sorted(key for key in used
                     if key not in ui or not all(ui[key].get(lang, "").strip()
                                                 for lang in Language))
    assert missing == []
