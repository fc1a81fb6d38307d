"""The dashboard's labels in Finnish, Swedish and English: its own words (here, over the
reporting message catalogue's dashboard words), and the catalogue's code lists, columns,
regions and indicator names and definitions (services/reporting/labels).

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

# Swedish for the words the catalogue's dashboard file has in Finnish and English only (a
# Swedish word there, once written, wins).
UI_SV: dict[str, str] = {
    "title": "Polku – lägesbild",
    "subtitle": "De viktigaste indikatorerna för stöd för arbetsförmågan, beräknade ur "
    "händelseloggen",
    "skip": "Gå till diagrammen",
    "language": "Språk",
    "filters": "Avgränsningar",
    "region": "Område",
    "organisation": "Organisation",
    "all_regions": "Alla områden",
    "all_organisations": "Alla organisationer",
    "period": "Period",
    "from": "Från",
    "to": "Till",
    "apply": "Uppdatera",
    "period_order": "Slutdatumet kan inte vara före startdatumet.",
    "last_12_months": "Senaste 12 mån",
    "year": "År",
    "definition": "Definition",
    "n": "n",
    "n_sum": "n (summan av icke-skyddade rader)",
    "target": "Mål",
    "download_csv": "Ladda ner CSV",
    "show_table": "Visa som tabell",
    "suppressed": "skyddad (n < {t})",
    "suppressed_note": "Små celler (0 < n < {t}) är skyddade som i gränssnittet (API).",
    "no_data": "Inga uppgifter för denna avgränsning.",
    "loading": "Laddar…",
    "error": "Uppgifterna kunde inte hämtas",
    "org_filter_na": "Organisationsavgränsningen gäller inte denna indikator.",
    "as_of": "Läge",
    "unknown": "(uppgift saknas)",
    "value": "Värde",
    "median_days": "Median (d)",
    "p90_days": "90:e percentilen (d)",
    "mean_days": "Medelvärde (d)",
    "referrals": "Hänvisningar",
    "clients": "Klienter",
    "cases": "Klientrelationer",
    "share_of_closed": "Andel av avslutade",
    "mean_change": "Genomsnittlig förändring (poäng)",
    "improved_share": "Förbättrade",
    "worsened_share": "Försämrade",
    "employment_rate": "Sysselsatta",
    "any_placement_share": "Vilken period som helst",
    "nps": "NPS",
    "mean_score": "Nöjdhet (0–10)",
    "waiting": "Väntande hänvisningar",
    "median_wait_days": "Median för väntan (d)",
    "coverage": "Täckning",
    "mean": "Medelvärde",
    "share": "Andel",
    "helped_share": "Upplevde att de fick hjälp",
    "felt_heard_share": "Upplevde att de blev hörda",
    "max_wait_days": "Längsta väntan (d)",
    "month": "Månad",
    "phase": "Mätningsfas",
    "referring_org_kind": "Hänvisare",
    "exit_destination": "Fortsatt stig",
    "target_service": "Tjänst",
}

# Words of the v2 page (catalogue picker, as_of, XLSX, the own organisation page).
UI_MORE: dict[str, dict[str, str]] = {
    "download_xlsx": {"fi": "Lataa XLSX", "sv": "Ladda ner XLSX", "en": "Download XLSX"},
    "add_chart_title": {"fi": "Lisää kaavio", "sv": "Lägg till diagram", "en": "Add a chart"},
    "indicator": {"fi": "Mittari", "sv": "Indikator", "en": "Indicator"},
    "group_by": {"fi": "Ryhmittely", "sv": "Gruppering", "en": "Grouped by"},
    "no_grouping": {"fi": "Ei ryhmittelyä", "sv": "Ingen gruppering", "en": "No grouping"},
    "add": {"fi": "Lisää", "sv": "Lägg till", "en": "Add"},
    "remove_chart": {"fi": "Poista kaavio", "sv": "Ta bort diagrammet",
                     "en": "Remove the chart"},
    "already_shown": {"fi": "Kaavio on jo sivulla.", "sv": "Diagrammet finns redan på sidan.",
                      "en": "The chart is already on the page."},
    "as_of_help": {"fi": "tyhjä: nyt", "sv": "tomt: nu", "en": "empty: now"},
    "total": {"fi": "Yhteensä", "sv": "Totalt", "en": "Total"},
    "views": {"fi": "Näkymät", "sv": "Vyer", "en": "Views"},
    "view_indicators": {"fi": "Mittarit", "sv": "Indikatorer", "en": "Indicators"},
    "view_own": {"fi": "Oma organisaatio", "sv": "Egen organisation",
                 "en": "Own organisation"},
    "own_help": {
        "fi": "Organisaatiosi työlistat: rivit, joihin on tartuttava, vanhimmat ensin "
        "(tarkat rivit, ei tilastoa).",
        "sv": "Din organisations arbetslistor: rader att åtgärda, de äldsta först (exakta "
        "rader, ingen statistik).",
        "en": "Your organisation's work lists: rows to act on, oldest first (exact rows, "
        "not statistics).",
    },
    "own_for": {"fi": "Organisaatio: {org}", "sv": "Organisation: {org}",
                "en": "Organisation: {org}"},
    "rows": {"fi": "{count} riviä", "sv": "{count} rader", "en": "{count} rows"},
    "no_rows": {"fi": "Ei rivejä.", "sv": "Inga rader.", "en": "No rows."},
    "list_refused": {
        "fi": "Roolisi ei näe tätä listaa.", "sv": "Din roll ser inte denna lista.",
        "en": "Your role does not see this list."},
    "chart_table": {"fi": "Kaavion rivit", "sv": "Diagrammets rader", "en": "The chart's rows"},
}

_TEXTS = _CATALOGUE.dashboard
SIGN_IN: dict[str, dict[str, str]] = {
    key: text.model_dump() for key, text in _TEXTS.sign_in.items()
}
UI: dict[str, dict[str, str]] = {
    **{key: {"sv": UI_SV.get(key, text.get("en", key)), **text}
       for key, text in _TEXTS.ui.items()},
    **UI_MORE, **SIGN_IN,
}
_TITLES_SV = {
    "referrals_by_source": "Hänvisningar enligt hänvisare per månad",
    "client_experience_nps": "Klienterfarenhet (NPS)",
    "client_experience_score": "Klientnöjdhet (medelvärde 0–10)",
}
# Charts whose title is not the catalogue name of their indicator.
CHART_TITLES: dict[str, dict[str, str]] = {
    chart: {"sv": _TITLES_SV.get(chart, text.get("en", chart)), **text}
    for chart, text in _TEXTS.chart_titles.items()
}
# Finnish definitions of the indicators that have one (the indicator catalogue's are English).
DEFINITIONS_FI: dict[str, str] = {
    indicator: text.definition[Language.FI]
    for indicator, text in _CATALOGUE.indicators.items() if Language.FI in text.definition
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
