"""docker-compose.yml: valid against the Compose Specification's schema, and true to the code.

The schema is the Compose Specification's own JSON schema as vendored by the check-jsonschema
package (PyPI), read offline; no Docker engine is needed.
"""

from __future__ import annotations

import copy
import json
import re
from importlib.resources import files
from typing import Any

import jsonschema
import pytest
import yaml
from deploy_support import (
    ROOT,
    SERVICE_NAMES,
    ServiceInfo,
    documented_variables,
    settings_env_names,
)

from beacon_shared.settings import ServiceSettings

COMPOSE = ROOT / "docker-compose.yml"
# Standard OpenTelemetry SDK variables, read by the exporter and the sampler, not by Settings.
OTEL_VARIABLES = {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def compose_validator() -> jsonschema.Draft202012Validator:
    schema_file = files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    schema = json.loads(schema_file.read_text())
    return jsonschema.Draft202012Validator(schema)


def beacon_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services running the Beacon image, by name."""
    return {
        name: svc
        for name, svc in compose["services"].items()
        if svc.get("build", {}).get("dockerfile") == "Dockerfile"
    }


class TestSchema:
    def test_the_file_is_valid_compose(self, compose, compose_validator):
        errors = sorted(compose_validator.iter_errors(compose), key=lambda e: list(e.path))
        assert [f"{list(e.path)}: {e.message}" for e in errors] == []

    def test_the_validator_rejects_what_compose_would(self, compose, compose_validator):
        broken = copy.deepcopy(compose)
        broken["services"]["ingest-api"]["depends_on"]["postgres"]["condition"] = "healthy"
        broken["services"]["ingest-worker"]["stop_grace_period"] = ["45s"]
        broken["services"]["kafka"]["healthcheck"]["retires"] = 3
        assert len(list(compose_validator.iter_errors(broken))) >= 3


class TestTopology:
    def test_each_service_has_migrate_topics_api_and_worker(self, compose):
        names = set(compose["services"])
        for svc in SERVICE_NAMES:
            assert {f"{svc}-migrate", f"{svc}-topics", f"{svc}-api", f"{svc}-worker"} <= names
        assert {"postgres", "kafka", "iam-migrate"} <= names

    def test_kafka_is_the_official_image_in_kraft_mode(self, compose):
        kafka = compose["services"]["kafka"]
        assert re.fullmatch(r"apache/kafka:\d+\.\d+\.\d+", kafka["image"])
        env = kafka["environment"]
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        assert "ZOOKEEPER" not in " ".join(env)
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"

    def test_images_are_pinned(self, compose):
        for name, svc in compose["services"].items():
            image = svc["image"]
            assert ":" in image, name
            assert not image.endswith(":latest"), name

    def test_one_shot_jobs_run_the_right_roles_and_never_restart(self, compose):
        services = compose["services"]
        for svc in SERVICE_NAMES:
            assert services[f"{svc}-migrate"]["command"] == ["migrate", svc]
            assert services[f"{svc}-topics"]["command"] == ["topics", svc]
            for job in ("migrate", "topics"):
                assert services[f"{svc}-{job}"]["restart"] == "no"
        assert services["iam-migrate"]["command"] == ["migrate", "iam"]

    def test_apis_and_workers_wait_for_healthy_servers_and_finished_jobs(self, compose):
        services = compose["services"]
        for svc in SERVICE_NAMES:
            for role in ("api", "worker"):
                depends = services[f"{svc}-{role}"]["depends_on"]
                assert depends["postgres"]["condition"] == "service_healthy"
                assert depends["kafka"]["condition"] == "service_healthy"
                for job in (f"{svc}-migrate", f"{svc}-topics", "iam-migrate"):
                    assert depends[job]["condition"] == "service_completed_successfully"
                assert services[f"{svc}-{role}"]["command"] == [role, svc]

    def test_every_dependency_exists_and_has_a_healthcheck_when_waited_on(self, compose):
        services = compose["services"]
        for name, svc in services.items():
            for target, rule in svc.get("depends_on", {}).items():
                assert target in services, f"{name} depends on unknown {target}"
                if rule["condition"] == "service_healthy":
                    assert "healthcheck" in services[target], f"{target} has no healthcheck"

    def test_workers_get_longer_to_stop_than_apis(self, compose):
        def seconds(value: str) -> int:
            return int(value.removesuffix("s"))

        services = compose["services"]
        for svc in SERVICE_NAMES:
            api, worker = services[f"{svc}-api"], services[f"{svc}-worker"]
            assert seconds(api["stop_grace_period"]) > 20  # API_SHUTDOWN_GRACE_SECONDS
            assert seconds(worker["stop_grace_period"]) > seconds(api["stop_grace_period"])


class TestTrueToTheCode:
    def test_ports_are_the_settings_defaults(self, compose, services: dict[str, ServiceInfo]):
        for svc, info in services.items():
            api = compose["services"][f"{svc}-api"]
            published = [str(p).rsplit(":", 1)[-1] for p in api["ports"]]
            assert published == [str(info.http_port)]
            assert f":{info.http_port}/readyz" in api["healthcheck"]["test"][-1]
            worker = compose["services"][f"{svc}-worker"]
            assert f":{info.worker_port}/readyz" in worker["healthcheck"]["test"][-1]

    def test_every_variable_is_read_by_the_service(
        self, compose, services: dict[str, ServiceInfo], entrypoint_env_names
    ):
        for name, svc in beacon_services(compose).items():
            service = name.rsplit("-", 1)[0]
            known = (
                settings_env_names(ServiceSettings)
                if service == "iam"
                else services[service].env_names
            )
            unknown = set(svc["environment"]) - known - entrypoint_env_names - OTEL_VARIABLES
            assert unknown == set(), f"{name} sets variables nothing reads: {sorted(unknown)}"

    def test_every_variable_is_documented_in_the_readme(self, compose):
        passed = {var for svc in beacon_services(compose).values() for var in svc["environment"]}
        interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text()))
        assert passed
        assert {"BEACON_IMAGE", "POSTGRES_PASSWORD"} <= interpolated
        assert (passed | interpolated) - documented_variables() == set()

    def test_secrets_are_never_given_values(self, compose):
        secret = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD)$")
        for name, svc in compose["services"].items():
            for var, value in (svc.get("environment") or {}).items():
                if secret.search(var):
                    # Only from the environment or .env, never a literal in the file.
                    assert re.fullmatch(r"\$\{[A-Z0-9_]+(:-[^}]*)?\}", str(value)), (name, var)

    def test_the_database_url_uses_the_asyncpg_driver(self, compose):
        for name, svc in beacon_services(compose).items():
            url = svc["environment"]["DATABASE_URL"]
            assert url.startswith("postgresql+asyncpg://"), name
            assert "@postgres:5432/" in url
