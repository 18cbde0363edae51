"""The SLA clock columns of a conversation: read, set, claimed for the breach pass.

`inbox.sla` decides which clock runs, to which target and due when; the statements on the
conversation's tables are here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import ColumnElement, Row, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.leases import claim
from inbox.conversations.models import conversation, message

c = conversation.c
m = message.c
CLOCK_COLUMNS: tuple[ColumnElement[Any], ...] = (
    c.id,
    c.tenant_id,
    c.brand_id,
    c.network,
    c.kind,
    c.status,
    c.assignee,
    c.waiting_since,
    c.last_inbound_at,
    c.response_target,
    c.response_started_at,
    c.response_due_at,
    c.first_response_at,
    c.resolution_started_at,
    c.resolution_due_at,
)
RESPONSE_STOPPED: dict[str, Any] = {
    "response_target": None,
    "response_started_at": None,
    "response_due_at": None,
}


class Clock(NamedTuple):
    """A clock started: its target, start and due time (None: no target)."""

    target: str
    started_at: datetime
    due_at: datetime | None


async def clocks(session: AsyncSession, *, conversation_id: UUID) -> Row[Any]:
    """The conversation's clock columns (`CLOCK_COLUMNS`)."""
    row: Row[Any] = (
        await session.execute(select(*CLOCK_COLUMNS).where(c.id == conversation_id))
    ).one()
    return row


async def locked_clocks(
    session: AsyncSession, *, tenant_id: str, conversation_id: UUID
) -> Row[Any] | None:
    """The tenant's conversation's clock columns, locked until the transaction ends."""
    row: Row[Any] | None = (
        await session.execute(
            select(*CLOCK_COLUMNS)
            .where(c.tenant_id == tenant_id, c.id == conversation_id)
            .with_for_update()
        )
    ).first()
    return row


async def start(
    session: AsyncSession,
    *,
    conversation_id: UUID,
    response: Clock | None,
    resolution: Clock | None,
    due_at: datetime | None,
) -> None:
    """Start the clocks given (a clock not given keeps its columns); `due_at` is the earliest
    due time of the running clocks and the breach pass's next look."""
    values: dict[str, Any] = {}
    if response is not None:
        values |= {
            "response_target": response.target,
            "response_started_at": response.started_at,
            "response_due_at": response.due_at,
        }
    if resolution is not None:
        values |= {
            "resolution_started_at": resolution.started_at,
            "resolution_due_at": resolution.due_at,
        }
    await session.execute(
        update(conversation)
        .where(c.id == conversation_id)
        .values(**values, sla_due_at=due_at, sla_alarm_at=due_at)
    )


async def answered(
    session: AsyncSession,
    *,
    conversation_id: UUID,
    first_response_at: datetime,
    due_at: datetime | None,
) -> None:
    """The response clock stopped by an answer: nobody waits; `due_at` is what still runs."""
    await session.execute(
        update(conversation)
        .where(c.id == conversation_id)
        .values(
            **RESPONSE_STOPPED,
            waiting_since=None,
            first_response_at=first_response_at,
            sla_due_at=due_at,
            sla_alarm_at=due_at,
        )
    )


async def waiting_again(
    session: AsyncSession, *, conversation_id: UUID, answered_at: datetime
) -> None:
    """The community waits from its earliest message written after `answered_at` (none: nobody
    waits)."""
    since = (
        select(func.min(m.created_at))
        .where(
            m.conversation_id == conversation_id,
            m.direction == "inbound",
            m.created_at > answered_at,
        )
        .scalar_subquery()
    )
    await session.execute(
        update(conversation).where(c.id == conversation_id).values(waiting_since=since)
    )


async def first_answer(
    session: AsyncSession, *, conversation_id: UUID, since: datetime
) -> Row[Any, Any] | None:
    """The brand's first answer in the thread since `since` (sent, or made on the network):
    its `created_at` and `sent_by`."""
    row: Row[Any, Any] | None = (
        await session.execute(
            select(m.created_at, m.sent_by)
            .where(
                m.conversation_id == conversation_id,
                m.direction == "outbound",
                m.created_at >= since,
                or_(m.delivery.is_(None), m.delivery == "sent"),
            )
            .order_by(m.created_at)
            .limit(1)
        )
    ).first()
    return row


async def response_stopped(session: AsyncSession, *, conversation_id: UUID) -> None:
    """The response clock stopped unanswered; the resolution clock's due time is what runs."""
    await session.execute(
        update(conversation)
        .where(c.id == conversation_id)
        .values(
            **RESPONSE_STOPPED,
            sla_due_at=c.resolution_due_at,
            sla_alarm_at=c.resolution_due_at,
        )
    )


async def all_stopped(session: AsyncSession, *, conversation_id: UUID) -> Row[Any]:
    """Both clocks stopped; the conversation's row after."""
    row: Row[Any] = (
        await session.execute(
            update(conversation)
            .where(c.id == conversation_id)
            .values(
                **RESPONSE_STOPPED,
                resolution_started_at=None,
                resolution_due_at=None,
                sla_due_at=None,
                sla_alarm_at=None,
            )
            .returning(conversation)
        )
    ).one()
    return row


async def claim_alarms(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[Row[Any]]:
    """Up to `limit` conversations whose alarm is due by `now` that no other transaction holds
    (`FOR UPDATE SKIP LOCKED`, so replicas share the pass), each alarm moved to its next running
    clock's due time in the same statement; their clock columns."""
    later = func.least(
        case((c.response_due_at > now, c.response_due_at)),
        case((c.resolution_due_at > now, c.resolution_due_at)),
    )
    return await claim(
        session,
        conversation,
        where=[c.sla_alarm_at <= now],
        lease={"sla_alarm_at": later},
        limit=limit,
        order_by=[c.sla_alarm_at],
        returning=[
            c.id,
            c.tenant_id,
            c.brand_id,
            c.network,
            c.kind,
            c.assignee,
            c.team_id,
            c.waiting_since,
            c.response_target,
            c.response_started_at,
            c.response_due_at,
            c.resolution_started_at,
            c.resolution_due_at,
        ],
    )
