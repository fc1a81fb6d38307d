"""deploy/k8s: render base and production overlay, validate against the Kubernetes schemas
and check what operators rely on (probes, limits, non-root, secrets kept out of git)."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any
from unittest import mock

import kubernetes_validate
import pytest
import yaml

from contracts.codes import Role
from contracts.organisations import load_registry
from services.runtime.environment import production_problems
from services.runtime.settings import SETTINGS_MODELS, ServiceSettings
from tests.unit.deploy.kustomize_render import (
    UnsupportedFeature,
    containers,
    pod_specs,
    render,
    strategic_merge,
)

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
SERVICES = {"referral": 8001, "assessment": 8002, "coaching": 8003, "reporting": 8004}
WRITE_SERVICES = ("referral", "assessment", "coaching")
KUBERNETES_VERSIONS = ("1.31.0", "1.34.0")
SYNC = "cp contracts/organisations.json deploy/k8s/base/organisations.json"

Doc = dict[str, Any]


@pytest.fixture(scope="module", params=[BASE, PRODUCTION], ids=["base", "production"])
def rendered(request: pytest.FixtureRequest) -> list[Doc]:
    return render(request.param)


@pytest.fixture(scope="module")
def production() -> list[Doc]:
    return render(PRODUCTION)


def find(docs: list[Doc], kind: str, name: str | None = None) -> list[Doc]:
    return [
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]


def one(docs: list[Doc], kind: str, name: str) -> Doc:
    (doc,) = find(docs, kind, name)
    return doc


def env_of(container: Doc) -> dict[str, Doc]:
    return {variable["name"]: variable for variable in container.get("env", [])}


def config_data(docs: list[Doc], prefix: str) -> dict[str, str]:
    (config_map,) = [
        d for d in find(docs, "ConfigMap") if d["metadata"]["name"].startswith(prefix + "-")
    ]
    return config_map["data"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_rendered_document_is_valid_kubernetes(rendered: list[Doc], version: str) -> None:
    assert rendered
    for doc in rendered:
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_validator_is_strict_enough_to_catch_a_typo(production: list[Doc]) -> None:
    broken = copy.deepcopy(one(production, "Deployment", "referral"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_expected_objects(rendered: list[Doc]) -> None:
    kinds = {(d["kind"], d["metadata"]["name"]) for d in rendered}
    for service in SERVICES:
        for kind in ("Deployment", "Service", "PodDisruptionBudget"):
            assert (kind, service) in kinds
        assert ("Job", f"migrate-{service}") in kinds
    assert ("HorizontalPodAutoscaler", "reporting") in kinds
    assert ("Namespace", "polku") in kinds
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "polku", doc["metadata"]["name"]
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "polku"


def test_probes_hit_readyz_and_healthz_on_the_served_port(rendered: list[Doc]) -> None:
    for service, port in SERVICES.items():
        (container,) = containers(one(rendered, "Deployment", service))
        assert container["args"] == ["serve", service]
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert env_of(container)["POLKU_HTTP_PORT"]["value"] == str(port)
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_every_container_has_requests_limits_and_runs_non_root_read_only(
    rendered: list[Doc],
) -> None:
    checked = 0
    for doc in rendered:
        for spec in pod_specs(doc):
            assert spec["securityContext"]["runAsNonRoot"] is True
            assert spec["securityContext"]["runAsUser"] == 10001
            assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            assert spec["automountServiceAccountToken"] is False
        for container in containers(doc):
            name = f"{doc['metadata']['name']}/{container['name']}"
            for section in ("requests", "limits"):
                assert set(container["resources"][section]) >= {"cpu", "memory"}, name
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{name}: read-only root needs a writable /tmp"
            checked += 1
    assert checked == 8


def test_no_secret_values_in_any_kustomization(rendered: list[Doc]) -> None:
    assert not find(rendered, "Secret")
    for path in K8S.rglob("*.yaml"):
        if path.name == "secret.example.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            if doc and doc.get("kind") == "Secret":
                assert not doc.get("data") and not doc.get("stringData"), path
    for path in K8S.rglob("kustomization.yaml"):
        kustomization = yaml.safe_load(path.read_text("utf-8"))
        listed = [
            *kustomization.get("resources", []),
            *(p["path"] for p in kustomization.get("patches", [])),
            *(f for g in kustomization.get("configMapGenerator", []) for f in g.get("files", [])),
        ]
        assert not [entry for entry in listed if "secret" in entry], path


def test_secret_example_has_every_key_the_manifests_read_and_only_placeholders(
    rendered: list[Doc],
) -> None:
    example = yaml.safe_load((K8S / "secret.example.yaml").read_text("utf-8"))
    assert example["metadata"]["name"] == "polku-secrets"
    assert "data" not in example
    for key, value in example["stringData"].items():
        assert value.strip().startswith("<") and value.strip().endswith(">"), key
    used = set()
    for doc in rendered:
        for container in containers(doc):
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "polku-secrets"
                    used.add(ref["key"])
    assert used <= set(example["stringData"]), used - set(example["stringData"])


def test_secrets_are_given_only_to_the_service_that_needs_them(rendered: list[Doc]) -> None:
    for service in SERVICES:
        env = env_of(next(containers(one(rendered, "Deployment", service))))
        assert ("POLKU_PERSONAL_DATA_MASTER_KEY" in env) == (service == "referral")
        assert ("POLKU_CLIENT_ID_KEY" in env) == (service == "referral")
        assert ("POLKU_RESEARCH_KEY" in env) == (service == "reporting")
        assert ("POLKU_PERTURBATION_KEY" in env) == (service == "reporting")
        url = env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert url["key"] == f"{service}-database-url"


def test_containers_set_only_settings_the_code_reads(rendered: list[Doc]) -> None:
    known = {name.upper() for model in SETTINGS_MODELS for name in model.model_fields}
    config = config_data(rendered, "polku-config")
    assert not set(config) - known, set(config) - known
    for doc in rendered:
        for container in containers(doc):
            unknown = set(env_of(container)) - known
            assert not unknown, f"{doc['metadata']['name']}: {sorted(unknown)}"
            (source,) = container["envFrom"]
            assert source["configMapRef"]["name"].startswith("polku-config-")


def test_organisation_registry_copy_equals_the_contract(rendered: list[Doc]) -> None:
    contract = ROOT / "contracts" / "organisations.json"
    copy_in_base = BASE / "organisations.json"
    assert contract.exists(), "contracts/organisations.json is missing"
    assert copy_in_base.read_bytes() == contract.read_bytes(), f"stale copy; run {SYNC}"
    data = config_data(rendered, "polku-organisations")
    assert data == {"organisations.json": contract.read_text("utf-8")}


def test_organisations_file_setting_points_at_the_mounted_configmap(rendered: list[Doc]) -> None:
    path = Path(config_data(rendered, "polku-config")["POLKU_ORGANISATIONS_FILE"])
    (organisations,) = [
        d["metadata"]["name"]
        for d in find(rendered, "ConfigMap")
        if d["metadata"]["name"].startswith("polku-organisations-")
    ]
    for service in SERVICES:
        deployment = one(rendered, "Deployment", service)
        (spec,) = pod_specs(deployment)
        (container,) = spec["containers"]
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(path.parent))
        volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
        assert volume["configMap"]["name"] == organisations


def test_services_and_budgets_select_their_deployment_and_not_the_jobs(
    rendered: list[Doc],
) -> None:
    pods = {
        f"{d['kind']}/{d['metadata']['name']}": t["metadata"]["labels"]
        for d in rendered
        for t in [d.get("spec", {}).get("template")]
        if t
    }
    for service, port in SERVICES.items():
        selectors = [
            one(rendered, "Service", service)["spec"]["selector"],
            one(rendered, "PodDisruptionBudget", service)["spec"]["selector"]["matchLabels"],
            one(rendered, "Deployment", service)["spec"]["selector"]["matchLabels"],
        ]
        for selector in selectors:
            matched = [
                name
                for name, labels in pods.items()
                if all(labels.get(k) == v for k, v in selector.items())
            ]
            assert matched == [f"Deployment/{service}"], (service, selector, matched)
        assert one(rendered, "Service", service)["spec"]["ports"][0]["port"] == port


def test_a_migration_job_per_service_with_the_services_database(rendered: list[Doc]) -> None:
    for service in SERVICES:
        job = one(rendered, "Job", f"migrate-{service}")
        (container,) = containers(job)
        assert container["args"] == ["migrate", "--service", service]
        service_container = next(containers(one(rendered, "Deployment", service)))
        assert container["image"] == service_container["image"]
        assert env_of(container)["DATABASE_URL"] == env_of(service_container)["DATABASE_URL"]
        assert job["spec"]["template"]["spec"]["restartPolicy"] in {"OnFailure", "Never"}


def test_reporting_scales_only_up_to_the_partition_count(rendered: list[Doc]) -> None:
    partitions = int(config_data(rendered, "polku-config")["POLKU_TOPIC_PARTITIONS"])
    hpa = one(rendered, "HorizontalPodAutoscaler", "reporting")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "reporting",
    }
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= partitions
    # The HPA owns the count: a replicas field would fight it on every apply.
    assert "replicas" not in one(rendered, "Deployment", "reporting")["spec"]


def test_production_overlay_takes_identity_provider_tokens_only(production: list[Doc]) -> None:
    config = config_data(production, "polku-config")
    assert config["POLKU_JWT_JWKS_URL"].startswith("https://")
    assert config["POLKU_JWT_ISSUER"] and config["POLKU_JWT_AUDIENCE"]
    for service in SERVICES:
        env = env_of(next(containers(one(production, "Deployment", service))))
        assert env["POLKU_JWT_SECRET"] == {"name": "POLKU_JWT_SECRET", "value": ""}
        # A static PEM key is optional beside the JWKS.
        ref = env["POLKU_JWT_PUBLIC_KEY"]["valueFrom"]["secretKeyRef"]
        assert ref["key"] == "jwt-public-key" and ref.get("optional") is True
        settings = effective_settings(production, service)
        assert settings.jwt_hs256_allowed() is False
        # The provider's realm roles and groups map to Polku's roles and to organisations
        # of the registry (a map to an unknown one would refuse every such token).
        assert settings.polku_jwt_role_claim == "realm_access.roles"
        assert settings.polku_jwt_role_map and settings.polku_jwt_org_map
        assert set(settings.polku_jwt_role_map.values()) <= {role.value for role in Role}
        registry = load_registry()
        for organisation in settings.polku_jwt_org_map.values():
            assert registry.get(organisation) is not None, organisation


def effective_settings(docs: list[Doc], service: str) -> ServiceSettings:
    """The settings the service's container reads; each Secret reference stands for a value
    of the operator's own (never a development default)."""
    env = dict(config_data(docs, "polku-config"))
    for name, variable in env_of(next(containers(one(docs, "Deployment", service)))).items():
        ref = (variable.get("valueFrom") or {}).get("secretKeyRef")
        env[name] = f"from-secret-{ref['key']}" if ref else variable["value"]
    # Read as the container reads them: from its environment alone (JSON maps included).
    with mock.patch.dict(os.environ, env, clear=True):
        return ServiceSettings()


def test_production_overlay_runs_in_production_and_passes_its_guard(
    production: list[Doc],
) -> None:
    assert config_data(production, "polku-config")["POLKU_ENVIRONMENT"] == "production"
    for service in SERVICES:
        settings = effective_settings(production, service)
        assert settings.polku_environment == "production"
        assert production_problems(settings, service) == [], service


def test_base_stays_development() -> None:
    base = render(BASE)
    assert "POLKU_ENVIRONMENT" not in config_data(base, "polku-config")
    for service in SERVICES:
        assert effective_settings(base, service).polku_environment == "development"


def test_base_jwt_secret_comes_from_the_secret_never_the_built_in_default() -> None:
    for service in SERVICES:
        env = env_of(next(containers(one(render(BASE), "Deployment", service))))
        assert env["POLKU_JWT_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "jwt-secret"
        assert env["POLKU_JWT_SECRET"]["valueFrom"]["secretKeyRef"].get("optional") is not True


def test_production_overlay_pins_image_and_raises_replicas_and_resources(
    production: list[Doc],
) -> None:
    base = render(BASE)
    images = {c["image"] for d in production for c in containers(d)}
    assert len(images) == 1
    (image,) = images
    tag = image.rsplit(":", 1)[1]
    assert tag not in {"dev", "latest"}
    for service in WRITE_SERVICES:
        assert one(production, "Deployment", service)["spec"]["replicas"] >= 2
    assert one(production, "HorizontalPodAutoscaler", "reporting")["spec"]["minReplicas"] >= 2
    for service in SERVICES:
        before = next(containers(one(base, "Deployment", service)))["resources"]
        after = next(containers(one(production, "Deployment", service)))["resources"]
        assert after != before, service
    config = config_data(production, "polku-config")
    assert config["POLKU_TOPIC_REPLICATION_FACTOR"] == "3"
    assert config["POLKU_TOPIC_PARTITIONS"] == "6"  # kept from the base by behavior: merge


def test_configmap_content_change_renames_it_and_its_references(tmp_path: Path) -> None:
    base = render(BASE)
    changed_dir = tmp_path / "base"
    changed_dir.mkdir()
    for file in BASE.iterdir():
        (changed_dir / file.name).write_bytes(file.read_bytes())
    kustomization = changed_dir / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text("utf-8").replace("POLKU_LOG_LEVEL=INFO", "POLKU_LOG_LEVEL=DEBUG")
    )
    changed = render(changed_dir)

    def config_names(docs: list[Doc]) -> list[str]:
        return [n for d in docs if (n := d["metadata"]["name"]).startswith("polku-config")]

    old, new = config_names(base), config_names(changed)
    assert old != new
    ref = next(containers(one(changed, "Deployment", "referral")))["envFrom"][0]
    assert ref["configMapRef"]["name"] == new[0]


def test_renderer_refuses_features_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nreplicas: []\n")
    with pytest.raises(UnsupportedFeature):
        render(tmp_path)


def test_strategic_merge_by_name_and_null_deletes() -> None:
    base = {"env": [{"name": "A", "valueFrom": {"x": 1}}, {"name": "B", "value": "b"}]}
    patch = {"env": [{"name": "A", "value": "", "valueFrom": None}, {"name": "C", "value": "c"}]}
    assert strategic_merge(base, patch)["env"] == [
        {"name": "A", "value": ""},
        {"name": "B", "value": "b"},
        {"name": "C", "value": "c"},
    ]
    assert strategic_merge({"args": ["a", "b"]}, {"args": ["c"]}) == {"args": ["c"]}
