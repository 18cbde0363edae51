"""The operations and scaling docs agree with the code and with the measured benchmarks."""

from __future__ import annotations

import re

from deploy_support import ROOT

from beacon_shared.contracts.topics import TOPICS

DOCS = ROOT / "docs"


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def test_the_partition_table_is_the_contracts():
    runbook = (DOCS / "operations.md").read_text()
    table = section(runbook, "## Partition counts", "## Backups and restore")
    documented = {
        name: int(count) for name, count in re.findall(r"^\| `([a-z.]+)` \| (\d+) \|", table, re.M)
    }
    assert documented == {name: spec.partitions for name, spec in TOPICS.items()}


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
