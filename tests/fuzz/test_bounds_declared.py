"""Every input an API accepts is bounded, and the bounds are in its OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service_apps import SERVICES

# Formats whose values have a length of their own (times and dates carry formatMinimum).
SELF_BOUNDED = {"uuid", "binary", "time", "date", "date-time"}
Schema = dict[str, Any]


def unbounded(
    schema: Schema, components: dict[str, Schema], where: str, seen: frozenset[str] = frozenset()
) -> list[str]:
    """Where in `schema` a value has no upper bound."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:  # a recursive type: checked where it starts
            return []
        return unbounded(components[name], components, where, seen | {name})
    found: list[str] = []
    options = schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", [])
    # A decimal is a number or its text: the number's bounds hold for both.
    number = any(o.get("type") == "number" and "maximum" in o for o in options)
    for option in options:
        if not (number and option.get("type") == "string"):
            found += unbounded(option, components, where, seen)
    kind = schema.get("type")
    if kind in ("integer", "number") and not {"minimum", "maximum"} <= set(schema):
        found.append(f"{where}: {kind} without minimum and maximum")
    if kind == "string" and "enum" not in schema and "const" not in schema:
        if schema.get("format") in ("date", "date-time") and "formatMinimum" not in schema:
            found.append(f"{where}: {schema['format']} without bounds")
        if schema.get("format") not in SELF_BOUNDED and "maxLength" not in schema:
            found.append(f"{where}: string without maxLength")
    if kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: array without maxItems")
        found += unbounded(schema.get("items", {}), components, f"{where}[]", seen)
    for name, child in schema.get("properties", {}).items():
        found += unbounded(child, components, f"{where}.{name}", seen)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        if "maxProperties" not in schema:
            found.append(f"{where}: object without maxProperties")
        found += unbounded(extra, components, f"{where}{{}}", seen)
    return found


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_parameter_and_body_has_bounds_in_the_document(service):
    app = SERVICES[service]
    settings = app.settings(
        database_url="postgresql+asyncpg://unused/unused", kafka_bootstrap="x:1"
    )
    document = app.create_app(settings).openapi()
    components = document.get("components", {}).get("schemas", {})
    found: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                name = f"{where} {parameter['in']}:{parameter['name']}"
                found += unbounded(parameter["schema"], components, name)
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                found += unbounded(content.get("schema", {}), components, f"{where} {media}")
    assert found == []
