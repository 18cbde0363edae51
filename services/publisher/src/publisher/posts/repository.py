"""All SQL of posts and their targets.

Lock order, everywhere: targets first, then posts in id order, so claimers, finishers,
the sweeper and cancellations never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, case, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from publisher.posts.models import PostStatus, TargetStatus, post, post_target
from publisher.posts.schemas import PostQuery

OPEN = (TargetStatus.scheduled.value, TargetStatus.publishing.value)
# What a worker needs to publish a claimed target: the target and its post's content.
CLAIMED_COLUMNS: tuple[ColumnElement[Any], ...] = (
    post_target.c.id,
    post_target.c.post_id,
    post_target.c.tenant_id,
    post_target.c.account_id,
    post_target.c.network,
    post_target.c.attempts,
    post_target.c.due_at,
    post.c.text,
    post.c.link,
    post.c.brand_id,
    post.c.campaign_id,
    post.c.scheduled_at,
    post.c.correlation_id,
)


async def find_by_idempotency_key(
    session: AsyncSession, *, tenant_id: str, idempotency_key: str
) -> Row[Any] | None:
    """The tenant's post created with this key, if any."""
    result = await session.execute(
        select(post).where(post.c.tenant_id == tenant_id, post.c.idempotency_key == idempotency_key)
    )
    return result.first()


async def insert_post(session: AsyncSession, row: Mapping[str, Any]) -> bool:
    """Insert a post; False when the tenant already used its idempotency key."""
    result = await session.execute(
        insert(post)
        .values(dict(row))
        .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
        .returning(post.c.id)
    )
    oldest: datetime | None = result.scalar()
    return oldest is not None


async def insert_targets(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert a post's targets."""
    await session.execute(insert(post_target), [dict(r) for r in rows])


async def get_post(
    session: AsyncSession, *, tenant_id: str, post_id: UUID, for_update: bool = False
) -> Row[Any] | None:
    """One post of the tenant."""
    stmt = select(post).where(post.c.tenant_id == tenant_id, post.c.id == post_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).first()


async def targets_of(session: AsyncSession, post_ids: Collection[UUID]) -> list[Row[Any]]:
    """The targets of these posts, in a stable order."""
    if not post_ids:
        return []
    result = await session.execute(
        select(post_target)
        .where(post_target.c.post_id.in_(list(post_ids)))
        .order_by(post_target.c.post_id, post_target.c.network, post_target.c.account_id)
    )
    return list(result.all())


async def lock_targets(session: AsyncSession, post_id: UUID) -> list[Row[Any]]:
    """The post's targets, locked until the transaction ends (waits for a claim in progress)."""
    result = await session.execute(
        select(post_target)
        .where(post_target.c.post_id == post_id)
        .order_by(post_target.c.id)
        .with_for_update()
    )
    return list(result.all())


async def list_posts(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: PostQuery,
    after: Cursor | None,
    limit: int,
) -> list[Row[Any]]:
    """Up to `limit` posts of the tenant, newest first, strictly after `after`."""
    stmt = select(post).where(post.c.tenant_id == tenant_id)
    if query.status is not None:
        stmt = stmt.where(post.c.status == query.status.value)
    if query.from_ is not None:
        stmt = stmt.where(post.c.scheduled_at >= query.from_)
    if query.to is not None:
        stmt = stmt.where(post.c.scheduled_at < query.to)
    if after is not None:
        stmt = stmt.where(tuple_(post.c.created_at, post.c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(post.c.created_at.desc(), post.c.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


async def cancel(session: AsyncSession, *, post_id: UUID, now: datetime) -> None:
    """Mark the post and its targets cancelled (the caller holds the targets' locks)."""
    await session.execute(
        update(post_target)
        .where(post_target.c.post_id == post_id)
        .values(status=TargetStatus.cancelled.value, updated_at=now)
    )
    await session.execute(
        update(post)
        .where(post.c.id == post_id)
        .values(status=PostStatus.cancelled.value, updated_at=now)
    )


async def claim_due(
    session: AsyncSession, *, now: datetime, lease_until: datetime, worker_id: str, limit: int
) -> list[Row[Any]]:
    """Claim up to `limit` due targets nobody else holds; returns them with their post's content."""
    due = (
        select(post_target.c.id)
        .where(
            post_target.c.status == TargetStatus.scheduled.value,
            post_target.c.due_at <= now,
        )
        .order_by(post_target.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        await session.execute(
            update(post_target)
            .where(post_target.c.id.in_(due))
            .values(
                status=TargetStatus.publishing.value,
                lease_until=lease_until,
                claimed_by=worker_id,
                attempts=post_target.c.attempts + 1,
                updated_at=now,
            )
            .returning(post_target.c.id)
        )
    ).scalars()
    ids = list(claimed)
    if not ids:
        return []
    rows = await session.execute(
        select(*CLAIMED_COLUMNS)
        .join(post, post.c.id == post_target.c.post_id)
        .where(post_target.c.id.in_(ids))
        .order_by(post_target.c.due_at)
    )
    return list(rows.all())


async def mark_published(
    session: AsyncSession,
    *,
    target_id: UUID,
    external_id: str,
    url: str | None,
    published_at: datetime,
) -> bool:
    """Record the publication; False when the target was already finished or cancelled."""
    result = await session.execute(
        update(post_target)
        .where(post_target.c.id == target_id, post_target.c.status.in_(OPEN))
        .values(
            status=TargetStatus.published.value,
            external_id=external_id,
            url=url,
            published_at=published_at,
            error=None,
            lease_until=None,
            updated_at=published_at,
        )
        .returning(post_target.c.id)
    )
    oldest: datetime | None = result.scalar()
    return oldest is not None


async def mark_failed(session: AsyncSession, *, target_id: UUID, error: str, now: datetime) -> bool:
    """Record a final failure; False when the target was already finished or cancelled."""
    result = await session.execute(
        update(post_target)
        .where(post_target.c.id == target_id, post_target.c.status.in_(OPEN))
        .values(status=TargetStatus.failed.value, error=error, lease_until=None, updated_at=now)
        .returning(post_target.c.id)
    )
    oldest: datetime | None = result.scalar()
    return oldest is not None


async def release(
    session: AsyncSession,
    *,
    target_id: UUID,
    worker_id: str,
    error: str,
    retry_at: datetime,
    now: datetime,
) -> bool:
    """Hand a claimed target back for another attempt at `retry_at`; False if no longer ours."""
    result = await session.execute(
        update(post_target)
        .where(
            post_target.c.id == target_id,
            post_target.c.status == TargetStatus.publishing.value,
            post_target.c.claimed_by == worker_id,
        )
        .values(
            status=TargetStatus.scheduled.value,
            due_at=retry_at,
            error=error,
            lease_until=None,
            claimed_by=None,
            updated_at=now,
        )
        .returning(post_target.c.id)
    )
    oldest: datetime | None = result.scalar()
    return oldest is not None


async def expire_leases(
    session: AsyncSession, *, now: datetime, max_attempts: int, error: str, limit: int
) -> list[Row[Any]]:
    """Reschedule claims whose lease ran out, or fail those out of attempts; returns them."""
    expired = (
        select(post_target.c.id)
        .where(
            post_target.c.status == TargetStatus.publishing.value,
            post_target.c.lease_until < now,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    out_of_attempts = post_target.c.attempts >= max_attempts
    result = await session.execute(
        update(post_target)
        .where(post_target.c.id.in_(expired))
        .values(
            status=case(
                (out_of_attempts, TargetStatus.failed.value),
                else_=TargetStatus.scheduled.value,
            ),
            error=error,
            lease_until=None,
            claimed_by=None,
            updated_at=now,
        )
        .returning(
            post_target.c.id,
            post_target.c.post_id,
            post_target.c.status,
        )
    )
    return list(result.all())


async def mark_posts_publishing(
    session: AsyncSession, post_ids: Collection[UUID], *, now: datetime
) -> None:
    """Move scheduled posts to publishing once a target is claimed.

    Posts another transaction holds are skipped: that holder is a claimer doing the same, or a
    finisher or the sweeper, which derive the status from the targets anyway. Waiting here would
    serialise every claimer of a post's targets.
    """
    if not post_ids:
        return
    locked = (
        select(post.c.id)
        .where(post.c.id.in_(list(post_ids)), post.c.status == PostStatus.scheduled.value)
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        update(post)
        .where(post.c.id.in_(locked))
        .values(status=PostStatus.publishing.value, updated_at=now)
    )


async def refresh_post_status(
    session: AsyncSession, post_ids: Collection[UUID], *, now: datetime
) -> None:
    """Derive each post's status from its targets (cancelled posts stay cancelled)."""
    if not post_ids:
        return
    ids = sorted(set(post_ids))
    # Lock in id order so two workers finishing targets of the same posts cannot deadlock.
    await session.execute(
        select(post.c.id).where(post.c.id.in_(ids)).order_by(post.c.id).with_for_update()
    )
    t = post_target.c
    counts = (
        select(
            t.post_id,
            func.count().label("total"),
            func.count().filter(t.status.in_(OPEN)).label("open"),
            func.count()
            .filter((t.status != TargetStatus.scheduled.value) | (t.attempts > 0))
            .label("started"),
            func.count().filter(t.status == TargetStatus.published.value).label("published"),
        )
        .where(t.post_id.in_(ids))
        .group_by(t.post_id)
        .subquery()
    )
    status = case(
        (
            counts.c.open > 0,
            case(
                (counts.c.started > 0, PostStatus.publishing.value),
                else_=PostStatus.scheduled.value,
            ),
        ),
        (counts.c.published == counts.c.total, PostStatus.published.value),
        (counts.c.published == 0, PostStatus.failed.value),
        else_=PostStatus.partially_published.value,
    )
    await session.execute(
        update(post)
        .where(
            post.c.id == counts.c.post_id,
            post.c.status != PostStatus.cancelled.value,
            post.c.status.is_distinct_from(status),
        )
        .values(status=status, updated_at=now)
    )


async def oldest_due_at(session: AsyncSession, *, now: datetime) -> datetime | None:
    """The due time of the longest-waiting target not yet published."""
    result = await session.execute(
        select(func.min(post_target.c.due_at)).where(
            post_target.c.status.in_(OPEN), post_target.c.due_at <= now
        )
    )
    oldest: datetime | None = result.scalar()
    return oldest
