"""What delivery asks of authoring: a claimed target's content, whether its brand holds it
back, and a post's move to publishing (a recurring post's next occurrence is created then)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.publisher import ScheduleChange
from publisher.authoring import repository
from publisher.authoring.repository import BrandCondition
from publisher.authoring.service import announce, get, refresh_status
from publisher.calendar import next_occurrence, zone
from publisher.delivery import targets as post_targets
from publisher.webhooks import service as webhooks

__all__ = [
    "BrandCondition",
    "contents",
    "of_brand",
    "refresh_status",
    "spawn_next_occurrence",
    "start_publishing",
]


async def contents(session: AsyncSession, post_ids: Collection[UUID]) -> dict[UUID, Row[Any]]:
    """What these posts say and where they belong (brand, campaign, time), by post id."""
    return {row.id: row for row in await repository.contents_of(session, post_ids)}


def of_brand(post_id: ColumnElement[UUID], condition: BrandCondition) -> ColumnElement[bool]:
    """Whether the post `post_id` names is of a brand `condition` holds for (joins the caller's
    statement)."""
    return repository.of_brand(post_id, condition)


async def start_publishing(
    session: AsyncSession, post_ids: Collection[UUID], *, now: datetime
) -> None:
    """Scheduled posts one of whose targets was claimed move to publishing (webhook
    `post.publishing`); a recurring one gets its next occurrence."""
    started = await repository.mark_posts_publishing(session, post_ids, now=now)
    await webhooks.notify_many(
        session,
        [
            webhooks.Notice(
                tenant_id=post.tenant_id,
                event_type="post.publishing",
                data={"post_id": str(post.id), "brand_id": post.brand_id, "status": "publishing"},
                brand_id=post.brand_id,
            )
            for post in started
        ],
    )
    for post in started:
        if post.recurrence is not None:
            await spawn_next_occurrence(session, post)


async def spawn_next_occurrence(session: AsyncSession, post: Row[Any]) -> UUID | None:
    """Create the next post of a recurring series, once; None when the series is over."""
    if post.recurrence is None or post.series_id is None:
        return None
    first = await repository.get_post(session, tenant_id=post.tenant_id, post_id=post.series_id)
    if first is None or first.local_scheduled_at is None or first.timezone is None:
        return None
    at = next_occurrence(
        post.recurrence,
        start_local=first.local_scheduled_at,
        tz=first.timezone,
        after=post.scheduled_at,
    )
    if at is None:
        return None
    now = datetime.now(UTC)
    next_id = uuid.uuid4()
    local = at.astimezone(zone(first.timezone)).replace(tzinfo=None)
    inserted = await repository.insert_occurrence(
        session, source=post.id, new_id=next_id, at=at, local=local, now=now
    )
    if not inserted:
        return None
    await post_targets.copy(session, source=post.id, new_id=next_id, at=at, now=now)
    record = await get(session, tenant_id=post.tenant_id, post_id=next_id)
    await announce(session, record, ScheduleChange.scheduled)
    return next_id
