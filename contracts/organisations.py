"""The organisation registry: reference data (id, name, kind, region) loaded from a file.

The shipped `organisations.json` is the demo registry of DOMAIN.md; operators replace it.
"""

from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.codes import OrganisationKind

DEFAULT_PATH = Path(str(files("contracts").joinpath("organisations.json")))


class Organisation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=200)]
    name: Annotated[str, Field(min_length=1)]
    kind: OrganisationKind
    # A plain string, not RegionCode: operators' registries may cover other regions.
    region: Annotated[str, Field(min_length=1)]


class OrganisationFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    organisations: list[Organisation]


class UnknownOrganisation(LookupError):
    """The id is not in the registry."""


class OrganisationRegistry:
    def __init__(self, organisations: list[Organisation]) -> None:
        by_id: dict[str, Organisation] = {}
        for organisation in organisations:
            if organisation.id in by_id:
                raise ValueError(f"duplicate organisation id {organisation.id}")
            by_id[organisation.id] = organisation
        self._by_id = by_id

    def get(self, organisation_id: str) -> Organisation:
        try:
            return self._by_id[organisation_id]
        except KeyError:
            raise UnknownOrganisation(f"unknown organisation {organisation_id}") from None

    def kind_of(self, organisation_id: str) -> OrganisationKind:
        return self.get(organisation_id).kind

    def region_of(self, organisation_id: str) -> str:
        return self.get(organisation_id).region

    def all(self) -> list[Organisation]:
        return list(self._by_id.values())

    def __contains__(self, organisation_id: object) -> bool:
        return organisation_id in self._by_id

    def __iter__(self) -> Iterator[Organisation]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


def load_registry(path: Path | None = None) -> OrganisationRegistry:
    """Load the registry from `path`, or the one shipped with the project."""
    raw = (path or DEFAULT_PATH).read_text(encoding="utf-8")
    return OrganisationRegistry(OrganisationFile.model_validate_json(raw).organisations)
