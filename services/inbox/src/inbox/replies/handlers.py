"""Consumed events: the outcomes of replies sent through Beacon and the brand's native replies
join their threads."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.ingest import ActionCompleted, OwnActivityRecorded
from beacon_shared.contracts.topics import ACTION_COMPLETED, OWN_ACTIVITY_RECORDED
from beacon_shared.events import Envelope
from inbox.replies import unthreaded

REPLIES_GROUP = "inbox.replies"


async def action_completed(session: AsyncSession, envelope: Envelope) -> None:
    """Show a reply's outcome in its thread (kept until the thread is filed)."""
    await unthreaded.file(
        session,
        tenant_id=envelope.tenantid,
        event=envelope.payload(ActionCompleted),
        now=datetime.now(UTC),
    )


async def own_activity_recorded(session: AsyncSession, envelope: Envelope) -> None:
    """File the brand's native reply in its thread (kept until the thread is filed)."""
    await unthreaded.file(
        session,
        tenant_id=envelope.tenantid,
        event=envelope.payload(OwnActivityRecorded),
        now=datetime.now(UTC),
    )


def replies_consumer() -> Consumer:
    """The group filing the brand's own messages."""
    return Consumer(
        group_id=REPLIES_GROUP,
        topics=[ACTION_COMPLETED.name, OWN_ACTIVITY_RECORDED.name],
        handlers={
            ActionCompleted.event_type: action_completed,
            OwnActivityRecorded.event_type: own_activity_recorded,
        },
    )
