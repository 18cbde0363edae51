"""What an erasure request deletes of conversations: the author's messages and moderation's
decisions on them; the conversations stay, emptied of them."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.conversations.intake import PREVIEW_CHARS
from inbox.conversations.models import conversation, decision, message


async def delete_messages(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str | None,
    network: str,
    author_id: str,
    contact_ids: Sequence[UUID],
) -> list[tuple[UUID, UUID | None]]:
    """Delete the messages the author wrote, as this network's author or as one of the contacts;
    each deleted message's conversation and interaction."""
    m, cv = message.c, conversation.c
    written = or_(
        (m.author_network_id == author_id) & (cv.network == network),
        m.contact_id.in_(contact_ids),
    )
    stmt = (
        delete(message)
        .where(
            m.conversation_id == cv.id,
            m.tenant_id == tenant_id,
            m.direction == "inbound",
            written,
        )
        .returning(m.conversation_id, m.interaction_id)
    )
    if brand_id is not None:
        stmt = stmt.where(m.brand_id == brand_id)
    return [(row[0], row[1]) for row in await session.execute(stmt)]


async def delete_decisions(
    session: AsyncSession, *, tenant_id: str, interaction_ids: Sequence[UUID]
) -> int:
    """Forget moderation's decisions on these interactions."""
    if not interaction_ids:
        return 0
    result = await session.execute(
        delete(decision).where(
            decision.c.tenant_id == tenant_id, decision.c.interaction_id.in_(interaction_ids)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def empty_conversations(
    session: AsyncSession,
    *,
    tenant_id: str,
    network: str,
    author_id: str,
    contact_ids: Sequence[UUID],
    touched: Sequence[UUID],
) -> int:
    """Forget who the author's conversations were with, and count again the messages and the
    preview of every conversation that lost some; how many conversations changed."""
    cv, m = conversation.c, message.c
    with_author = await session.execute(
        update(conversation)
        .where(
            cv.tenant_id == tenant_id,
            or_(
                (cv.contact_network_id == author_id) & (cv.network == network),
                cv.contact_id.in_(contact_ids),
            ),
        )
        .values(contact_network_id="", contact_handle=None, contact_name=None, contact_id=None)
        .returning(cv.id)
    )
    changed = {*with_author.scalars(), *touched}
    if not changed:
        return 0
    latest = (
        select(func.left(m.text, PREVIEW_CHARS))
        .where(m.conversation_id == cv.id)
        .order_by(m.created_at.desc(), m.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    await session.execute(
        update(conversation)
        .where(cv.id.in_(changed))
        .values(
            preview=func.coalesce(latest, ""),
            message_count=select(func.count()).where(m.conversation_id == cv.id).scalar_subquery(),
            updated_at=func.now(),
        )
    )
    return len(changed)
