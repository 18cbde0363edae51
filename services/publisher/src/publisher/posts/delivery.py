"""The delivery side of posts: claiming due targets, recording outcomes, reclaiming lost claims.

Each function runs in the caller's short transaction; the network call happens between them,
never inside one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import PostPublished
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from publisher.db import outbox as outbox_table
from publisher.posts import repository
from publisher.posts.service import SOURCE

log = get_logger(__name__)


@dataclass(frozen=True)
class ClaimedTarget:
    """A target this worker holds until `lease_until`, with what it needs to publish it."""

    target_id: UUID
    post_id: UUID
    tenant_id: str
    account_id: str
    network: Network
    attempts: int
    due_at: datetime
    text: str
    link: str | None
    brand_id: str | None
    campaign_id: str | None
    scheduled_at: datetime
    correlation_id: str | None


async def claim_due(
    session: AsyncSession, *, now: datetime, lease: timedelta, worker_id: str, limit: int
) -> list[ClaimedTarget]:
    """Claim due targets no other worker holds, for `lease`."""
    rows = await repository.claim_due(
        session, now=now, lease_until=now + lease, worker_id=worker_id, limit=limit
    )
    await repository.mark_posts_publishing(session, {row.post_id for row in rows}, now=now)
    return [
        ClaimedTarget(
            target_id=row.id,
            post_id=row.post_id,
            tenant_id=row.tenant_id,
            account_id=row.account_id,
            network=Network(row.network),
            attempts=row.attempts,
            due_at=row.due_at,
            text=row.text,
            link=row.link,
            brand_id=row.brand_id,
            campaign_id=row.campaign_id,
            scheduled_at=row.scheduled_at,
            correlation_id=row.correlation_id,
        )
        for row in rows
    ]


async def record_published(
    session: AsyncSession,
    claimed: ClaimedTarget,
    *,
    external_id: str,
    url: str | None,
    published_at: datetime,
) -> bool:
    """Mark the target published and stage `post.published`, once; False if already recorded."""
    if not await repository.mark_published(
        session,
        target_id=claimed.target_id,
        external_id=external_id,
        url=url,
        published_at=published_at,
    ):
        log.info("target.already_finished", target_id=str(claimed.target_id))
        return False
    await repository.refresh_post_status(session, [claimed.post_id], now=published_at)
    payload = PostPublished(
        post_id=claimed.post_id,
        target_id=claimed.target_id,
        brand_id=claimed.brand_id,
        campaign_id=claimed.campaign_id,
        account_id=claimed.account_id,
        network=claimed.network,
        external_id=external_id,
        url=url,
        scheduled_at=claimed.scheduled_at,
        published_at=published_at,
    )
    envelope = Envelope.build(
        payload,
        tenant_id=claimed.tenant_id,
        subject=str(claimed.post_id),
        source=SOURCE,
        correlation_id=claimed.correlation_id,
    )
    await outbox.stage(session, outbox_table, [envelope], keys=[str(claimed.post_id)])
    log.info(
        "target.published",
        target_id=str(claimed.target_id),
        post_id=str(claimed.post_id),
        network=claimed.network.value,
        external_id=external_id,
        lag_seconds=round((published_at - claimed.due_at).total_seconds(), 3),
    )
    return True


async def record_failed(
    session: AsyncSession, claimed: ClaimedTarget, *, error: str, now: datetime
) -> bool:
    """Mark the target failed for good; False if it was already finished."""
    if not await repository.mark_failed(session, target_id=claimed.target_id, error=error, now=now):
        return False
    await repository.refresh_post_status(session, [claimed.post_id], now=now)
    log.warning(
        "target.failed",
        target_id=str(claimed.target_id),
        post_id=str(claimed.post_id),
        network=claimed.network.value,
        attempts=claimed.attempts,
        error=error,
    )
    return True


async def retry_later(
    session: AsyncSession,
    claimed: ClaimedTarget,
    *,
    worker_id: str,
    error: str,
    retry_at: datetime,
    now: datetime,
) -> bool:
    """Hand the target back to be attempted again at `retry_at`; False if no longer ours."""
    released = await repository.release(
        session,
        target_id=claimed.target_id,
        worker_id=worker_id,
        error=error,
        retry_at=retry_at,
        now=now,
    )
    if released:
        log.warning(
            "target.retry_scheduled",
            target_id=str(claimed.target_id),
            attempts=claimed.attempts,
            retry_at=retry_at.isoformat(),
            error=error,
        )
    return released


async def reclaim_expired(
    session: AsyncSession, *, now: datetime, max_attempts: int, limit: int = 500
) -> int:
    """Give targets whose worker lost its lease back to the scheduler (or fail them); a count."""
    rows = await repository.expire_leases(
        session,
        now=now,
        max_attempts=max_attempts,
        error="the worker publishing it stopped before recording the outcome",
        limit=limit,
    )
    await repository.refresh_post_status(session, {row.post_id for row in rows}, now=now)
    for row in rows:
        log.warning(
            "target.lease_expired",
            target_id=str(row.id),
            post_id=str(row.post_id),
            status=row.status,
        )
    return len(rows)


async def oldest_due_at(session: AsyncSession, *, now: datetime) -> datetime | None:
    """When the longest-waiting unpublished target fell due, if any is due."""
    return await repository.oldest_due_at(session, now=now)
