"""The demo organisation registry of DOMAIN.md and the topic names of EVENTS.md."""

import json
from pathlib import Path

import pytest

from contracts.codes import OrganisationKind, RegionCode
from contracts.organisations import UnknownOrganisation, load_registry
from contracts.topics import SOURCES, dlq_topic

SUFFIXES = {
    "sote": OrganisationKind.WELLBEING_SERVICES,
    "employment": OrganisationKind.EMPLOYMENT_SERVICES,
    "kela": OrganisationKind.KELA,
    "mtp": OrganisationKind.MULTISECTORAL_SERVICE,
    "ngo": OrganisationKind.NGO,
    **{f"employer-{n}": OrganisationKind.EMPLOYER for n in range(1, 6)},
    "college": OrganisationKind.EDUCATION,
}


@pytest.mark.parametrize("region", list(RegionCode))
def test_every_region_has_the_demo_organisations(region: RegionCode) -> None:
    registry = load_registry()
    for suffix, kind in SUFFIXES.items():
        organisation_id = f"{region}-{suffix}"
        assert organisation_id in registry
        assert registry.kind_of(organisation_id) is kind
        assert registry.region_of(organisation_id) == region
        assert registry.get(organisation_id).name


def test_the_demo_registry_has_nothing_else() -> None:
    assert len(load_registry().all()) == len(RegionCode) * len(SUFFIXES)


def test_unknown_ids_are_not_in_the_registry() -> None:
    registry = load_registry()
    assert "helsinki-sote" not in registry
    with pytest.raises(UnknownOrganisation):
        registry.kind_of("helsinki-sote")


def test_an_operator_file_replaces_the_demo_registry(tmp_path: Path) -> None:
    path = tmp_path / "orgs.json"
    organisation = {"id": "x-1", "name": "Testikunta", "kind": "municipality", "region": "lappi"}
    path.write_text(json.dumps({"organisations": [organisation]}), encoding="utf-8")
    registry = load_registry(path)
    assert [o.id for o in registry.all()] == ["x-1"]
    assert registry.kind_of("x-1") is OrganisationKind.MUNICIPALITY

    path.write_text(json.dumps({"organisations": [organisation, organisation]}), encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        load_registry(path)


def test_topic_names() -> None:
    assert dlq_topic("reporting") == "polku.dlq.reporting"
    assert dict(SOURCES) == {
        "referral": "polku/referral",
        "assessment": "polku/assessment",
        "coaching": "polku/coaching",
    }
