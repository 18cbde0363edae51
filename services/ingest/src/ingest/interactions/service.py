"""Storing interactions once and staging their events in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
from beacon_shared.pagination import Cursor
from ingest.db import outbox as outbox_table
from ingest.interactions import repository
from ingest.interactions.exceptions import ConversationNotFound, InteractionNotFound
from ingest.interactions.schemas import (
    ConversationQuery,
    InteractionAccepted,
    InteractionIn,
    InteractionQuery,
)

SOURCE = "/beacon/ingest"
# How far ahead of our clock a created_at may be before it is taken as a source clock error.
FUTURE_TOLERANCE = timedelta(minutes=5)


async def accept(
    session: AsyncSession, *, tenant_id: str, items: Sequence[InteractionIn]
) -> list[InteractionAccepted]:
    """Store what is new, stage one event per new interaction, report duplicates.

    An item repeating an earlier one of the same call (same network and external id) is a
    duplicate of it; a `created_at` too far in the future is clamped to the time of receipt.
    """
    now = datetime.now(UTC)
    first_of: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        first_of.setdefault(_identity(item), index)
    distinct = sorted(set(first_of.values()))
    prepared = {index: _prepare(items[index], now) for index in distinct}
    rows = [_row(tenant_id, prepared[index], now) for index in distinct]
    new_ids = await repository.insert_new(session, rows) if rows else set()
    envelopes = []
    keys = []
    stored: dict[tuple[str, str], UUID] = {}
    for index, row in zip(distinct, rows, strict=True):
        item = prepared[index].item
        if row["id"] in new_ids:
            envelopes.append(_event(tenant_id, row["id"], item, now))
            keys.append(_record_key(item))
            stored[_identity(item)] = row["id"]
    await outbox.stage(session, outbox_table, envelopes, keys=keys)
    for network in {item.network.value for item in items}:
        already = [ext for (net, ext) in first_of if net == network and (net, ext) not in stored]
        if already:
            found = await repository.ids_by_external(
                session, tenant_id=tenant_id, network=network, external_ids=already
            )
            stored.update({(network, ext): id_ for ext, id_ in found.items()})
    return [
        InteractionAccepted(
            id=stored[_identity(item)],
            external_id=item.external_id,
            duplicate=index != first_of[_identity(item)] or stored[_identity(item)] not in new_ids,
        )
        for index, item in enumerate(items)
    ]


async def get(session: AsyncSession, *, tenant_id: str, interaction_id: UUID) -> Row[Any]:
    """One interaction of the tenant, or InteractionNotFound."""
    row = await repository.get(session, tenant_id=tenant_id, interaction_id=interaction_id)
    if row is None:
        raise InteractionNotFound(f"no interaction {interaction_id}")
    return row


async def list_page(
    session: AsyncSession, *, tenant_id: str, query: InteractionQuery
) -> tuple[list[Row[Any]], str | None]:
    """One page of the tenant's interactions, newest received first, and the next cursor."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_interactions(
        session, tenant_id=tenant_id, query=query, after=after, limit=query.limit + 1
    )
    page = rows[: query.limit]
    more = len(rows) > query.limit
    return page, Cursor(page[-1].received_at, page[-1].id).encode() if more else None


async def conversation_page(
    session: AsyncSession, *, tenant_id: str, thread_external_id: str, query: ConversationQuery
) -> tuple[list[Row[Any]], str | None]:
    """One page of a thread's interactions in created_at order, or ConversationNotFound."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_thread(
        session,
        tenant_id=tenant_id,
        network=query.network.value,
        thread_external_id=thread_external_id,
        after=after,
        limit=query.limit + 1,
    )
    if not rows and after is None:
        raise ConversationNotFound(f"no {query.network.value} thread {thread_external_id}")
    page = rows[: query.limit]
    more = len(rows) > query.limit
    return page, Cursor(page[-1].created_at, page[-1].id).encode() if more else None


@dataclass(frozen=True)
class _Prepared:
    """An item as it will be stored: its created_at possibly clamped, and the raw to keep."""

    item: InteractionIn
    raw: dict[str, Any]


def _identity(item: InteractionIn) -> tuple[str, str]:
    return item.network.value, item.external_id


def _prepare(item: InteractionIn, now: datetime) -> _Prepared:
    raw = item.raw if item.raw is not None else item.model_dump(mode="json")
    if item.created_at - now <= FUTURE_TOLERANCE:
        return _Prepared(item, raw)
    # A source clock running ahead would otherwise put this above everything real for days.
    return _Prepared(
        item.model_copy(update={"created_at": now}), {**raw, "created_at_clamped": True}
    )


def _row(tenant_id: str, prepared: _Prepared, now: datetime) -> dict[str, Any]:
    item = prepared.item
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
        "raw": prepared.raw,
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
