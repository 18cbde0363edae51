"""The README's route table is every service's routes, no more and no fewer, and no document
names a route that no service serves. Only the apps are built: no server is needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from tests.service_apps import SERVICES

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
TABLE_START, TABLE_END = "## The APIs at a glance", "\n## "
# The table's heading for the routes every app serves.
EVERY_SERVICE = "Every service"
# Building an app connects to nothing; its settings only need to validate.
UNUSED_SERVERS: dict[str, object] = {
    "database_url": "postgresql+asyncpg://beacon@127.0.0.1:1/beacon",
    "kafka_bootstrap": "127.0.0.1:1",
}
# A route as prose names it, after an optional method; `/api/v1/...` paths are other networks'.
_MENTION = re.compile(r"(?:\b(GET|POST|PUT|PATCH|DELETE)\s+)?(?<![\w/])(/v1/[\w{}:.\-/]*[\w}])")
_PARAMETER = re.compile(r"\{[^}]*\}")

Route = tuple[str, str]


@pytest.fixture(scope="module")
def served() -> dict[str, set[Route]]:
    """(method, path) of every route of every service's app."""
    routes: dict[str, set[Route]] = {}
    for name, service in SERVICES.items():
        app = service.create_app(service.settings(**UNUSED_SERVERS, **service.overrides))
        routes[name] = {
            (method, context.path)
            for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, APIRoute) and context.path
            for method in context.methods or ()
        }
    return routes


def route_table(readme: str) -> dict[str, set[Route]]:
    """The README's route table: (method, path) under each bold service heading."""
    start = readme.index(TABLE_START)
    section = readme[start : readme.index(TABLE_END, start + len(TABLE_START))]
    table: dict[str, set[Route]] = {}
    heading = None
    for line in section.splitlines():
        if bold := re.fullmatch(r"\*\*(.+)\*\*", line.strip()):
            heading = bold.group(1)
            table[heading] = set()
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) < 2:
            continue
        assert heading is not None, f"a route row before any service heading: {line}"
        path = re.fullmatch(r"`(/[^`]*)`", cells[1])
        methods = re.findall(r"`([A-Z]+)`", cells[0])
        assert path, f"not | `METHOD` ... | `/path` | what |: {line}"
        assert methods, f"not | `METHOD` ... | `/path` | what |: {line}"
        table[heading] |= {(method, path.group(1)) for method in methods}
    return table


def test_the_route_table_has_a_heading_per_service():
    table = route_table(README.read_text(encoding="utf-8"))
    assert set(table) == {EVERY_SERVICE, *SERVICES}


def test_every_route_of_every_app_is_in_the_route_table(served: dict[str, set[Route]]):
    table = route_table(README.read_text(encoding="utf-8"))
    missing = {
        name: sorted(routes - table.get(name, set()) - table[EVERY_SERVICE])
        for name, routes in served.items()
    }
    assert {name: routes for name, routes in missing.items() if routes} == {}


def test_every_row_of_the_route_table_is_a_route(served: dict[str, set[Route]]):
    table = route_table(README.read_text(encoding="utf-8"))
    unserved = {
        name: sorted(routes - served.get(name, set())) for name, routes in table.items()
    } | {
        f"{EVERY_SERVICE} but {name}": sorted(table[EVERY_SERVICE] - routes)
        for name, routes in served.items()
    }
    unserved.pop(EVERY_SERVICE)
    assert {name: routes for name, routes in unserved.items() if routes} == {}


def matches(named: str, template: str) -> bool:
    """Whether a path as a document writes it (`{id}` or a real value) is this route's."""
    named_parts, template_parts = named.split("/"), template.split("/")
    return len(named_parts) == len(template_parts) and all(
        written == part or (_PARAMETER.fullmatch(part) is not None and "/" not in written)
        for written, part in zip(named_parts, template_parts, strict=True)
    )


def test_the_docs_name_only_routes_the_apps_serve(served: dict[str, set[Route]]):
    routes = set().union(*served.values())
    unknown = []
    for document in DOCS:
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
            for method, path in _MENTION.findall(line):
                if not any(
                    matches(path, template) and method in ("", served_method)
                    for served_method, template in routes
                ):
                    where = document.relative_to(ROOT)
                    unknown.append(f"{where}:{number}: {method} {path}".replace("  ", " "))
    assert unknown == [], "\n".join(unknown)
