"""The identity provider's claims as Polku's subject, organisation and role: configurable claim
names, nested paths, group → role / organisation maps, and what is refused (401, or 403 for
an organisation the map does not know); and the production guard for the JWKS settings."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.runtime.environment import production_problems
from services.runtime.errors import DomainError
from services.runtime.http import TokenVerifier
from services.runtime.responses import status_of
from services.runtime.settings import ServiceSettings
from services.runtime.token_claims import ClaimMapping, claim_at

SECRET = "unit-test-secret-at-least-32-bytes-long"
PRO = str(uuid.uuid4())
# The groups of an Entra ID tenant are object ids; Keycloak's are names.
NURSES, COACHES, KYMENLAAKSO, NGO = (str(uuid.uuid4()) for _ in range(4))

KEYCLOAK = ClaimMapping(role_claim="realm_access.roles",
                        role_map={"polku-nurse": "nurse", "polku-coach": "job_coach"})
ENTRA = ClaimMapping(subject_claim="oid", org_claim="groups", role_claim="roles",
                     org_map={KYMENLAAKSO: "kymenlaakso-sote", NGO: "kymenlaakso-ngo"},
                     role_map={"Polku.Nurse": "nurse", "Polku.JobCoach": "job_coach"})


def verify(claims: dict[str, Any], mapping: ClaimMapping) -> tuple[str, str, str]:
    now = int(time.time())
    token = jwt.encode({"iat": now, "exp": now + 600, **claims}, SECRET, algorithm="HS256")
    verifier = TokenVerifier(hs256_secret=SECRET, rs256_public_key=None, allow_hs256=True,
                             claims=mapping)
    principal = verifier.verify("Bearer " + token)
    return principal.sub, principal.org, principal.role.value


def refused(claims: dict[str, Any], mapping: ClaimMapping, status: int = 401) -> str:
    with pytest.raises(DomainError) as error:
        verify(claims, mapping)
    assert status_of(error.value)[0] == status
    return str(error.value.detail)


def test_keycloak_realm_roles_map_to_a_polku_role() -> None:
    claims = {"sub": PRO, "org": "kymenlaakso-sote",
              "realm_access": {"roles": ["offline_access", "polku-nurse", "uma_authorization"]}}
    assert verify(claims, KEYCLOAK) == (PRO, "kymenlaakso-sote", "nurse")


def test_entra_groups_and_app_roles_map_to_organisation_and_role() -> None:
    claims = {"sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "oid": PRO.upper(),
              "groups": [str(uuid.uuid4()), NGO], "roles": ["Polku.JobCoach"]}
    assert verify(claims, ENTRA) == (PRO, "kymenlaakso-ngo", "job_coach")


def test_a_mapped_claim_may_be_a_single_string() -> None:
    claims = {"oid": PRO, "groups": KYMENLAAKSO, "roles": "Polku.Nurse"}
    assert verify(claims, ENTRA)[1:] == ("kymenlaakso-sote", "nurse")


def test_several_mapped_roles_or_organisations_are_refused_not_picked() -> None:
    both_roles = {"oid": PRO, "groups": [NGO], "roles": ["Polku.Nurse", "Polku.JobCoach"]}
    assert "several roles (job_coach, nurse)" in refused(both_roles, ENTRA)
    both_orgs = {"oid": PRO, "groups": [NGO, KYMENLAAKSO], "roles": ["Polku.Nurse"]}
    assert "several organisations" in refused(both_orgs, ENTRA)
    # Two groups mapping to the same role are one role.
    same = ClaimMapping(role_claim="groups", role_map={"a": "nurse", "b": "nurse"})
    assert verify({"sub": PRO, "org": "kymenlaakso-sote", "groups": ["a", "b"]}, same)[2] == (
        "nurse")


def test_no_mapped_role_is_a_401_and_no_mapped_organisation_a_403() -> None:
    no_role = {"oid": PRO, "groups": [NGO], "roles": ["Something.Else"]}
    assert "names no role of POLKU_JWT_ROLE_MAP" in refused(no_role, ENTRA)
    no_org = {"oid": PRO, "groups": [str(uuid.uuid4())], "roles": ["Polku.Nurse"]}
    assert "POLKU_JWT_ORG_MAP" in refused(no_org, ENTRA, status=403)
    both_missing = {"oid": PRO, "groups": [], "roles": []}
    refused(both_missing, ENTRA, status=401)  # the 401 comes first


@pytest.mark.parametrize("absent", ["oid", "groups", "roles"])
def test_a_missing_claim_is_a_401_naming_it(absent: str) -> None:
    claims = {"oid": PRO, "groups": [NGO], "roles": ["Polku.Nurse"]}
    del claims[absent]
    assert f"'{absent}'" in refused(claims, ENTRA)


def test_the_subject_claim_must_still_be_a_uuid() -> None:
    claims = {"oid": "not-a-uuid", "sub": PRO, "groups": [NGO], "roles": ["Polku.Nurse"]}
    assert "'oid' must be a UUID" in refused(claims, ENTRA)


@pytest.mark.parametrize("value", [7, {"a": "nurse"}, [1, 2], None])
def test_a_mapped_claim_of_another_shape_is_refused(value: Any) -> None:
    refused({"oid": PRO, "groups": [NGO], "roles": value}, ENTRA)


def test_without_a_map_a_list_is_refused_and_an_unknown_code_too() -> None:
    default = ClaimMapping()
    assert "non-empty string" in refused(
        {"sub": PRO, "org": ["kymenlaakso-sote"], "role": "nurse"}, default)
    detail = refused({"sub": PRO, "org": "kymenlaakso-sote", "role": "chief"}, default)
    assert "not a Polku role code" in detail and "chief" not in detail


def test_claim_paths_reach_into_objects_and_keep_dotted_names() -> None:
    claims = {"realm_access": {"roles": ["x"]}, "https://polku.fi/org": "o", "a": {"b": 1}}
    assert claim_at(claims, "realm_access.roles") == ["x"]
    assert claim_at(claims, "https://polku.fi/org") == "o"
    mapping = ClaimMapping(org_claim="https://polku.fi/org")
    assert verify({"sub": PRO, "https://polku.fi/org": "kymenlaakso-sote", "role": "nurse"},
                  mapping)[1] == "kymenlaakso-sote"
    assert "'a.c'" in refused({"sub": PRO, "a": {"b": "nurse"}, "org": "x"},
                              ClaimMapping(role_claim="a.c"))


@given(st.lists(st.sampled_from(["g1", "g2", "g3", "g4", "other"]), max_size=6))
def test_a_role_is_granted_only_when_the_groups_map_to_exactly_one(groups: list[str]) -> None:
    role_map = {"g1": "nurse", "g2": "nurse", "g3": "job_coach", "g4": "analyst"}
    mapping = ClaimMapping(role_claim="groups", role_map=role_map)
    roles = {role_map[g] for g in groups if g in role_map}
    claims = {"sub": PRO, "org": "kymenlaakso-sote", "groups": groups}
    if len(roles) == 1:
        assert verify(claims, mapping)[2] == roles.pop()
    else:
        refused(claims, mapping)


def test_a_role_map_to_an_unknown_code_fails_at_start() -> None:
    with pytest.raises(ValueError, match="POLKU_JWT_ROLE_MAP"):
        ClaimMapping(role_map={"x": "superuser"})
    with pytest.raises(ValueError, match="POLKU_JWT_ROLE_MAP"):
        TokenVerifier.from_settings(ServiceSettings(polku_jwt_role_map={"x": "root"}))


def test_settings_read_maps_as_json_and_lists_by_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_JWT_ROLE_MAP", '{"polku-nurse": "nurse"}')
    monkeypatch.setenv("POLKU_JWT_AUDIENCE", "api://polku, polku")
    settings = ServiceSettings()
    assert settings.polku_jwt_role_map == {"polku-nurse": "nurse"}
    assert settings.jwt_audiences() == ("api://polku", "polku")
    with pytest.raises(ValueError, match="POLKU_JWT_ALGORITHMS"):
        ServiceSettings(polku_jwt_algorithms="RS256,HS256")
    with pytest.raises(ValueError, match="POLKU_JWT_ALGORITHMS"):
        ServiceSettings(polku_jwt_algorithms="none")
    with pytest.raises(ValueError, match="asymmetric"):
        TokenVerifier(hs256_secret=None, rs256_public_key=None, allow_hs256=False,
                      algorithms=("RS256", "HS256"))


# The production guard.

def production(**overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "polku_environment": "production", "polku_jwt_secret": "",
        "polku_jwt_jwks_url": "https://login.microsoftonline.com/tid/discovery/v2.0/keys",
        "polku_jwt_issuer": "https://login.microsoftonline.com/tid/v2.0",
        "polku_jwt_audience": "api://polku",
    }
    return ServiceSettings(**{**values, **overrides})


def jwt_problems(settings: ServiceSettings) -> list[str]:
    return [p.split()[0] for p in production_problems(settings) if p.startswith("POLKU_JWT")]


def test_a_jwks_url_is_a_production_key_without_hs256_or_a_pem() -> None:
    settings = production()
    assert settings.jwt_hs256_allowed() is False
    assert jwt_problems(settings) == []


def test_production_wants_https_an_issuer_and_an_audience() -> None:
    assert jwt_problems(production(polku_jwt_jwks_url="http://idp.internal/keys")) == [
        "POLKU_JWT_JWKS_URL"]
    assert jwt_problems(production(polku_jwt_issuer=None, polku_jwt_audience=" ")) == [
        "POLKU_JWT_ISSUER", "POLKU_JWT_AUDIENCE"]
    assert jwt_problems(production(polku_jwt_jwks_url=None)) == ["POLKU_JWT_JWKS_URL"]


def test_hs256_stays_off_with_a_jwks_url_unless_set_explicitly() -> None:
    url = "https://idp.example.fi/certs"
    assert ServiceSettings(polku_jwt_jwks_url=url).jwt_hs256_allowed() is False
    assert ServiceSettings(polku_jwt_jwks_url=url,
                           polku_jwt_allow_hs256=True).jwt_hs256_allowed() is True
    assert jwt_problems(production(polku_jwt_allow_hs256=True)) == ["POLKU_JWT_ALLOW_HS256"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# Headers: whatever a token's header holds, the answer is a 401, never a crash.

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6)


@given(alg=JSON, kid=JSON)
def test_any_alg_and_kid_in_the_header_is_a_401(alg: Any, kid: Any) -> None:
    header = b64(json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": PRO, "org": "x", "role": "nurse", "exp": 2**31}).encode())
    verifier = TokenVerifier(hs256_secret=SECRET, rs256_public_key=None, allow_hs256=True)
    with pytest.raises(DomainError) as error:
        verifier.verify(f"Bearer {header}.{body}.c2ln")
    assert status_of(error.value)[0] == 401
