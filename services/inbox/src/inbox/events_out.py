"""Events out: each change the inbox sends goes, in the transaction that makes it, to the
organization's live streams (`inbox.stream`) and to its webhook subscriptions
(`inbox.webhooks`), under one name and one body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.reseal import reseal_job
from beacon_shared.webhooks.service import Notice, body
from beacon_shared.worker import Job, WorkerContext, every
from inbox.config import Settings, webhook_box
from inbox.stream import service as stream
from inbox.webhooks.dispatcher import build_dispatcher
from inbox.webhooks.service import (
    CONVERSATION_ASSIGNED,
    CONVERSATION_STATUS_CHANGED,
    EVENT_TYPES,
    MESSAGE_MODERATED,
    MESSAGE_RECEIVED,
    SLA_BREACHED,
    WEBHOOKS,
)

__all__ = [
    "CONVERSATION_ASSIGNED",
    "CONVERSATION_STATUS_CHANGED",
    "EVENT_TYPES",
    "MESSAGE_MODERATED",
    "MESSAGE_RECEIVED",
    "SLA_BREACHED",
    "Event",
    "publish",
    "worker_jobs",
]
# How often the stream's log is trimmed to its age and count.
TRIM_SECONDS = 30.0


@dataclass(frozen=True)
class Event:
    """One change to send out: an organization's, of a brand (None: the whole organization's)."""

    tenant_id: str
    brand_id: str | None
    type: str
    data: Mapping[str, Any]


async def publish(session: AsyncSession, events: Sequence[Event]) -> None:
    """Log the events for the streams and queue them for the webhooks subscribed, in the caller's
    transaction: both or neither."""
    if not events:
        return
    now = datetime.now(UTC)
    await stream.append(
        session,
        [
            stream.Logged(e.tenant_id, e.brand_id, e.type, body(e.type, e.data, occurred_at=now))
            for e in events
        ],
        now=now,
    )
    await WEBHOOKS.notify_many(
        session,
        [
            Notice(tenant_id=e.tenant_id, event_type=e.type, data=e.data, brand_id=e.brand_id)
            for e in events
        ],
        now=now,
    )


def worker_jobs(context: WorkerContext) -> list[Job]:
    """What sends the events out from the worker: the webhook dispatcher, the stream log's trim,
    and the re-seal of the endpoints' signing secrets under the newest key."""
    settings = context.settings
    assert isinstance(settings, Settings)

    async def trim() -> None:
        async with context.sessionmaker() as session, session.begin():
            await stream.trim(
                session,
                now=datetime.now(UTC),
                keep_for=timedelta(seconds=settings.stream_retention_seconds),
                keep=settings.stream_max_events,
            )

    return [
        build_dispatcher(context.sessionmaker, settings).run,
        every(TRIM_SECONDS, trim, name="inbox.stream_trim"),
        reseal_job(context.sessionmaker, [WEBHOOKS.sealed_secrets(webhook_box(settings))]),
    ]
