"""What one chart shows: the indicator API's rows for a period, narrowed to a region and an
organisation, and the chart's n.

A filter is a `group_by` key plus a row filter: region `R` asks the indicator for
`group_by=…,region` and keeps the rows whose `region` is `R`. The rows kept are therefore
exactly rows of `GET /indicators/{id}` with that `group_by`, `from`, `to` and `as_of`
(suppression included), never re-aggregated; `api_query` names that request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import asyncpg

from services.reporting.admission import kind_of
from services.reporting.indicators import CATALOGUE, DisclosureControl, OrgLookup, compute_sets


@dataclass(frozen=True)
class ChartQuery:
    indicator: str
    date_from: date
    date_to: date
    group_by: tuple[str, ...]
    as_of: datetime
    region: str | None = None
    organisation: str | None = None

    @property
    def organisation_applies(self) -> bool:
        return self.organisation is not None and "organisation" in CATALOGUE[
            self.indicator].group_by

    @property
    def filters(self) -> dict[str, str]:
        applied = {"region": self.region} if self.region is not None else {}
        if self.organisation_applies:
            assert self.organisation is not None
            applied["organisation"] = self.organisation
        return applied

    @property
    def kind(self) -> str:
        """What the computation's time depends on (admission.QuerySlots orders the waiting
        by how long the last of a kind took): indicator, grouping and the period's length."""
        return kind_of(f"chart {self.indicator}", self.api_group_by(), self.date_from,
                       self.date_to)

    def api_group_by(self) -> list[str]:
        """The indicator API's `group_by` whose rows, filtered, are this chart's rows."""
        return list(dict.fromkeys([*self.group_by, *self.filters]))

    def api_query(self, group_by: list[str] | None = None) -> str:
        keys = self.api_group_by() if group_by is None else group_by
        params = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
                  "group_by": ",".join(keys), "as_of": self.as_of.isoformat()}
        if not keys:
            del params["group_by"]
        return f"/indicators/{self.indicator}?{urlencode(params)}"


def _matches(row: dict[str, Any], filters: dict[str, str]) -> bool:
    return all(row.get(key) == value for key, value in filters.items())


async def chart_data(
    conn: asyncpg.Connection, query: ChartQuery, *, threshold: int, orgs: OrgLookup,
    disclosure: DisclosureControl | None = None,
) -> dict[str, Any]:
    """The chart's rows and its total n (the indicator over the same filters, ungrouped),
    through the same disclosure control as the indicator API (None: the configured key)."""
    spec = CATALOGUE[query.indicator]
    # Always-grouped indicators have no ungrouped row; n is then the rows' sum.
    group_bys = [query.api_group_by()] + ([] if spec.always else [list(query.filters)])
    results = await compute_sets(
        conn, query.indicator, date_from=query.date_from, date_to=query.date_to,
        group_bys=group_bys, as_of=query.as_of, threshold=threshold, orgs=orgs,
        disclosure=disclosure, n_only=[False, *(True for _ in group_bys[1:])],
    )
    control: dict[str, Any] = results[0]["disclosure_control"]
    rows, *whole = ([row for row in result["rows"] if _matches(row, query.filters)]
                    for result in results)
    total: dict[str, Any]
    if not whole:
        total = {"n": sum(r["n"] or 0 for r in rows), "suppressed": False, "summed": True}
    else:
        first = whole[0][0] if whole[0] else {"n": 0, "suppressed": False}
        total = {"n": first["n"], "suppressed": first["suppressed"], "summed": False}
    return {
        "indicator": query.indicator,
        "from": query.date_from.isoformat(),
        "to": query.date_to.isoformat(),
        "as_of": query.as_of.isoformat(),
        "group_by": query.api_group_by(),
        "filters": query.filters,
        "organisation_applies": query.organisation is None or query.organisation_applies,
        "api": query.api_query(),
        "threshold": threshold,
        "disclosure_control": control,
        "total": total,
        "rows": rows,
    }
