"""Storing interactions once and staging their events in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.ingest import (
    CONVERSATION_KINDS,
    CommentReceived,
    EngagementRecorded,
)
from beacon_shared.events import Envelope, EventPayload
from ingest.db import outbox as outbox_table
from ingest.interactions import repository
from ingest.interactions.exceptions import InteractionNotFound
from ingest.interactions.schemas import InteractionAccepted, InteractionIn

SOURCE = "/beacon/ingest"


async def accept(
    session: AsyncSession, *, tenant_id: str, items: Sequence[InteractionIn]
) -> list[InteractionAccepted]:
    """Store what is new, stage one event per new interaction, report duplicates."""
    now = datetime.now(UTC)
    rows = [_row(tenant_id, item, now) for item in items]
    new_ids = await repository.insert_new(session, rows)
    envelopes = []
    keys = []
    for row, item in zip(rows, items, strict=True):
        if row["id"] in new_ids:
            envelopes.append(_event(tenant_id, row["id"], item, now))
            keys.append(_record_key(item))
    await outbox.stage(session, outbox_table, envelopes, keys=keys)
    existing: dict[tuple[str, str], UUID] = {}
    for network in {item.network.value for item in items}:
        dupes = [
            i.external_id
            for i, r in zip(items, rows, strict=True)
            if i.network.value == network and r["id"] not in new_ids
        ]
        if dupes:
            found = await repository.ids_by_external(
                session, tenant_id=tenant_id, network=network, external_ids=dupes
            )
            existing.update({(network, ext): id_ for ext, id_ in found.items()})
    return [
        InteractionAccepted(
            id=row["id"]
            if row["id"] in new_ids
            else existing.get((item.network.value, item.external_id), row["id"]),
            external_id=item.external_id,
            duplicate=row["id"] not in new_ids,
        )
        for row, item in zip(rows, items, strict=True)
    ]


async def get(session: AsyncSession, *, tenant_id: str, interaction_id: UUID) -> Row[Any]:
    """One interaction of the tenant, or InteractionNotFound."""
    row = await repository.get(session, tenant_id=tenant_id, interaction_id=interaction_id)
    if row is None:
        raise InteractionNotFound(f"no interaction {interaction_id}")
    return row


def _row(tenant_id: str, item: InteractionIn, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "brand_id": item.brand_id,
        "account_id": item.account_id,
        "network": item.network.value,
        "kind": item.kind.value,
        "external_id": item.external_id,
        "parent_external_id": item.parent_external_id,
        "thread_external_id": item.thread_external_id,
        "author_id": item.author.network_id,
        "author_handle": item.author.handle,
        "author_name": item.author.display_name,
        "author_followers": item.author.follower_count,
        "text": item.text,
        "created_at": item.created_at,
        "received_at": now,
        "raw": item.raw if item.raw is not None else item.model_dump(mode="json"),
    }


def _record_key(item: InteractionIn) -> str:
    """One thread's comments (one object's engagements) share a key, so they stay ordered."""
    if item.kind in CONVERSATION_KINDS:
        return item.thread_external_id or item.external_id
    return item.parent_external_id or item.thread_external_id or item.external_id


def _event(tenant_id: str, interaction_id: UUID, item: InteractionIn, now: datetime) -> Envelope:
    payload: EventPayload
    if item.kind in CONVERSATION_KINDS:
        payload = CommentReceived(
            interaction_id=interaction_id,
            brand_id=item.brand_id,
            account_id=item.account_id,
            network=item.network,
            kind=item.kind,
            external_id=item.external_id,
            parent_external_id=item.parent_external_id,
            thread_external_id=item.thread_external_id,
            author=item.author,
            text=item.text,
            created_at=item.created_at,
            received_at=now,
        )
    else:
        payload = EngagementRecorded(
            interaction_id=interaction_id,
            brand_id=item.brand_id,
            account_id=item.account_id,
            network=item.network,
            kind=item.kind,
            external_id=item.external_id,
            target_external_id=item.parent_external_id or item.thread_external_id,
            author=item.author,
            created_at=item.created_at,
            received_at=now,
        )
    return Envelope.build(payload, tenant_id=tenant_id, subject=str(interaction_id), source=SOURCE)
