"""The message catalogue: every label reporting shows, in Finnish, Swedish and English.

One place for the words: the code lists of the contracts (`codes.json`), the regions
(`regions.json`), the columns of every export with the code list each column's values come
from (`columns.json`), the indicators' names and definitions (`indicators.json`), the words of
the export workbooks and the codebook (`sheets.json`) and the dashboard's own words
(`dashboard.json`). Organisation names come from the registry (one official name each).
The files are validated when first read: a label without all three languages (an indicator
definition without Finnish and Swedish: its English is the indicator catalogue's) fails.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from pydantic import BaseModel, ConfigDict

from contracts.codes import Language
from contracts.organisations import OrganisationRegistry

LANGUAGES: tuple[Language, ...] = tuple(Language)
ORGANISATION = "@organisation"
INDICATOR = "@indicator"
REGION = "Region"


class Text(BaseModel):
    """One message in the three languages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fi: str
    sv: str
    en: str

    def __call__(self, lang: Language | str) -> str:
        return str(getattr(self, str(lang)))


class CodeList(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    extends: str | None = None
    codes: dict[str, Text]


class RegionNames(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Text
    short: Text


class Column(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fi: str
    sv: str
    en: str
    codes: str | None = None
    codes_by_indicator: dict[str, str] = {}
    meaning: Text | None = None

    def name(self, lang: Language | str) -> str:
        return str(getattr(self, str(lang)))

    def code_list(self, indicator: str | None = None) -> str | None:
        return self.codes_by_indicator.get(indicator or "", self.codes)


class Definition(BaseModel):
    """An indicator's definition in Finnish and Swedish; the English one is the indicator
    catalogue's own (indicators/catalogue.py), so that it is written once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fi: str
    sv: str

    def __call__(self, lang: Language | str, english: str) -> str:
        return english if lang == Language.EN else str(getattr(self, str(Language(lang))))


class IndicatorText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Text
    definition: Definition


class Sheets(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    words: dict[str, Text]
    lists: dict[str, Text]


class Dashboard(BaseModel):
    """The dashboard's own words, each in the three languages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ui: dict[str, Text]
    sign_in: dict[str, Text]
    chart_titles: dict[str, Text]


def _read(name: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(
        files("services.reporting.labels").joinpath(name).read_text(encoding="utf-8"))
    raw.pop("_about", None)
    return raw


def _resolve(lists: dict[str, CodeList]) -> dict[str, dict[str, Text]]:
    """Each list's codes, those of the list it extends first."""
    def codes_of(name: str, seen: tuple[str, ...] = ()) -> dict[str, Text]:
        if name in seen:
            raise ValueError(f"code list {name} extends itself")
        entry = lists[name]
        base = codes_of(entry.extends, (*seen, name)) if entry.extends else {}
        return base | entry.codes

    return {name: codes_of(name) for name in lists}


class Catalogue:
    """The catalogue's files, read and validated."""

    def __init__(self) -> None:
        lists = {name: CodeList.model_validate(v) for name, v in _read("codes.json").items()}
        self.code_lists: dict[str, dict[str, Text]] = _resolve(lists)
        self.regions = {code: RegionNames.model_validate(v)
                        for code, v in _read("regions.json").items()}
        self.columns = {name: Column.model_validate(v)
                        for name, v in _read("columns.json").items()}
        self.indicators = {name: IndicatorText.model_validate(v)
                           for name, v in _read("indicators.json").items()}
        sheets = Sheets.model_validate(_read("sheets.json"))
        self.words, self.lists = sheets.words, sheets.lists
        self.dashboard = Dashboard.model_validate(_read("dashboard.json"))

    def code(self, code_list: str, code: str, lang: Language | str) -> str | None:
        """The label of `code` in `code_list`, or None when the catalogue has none."""
        if code_list == REGION:
            region = self.regions.get(code)
            return region.name(lang) if region else None
        text = self.code_lists.get(code_list, {}).get(code)
        return text(lang) if text else None

    def word(self, key: str, lang: Language | str, **values: Any) -> str:
        return self.words[key](lang).format(**values)

    def column_name(self, column: str, lang: Language | str) -> str:
        entry = self.columns.get(column)
        if entry is None and column.endswith("_label"):
            base = self.columns.get(column.removesuffix("_label"))
            return f"{base.name(lang)} ({self.word('label', lang).lower()})" if base else column
        return entry.name(lang) if entry else column

    def code_list_of(self, column: str, indicator: str | None = None) -> str | None:
        entry = self.columns.get(column)
        return entry.code_list(indicator) if entry else None

    def indicator_name(self, indicator: str, lang: Language | str) -> str | None:
        entry = self.indicators.get(indicator)
        return entry.name(lang) if entry else None

    def indicator_definition(self, indicator: str, lang: Language | str, english: str) -> str:
        """The definition in `lang`; `english` is the indicator catalogue's own. Every
        indicator has all three (tests/unit/reporting/test_labels.py): there is no fallback."""
        return self.indicators[indicator].definition(lang, english)

    def value_label(
        self, column: str, value: Any, lang: Language | str, *,
        indicator: str | None = None, organisations: OrganisationRegistry | None = None,
    ) -> str:
        """The label of one cell of a code column: its code's label, the organisation's
        name, or the code itself when the catalogue does not know it (an operator's own
        region, say); empty for an empty cell."""
        if value is None:
            return ""
        code = ("true" if value else "false") if isinstance(value, bool) else str(value)
        code_list = self.code_list_of(column, indicator)
        if code_list == ORGANISATION:
            if organisations is not None and code in organisations:
                return organisations.get(code).name
            return code
        if code_list == INDICATOR:
            return self.indicator_name(code, lang) or code
        if code_list is None:
            return code
        return self.code(code_list, code, lang) or code


@cache
def catalogue() -> Catalogue:
    return Catalogue()


__all__ = ["INDICATOR", "LANGUAGES", "ORGANISATION", "REGION", "Catalogue", "Column",
           "Dashboard", "Definition", "IndicatorText", "Language", "Text", "catalogue"]
