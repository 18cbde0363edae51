"""What a post says, checked against the rules of the networks it goes to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy import Row

from beacon_shared.contracts.common import Network
from publisher.authoring.exceptions import ContentRejected, NoConnectorForNetwork
from publisher.content import check_variant
from publisher.delivery.variants import variant_for


def json_media(media: Sequence[Any]) -> list[dict[str, Any]]:
    """Media as stored."""
    return [m.model_dump(mode="json", exclude_none=True) for m in media]


def json_variants(variants: Mapping[Network, Any]) -> dict[str, Any]:
    """Variants as stored, by network."""
    return {n.value: v.model_dump(mode="json", exclude_none=True) for n, v in variants.items()}


def check_content(content: Mapping[str, Any], accounts_by_id: Mapping[UUID, Row[Any]]) -> None:
    """Every target's variant must meet its network's rules (Mastodon: the account's instance)."""
    problems = []
    seen: set[tuple[str, int | None]] = set()
    for row in accounts_by_id.values():
        network = Network(row.network)
        if (network.value, row.max_characters) in seen:
            continue
        seen.add((network.value, row.max_characters))
        variant = variant_for(network, **content)
        found = check_variant(
            network,
            variant.text_with_link,
            [m.kind for m in variant.media],
            pointer="",
            mastodon_max_characters=row.max_characters,
        )
        for problem in found:
            # check_variant points at "/text", "/media" or "" (the whole variant); each points
            # where the offending field came from, named after the network it breaks.
            pointer = {"/text": variant.text_pointer, "/media": variant.media_pointer}.get(
                problem.pointer, problem.pointer
            )
            problems.append(
                replace(problem, pointer=pointer, message=f"{network.value}: {problem.message}")
            )
    if problems:
        raise ContentRejected(problems)


def check_networks(accounts_by_id: Mapping[UUID, Row[Any]], available: frozenset[Network]) -> None:
    """Every target's network needs a connector."""
    unsupported = [
        (i, Network(row.network))
        for i, row in enumerate(accounts_by_id.values())
        if Network(row.network) not in available
    ]
    if unsupported:
        raise NoConnectorForNetwork(unsupported, sorted(n.value for n in available))
