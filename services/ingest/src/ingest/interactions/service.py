"""Storing interactions once and staging their events in the same transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.ingest import (
    CONVERSATION_KINDS,
    CommentReceived,
    EngagementRecorded,
)
from beacon_shared.events import Envelope, EventPayload
from beacon_shared.pagination import Cursor, split_page
from ingest.interactions import repository
from ingest.interactions.exceptions import ConversationNotFound, InteractionNotFound
from ingest.interactions.interaction import Interaction
from ingest.interactions.schemas import ConversationQuery, InteractionAccepted, InteractionQuery

SOURCE = "/beacon/ingest"
# The one time rule of everything that enters Beacon through ingest (the API, webhooks, pollers):
# a created_at more than this ahead of its receipt is a source clock's error or a forged value,
# and is stored as the time of receipt (the raw payload keeps the sent one, flagged), so it
# cannot sort ahead of everything received later. Analytics' lateness policy is its own.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class Batch:
    """A tenant's items made ready to store: ids chosen, events encoded in the caller's context
    (so each event carries its own request's correlation and trace, whoever writes it)."""

    tenant_id: str
    items: Sequence[Interaction]
    first_of: dict[tuple[str, str], int]  # (network, external id) -> index of its first item
    own_ids: dict[tuple[str, str], UUID]  # the id each distinct item gets if it is new
    rows: list[tuple[Any, ...]]  # repository.STORED_COLUMNS
    events: list[tuple[Any, ...]]  # repository.EVENT_COLUMNS


def prepare(tenant_id: str, items: Sequence[Interaction]) -> Batch:
    """An item repeating an earlier one (same network and external id) is a duplicate of it;
    a `created_at` too far in the future is clamped to the time of receipt."""
    now = datetime.now(UTC)
    first_of: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        first_of.setdefault(_identity(item), index)
    own_ids: dict[tuple[str, str], UUID] = {}
    rows, envelopes, keys = [], [], []
    for identity, index in first_of.items():
        item, raw = _prepare(items[index], now)
        own_ids[identity] = interaction_id = uuid.uuid4()
        rows.append(_row(tenant_id, interaction_id, item, raw, now))
        envelopes.append(_event(tenant_id, interaction_id, item, now))
        keys.append(_record_key(item))
    records = outbox.outbox_records(envelopes, keys=keys)
    events = [
        (own, r.event_id, r.topic, r.key, r.value, _json(r.headers))
        for own, r in zip(own_ids.values(), records, strict=True)
    ]
    return Batch(tenant_id, items, first_of, own_ids, rows, events)


async def store(
    fetch: repository.Fetch, batches: Sequence[Batch]
) -> list[list[InteractionAccepted]]:
    """Store batches in one statement: what is new, with one staged event each.

    Results come per batch in the order of its items; `duplicate` when already stored.
    """
    new_ids = await repository.store(
        fetch, [row for b in batches for row in b.rows], [e for b in batches for e in b.events]
    )
    stored: dict[tuple[str, str, str], UUID] = {}
    for batch in batches:
        for (network, external_id), own in batch.own_ids.items():
            if own in new_ids:
                stored[(batch.tenant_id, network, external_id)] = own
    already = [
        (batch.tenant_id, *identity)
        for batch in batches
        for identity in batch.first_of
        if (batch.tenant_id, *identity) not in stored
    ]
    stored.update(await repository.stored_ids(fetch, already))
    return [_results(batch, stored) for batch in batches]


async def accept(
    session: AsyncSession, *, tenant_id: str, items: Sequence[Interaction]
) -> list[InteractionAccepted]:
    """`store` inside the session's transaction."""
    (results,) = await store(repository.session_fetch(session), [prepare(tenant_id, items)])
    return results


def _results(batch: Batch, stored: dict[tuple[str, str, str], UUID]) -> list[InteractionAccepted]:
    results = []
    for index, item in enumerate(batch.items):
        identity = _identity(item)
        stored_id = stored[(batch.tenant_id, *identity)]
        first = index == batch.first_of[identity]
        results.append(
            InteractionAccepted(
                id=stored_id,
                external_id=item.external_id,
                duplicate=not first or stored_id != batch.own_ids[identity],
            )
        )
    return results


async def get(session: AsyncSession, *, tenant_id: str, interaction_id: UUID) -> Row[Any]:
    """One interaction of the tenant, or InteractionNotFound."""
    row = await repository.get(session, tenant_id=tenant_id, interaction_id=interaction_id)
    if row is None:
        raise InteractionNotFound(f"no interaction {interaction_id}")
    return row


async def list_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: InteractionQuery,
    brands: frozenset[str] | None = None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """One page of the tenant's interactions (of these brands; None: every one), newest
    received first, and the next cursor."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_interactions(
        session,
        tenant_id=tenant_id,
        query=query,
        after=after,
        limit=query.limit + 1,
        brands=brands,
    )
    return split_page(rows, query.limit, at="received_at")


async def conversation_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    thread_external_id: str,
    query: ConversationQuery,
    brands: frozenset[str] | None = None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """One page of a thread's interactions (of these brands; None: every one) in created_at
    order, or ConversationNotFound."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_thread(
        session,
        tenant_id=tenant_id,
        network=query.network.value,
        thread_external_id=thread_external_id,
        after=after,
        limit=query.limit + 1,
        brands=brands,
    )
    if not rows and after is None:
        raise ConversationNotFound(f"no {query.network.value} thread {thread_external_id}")
    return split_page(rows, query.limit, at="created_at")


def _identity(item: Interaction) -> tuple[str, str]:
    return item.network.value, item.external_id


def _prepare(item: Interaction, now: datetime) -> tuple[Interaction, dict[str, Any]]:
    """The item as it will be stored (its created_at possibly clamped) and the raw to keep."""
    raw = item.raw if item.raw is not None else item.model_dump(mode="json")
    if item.created_at - now <= FUTURE_TOLERANCE:
        return item, raw
    # A source clock running ahead would otherwise put this above everything real for days.
    return item.model_copy(update={"created_at": now}), {**raw, "created_at_clamped": True}


def _row(
    tenant_id: str, interaction_id: UUID, item: Interaction, raw: dict[str, Any], now: datetime
) -> tuple[Any, ...]:
    """The values of repository.STORED_COLUMNS."""
    return (
        interaction_id,
        tenant_id,
        item.brand_id,
        item.account_id,
        item.network.value,
        item.kind.value,
        item.external_id,
        item.parent_external_id,
        item.thread_external_id,
        item.author.network_id,
        item.author.handle,
        item.author.display_name,
        item.author.follower_count,
        item.text,
        item.created_at,
        now,
        _json(raw),
    )


def _json(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits, which a custom source's raw payload may hold
        return json.dumps(value)


def _record_key(item: Interaction) -> str:
    """One thread's comments (one object's engagements) share a key, so they stay ordered."""
    if item.kind in CONVERSATION_KINDS:
        return item.thread_external_id or item.external_id
    return item.parent_external_id or item.thread_external_id or item.external_id


def _event(tenant_id: str, interaction_id: UUID, item: Interaction, now: datetime) -> Envelope:
    payload: EventPayload
    if item.kind in CONVERSATION_KINDS:
        payload = CommentReceived(
            interaction_id=interaction_id,
            brand_id=item.brand_id,
            account_id=item.account_id,
            account_external_id=item.account_external_id,
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
            account_external_id=item.account_external_id,
            network=item.network,
            kind=item.kind,
            external_id=item.external_id,
            target_external_id=item.parent_external_id or item.thread_external_id,
            author=item.author,
            created_at=item.created_at,
            received_at=now,
        )
    return Envelope.build(payload, tenant_id=tenant_id, subject=str(interaction_id), source=SOURCE)


async def summaries(
    session: AsyncSession, keys: Sequence[tuple[str, UUID]]
) -> dict[tuple[str, UUID], Row[Any]]:
    """The kind, author and time of the stored interactions named by (tenant, id)."""
    return await repository.summaries(session, keys)
