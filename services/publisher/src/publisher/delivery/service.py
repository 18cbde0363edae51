"""Delivery of posts to the networks: claiming due targets, recording outcomes, reclaiming lost
claims, and holding targets whose outcome is unknown until reconciliation settles them.

Each function runs in the caller's short transaction; the network call happens between them,
never inside one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import PostFailed, PostPublished
from beacon_shared.events import Envelope, EventPayload
from beacon_shared.logging import get_logger
from publisher.authoring import progress
from publisher.authoring.service import SOURCE
from publisher.brands import service as brands
from publisher.db import outbox as outbox_table
from publisher.delivery.repository import claims as repository
from publisher.webhooks import service as webhooks

log = get_logger(__name__)
REFRESH_AWAITED = (
    "the network refused the account's token: publishing once the workspace refreshed it"
)


@dataclass(frozen=True)
class ClaimedTarget:
    """A target this worker holds until its lease ends, with what it needs to publish it."""

    target_id: UUID
    post_id: UUID
    tenant_id: str
    account_id: str
    network: Network
    attempts: int
    due_at: datetime
    text: str
    link: str | None
    media: list[dict[str, Any]]
    first_comment: str | None
    variants: dict[str, dict[str, Any]]
    brand_id: str | None
    campaign_id: str | None
    scheduled_at: datetime
    correlation_id: str | None
    unconfirmed_at: datetime | None = None

    @classmethod
    def from_rows(cls, target: Row[Any], content: Row[Any]) -> ClaimedTarget:
        """From a claimed target's row (CLAIMED_COLUMNS) and its post's content."""
        values = {**content._mapping, **target._mapping}
        values["target_id"] = values.pop("id")
        values["network"] = Network(values["network"])
        return cls(**values)


async def _claimed(session: AsyncSession, rows: Sequence[Row[Any]]) -> list[ClaimedTarget]:
    """The claimed targets with their posts' content, in the claim's order."""
    content = await progress.contents(session, {row.post_id for row in rows})
    return [ClaimedTarget.from_rows(row, content[row.post_id]) for row in rows]


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    lease: timedelta,
    worker_id: str,
    limit: int,
    brand_paused: progress.BrandCondition = brands.paused,
) -> list[ClaimedTarget]:
    """Claim due targets no other worker holds, for `lease`; the next occurrence of a recurring
    post is created as its first target is claimed. Targets of a brand paused by a bad-buzz alert
    wait, scheduled, until the pause ends."""
    rows = await repository.claim_due(
        session,
        now=now,
        lease_until=now + lease,
        worker_id=worker_id,
        limit=limit,
        held_back=lambda post_id: progress.of_brand(post_id, brand_paused),
    )
    await progress.start_publishing(session, {row.post_id for row in rows}, now=now)
    return await _claimed(session, rows)


async def claim_unconfirmed(
    session: AsyncSession, *, now: datetime, lease: timedelta, worker_id: str, limit: int
) -> list[ClaimedTarget]:
    """Claim targets whose outcome is unknown and whose reconciliation is due."""
    rows = await repository.claim_unconfirmed(
        session, now=now, lease_until=now + lease, worker_id=worker_id, limit=limit
    )
    return await _claimed(session, rows)


@dataclass(frozen=True)
class Published:
    """What a network said of a target it published."""

    claimed: ClaimedTarget
    external_id: str
    url: str | None
    published_at: datetime
    first_comment_id: str | None = None
    first_comment_error: str | None = None
    # `answer`: the network said so; `reconciled`: found among the account's posts.
    confirmed_by: str = "answer"
    # The network's id of the account it went out as (analytics cuts per account with it).
    external_account_id: str | None = None


async def record_published(session: AsyncSession, outcomes: Sequence[Published]) -> int:
    """Mark targets published and stage their `post.published`, each once; returns how many
    were recorded (a target already finished or cancelled is skipped)."""
    marked = set(
        await repository.mark_published_many(
            session,
            [
                {
                    "id": o.claimed.target_id,
                    "external_id": o.external_id,
                    "url": o.url,
                    "published_at": o.published_at,
                    "first_comment_id": o.first_comment_id,
                    "first_comment_error": o.first_comment_error,
                }
                for o in outcomes
            ],
        )
    )
    recorded = [o for o in outcomes if o.claimed.target_id in marked]
    for skipped in (o for o in outcomes if o.claimed.target_id not in marked):
        log.info("target.already_finished", target_id=str(skipped.claimed.target_id))
    if not recorded:
        return 0
    now = max(o.published_at for o in recorded)
    await progress.refresh_status(session, {o.claimed.post_id for o in recorded}, now=now)
    events = []
    for outcome in recorded:
        claimed = outcome.claimed
        payload = PostPublished(
            post_id=claimed.post_id,
            target_id=claimed.target_id,
            brand_id=claimed.brand_id,
            campaign_id=claimed.campaign_id,
            account_id=claimed.account_id,
            network=claimed.network,
            external_id=outcome.external_id,
            url=outcome.url,
            scheduled_at=claimed.scheduled_at,
            published_at=outcome.published_at,
            external_account_id=outcome.external_account_id,
            confirmed_by=outcome.confirmed_by,
        )
        events.append((claimed, payload))
        log.info(
            "target.published",
            target_id=str(claimed.target_id),
            post_id=str(claimed.post_id),
            network=claimed.network.value,
            external_id=outcome.external_id,
            confirmed_by=outcome.confirmed_by,
            lag_seconds=round((outcome.published_at - claimed.due_at).total_seconds(), 3),
        )
    await _emit(session, events, "post.published")
    return len(recorded)


async def record_failed(
    session: AsyncSession, claimed: ClaimedTarget, *, error: str, kind: str, now: datetime
) -> bool:
    """Mark the target failed for good and stage `post.failed`; False if already finished."""
    if not await repository.mark_failed(
        session, target_id=claimed.target_id, error=error, kind=kind, now=now
    ):
        return False
    await progress.refresh_status(session, [claimed.post_id], now=now)
    payload = PostFailed(
        post_id=claimed.post_id,
        target_id=claimed.target_id,
        brand_id=claimed.brand_id,
        campaign_id=claimed.campaign_id,
        account_id=claimed.account_id,
        network=claimed.network,
        reason=error,
        kind=kind,
        attempts=claimed.attempts,
        scheduled_at=claimed.scheduled_at,
        failed_at=now,
    )
    await _emit(session, [(claimed, payload)], "post.failed")
    log.warning(
        "target.failed",
        target_id=str(claimed.target_id),
        post_id=str(claimed.post_id),
        network=claimed.network.value,
        attempts=claimed.attempts,
        kind=kind,
        error=error,
    )
    return True


async def record_unconfirmed(
    session: AsyncSession,
    claimed: ClaimedTarget,
    *,
    worker_id: str,
    error: str,
    reconcile_at: datetime,
    now: datetime,
) -> bool:
    """Hold a target whose outcome is unknown until its reconciliation at `reconcile_at`."""
    if not await repository.mark_unconfirmed(
        session,
        target_id=claimed.target_id,
        worker_id=worker_id,
        error=error,
        reconcile_at=reconcile_at,
        now=now,
    ):
        return False
    await progress.refresh_status(session, [claimed.post_id], now=now)
    await webhooks.notify(
        session,
        tenant_id=claimed.tenant_id,
        event_type="post.unconfirmed",
        data={**_summary(claimed), "reason": error},
        brand_id=claimed.brand_id,
    )
    log.warning(
        "target.unconfirmed",
        target_id=str(claimed.target_id),
        network=claimed.network.value,
        reconcile_at=reconcile_at.isoformat(),
        error=error,
    )
    return True


async def wait_for_credentials(
    session: AsyncSession,
    claimed: ClaimedTarget,
    *,
    worker_id: str,
    error: str,
    until: datetime,
    now: datetime,
) -> bool:
    """Hand the target back until `until`, its account's refreshed token awaited; the token
    arriving sooner brings it forward (`clear_warnings_of_account`). False if no longer ours."""
    released = await repository.release(
        session,
        target_id=claimed.target_id,
        worker_id=worker_id,
        error=error,
        retry_at=until,
        now=now,
        warning=(REFRESH_AWAITED, "refresh"),
    )
    if released:
        log.info(
            "target.awaits_credentials", target_id=str(claimed.target_id), until=until.isoformat()
        )
    return released


async def retry_later(
    session: AsyncSession,
    claimed: ClaimedTarget,
    *,
    worker_id: str,
    error: str,
    retry_at: datetime,
    now: datetime,
) -> bool:
    """Hand the target back to be attempted again at `retry_at`; False if no longer ours.

    An unconfirmed target comes back here once reconciliation found it is not out."""
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


async def reconcile_later(
    session: AsyncSession, claimed: ClaimedTarget, *, worker_id: str, at: datetime, now: datetime
) -> bool:
    """Look for an unconfirmed target again at `at`."""
    return await repository.postpone_reconciliation(
        session, target_id=claimed.target_id, worker_id=worker_id, at=at, now=now
    )


async def reclaim_expired(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Targets whose worker lost its lease become unconfirmed, due for reconciliation: the lost
    worker may have published them. A count."""
    rows = await repository.expire_leases(
        session,
        now=now,
        error="the worker publishing it stopped before recording the outcome",
        limit=limit,
    )
    await progress.refresh_status(session, {row.post_id for row in rows}, now=now)
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


def _summary(claimed: ClaimedTarget) -> dict[str, Any]:
    return {
        "post_id": str(claimed.post_id),
        "target_id": str(claimed.target_id),
        "brand_id": claimed.brand_id,
        "campaign_id": claimed.campaign_id,
        "account_id": claimed.account_id,
        "network": claimed.network.value,
        "scheduled_at": claimed.scheduled_at.isoformat(),
    }


async def _emit(
    session: AsyncSession, events: Sequence[tuple[ClaimedTarget, EventPayload]], webhook: str
) -> None:
    """Stage the events (keyed by post) in one outbox insert, and offer each to webhooks."""
    envelopes = [
        Envelope.build(
            payload,
            tenant_id=claimed.tenant_id,
            subject=str(claimed.post_id),
            source=SOURCE,
            correlation_id=claimed.correlation_id,
        )
        for claimed, payload in events
    ]
    await outbox.stage(
        session, outbox_table, envelopes, keys=[str(claimed.post_id) for claimed, _ in events]
    )
    await webhooks.notify_many(
        session,
        [
            webhooks.Notice(
                tenant_id=claimed.tenant_id,
                event_type=webhook,
                data=payload.model_dump(mode="json"),
                brand_id=claimed.brand_id,
            )
            for claimed, payload in events
        ],
    )
