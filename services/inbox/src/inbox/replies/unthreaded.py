"""The brand's messages heard of before their thread, kept until it is filed.

`action.completed` and `own.activity.recorded` are read apart from `comment.received`, so a
moderation reply can arrive before the comment it answers is filed, and a native reply before the
customer's message it follows (a backlog in one group, a spike). Such a message is kept
(`unthreaded_outbound`) and filed again every UNTHREADED_SECONDS until its thread exists; one
still without a thread after UNTHREADED_DAYS (the brand's own post nobody commented on) is
dropped, logged.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.ingest import ActionCompleted, OwnActivityRecorded
from beacon_shared.logging import get_logger
from inbox.replies import intake
from inbox.replies.models import unthreaded_outbound

log = get_logger(__name__)
# How often a kept message is tried again, and for how long.
UNTHREADED_SECONDS = 30.0
UNTHREADED_DAYS = 1
BATCH = 200
u = unthreaded_outbound.c


async def keep(
    session: AsyncSession,
    *,
    tenant_id: str,
    event: ActionCompleted | OwnActivityRecorded,
    now: datetime,
) -> None:
    """Keep a message whose thread is not filed yet, to be filed again."""
    await session.execute(
        unthreaded_outbound.insert().values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            event_type=event.event_type,
            payload=event.model_dump(mode="json"),
            kept_at=now,
            next_at=now + timedelta(seconds=UNTHREADED_SECONDS),
        )
    )
    log.info("reply.kept_until_thread", tenant_id=tenant_id, event_type=event.event_type)


async def file(
    session: AsyncSession,
    *,
    tenant_id: str,
    event: ActionCompleted | OwnActivityRecorded,
    now: datetime,
) -> None:
    """File the brand's message in its thread, or keep it until the thread is filed."""
    try:
        async with session.begin_nested():
            await _file(session, tenant_id=tenant_id, event=event, now=now)
    except intake.ThreadNotFiled:
        await keep(session, tenant_id=tenant_id, event=event, now=now)


async def _file(
    session: AsyncSession,
    *,
    tenant_id: str,
    event: ActionCompleted | OwnActivityRecorded,
    now: datetime,
) -> None:
    if isinstance(event, ActionCompleted):
        await intake.completed(session, tenant_id=tenant_id, event=event, now=now)
    else:
        await intake.own_activity(session, tenant_id=tenant_id, event=event, now=now)


async def retry(session: AsyncSession, *, now: datetime) -> int:
    """File again the kept messages that are due, dropping those kept too long; how many were
    filed. Replicas share the rows (SKIP LOCKED)."""
    rows = (
        await session.execute(
            select(unthreaded_outbound)
            .where(u.next_at <= now)
            .order_by(u.next_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    filed = 0
    for row in rows:
        event: ActionCompleted | OwnActivityRecorded = (
            ActionCompleted.model_validate(row.payload)
            if row.event_type == ActionCompleted.event_type
            else OwnActivityRecorded.model_validate(row.payload)
        )
        try:
            async with session.begin_nested():
                await _file(session, tenant_id=row.tenant_id, event=event, now=now)
        except intake.ThreadNotFiled:
            if row.kept_at <= now - timedelta(days=UNTHREADED_DAYS):
                log.info(
                    "reply.dropped_without_thread",
                    tenant_id=row.tenant_id,
                    event_type=row.event_type,
                    kept_at=row.kept_at.isoformat(),
                )
                await session.execute(delete(unthreaded_outbound).where(u.id == row.id))
            else:
                await session.execute(
                    update(unthreaded_outbound)
                    .where(u.id == row.id)
                    .values(next_at=now + timedelta(seconds=UNTHREADED_SECONDS))
                )
            continue
        await session.execute(delete(unthreaded_outbound).where(u.id == row.id))
        filed += 1
    return filed
