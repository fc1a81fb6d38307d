"""The production overlay connects every service to Kafka over TLS with its own SCRAM
principal, the password and the CA coming from the Secret (docs/OPERATIONS.md)."""

from __future__ import annotations

from tests.unit.deploy.kustomize_render import containers, pod_specs, render
from tests.unit.deploy.test_deploy_kubernetes import (
    PRODUCTION,
    SERVICES,
    effective_settings,
    env_of,
    one,
)


def test_every_service_logs_in_as_its_own_principal_over_tls() -> None:
    docs = render(PRODUCTION)
    for service in SERVICES:
        settings = effective_settings(docs, service)
        assert settings.kafka_security_protocol == "SASL_SSL", service
        assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512", service
        assert settings.kafka_sasl_username == f"polku-{service}"
        deployment = one(docs, "Deployment", service)
        password = env_of(next(containers(deployment)))["KAFKA_SASL_PASSWORD"]
        assert password["valueFrom"]["secretKeyRef"] == {
            "name": "polku-secrets", "key": f"kafka-{service}-password"}
        # KAFKA_SSL_CA_FILE is a file the pod has: the CA from the Secret, mounted read-only.
        ca = settings.kafka_ssl_ca_file
        assert ca is not None
        (spec,) = pod_specs(deployment)
        volumes = {v["name"]: v for v in spec["volumes"]}
        (mount,) = [m for m in next(containers(deployment))["volumeMounts"]
                    if m["mountPath"] == str(ca.parent)]
        assert mount["readOnly"] is True
        secret = volumes[mount["name"]]["secret"]
        assert secret["secretName"] == "polku-secrets"
        assert secret["items"] == [{"key": "kafka-ca-certificate", "path": ca.name}]
