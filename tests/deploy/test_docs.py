"""The operations and scaling docs agree with the code and with the measured benchmarks."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

from deploy_support import ROOT, ServiceInfo
from kustomize_subset import render

from beacon_shared.contracts.topics import TOPICS

DOCS = ROOT / "docs"
# What an operator reads and types: the README and the two deployment documents.
OPERATOR_DOCS = [ROOT / "README.md", DOCS / "operations.md", DOCS / "scaling.md"]


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def test_the_partition_table_is_the_contracts():
    runbook = (DOCS / "operations.md").read_text()
    table = section(runbook, "## Partition counts", "## Backups and restore")
    documented = {
        name: int(count) for name, count in re.findall(r"^\| `([a-z.]+)` \| (\d+) \|", table, re.M)
    }
    assert documented == {name: spec.partitions for name, spec in TOPICS.items()}


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    """Cells of the markdown table rows whose first cell matches `first_cell`."""
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(first_cell, cells[0]):
            rows.append(cells)
    return rows


def test_the_partition_table_names_the_groups_reading_each_topic(
    services: dict[str, ServiceInfo],
):
    runbook = (DOCS / "operations.md").read_text()
    table = section(runbook, "## Partition counts", "## Backups and restore")
    documented = {
        cells[0].strip("`"): set(re.findall(r"[a-z]+\.[a-z.-]+", cells[2]))
        for cells in table_rows(table, r"`[a-z.]+`")
    }
    reading: dict[str, set[str]] = {name: set() for name in TOPICS}
    for info in services.values():
        for consumer in info.worker.consumers:
            for topic in consumer.topics:
                reading[topic].add(consumer.group_id)
    assert documented == reading


def test_what_runs_matches_the_manifests_and_the_code(services: dict[str, ServiceInfo]):
    runbook = (DOCS / "operations.md").read_text()
    table = section(runbook, "## What runs", "### Docker Compose")
    rows = {cells[0].strip("`"): cells for cells in table_rows(table, r"`[a-z]+-(api|worker)`")}
    base = render(ROOT / "deploy" / "k8s" / "base")
    production = render(ROOT / "deploy" / "k8s" / "overlays" / "production")
    scaled = {o["metadata"]["name"]: o["spec"] for o in base if o["kind"] == "ScaledObject"}
    for svc, info in services.items():
        api, worker = " ".join(rows[f"{svc}-api"]), " ".join(rows[f"{svc}-worker"])
        assert f"on {info.http_port}" in api
        assert f"health on {info.worker_port}" in worker
        groups = set(re.findall(rf"`({svc}\.[a-z.-]+)`", worker))
        assert groups == {c.group_id for c in info.worker.consumers}, svc
        if not groups:
            # Nothing to scale on: a fixed count, the one the manifest sets.
            replicas = next(
                o["spec"]["replicas"]
                for o in base
                if o["kind"] == "Deployment" and o["metadata"]["name"] == f"{svc}-worker"
            )
            assert f"fixed replicas ({replicas})" in worker, svc
            assert f"{svc}-worker" not in scaled
            continue
        (ceiling,) = re.findall(r"at most (\d+)", worker)
        assert int(ceiling) == scaled[f"{svc}-worker"]["maxReplicaCount"], svc
    hpa = {
        name: next(o["spec"] for o in objs if o["kind"] == "HorizontalPodAutoscaler")
        for name, objs in (("base", base), ("production", production))
    }
    dash = "\N{EN DASH}"
    expected = (
        f"{hpa['base']['minReplicas']}{dash}{hpa['base']['maxReplicas']} replicas in base, "
        f"{hpa['production']['minReplicas']}{dash}{hpa['production']['maxReplicas']} in production"
    )
    assert expected in rows["ingest-api"][2]


def test_make_targets_named_in_the_docs_exist():
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))
    for doc in OPERATOR_DOCS:
        # `make bench-*` is a family, not a target.
        named = set(re.findall(r"\bmake ([a-z][a-z-]*[a-z])(?![\w*-])", doc.read_text()))
        assert named - targets == set(), doc.name


def test_python_modules_named_in_the_docs_run():
    commands = set()
    for doc in OPERATOR_DOCS:
        commands |= set(re.findall(r"python -m ([a-z_][a-z_.]*)(?: ([a-z]+)\b)?", doc.read_text()))
    assert ("beacon_shared.auth", "revoke") in commands
    for module, subcommand in sorted(commands):
        assert importlib.util.find_spec(module) is not None, module
        if module == "beacon_shared.auth" and subcommand:
            done = subprocess.run(
                [sys.executable, "-m", module, subcommand, "--help"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, (subcommand, done.stderr)


def test_one_machine_figures_are_the_benchmarks():
    measured = (DOCS / "benchmarks.md").read_text()
    one_machine = section((DOCS / "scaling.md").read_text(), "## One machine", "## Scaling out")
    figures = re.findall(r"\d{1,3}(?:,\d{3})+|\d+\.\d+", one_machine)
    assert len(figures) >= 10
    assert [f for f in figures if f not in measured] == []


def test_the_runbook_links_resolve():
    for doc in ("operations.md", "scaling.md"):
        text = (DOCS / doc).read_text()
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if not target.startswith("http"):
                assert (DOCS / target).resolve().exists(), f"{doc}: {target}"
