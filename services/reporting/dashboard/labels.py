"""The dashboard's labels in Finnish, Swedish and English, all read from the reporting message
catalogue (services/reporting/labels): its own words (dashboard.json), and the code lists,
columns, regions and indicator names and definitions.

Rows keep the codes of the indicator API; the page translates them with these tables, so the
numbers the page shows are the API's numbers and only the words change with the language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from contracts.codes import (
    ExitDestination,
    Language,
    MeasurementPhase,
    ReferringOrgKind,
    ServiceKind,
)
from contracts.organisations import OrganisationRegistry
from services.reporting.indicators import INDICATORS
from services.reporting.labels import catalogue

# The languages the page speaks.
PAGE_LANGUAGES = ("fi", "sv", "en")

_CATALOGUE = catalogue()

_TEXTS = _CATALOGUE.dashboard
SIGN_IN: dict[str, dict[str, str]] = {
    key: text.model_dump() for key, text in _TEXTS.sign_in.items()
}
# The page's own words (the catalogue's dashboard.json), the sign-in's with them.
UI: dict[str, dict[str, str]] = {
    **{key: text.model_dump() for key, text in _TEXTS.ui.items()}, **SIGN_IN,
}
# Charts whose title is not the catalogue name of their indicator.
CHART_TITLES: dict[str, dict[str, str]] = {
    chart: text.model_dump() for chart, text in _TEXTS.chart_titles.items()
}
# The Finnish definition of every indicator (the page's first language, rendered server-side).
DEFINITIONS_FI: dict[str, str] = {
    spec.id: _CATALOGUE.indicator_definition(spec.id, Language.FI, spec.definition)
    for spec in INDICATORS
}

# The code lists whose values the charts show, in the order a shared code takes its label
# (an `education` exit and service read "Koulutus", not the organisation kind's word).
_CHARTED: tuple[tuple[str, type[StrEnum]], ...] = (
    ("ReferringOrgKind", ReferringOrgKind),
    ("ExitDestination", ExitDestination),
    ("ServiceKind", ServiceKind),
    ("MeasurementPhase", MeasurementPhase),
)


def _codes() -> dict[str, dict[str, str]]:
    codes: dict[str, dict[str, str]] = {}
    for name, code_list in _CHARTED:
        for code in code_list:
            codes[code.value] = {
                lang: _CATALOGUE.code(name, code.value, lang) or code.value
                for lang in PAGE_LANGUAGES
            }
    return codes


CODES: dict[str, dict[str, str]] = _codes()


def region_name(region: str) -> str:
    """The region's short Finnish name."""
    names = _CATALOGUE.regions.get(region)
    return names.short.fi if names else region


def _in_languages(text: Any) -> dict[str, str]:
    return {lang: str(text(lang)) for lang in PAGE_LANGUAGES}


def catalogue_labels() -> dict[str, Any]:
    """Every indicator's name and definition, every code list and column, in three languages:
    what an indicator added from the catalogue, or an operational list, is labelled with."""
    names = {
        spec.id: {lang: _CATALOGUE.indicator_name(spec.id, lang)
                  or (spec.name_fi if lang == "fi" else spec.name_en) for lang in PAGE_LANGUAGES}
        for spec in INDICATORS
    }
    definitions = {
        spec.id: {lang: _CATALOGUE.indicator_definition(spec.id, lang, spec.definition)
                  for lang in PAGE_LANGUAGES}
        for spec in INDICATORS
    }
    return {
        "indicator_names": names,
        "definitions": definitions,
        "code_lists": {name: {code: _in_languages(text) for code, text in codes.items()}
                       for name, codes in _CATALOGUE.code_lists.items()},
        "columns": {name: {**{lang: column.name(lang) for lang in PAGE_LANGUAGES},
                           "codes": column.codes,
                           "codes_by_indicator": column.codes_by_indicator}
                    for name, column in _CATALOGUE.columns.items()},
        "lists": {name: _in_languages(text) for name, text in _CATALOGUE.lists.items()},
    }


def page_labels(registry: OrganisationRegistry) -> dict[str, Any]:
    """Everything the page needs to label rows and controls, in every language."""
    regions = sorted({o.region for o in registry})
    return {
        "ui": UI,
        "chart_titles": CHART_TITLES,
        "definitions_fi": DEFINITIONS_FI,
        "codes": CODES,
        "regions": [{"id": r, "name": region_name(r)} for r in regions],
        "region_names": {
            r: _in_languages(_CATALOGUE.regions[r].short) if r in _CATALOGUE.regions
            else dict.fromkeys(PAGE_LANGUAGES, r) for r in regions},
        "org_names": {o.id: o.name for o in registry},
        # Employers are not teams that serve clients; they would only lengthen the list.
        "organisations": [
            {"id": o.id, "name": o.name, "region": o.region, "kind": str(o.kind)}
            for o in sorted(registry, key=lambda o: (o.region, o.name))
            if str(o.kind) != "employer"
        ],
        **catalogue_labels(),
    }
