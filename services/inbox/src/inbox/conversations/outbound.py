"""The brand's own messages in their threads: filed, found, their outcome recorded, and what they
change of their conversation (its count, latest activity and preview, who waits).

The replies package files them; the tables are the conversations'."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, and_, case, func, null, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.conversations.intake import PREVIEW_CHARS
from inbox.conversations.models import conversation, message

m = message.c


async def message_of(session: AsyncSession, *, tenant_id: str, message_id: UUID) -> Row[Any] | None:
    """One message of the tenant, with the (empty) decision columns the thread shows."""
    row: Row[Any] | None = (
        await session.execute(
            select(
                message,
                null().label("decision_id"),
                null().label("action"),
                null().label("decided_by"),
                null().label("decided_at"),
            ).where(m.tenant_id == tenant_id, m.id == message_id)
        )
    ).first()
    return row


async def replied_to(
    session: AsyncSession, *, conversation_id: UUID, message_id: UUID | None
) -> Row[Any] | None:
    """The community's message answered: `message_id` when it is one of the conversation's,
    else its latest."""
    query = select(message).where(
        m.conversation_id == conversation_id,
        m.direction == "inbound",
        m.interaction_id.is_not(None),
    )
    if message_id is not None:
        query = query.where(m.id == message_id)
    row: Row[Any] | None = (
        await session.execute(query.order_by(m.created_at.desc(), m.id.desc()).limit(1))
    ).first()
    return row


async def conversation_of_interaction(
    session: AsyncSession, *, tenant_id: str, interaction_id: UUID
) -> UUID | None:
    """The conversation of the message copying an interaction."""
    found: UUID | None = await session.scalar(
        select(m.conversation_id).where(
            m.tenant_id == tenant_id, m.interaction_id == interaction_id
        )
    )
    return found


async def conversation_of_thread(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str | None,
    network: str,
    kind: str,
    thread_external_id: str,
) -> UUID | None:
    """The conversation of a thread."""
    c = conversation.c
    found: UUID | None = await session.scalar(
        select(c.id).where(
            c.tenant_id == tenant_id,
            c.brand_id.is_not_distinct_from(brand_id),
            c.network == network,
            c.kind == kind,
            c.thread_external_id == thread_external_id,
        )
    )
    return found


async def conversation_of_message(
    session: AsyncSession, *, tenant_id: str, external_id: str
) -> UUID | None:
    """The conversation of the message the network knows by `external_id`."""
    found: UUID | None = await session.scalar(
        select(m.conversation_id)
        .where(m.tenant_id == tenant_id, m.external_id == external_id)
        .limit(1)
    )
    return found


async def add_outbound(session: AsyncSession, values: Mapping[str, Any]) -> bool:
    """Insert one of the brand's messages unless its id, or its network id in the thread, is
    filed already; whether it was new."""
    inserted = await session.scalar(
        insert(message).values(dict(values)).on_conflict_do_nothing().returning(m.id)
    )
    return inserted is not None


async def echo_of(session: AsyncSession, *, conversation_id: UUID, external_id: str) -> UUID | None:
    """The network's echo of a message sent through Beacon, filed before its outcome came."""
    found: UUID | None = await session.scalar(
        select(m.id).where(
            m.conversation_id == conversation_id,
            m.direction == "outbound",
            m.sent_via == "network",
            m.external_id == external_id,
        )
    )
    return found


async def drop(session: AsyncSession, *, message_id: UUID) -> None:
    """Remove a message (an echo kept as the reply's own copy instead)."""
    await session.execute(message.delete().where(m.id == message_id))


async def set_delivery(
    session: AsyncSession, *, message_id: UUID, values: Mapping[str, Any]
) -> None:
    """Record a reply's outcome."""
    await session.execute(update(message).where(m.id == message_id).values(dict(values)))


async def summarise(
    session: AsyncSession,
    *,
    conversation_id: UUID,
    at: datetime,
    text: str,
    answered: bool,
    now: datetime,
) -> None:
    """The conversation after one of the brand's messages of `at`: its count, its latest
    activity and preview, and (`answered`) nobody waiting for what came before."""
    c = conversation.c
    values: dict[str, Any] = {
        "message_count": select(func.count())
        .where(m.conversation_id == conversation_id)
        .scalar_subquery(),
        "last_message_at": func.greatest(c.last_message_at, at),
        "preview": case((c.last_message_at <= at, text[:PREVIEW_CHARS]), else_=c.preview),
        "updated_at": now,
    }
    if answered:
        values["waiting_since"] = case(
            (and_(c.waiting_since.is_not(None), c.waiting_since <= at), null()),
            else_=c.waiting_since,
        )
    await session.execute(update(conversation).where(c.id == conversation_id).values(values))
