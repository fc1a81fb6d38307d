"""The organisation registry as reporting needs it: an organisation's kind and region."""

from __future__ import annotations

from typing import Any, Protocol

REGIONS = ("keski-uusimaa", "vantaa-kerava", "kymenlaakso", "pirkanmaa", "paijat-hame")
_KIND_BY_SUFFIX = {
    "sote": "wellbeing_services",
    "employment": "employment_services",
    "kela": "kela",
    "mtp": "multisectoral_service",
    "ngo": "ngo",
    "college": "education",
}


class OrgLookup(Protocol):
    def kind_of(self, org_id: str | None) -> str | None: ...

    def region_of(self, org_id: str | None) -> str | None: ...


class DemoOrgLookup:
    """Reads kind and region from demo registry ids (`<region>-sote`, `<region>-employer-3`)."""

    def _split(self, org_id: str | None) -> tuple[str | None, str | None]:
        if not org_id:
            return None, None
        for region in REGIONS:
            if org_id.startswith(region + "-"):
                return region, org_id[len(region) + 1 :]
        return None, org_id

    def kind_of(self, org_id: str | None) -> str | None:
        suffix = self._split(org_id)[1]
        if suffix is None:
            return None
        if suffix.startswith("employer"):
            return "employer"
        return _KIND_BY_SUFFIX.get(suffix)

    def region_of(self, org_id: str | None) -> str | None:
        return self._split(org_id)[0]


class RegistryOrgLookup:
    """The shipped organisation registry; an unknown or missing id has kind and region null."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry

    def kind_of(self, org_id: str | None) -> str | None:
        if not org_id or org_id not in self._registry:
            return None
        return str(self._registry.kind_of(org_id))

    def region_of(self, org_id: str | None) -> str | None:
        if not org_id or org_id not in self._registry:
            return None
        return str(self._registry.region_of(org_id))
