"""All SQL of posts and their targets.

Lock order, everywhere: targets first, then posts in id order, so claimers, finishers,
the sweeper and cancellations never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Row,
    Text,
    case,
    column,
    exists,
    func,
    literal,
    select,
    tuple_,
    update,
    values,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from publisher.posts.models import PostStatus, TargetStatus, post, post_review, post_target
from publisher.posts.schemas import PostQuery

OPEN = (
    TargetStatus.scheduled.value,
    TargetStatus.publishing.value,
    TargetStatus.unconfirmed.value,
)
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
    post.c.media,
    post.c.first_comment,
    post.c.variants,
    post.c.brand_id,
    post.c.campaign_id,
    post.c.scheduled_at,
    post.c.correlation_id,
    post_target.c.unconfirmed_at,
)
# Builds, from a post's tenant and brand columns, a condition on its brand (the caller's rule).
BrandCondition = Callable[[ColumnElement[str], ColumnElement[str | None]], ColumnElement[bool]]


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
    brand_ids: frozenset[str] | None,
    after: Cursor | None,
    limit: int,
) -> list[Row[Any]]:
    """Up to `limit` posts of the tenant (of `brand_ids` only, unless None), newest first,
    strictly after `after`."""
    stmt = select(post).where(post.c.tenant_id == tenant_id)
    if brand_ids is not None:
        stmt = stmt.where(post.c.brand_id.in_(brand_ids))
    if query.status is not None:
        stmt = stmt.where(post.c.status == query.status.value)
    if query.brand_id is not None:
        stmt = stmt.where(post.c.brand_id == query.brand_id)
    if query.campaign_id is not None:
        stmt = stmt.where(post.c.campaign_id == query.campaign_id)
    if query.account_id is not None or query.network is not None:
        has = select(post_target.c.id).where(post_target.c.post_id == post.c.id)
        if query.account_id is not None:
            has = has.where(post_target.c.account_id == query.account_id)
        if query.network is not None:
            has = has.where(post_target.c.network == query.network.value)
        stmt = stmt.where(exists(has))
    if query.from_ is not None:
        stmt = stmt.where(post.c.scheduled_at >= query.from_)
    if query.to is not None:
        stmt = stmt.where(post.c.scheduled_at < query.to)
    if after is not None:
        stmt = stmt.where(tuple_(post.c.created_at, post.c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(post.c.created_at.desc(), post.c.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


async def posts_of_brand(
    session: AsyncSession, *, tenant_id: str, brand_id: str, statuses: Sequence[PostStatus]
) -> list[UUID]:
    """The ids of the brand's posts in one of `statuses`, oldest first."""
    rows = await session.scalars(
        select(post.c.id)
        .where(
            post.c.tenant_id == tenant_id,
            post.c.brand_id == brand_id,
            post.c.status.in_([s.value for s in statuses]),
        )
        .order_by(post.c.created_at, post.c.id)
    )
    return list(rows)


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
    session: AsyncSession,
    *,
    now: datetime,
    lease_until: datetime,
    worker_id: str,
    limit: int,
    brand_paused: BrandCondition,
) -> list[Row[Any]]:
    """Claim up to `limit` due targets nobody else holds; returns them with their post's content.

    Targets of a post whose brand `brand_paused` holds true for are passed over: they stay
    scheduled and are claimed once it no longer does. The condition joins the claim's statement.
    """
    of_paused_brand = exists().where(
        post.c.id == post_target.c.post_id, brand_paused(post.c.tenant_id, post.c.brand_id)
    )
    due = (
        select(post_target.c.id)
        .where(
            post_target.c.status == TargetStatus.scheduled.value,
            post_target.c.due_at <= now,
            ~of_paused_brand,
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


async def claim_unconfirmed(
    session: AsyncSession, *, now: datetime, lease_until: datetime, worker_id: str, limit: int
) -> list[Row[Any]]:
    """Claim unconfirmed targets whose reconciliation is due and that nobody else holds."""
    due = (
        select(post_target.c.id)
        .where(
            post_target.c.status == TargetStatus.unconfirmed.value,
            post_target.c.due_at <= now,
            (post_target.c.lease_until.is_(None)) | (post_target.c.lease_until < now),
        )
        .order_by(post_target.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(
        (
            await session.execute(
                update(post_target)
                .where(post_target.c.id.in_(due))
                .values(lease_until=lease_until, claimed_by=worker_id, updated_at=now)
                .returning(post_target.c.id)
            )
        ).scalars()
    )
    if not ids:
        return []
    rows = await session.execute(
        select(*CLAIMED_COLUMNS)
        .join(post, post.c.id == post_target.c.post_id)
        .where(post_target.c.id.in_(ids))
        .order_by(post_target.c.due_at)
    )
    return list(rows.all())


async def mark_unconfirmed(
    session: AsyncSession,
    *,
    target_id: UUID,
    worker_id: str,
    error: str,
    reconcile_at: datetime,
    now: datetime,
) -> bool:
    """Hold a claimed target whose outcome is unknown; False if no longer ours."""
    result = await session.execute(
        update(post_target)
        .where(
            post_target.c.id == target_id,
            post_target.c.status == TargetStatus.publishing.value,
            post_target.c.claimed_by == worker_id,
        )
        .values(
            status=TargetStatus.unconfirmed.value,
            unconfirmed_at=func.coalesce(post_target.c.unconfirmed_at, now),
            due_at=reconcile_at,
            error=error,
            lease_until=None,
            claimed_by=None,
            updated_at=now,
        )
        .returning(post_target.c.id)
    )
    return result.first() is not None


async def postpone_reconciliation(
    session: AsyncSession, *, target_id: UUID, worker_id: str, at: datetime, now: datetime
) -> bool:
    """Look for an unconfirmed target again at `at`; False if no longer ours."""
    result = await session.execute(
        update(post_target)
        .where(
            post_target.c.id == target_id,
            post_target.c.status == TargetStatus.unconfirmed.value,
            post_target.c.claimed_by == worker_id,
        )
        .values(due_at=at, lease_until=None, claimed_by=None, updated_at=now)
        .returning(post_target.c.id)
    )
    return result.first() is not None


async def mark_published_many(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> list[UUID]:
    """Record many publications in one statement; returns the ids recorded (a target already
    finished or cancelled is left alone). Each row: id, external_id, url, published_at,
    first_comment_id, first_comment_error."""
    if not rows:
        return []
    given = values(
        column("id", PG_UUID(as_uuid=True)),
        column("external_id", Text),
        column("url", Text),
        column("published_at", DateTime(timezone=True)),
        column("first_comment_id", Text),
        column("first_comment_error", Text),
        name="given",
    ).data([tuple(row[name] for name in _PUBLISHED_FIELDS) for row in rows])
    result = await session.execute(
        update(post_target)
        .where(post_target.c.id == given.c.id, post_target.c.status.in_(OPEN))
        .values(
            status=TargetStatus.published.value,
            external_id=given.c.external_id,
            url=given.c.url,
            published_at=given.c.published_at,
            first_comment_id=given.c.first_comment_id,
            first_comment_error=given.c.first_comment_error,
            error=None,
            lease_until=None,
            claimed_by=None,
            updated_at=given.c.published_at,
        )
        .returning(post_target.c.id)
    )
    return list(result.scalars())


_PUBLISHED_FIELDS = (
    "id",
    "external_id",
    "url",
    "published_at",
    "first_comment_id",
    "first_comment_error",
)


async def mark_failed(
    session: AsyncSession, *, target_id: UUID, error: str, kind: str, now: datetime
) -> bool:
    """Record a final failure; False when the target was already finished or cancelled."""
    result = await session.execute(
        update(post_target)
        .where(post_target.c.id == target_id, post_target.c.status.in_(OPEN))
        .values(
            status=TargetStatus.failed.value,
            error=error,
            failure_kind=kind,
            lease_until=None,
            claimed_by=None,
            updated_at=now,
        )
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
    warning: tuple[str, str] | None = None,
) -> bool:
    """Hand a claimed target back for another attempt at `retry_at` (with a warning and its kind
    when given); False if no longer ours."""
    shown = {"warning": warning[0], "warning_kind": warning[1]} if warning is not None else {}
    result = await session.execute(
        update(post_target)
        .where(
            post_target.c.id == target_id,
            post_target.c.status.in_(
                [TargetStatus.publishing.value, TargetStatus.unconfirmed.value]
            ),
            post_target.c.claimed_by == worker_id,
        )
        .values(
            status=TargetStatus.scheduled.value,
            due_at=retry_at,
            unconfirmed_at=None,
            error=error,
            lease_until=None,
            claimed_by=None,
            updated_at=now,
            **shown,
        )
        .returning(post_target.c.id)
    )
    oldest: datetime | None = result.scalar()
    return oldest is not None


async def expire_leases(
    session: AsyncSession, *, now: datetime, error: str, limit: int
) -> list[Row[Any]]:
    """Claims whose lease ran out become unconfirmed, due for reconciliation now: their worker
    may have published them before it stopped. Returns them."""
    expired = (
        select(post_target.c.id)
        .where(
            post_target.c.status == TargetStatus.publishing.value,
            post_target.c.lease_until < now,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(post_target)
        .where(post_target.c.id.in_(expired))
        .values(
            status=TargetStatus.unconfirmed.value,
            # When the lease ran out, not when that was noticed: reconciliation looks for the
            # post from one lease before, i.e. from the claim, when the worker sent it.
            unconfirmed_at=post_target.c.lease_until,
            due_at=now,
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
) -> list[Row[Any]]:
    """Move scheduled posts to publishing once a target is claimed.

    Posts another transaction holds are skipped: that holder is a claimer doing the same, or a
    finisher or the sweeper, which derive the status from the targets anyway. Waiting here would
    serialise every claimer of a post's targets.
    """
    if not post_ids:
        return []
    locked = (
        select(post.c.id)
        .where(post.c.id.in_(list(post_ids)), post.c.status == PostStatus.scheduled.value)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(post)
        .where(post.c.id.in_(locked))
        .values(status=PostStatus.publishing.value, updated_at=now)
        .returning(post)
    )
    return list(result.all())


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


async def update_post(session: AsyncSession, *, post_id: UUID, values: Mapping[str, Any]) -> None:
    """Change a post's columns (the caller holds its lock)."""
    await session.execute(update(post).where(post.c.id == post_id).values(dict(values)))


async def set_target_status(
    session: AsyncSession, *, post_id: UUID, status: TargetStatus, now: datetime
) -> None:
    """Move every target of a post not yet publishing to a workflow state."""
    await session.execute(
        update(post_target)
        .where(post_target.c.post_id == post_id)
        .values(status=status.value, updated_at=now)
    )


async def schedule_targets(
    session: AsyncSession, *, due: Mapping[UUID, datetime], now: datetime
) -> None:
    """Schedule targets, each at its own due time."""
    for target_id, due_at in due.items():
        await session.execute(
            update(post_target)
            .where(post_target.c.id == target_id)
            .values(status=TargetStatus.scheduled.value, due_at=due_at, updated_at=now)
        )


async def retry_targets(
    session: AsyncSession, target_ids: Sequence[UUID], *, now: datetime
) -> None:
    """Schedule failed targets again, due now, with their attempts counted afresh."""
    await session.execute(
        update(post_target)
        .where(
            post_target.c.id.in_(list(target_ids)),
            post_target.c.status == TargetStatus.failed.value,
        )
        .values(
            status=TargetStatus.scheduled.value,
            due_at=now,
            attempts=0,
            error=None,
            failure_kind=None,
            updated_at=now,
        )
    )


async def insert_review(session: AsyncSession, row: Mapping[str, Any]) -> Row[Any]:
    """Add an entry to a post's review history."""
    result = await session.execute(insert(post_review).values(dict(row)).returning(post_review))
    inserted: Row[Any] = result.one()
    return inserted


async def reviews_of(session: AsyncSession, post_id: UUID) -> list[Row[Any]]:
    """A post's review history, oldest first."""
    result = await session.execute(
        select(post_review)
        .where(post_review.c.post_id == post_id)
        .order_by(post_review.c.created_at, post_review.c.id)
    )
    return list(result.all())


async def insert_occurrence(
    session: AsyncSession,
    *,
    source: UUID,
    new_id: UUID,
    at: datetime,
    local: datetime,
    now: datetime,
) -> bool:
    """Copy a recurring post as its series' next occurrence, scheduled at `at`; False when that
    occurrence exists already (another worker made it)."""
    copied = [
        c
        for c in post.c
        if c.name
        not in {
            "id",
            "status",
            "scheduled_at",
            "local_scheduled_at",
            "occurrence",
            "idempotency_key",
            "request_hash",
            "created_at",
            "updated_at",
        }
    ]
    result = await session.execute(
        insert(post)
        .from_select(
            [
                *(c.name for c in copied),
                "id",
                "status",
                "scheduled_at",
                "local_scheduled_at",
                "occurrence",
                "created_at",
                "updated_at",
            ],
            select(
                *copied,
                literal(new_id),
                literal(PostStatus.scheduled.value),
                literal(at),
                literal(local),
                post.c.occurrence + 1,
                literal(now),
                literal(now),
            ).where(post.c.id == source),
        )
        .on_conflict_do_nothing(index_elements=["series_id", "occurrence"])
        .returning(post.c.id)
    )
    if result.first() is None:
        return False
    await session.execute(
        insert(post_target).from_select(
            [
                "id",
                "post_id",
                "tenant_id",
                "account_id",
                "network",
                "status",
                "due_at",
                "created_at",
                "updated_at",
            ],
            select(
                func.gen_random_uuid(),
                literal(new_id),
                post_target.c.tenant_id,
                post_target.c.account_id,
                post_target.c.network,
                literal(TargetStatus.scheduled.value),
                literal(at),
                literal(now),
                literal(now),
            ).where(post_target.c.post_id == source),
        )
    )
    return True


async def taken_times(
    session: AsyncSession,
    *,
    account_id: str,
    start: datetime,
    end: datetime,
    exclude_post: UUID | None = None,
) -> set[datetime]:
    """Due times of the account's posts that are not cancelled or failed, in [start, end),
    other than `exclude_post`'s (a post being rescheduled frees its own slot)."""
    result = await session.execute(
        select(post_target.c.due_at).where(
            post_target.c.post_id.is_distinct_from(exclude_post),
            post_target.c.account_id == account_id,
            post_target.c.due_at >= start,
            post_target.c.due_at < end,
            post_target.c.status.not_in([TargetStatus.cancelled.value, TargetStatus.failed.value]),
        )
    )
    return set(result.scalars())


# A target that has not gone out yet and whose account could still stop it.
NOT_OUT = (
    TargetStatus.draft.value,
    TargetStatus.in_review.value,
    TargetStatus.approved.value,
    TargetStatus.scheduled.value,
)


async def warn_targets_of_account(
    session: AsyncSession,
    *,
    tenant_id: str,
    account_id: str,
    warning: str,
    kind: str,
    now: datetime,
) -> list[Row[Any]]:
    """Put a warning on the account's targets not out yet; their id, post and due time."""
    result = await session.execute(
        update(post_target)
        .where(
            post_target.c.tenant_id == tenant_id,
            post_target.c.account_id == account_id,
            post_target.c.status.in_(NOT_OUT),
        )
        .values(warning=warning, warning_kind=kind, updated_at=now)
        .returning(post_target.c.id, post_target.c.post_id, post_target.c.due_at)
    )
    return sorted(result.all(), key=lambda row: (row.due_at, row.id))


async def move_targets_of_account(
    session: AsyncSession, *, tenant_id: str, from_account: str, to_account: str, now: datetime
) -> int:
    """Give the account's targets to another account of the same network account, except a
    post's target whose post already has one on it; how many targets stay behind."""
    other = post_target.alias("other")
    await session.execute(
        update(post_target)
        .where(
            post_target.c.tenant_id == tenant_id,
            post_target.c.account_id == from_account,
            ~exists().where(
                other.c.post_id == post_target.c.post_id,
                other.c.account_id == to_account,
                other.c.network == post_target.c.network,
            ),
        )
        .values(account_id=to_account, updated_at=now)
    )
    left = await session.execute(
        select(func.count())
        .select_from(post_target)
        .where(post_target.c.tenant_id == tenant_id, post_target.c.account_id == from_account)
    )
    return int(left.scalar_one())


async def clear_warnings_of_account(
    session: AsyncSession, *, tenant_id: str, account_id: str, now: datetime
) -> int:
    """Take the warnings off the account's targets, and bring those awaiting its refreshed token
    forward to now; how many had one."""
    awaited = post_target.c.warning_kind == "refresh"
    result = await session.execute(
        update(post_target)
        .where(
            post_target.c.tenant_id == tenant_id,
            post_target.c.account_id == account_id,
            post_target.c.warning.is_not(None),
        )
        .values(
            warning=None,
            warning_kind=None,
            due_at=case(
                (awaited, func.least(post_target.c.due_at, now)), else_=post_target.c.due_at
            ),
            updated_at=now,
        )
        .returning(post_target.c.id)
    )
    return len(result.all())
