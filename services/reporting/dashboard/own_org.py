"""The "own organisation" page's registry: the operational lists a signed-in professional sees
for their organisation, each a GET route of the reporting API answering
`{"organisation", "date", "as_of", "rows"}`.

Adding a list is adding an entry here (its path and the columns to show, in order); the page
shows every entry whose route the running service documents (its OpenAPI `paths`), so a list
whose route is not yet implemented is left out until it is, and then appears unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.reporting.routes import OPERATIONAL_LISTS


@dataclass(frozen=True)
class OwnList:
    path: str
    columns: tuple[str, ...]

    @property
    def id(self) -> str:
        """The list's name: its labels' key in the message catalogue (`lists`)."""
        return self.path.strip("/").replace("/", "_").replace("-", "_")

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "columns": list(self.columns)}


OWN_LISTS: tuple[OwnList, ...] = (
    OwnList("/referrals/waiting", OPERATIONAL_LISTS["/referrals/waiting"][1]),
    OwnList("/cases/without-baseline", OPERATIONAL_LISTS["/cases/without-baseline"][1]),
    OwnList("/support-plans/due-for-review",
            OPERATIONAL_LISTS["/support-plans/due-for-review"][1]),
    OwnList("/follow-ups/overdue", OPERATIONAL_LISTS["/follow-ups/overdue"][1]),
    # API.md v2: what came of the organisation's referrals, and transfers waiting for it.
    OwnList("/referrals/sent", (
        "referral_id", "client_id", "made_on", "target_organisation_id", "target_service",
        "status", "decline_reason", "redirected_service", "case_id", "case_status",
        "closed_on", "exit_destination")),
    OwnList("/transfers/pending", (
        "transfer_id", "case_id", "client_id", "from_organisation_id", "requested_on",
        "days_waiting")),
)


def served_lists(paths: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The registry's lists whose GET route the application serves (`paths`: its OpenAPI
    document's), in registry order."""
    return [entry.describe() for entry in OWN_LISTS if "get" in paths.get(entry.path, {})]
