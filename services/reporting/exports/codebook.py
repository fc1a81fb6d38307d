"""The research extract's codebook: each variable's name, meaning and code list with labels in
one language, and the pseudonymisation and consent rules — as JSON (GET /research/codebook)
and as the codebook sheet of the extract's workbook.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.codes import Language
from services.reporting.exports.table import LABEL_SUFFIX
from services.reporting.exports.workbook import Heading, Sheet, SheetRow
from services.reporting.labels import REGION, catalogue
from services.reporting.research import COLUMNS


def _codes(code_list: str | None, lang: Language) -> list[dict[str, str]]:
    names = catalogue()
    if code_list is None:
        return []
    if code_list == REGION:
        return [{"code": code, "label": region.name(lang)}
                for code, region in names.regions.items()]
    return [{"code": code, "label": text(lang)}
            for code, text in names.code_lists.get(code_list, {}).items()]


def variables(lang: Language) -> list[dict[str, Any]]:
    """Every column of the extract in order, with its meaning and code list."""
    names = catalogue()
    out = []
    for column in COLUMNS:
        entry = names.columns[column]
        code_list = entry.code_list()
        out.append({
            "name": column,
            "label": entry.name(lang),
            "meaning": entry.meaning(lang) if entry.meaning else entry.name(lang),
            "code_list": code_list,
            "codes": _codes(code_list, lang),
        })
    return out


def codebook(lang: Language) -> dict[str, Any]:
    names = catalogue()
    return {
        "language": str(lang),
        "variables": variables(lang),
        "pseudonymisation": names.word("pseudonymisation_rule", lang),
        "consent": names.word("consent_rule", lang),
    }


def codebook_sheet(lang: Language, extract_on: date, as_of: str) -> Sheet:
    """The codebook as a workbook sheet: the rules, then each variable and its codes."""
    names = catalogue()
    rows: list[SheetRow] = [
        Heading(names.word("research_extract", lang)),
        [names.word("date", lang), extract_on],
        [names.word("as_of", lang), as_of],
        [names.word("pseudonymisation", lang), names.word("pseudonymisation_rule", lang)],
        [names.word("consent", lang), names.word("consent_rule", lang)],
        ["", names.word("labels_note", lang)],
        Heading(names.word("variable", lang)),
        [names.word("variable", lang), names.word("meaning", lang), names.word("name", lang),
         names.word("code_list", lang)],
    ]
    listed = []
    for variable in variables(lang):
        rows.append([variable["name"], variable["meaning"], variable["label"],
                     variable["code_list"] or ""])
        if variable["codes"]:
            listed.append(variable)
    for variable in listed:
        rows.append(Heading(f"{variable['name']} ({variable['code_list']}), "
                            f"{variable['name']}{LABEL_SUFFIX}"))
        rows.append([names.word("code", lang), names.word("label", lang)])
        rows += [[code["code"], code["label"]] for code in variable["codes"]]
    return Sheet(names.word("sheet_codebook", lang), rows)
