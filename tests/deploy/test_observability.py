"""The alert rules and the dashboard: valid PromQL over metrics and labels Beacon really exports."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import promql_parser
import pytest
import yaml
from deploy_support import ROOT, load_services
from prometheus_client import REGISTRY

from beacon_shared.contracts.topics import TOPICS

OBSERVABILITY = ROOT / "deploy" / "observability"
# The figures the deployment issue asks to be alerted on, and the rule watching each.
REQUIRED_ALERTS = {
    "ingest error rate": "BeaconIngestErrorRate",
    "consumer lag": "BeaconConsumerLag",
    "outbox age": "BeaconOutboxAge",
    "publish lag": "BeaconPublishLag",
    "DLQ growth": "BeaconDeadLetters",
    "bad-buzz alerts": "BeaconBadBuzz",
}
DURATION = re.compile(r"^\d+[smhd]$")
SCHEMAS = {"ingest", "moderation", "publisher", "analytics", "workspace", "inbox"}


@pytest.fixture(scope="module")
def exported() -> dict[str, set[str]]:
    """Every series name the services' processes export, with its label names."""
    # Importing every service's API and worker registers all their metrics.
    for service in load_services():
        importlib.import_module(f"{service}.main")
        importlib.import_module(f"{service}.worker")
    series: dict[str, set[str]] = {}
    for collector, names in REGISTRY._collector_to_names.items():
        labels = set(getattr(collector, "_labelnames", ()))
        for name in names:
            series[name] = labels | ({"le"} if name.endswith("_bucket") else set())
    return series


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((OBSERVABILITY / "prometheus-rules.yaml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())


def dashboard_queries(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def selectors(expr: str) -> list[promql_parser.VectorSelector]:
    """Every vector selector in a query (Grafana's rate interval stands in as 5m)."""
    found: list[promql_parser.VectorSelector] = []

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)

    promql_parser.walk(promql_parser.parse(expr.replace("$__rate_interval", "5m")), visit)
    return found


def check_query(expr: str, exported: dict[str, set[str]]) -> list[str]:
    """What in `expr` names a series or label no Beacon process exports."""
    problems = []
    found = selectors(expr)
    if not found:
        problems.append(f"no metric in {expr!r}")
    for selector in found:
        if selector.name not in exported:
            problems.append(f"{selector.name} is not exported")
            continue
        for matcher in selector.matchers.matchers:
            if matcher.name not in exported[selector.name]:
                problems.append(f"{selector.name} has no label {matcher.name}")
            exact = matcher.op == promql_parser.MatchOp.Equal
            if matcher.name == "topic" and exact and matcher.value not in TOPICS:
                problems.append(f"no topic {matcher.value}")
            if matcher.name == "schema" and matcher.value not in SCHEMAS:
                problems.append(f"no schema {matcher.value}")
    return problems


def runbook_sections() -> dict[str, str]:
    """docs/operations.md by heading anchor (GitHub's): each heading's text up to the next
    heading of the same or a higher level; code blocks are not headings."""
    prose = re.sub(
        r"^```.*?^```", "", (ROOT / "docs" / "operations.md").read_text(), flags=re.M | re.S
    )
    headings = [
        (match.start(), len(match.group(1)), match.group(2))
        for match in re.finditer(r"^(#+) (.+)$", prose, re.M)
    ]
    sections = {}
    for i, (start, level, title) in enumerate(headings):
        end = next((s for s, lv, _ in headings[i + 1 :] if lv <= level), len(prose))
        anchor = re.sub(r"[^a-z0-9 -]", "", title.strip().lower()).replace(" ", "-")
        sections[anchor] = prose[start:end]
    return sections


class TestAlertRules:
    def test_each_figure_has_its_alert(self, rules):
        names = {rule["alert"] for rule in rules}
        assert set(REQUIRED_ALERTS.values()) <= names

    def test_every_rule_is_well_formed(self, rules):
        for rule in rules:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
            assert rule["labels"]["severity"] in {"page", "warning", "info"}
            assert rule["annotations"]["summary"]
            assert rule["annotations"]["runbook"].startswith("docs/operations.md#")
            if "for" in rule:
                assert DURATION.match(rule["for"]), rule["alert"]

    def test_every_expression_parses_and_names_real_series(self, rules, exported):
        problems = {rule["alert"]: check_query(rule["expr"], exported) for rule in rules}
        assert {alert: found for alert, found in problems.items() if found} == {}

    def test_the_check_catches_a_metric_that_does_not_exist(self, exported):
        assert check_query("beacon_outbox_age_seconds > 30", exported)
        assert check_query('beacon_consumer_lag{consumer="x"} > 1', exported)
        with pytest.raises(ValueError):  # noqa: PT011 - the parser's own error type
            promql_parser.parse("sum(rate(beacon_consumer_lag[5m]) > ")

    def test_runbook_anchors_exist(self, rules):
        sections = runbook_sections()
        for rule in rules:
            anchor = rule["annotations"]["runbook"].split("#", 1)[1]
            assert anchor in sections, rule["alert"]

    def test_each_alert_is_named_in_the_section_it_links_to(self, rules):
        sections = runbook_sections()
        for rule in rules:
            anchor = rule["annotations"]["runbook"].split("#", 1)[1]
            assert f"`{rule['alert']}`" in sections.get(anchor, ""), rule["alert"]


class TestDashboard:
    def test_every_panel_query_names_real_series(self, dashboard, exported):
        queries = dashboard_queries(dashboard)
        assert len(queries) >= 15
        problems = {q: check_query(q, exported) for q in queries}
        assert {q: found for q, found in problems.items() if found} == {}

    def test_it_shows_what_the_alerts_watch(self, dashboard, rules):
        shown = {s.name for q in dashboard_queries(dashboard) for s in selectors(q)}
        watched = {s.name for rule in rules for s in selectors(rule["expr"])}
        assert watched <= shown

    def test_panels_use_the_chosen_prometheus(self, dashboard):
        assert dashboard["templating"]["list"][0]["name"] == "datasource"
        for panel in dashboard["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == "${datasource}"
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids))
