"""An indicator result as plain CSV (one line per row, nulls empty, booleans true/false, no
labels): the dashboard chart's download. The API's `format=csv|csv-excel|xlsx` with labels
in fi/sv/en are the exporters of services/reporting/exports."""

from __future__ import annotations

import csv
import io
from typing import Any

from services.reporting.indicators.catalogue import CATALOGUE


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(result: dict[str, Any]) -> str:
    rows: list[dict[str, Any]] = result["rows"]
    if rows:
        header = list(rows[0])
    else:
        spec = CATALOGUE.get(result["indicator"])
        extras = list(spec.extras) if spec else []
        header = [*(spec.always if spec else ()), "n", "value", "suppressed", *extras]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in header])
    return out.getvalue()
