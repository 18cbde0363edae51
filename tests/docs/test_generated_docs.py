"""The event documentation is generated from the contracts and kept in step with them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from beacon_shared.contracts import EVENT_TYPES, TOPICS
from beacon_tools.event_docs import asyncapi, render

ROOT = Path(__file__).resolve().parents[2]


def test_committed_docs_match_the_contracts():
    for relative, content in render().items():
        committed = (ROOT / relative).read_text(encoding="utf-8")
        assert committed == content, f"{relative} is stale: run `make docs`"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_every_reference_in_the_asyncapi_document_resolves():
    document = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))
    refs = _refs(document)
    assert refs
    for ref in refs:
        assert _resolve(document, ref) is not None, ref


def test_every_topic_and_event_type_is_documented():
    document = asyncapi()
    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == set(TOPICS)
    names = {message["name"] for message in document["components"]["messages"].values()}
    assert names == set(EVENT_TYPES)
    for channel in document["channels"].values():
        assert channel["bindings"]["kafka"]["partitions"] == TOPICS[channel["address"]].partitions
