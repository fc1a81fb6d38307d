"""Indicators: facts → rows of INDICATORS.md, one module per family, plus the catalogue."""

from services.reporting.indicators.catalogue import CATALOGUE, INDICATORS, Indicator
from services.reporting.indicators.csv_export import to_csv
from services.reporting.indicators.disclosure import EXACT, DisclosureControl
from services.reporting.indicators.organisations import (
    DemoOrgLookup,
    OrgLookup,
    RegistryOrgLookup,
)
from services.reporting.indicators.report import (
    IndicatorResult,
    compute,
    compute_sets,
    configured_disclosure,
)
from services.reporting.indicators.rows import UnknownGroupBy, UnknownIndicator

__all__ = [
    "CATALOGUE", "EXACT", "INDICATORS", "DemoOrgLookup", "DisclosureControl", "Indicator",
    "IndicatorResult", "OrgLookup", "RegistryOrgLookup",
    "UnknownGroupBy", "UnknownIndicator", "compute", "compute_sets",
    "configured_disclosure", "to_csv",
]
