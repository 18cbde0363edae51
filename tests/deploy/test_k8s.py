"""deploy/k8s: each kustomization rendered, checked against the Kubernetes schemas and the code.

Kubernetes objects are checked with kubernetes-validate (PyPI), whose strict schemas refuse
unknown fields, for the oldest and newest versions supported. KEDA's ScaledObject is a custom
resource those schemas do not cover: it is checked against the fields KEDA documents.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from deploy_support import (
    ROOT,
    SERVICE_NAMES,
    ServiceInfo,
    documented_variables,
    settings_env_names,
)
from kustomize_subset import render

from beacon_shared.contracts.topics import TOPICS
from beacon_shared.settings import ServiceSettings

K8S = ROOT / "deploy" / "k8s"
RUNBOOK = ROOT / "docs" / "operations.md"
KUSTOMIZATIONS = ["base", "overlays/production"]
KUBERNETES_VERSIONS = ["1.30", "1.37"]  # the oldest supported, and the newest the schemas know
OTEL_VARIABLES = {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"}
RELAY_DRAIN_SECONDS = 5  # OutboxRelay.drain_seconds
PRE_STOP_SECONDS = 5

# ScaledObject (keda.sh/v1alpha1) as KEDA documents it: the spec's fields
# (https://keda.sh/docs/2.16/reference/scaledobject-spec/) and the kafka scaler's metadata
# (https://keda.sh/docs/2.16/scalers/apache-kafka/); metadata values are strings.
KAFKA_METADATA = {
    "bootstrapServers",
    "consumerGroup",
    "topic",
    "lagThreshold",
    "activationLagThreshold",
    "offsetResetPolicy",
    "allowIdleConsumers",
    "excludePersistentLag",
    "scaleToZeroOnInvalidOffset",
    "limitToPartitionsWithLag",
    "ensureEvenDistributionOfPartitions",
    "partitionLimitation",
    "version",
    "sasl",
    "tls",
    "unsafeSsl",
}
SCALED_OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "namespace": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "additionalProperties": False,
        },
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                        "apiVersion": {"type": "string"},
                        "envSourceContainerName": {"type": "string"},
                    },
                },
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "initialCooldownPeriod": {"type": "integer", "minimum": 0},
                "idleReplicaCount": {"type": "integer", "minimum": 0},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "fallback": {"type": "object"},
                "advanced": {"type": "object"},
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "metadata"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"type": "string"},
                            "name": {"type": "string"},
                            "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                            "useCachedMetrics": {"type": "boolean"},
                            "authenticationRef": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "kind": {
                                        "enum": [
                                            "TriggerAuthentication",
                                            "ClusterTriggerAuthentication",
                                        ]
                                    },
                                },
                                "additionalProperties": False,
                            },
                            "metadata": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module", params=KUSTOMIZATIONS)
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(K8S / request.param)


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return render(K8S / "overlays" / "production")


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def containers(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    pod = obj["spec"]["template"]["spec"]
    yield from pod.get("initContainers", [])
    yield from pod["containers"]


def service_of(container: dict[str, Any]) -> str:
    return str(container["args"][1])


class TestKubernetesSchemas:
    @pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
    def test_every_object_is_valid(self, rendered, version):
        errors = []
        for obj in rendered:
            if obj["kind"] == "ScaledObject":
                continue
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message}")
        assert errors == []

    def test_the_validator_refuses_a_misspelt_field(self, production):
        deployment = copy.deepcopy(of_kind(production, "Deployment")["ingest-api"])
        deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)

    def test_scaled_objects_are_valid_keda(self, rendered):
        validator = jsonschema.Draft202012Validator(SCALED_OBJECT_SCHEMA)
        for obj in of_kind(rendered, "ScaledObject").values():
            assert [e.message for e in validator.iter_errors(obj)] == []
            for trigger in obj["spec"]["triggers"]:
                assert trigger["type"] == "kafka"
                assert set(trigger["metadata"]) <= KAFKA_METADATA
                assert {"bootstrapServers", "consumerGroup", "lagThreshold"} <= set(
                    trigger["metadata"]
                )
                assert int(trigger["metadata"]["lagThreshold"]) > 0

    def test_the_keda_check_refuses_a_misspelt_field(self, production):
        scaled = copy.deepcopy(of_kind(production, "ScaledObject")["ingest-worker"])
        scaled["spec"]["maxReplicas"] = 3
        validator = jsonschema.Draft202012Validator(SCALED_OBJECT_SCHEMA)
        assert list(validator.iter_errors(scaled))


class TestWorkloads:
    def test_each_service_has_its_objects(self, rendered):
        names = {(o["kind"], o["metadata"]["name"]) for o in rendered}
        for svc in SERVICE_NAMES:
            for role in ("api", "worker"):
                assert ("Deployment", f"{svc}-{role}") in names
                assert ("Service", f"{svc}-{role}") in names
                assert ("PodDisruptionBudget", f"{svc}-{role}") in names
            assert ("Job", f"{svc}-migrate") in names
            assert ("ConfigMap", f"{svc}-config") in names
        assert ("Job", "iam-migrate") in names
        assert ("HorizontalPodAutoscaler", "ingest-api") in names

    def test_probes_and_ports_follow_the_settings(self, rendered, services: dict[str, ServiceInfo]):
        for name, deployment in of_kind(rendered, "Deployment").items():
            svc, role = name.rsplit("-", 1)
            (container,) = deployment["spec"]["template"]["spec"]["containers"]
            assert container["args"] == [role, svc]
            port = services[svc].http_port if role == "api" else services[svc].worker_port
            (declared,) = container["ports"]
            assert declared["containerPort"] == port, name
            for probe, path in (
                ("livenessProbe", "/healthz"),
                ("readinessProbe", "/readyz"),
                ("startupProbe", "/healthz"),
            ):
                assert container[probe]["httpGet"] == {"path": path, "port": declared["name"]}
            annotations = deployment["spec"]["template"]["metadata"]["annotations"]
            assert annotations["prometheus.io/port"] == str(port)

    def test_every_container_requests_resources(self, rendered):
        for kind in ("Deployment", "Job"):
            for name, obj in of_kind(rendered, kind).items():
                for container in containers(obj):
                    requests = container["resources"]["requests"]
                    assert {"cpu", "memory"} <= set(requests), name
                    assert "memory" in container["resources"]["limits"], name

    def test_grace_periods_outlast_the_drain(self, rendered):
        for name, deployment in of_kind(rendered, "Deployment").items():
            pod = deployment["spec"]["template"]["spec"]
            grace = pod["terminationGracePeriodSeconds"]
            if name.endswith("-api"):
                (container,) = pod["containers"]
                assert container["lifecycle"]["preStop"]["exec"]["command"] == [
                    "sleep",
                    str(PRE_STOP_SECONDS),
                ]
                platform = of_kind(rendered, "ConfigMap")["beacon-platform"]["data"]
                assert grace > PRE_STOP_SECONDS + int(platform["API_SHUTDOWN_GRACE_SECONDS"])
            else:
                assert grace >= 6 * RELAY_DRAIN_SECONDS, name

    def test_pods_run_as_the_image_user_without_privileges(self, rendered):
        for kind in ("Deployment", "Job"):
            for name, obj in of_kind(rendered, kind).items():
                pod = obj["spec"]["template"]["spec"]
                assert pod["securityContext"]["runAsNonRoot"] is True, name
                assert pod["securityContext"]["runAsUser"] == 10001, name
                for container in containers(obj):
                    assert container["securityContext"]["allowPrivilegeEscalation"] is False

    def test_every_disruption_budget_covers_a_deployment(self, rendered):
        deployments = of_kind(rendered, "Deployment")
        for name, pdb in of_kind(rendered, "PodDisruptionBudget").items():
            labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
            selector = pdb["spec"]["selector"]["matchLabels"]
            assert selector.items() <= labels.items(), name
        assert set(of_kind(rendered, "PodDisruptionBudget")) == set(deployments)

    def test_services_select_their_pods(self, rendered):
        deployments = of_kind(rendered, "Deployment")
        for name, service in of_kind(rendered, "Service").items():
            labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
            assert service["spec"]["selector"].items() <= labels.items(), name

    def test_migrations_create_topics_then_migrate(self, rendered):
        jobs = of_kind(rendered, "Job")
        for svc in SERVICE_NAMES:
            pod = jobs[f"{svc}-migrate"]["spec"]["template"]["spec"]
            assert pod["restartPolicy"] == "Never"
            assert [c["args"] for c in pod["initContainers"]] == [["topics", svc]]
            assert [c["args"] for c in pod["containers"]] == [["migrate", svc]]
            labels = jobs[f"{svc}-migrate"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/component"] == "migrate"
        iam = jobs["iam-migrate"]["spec"]["template"]["spec"]
        assert [c["args"] for c in iam["containers"]] == [["migrate", "iam"]]

    def test_one_image_everywhere(self, rendered):
        images = {
            container["image"]
            for kind in ("Deployment", "Job")
            for obj in of_kind(rendered, kind).values()
            for container in containers(obj)
        }
        assert len(images) == 1


class TestScaling:
    def test_ingest_api_scales_on_cpu(self, rendered):
        hpa = of_kind(rendered, "HorizontalPodAutoscaler")["ingest-api"]
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "ingest-api",
        }
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert hpa["spec"]["minReplicas"] >= 2
        # The autoscaler owns the count: a replicas field would be reset at every apply.
        assert "replicas" not in of_kind(rendered, "Deployment")["ingest-api"]["spec"]

    def test_each_worker_scales_on_the_lag_of_the_groups_it_runs(
        self, rendered, services: dict[str, ServiceInfo]
    ):
        scaled = of_kind(rendered, "ScaledObject")
        deployments = of_kind(rendered, "Deployment")
        for svc, info in services.items():
            groups = {c.group_id: set(c.topics) for c in info.worker.consumers}
            if not groups:
                assert f"{svc}-worker" not in scaled
                continue
            obj = scaled[f"{svc}-worker"]
            target = obj["spec"]["scaleTargetRef"]["name"]
            assert target == f"{svc}-worker"
            assert "replicas" not in deployments[target]["spec"]
            triggers = [t["metadata"] for t in obj["spec"]["triggers"]]
            assert {t["consumerGroup"] for t in triggers} == set(groups)
            for trigger in triggers:
                if "topic" in trigger:
                    assert trigger["topic"] in groups[trigger["consumerGroup"]]
                assert trigger["offsetResetPolicy"] == "earliest"  # as the consumers start

    def test_replicas_stop_at_the_partition_count(self, rendered, services: dict[str, ServiceInfo]):
        scaled = of_kind(rendered, "ScaledObject")
        for svc, info in services.items():
            if not info.worker.consumers:
                continue
            ceiling = max(TOPICS[t].partitions for c in info.worker.consumers for t in c.topics)
            spec = scaled[f"{svc}-worker"]["spec"]
            assert spec["maxReplicaCount"] == ceiling, svc
            assert 1 <= spec["minReplicaCount"] <= ceiling
            for trigger in spec["triggers"]:
                assert trigger["metadata"]["allowIdleConsumers"] == "false"

    def test_keda_reads_the_brokers_the_pods_use(self, rendered):
        bootstrap = of_kind(rendered, "ConfigMap")["beacon-platform"]["data"]["KAFKA_BOOTSTRAP"]
        for name, obj in of_kind(rendered, "ScaledObject").items():
            for trigger in obj["spec"]["triggers"]:
                assert trigger["metadata"]["bootstrapServers"] == bootstrap, name


class TestConfiguration:
    def test_no_secret_is_committed(self, rendered):
        assert of_kind(rendered, "Secret") == {}
        secret = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL)$")
        for kind in ("Deployment", "Job"):
            for obj in of_kind(rendered, kind).values():
                for container in containers(obj):
                    for env in container.get("env", []):
                        if secret.search(env["name"]):
                            assert "value" not in env
                            assert "secretKeyRef" in env["valueFrom"]
        for config in of_kind(rendered, "ConfigMap").values():
            assert not any(secret.search(k) for k in config.get("data") or {})

    def test_every_variable_is_read_by_the_service(
        self, rendered, services: dict[str, ServiceInfo], entrypoint_env_names
    ):
        configmaps = of_kind(rendered, "ConfigMap")
        for kind in ("Deployment", "Job"):
            for name, obj in of_kind(rendered, kind).items():
                for container in containers(obj):
                    svc = service_of(container)
                    known = (
                        (
                            settings_env_names(ServiceSettings)
                            if svc == "iam"
                            else services[svc].env_names
                        )
                        | entrypoint_env_names
                        | OTEL_VARIABLES
                    )
                    names = {env["name"] for env in container.get("env", [])}
                    for source in container.get("envFrom", []):
                        ref = source["configMapRef"]["name"]
                        assert ref in configmaps, f"{name} reads a missing ConfigMap {ref}"
                        names |= set(configmaps[ref].get("data") or {})
                    assert names - known == set(), f"{name}: {sorted(names - known)}"
                    assert {"DATABASE_URL", "KAFKA_BOOTSTRAP"} <= names

    def test_every_variable_is_documented_in_the_readme(self, rendered):
        names = {
            key
            for config in of_kind(rendered, "ConfigMap").values()
            for key in config.get("data") or {}
        }
        for kind in ("Deployment", "Job"):
            for obj in of_kind(rendered, kind).values():
                for container in containers(obj):
                    names |= {env["name"] for env in container.get("env", [])}
        assert names - documented_variables() == set()

    def test_every_secret_reference_is_documented(self, rendered):
        runbook = (ROOT / "docs" / "operations.md").read_text()
        for kind in ("Deployment", "Job"):
            for obj in of_kind(rendered, kind).values():
                for container in containers(obj):
                    for env in container.get("env", []):
                        ref = env["valueFrom"]["secretKeyRef"]
                        assert f"`{ref['name']}`" in runbook, ref["name"]
                        assert f"`{ref['key']}`" in runbook, ref["key"]


class TestProduction:
    def test_everything_lives_in_its_namespace(self, production):
        for obj in production:
            if obj["kind"] != "Namespace":
                assert obj["metadata"]["namespace"] == "beacon"
        assert of_kind(production, "Namespace").keys() == {"beacon"}

    def test_the_image_is_pinned(self, production):
        for obj in of_kind(production, "Deployment").values():
            for container in containers(obj):
                name, _, tag = container["image"].rpartition(":")
                assert "/" in name, container["image"]
                assert tag not in ("", "latest"), container["image"]

    def test_topics_are_replicated(self, production):
        data = of_kind(production, "ConfigMap")["beacon-platform"]["data"]
        assert int(data["KAFKA_REPLICATION_FACTOR"]) == 3
        assert len(data["KAFKA_BOOTSTRAP"].split(",")) == 3


def selects(selector: str, labels: Mapping[str, str]) -> bool:
    """Whether `labels` satisfy a Kubernetes label selector (equality- and set-based)."""
    for requirement in re.split(r",(?![^()]*\))", selector):
        requirement = requirement.strip()
        if found := re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", requirement):
            key, op, listed = found.groups()
            values = {value.strip() for value in listed.split(",")}
            ok = (labels.get(key) in values) == (op == "in")
        elif found := re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)", requirement):
            key, op, value = found.groups()
            ok = (labels.get(key) == value) == (op != "!=")
        elif found := re.fullmatch(r"(!?)([\w./-]+)", requirement):
            ok = (found.group(2) in labels) != bool(found.group(1))
        else:
            raise ValueError(f"not a label selector: {requirement!r}")
        if not ok:
            return False
    return True


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    return dict(obj["metadata"].get("labels") or {})


class TestRunbookOrder:
    """The runbook's install commands, evaluated on the rendered production overlay."""

    def test_the_selector_check_follows_kubernetes(self):
        assert selects("a in (x, y)", {"a": "y"})
        assert not selects("a in (x,y)", {})
        assert selects("a notin (x)", {})  # a missing label is "not in"
        assert selects("a=x,b!=y", {"a": "x"})
        assert not selects("a==x,b", {"a": "x"})
        assert selects("!b", {"a": "x"})

    def test_the_first_apply_is_the_jobs_and_what_they_read_nothing_that_serves(self, production):
        ((path, selector),) = re.findall(
            r"kubectl apply -k (\S+) -l '([^']+)'", RUNBOOK.read_text()
        )
        assert (ROOT / path).resolve() == K8S / "overlays" / "production"
        chosen = [obj for obj in production if selects(selector, labels_of(obj))]
        assert {obj["kind"] for obj in chosen} == {"ConfigMap", "Job"}
        jobs = of_kind(production, "Job")
        assert of_kind(chosen, "Job").keys() == jobs.keys()
        read = {
            source["configMapRef"]["name"]
            for job in jobs.values()
            for container in containers(job)
            for source in container.get("envFrom", [])
        }
        assert read <= of_kind(chosen, "ConfigMap").keys()

    def test_the_wait_is_for_every_job(self, production):
        (selector,) = re.findall(r"wait --for=condition=complete job -l (\S+)", RUNBOOK.read_text())
        jobs = of_kind(production, "Job")
        assert {name for name, job in jobs.items() if selects(selector, labels_of(job))} == set(
            jobs
        )

    def test_the_namespace_exists_before_the_secrets(self, production):
        text = RUNBOOK.read_text()
        (path,) = re.findall(r"kubectl apply -f (\S+namespace\.yaml)", text)
        assert text.index(path) < text.index("create secret")
        namespaces = {
            doc["metadata"]["name"] for doc in yaml.safe_load_all((ROOT / path).read_text())
        }
        assert namespaces == of_kind(production, "Namespace").keys() == {"beacon"}
        assert set(re.findall(r"kubectl -n (\S+)", text)) == {"beacon"}
