"""Generate docs/asyncapi.yaml (AsyncAPI 3.0) and docs/events.md from the contracts.

Run `make docs`; a test fails when the committed files differ from what this produces.
"""

from __future__ import annotations

import inspect
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from beacon_shared.contracts import EVENT_TYPES, TOPICS
from beacon_shared.events import Envelope, EventPayload

REF = "#/components/schemas/{model}"
HEADERS_SCHEMA = {
    "type": "object",
    "properties": {
        "ce_id": {"type": "string", "description": "The envelope id (UUID), repeated."},
        "ce_type": {"type": "string", "description": "The event type, repeated."},
        "traceparent": {"type": "string", "description": "W3C trace context of the producer."},
    },
    "required": ["ce_id", "ce_type", "traceparent"],
}


def _camel(topic: str) -> str:
    head, *rest = topic.replace(".", "_").split("_")
    return head + "".join(part.title() for part in rest)


def _models() -> list[type[EventPayload]]:
    return [EVENT_TYPES[name] for name in sorted(EVENT_TYPES)]


def _names(models: list[type[EventPayload]]) -> dict[type[EventPayload], str]:
    """Each payload's name in the document: its class name, prefixed with its producer where two
    producers' classes share one (publisher's and workspace's BrandConfigured)."""
    counts = Counter(m.__name__ for m in models)
    return {
        m: m.__name__
        if counts[m.__name__] == 1
        else m.event_type.split(".", 1)[0].title() + m.__name__
        for m in models
    }


def asyncapi() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every published event."""
    models = _models()
    refs, defs = models_json_schema(
        [(Envelope, "serialization"), *((m, "serialization") for m in models)], ref_template=REF
    )
    schemas: dict[str, Any] = defs["$defs"]
    names = _names(models)
    for model, name in names.items():
        # Pydantic names colliding classes by their module path: use the document's name.
        chosen = refs[(model, "serialization")]["$ref"].rsplit("/", 1)[-1]
        if chosen != name:
            schemas[name] = schemas.pop(chosen)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in sorted(TOPICS.values(), key=lambda t: t.name):
        channel_id = _camel(topic.name)
        carried = [m for m in models if m.topic == topic.name]
        channels[channel_id] = {
            "address": topic.name,
            "description": f"{topic.description} Record key: {topic.key}.",
            "messages": {names[m]: {"$ref": f"#/components/messages/{names[m]}"} for m in carried},
            "bindings": {"kafka": {"partitions": topic.partitions, "bindingVersion": "0.5.0"}},
        }
        operations[f"publish{channel_id[0].upper()}{channel_id[1:]}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{names[m]}"} for m in carried],
        }
        for model in carried:
            messages[names[model]] = {
                "name": model.event_type,
                "title": names[model],
                "summary": inspect.cleandoc(model.__doc__ or ""),
                "contentType": "application/json",
                "headers": HEADERS_SCHEMA,
                "payload": {
                    "allOf": [
                        {"$ref": REF.format(model="Envelope")},
                        {
                            "type": "object",
                            "properties": {
                                "type": {"const": model.event_type},
                                "data": {"$ref": REF.format(model=names[model])},
                            },
                        },
                    ]
                },
                "bindings": {
                    "kafka": {
                        "key": {"type": "string", "description": topic.key},
                        "bindingVersion": "0.5.0",
                    }
                },
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Beacon events",
            "version": "0.1.0",
            "description": (
                "Events Beacon's services publish through their transactional outboxes. Every "
                "record value is a CloudEvents 1.0 envelope (JSON) whose `data` follows the "
                "event type's contract; consumers dedupe on the envelope `id`. Each topic has a "
                "`<topic>.dlq` dead-letter topic carrying the original record plus `dlq.*` headers."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {"host": "localhost:9092", "protocol": "kafka", "description": "Any broker"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _type_of(prop: dict[str, Any] | bool) -> str:
    if isinstance(prop, bool):
        return "any"
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(_type_of(p) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    if prop.get("type") == "object" and "additionalProperties" in prop:
        return f"object of {_type_of(prop['additionalProperties'])}"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    fmt = prop.get("format")
    return f"{prop.get('type', 'any')}{f' ({fmt})' if fmt else ''}"


def _fields_table(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", ()))
    rows = ["| field | type | required | description |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        description = prop.get("description", "").replace("\n", " ")
        needed = "yes" if name in required else "no"
        rows.append(f"| `{name}` | {_type_of(prop)} | {needed} | {description} |")
    return rows


def events_markdown(document: dict[str, Any]) -> str:
    """docs/events.md: topics, keys, event types and their fields."""
    schemas = document["components"]["schemas"]
    lines = [
        "# Events",
        "",
        "Generated from `shared/src/beacon_shared/contracts/` by `make docs`; do not edit by hand.",
        "The machine-readable version is [asyncapi.yaml](asyncapi.yaml) (AsyncAPI 3.0).",
        "",
        "Every record value is a CloudEvents 1.0 envelope in JSON. Headers repeat `ce_id` and",
        "`ce_type` and carry the W3C `traceparent`. Consumers dedupe on `id`; payload changes are",
        "additive, and a breaking change is a new event type on a new topic. Each topic has a",
        "`<topic>.dlq` with one partition holding records a consumer could not handle, with the",
        "headers `dlq.reason`, `dlq.error`, `dlq.consumer`, `dlq.topic`, `dlq.partition`,",
        "`dlq.offset` and `dlq.failed_at`.",
        "",
        "## Envelope",
        "",
        *_fields_table(schemas["Envelope"]),
        "",
        "## Topics",
        "",
        "| topic | partitions | record key | event types |",
        "|---|---|---|---|",
    ]
    for channel in document["channels"].values():
        types = ", ".join(
            f"`{document['components']['messages'][name]['name']}`" for name in channel["messages"]
        )
        lines.append(
            f"| `{channel['address']}` | {channel['bindings']['kafka']['partitions']} "
            f"| {channel['description'].split('Record key: ')[1].rstrip('.')} | {types} |"
        )
    lines.append("")
    for name, message in sorted(document["components"]["messages"].items()):
        lines += [f"## `{message['name']}`", "", message["summary"], "", f"`data` ({name}):", ""]
        lines += _fields_table(schemas[name])
        lines.append("")
    nested = sorted(set(schemas) - set(document["components"]["messages"]) - {"Envelope"})
    if nested:
        lines += ["## Nested types", ""]
        for name in nested:
            schema = schemas[name]
            lines += [f"### {name}", "", schema.get("description", "").strip(), ""]
            lines += (
                _fields_table(schema) if "properties" in schema else [f"One of: {_type_of(schema)}"]
            )
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render() -> dict[str, str]:
    """The generated files, by path relative to the repository root."""
    document = asyncapi()
    return {
        "docs/asyncapi.yaml": yaml.safe_dump(
            document, sort_keys=False, allow_unicode=True, width=100
        ),
        "docs/events.md": events_markdown(document),
    }


def main() -> None:
    """Write the generated files under the given root (default: the current directory)."""
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    for relative, content in render().items():
        (root / relative).write_text(content, encoding="utf-8")


if __name__ == "__main__":
    main()
