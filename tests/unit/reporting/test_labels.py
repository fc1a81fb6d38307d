"""The message catalogue labels everything an export or the dashboard shows: every code of every
code list of the contracts (found by walking the contracts package, so a new code or a new list
fails here until it is labelled), every region, every column of every indicator, list and the
research extract, and every indicator's name — each in Finnish, Swedish and English."""

from __future__ import annotations

import importlib
import pkgutil
import typing
from enum import StrEnum
from typing import Any

import pytest

import contracts
from contracts.codes import Language, ReferringOrgKind
from contracts.organisations import load_registry
from services.reporting.dashboard.labels import CODES, page_labels
from services.reporting.indicators import INDICATORS
from services.reporting.labels import INDICATOR, ORGANISATION, REGION, catalogue
from services.reporting.research import COLUMNS as RESEARCH_COLUMNS
from services.reporting.routes import OPERATIONAL_LISTS

# Literal aliases of the contracts that are not codes a reader is shown: the IPS-25 item
# numbers ("1".."25", keys of a review's item scores) and the one instrument name.
NOT_CODE_LISTS = {"FidelityItem"}
# Where a contracts list is labelled under another name in the catalogue.
CATALOGUE_NAME = {"RegionCode": REGION}


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


def test_a_definition_written_in_finnish_is_written_in_swedish_too() -> None:
    names = catalogue()
    for indicator in INDICATORS:
        written = names.indicators[indicator.id].definition
        assert set(written) in (set(), {Language.FI, Language.SV}), indicator.id
        assert all(text.strip() for text in written.values()), indicator.id
        english = names.indicator_definition(indicator.id, Language.EN, indicator.definition)
        assert english == indicator.definition
