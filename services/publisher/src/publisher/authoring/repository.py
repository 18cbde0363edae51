"""All SQL of posts and their review history.

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
    Row,
    Subquery,
    case,
    exists,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from publisher.authoring.models import PostStatus, post, post_review
from publisher.authoring.schemas import PostQuery

# What a worker needs of a claimed target's post to publish it.
CONTENT_COLUMNS: tuple[ColumnElement[Any], ...] = (
    post.c.id,
    post.c.text,
    post.c.link,
    post.c.media,
    post.c.first_comment,
    post.c.variants,
    post.c.brand_id,
    post.c.campaign_id,
    post.c.scheduled_at,
    post.c.correlation_id,
)
# Builds, from a post's tenant and brand columns, a condition on its brand (the caller's rule).
BrandCondition = Callable[[ColumnElement[str], ColumnElement[str | None]], ColumnElement[bool]]
# Builds, from a post's id column, a condition on its targets (delivery's rule).
TargetCondition = Callable[[ColumnElement[UUID]], ColumnElement[bool]]


async def insert_post(session: AsyncSession, row: Mapping[str, Any]) -> None:
    """Insert a post."""
    await session.execute(insert(post).values(dict(row)))


async def get_post(
    session: AsyncSession, *, tenant_id: str, post_id: UUID, for_update: bool = False
) -> Row[Any] | None:
    """One post of the tenant."""
    stmt = select(post).where(post.c.tenant_id == tenant_id, post.c.id == post_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).first()


async def contents_of(session: AsyncSession, post_ids: Collection[UUID]) -> list[Row[Any]]:
    """The content of these posts (CONTENT_COLUMNS)."""
    if not post_ids:
        return []
    result = await session.execute(select(*CONTENT_COLUMNS).where(post.c.id.in_(list(post_ids))))
    return list(result.all())


def of_brand(post_id: ColumnElement[UUID], condition: BrandCondition) -> ColumnElement[bool]:
    """Whether the post `post_id` names is of a brand `condition` holds for (correlated)."""
    return exists().where(post.c.id == post_id, condition(post.c.tenant_id, post.c.brand_id))


async def list_posts(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: PostQuery,
    brand_ids: frozenset[str] | None,
    after: Cursor | None,
    limit: int,
    targeted: TargetCondition | None = None,
) -> list[Row[Any]]:
    """Up to `limit` posts of the tenant (of `brand_ids` only, unless None), newest first,
    strictly after `after` (with a target `targeted` holds for, when given)."""
    stmt = select(post).where(post.c.tenant_id == tenant_id)
    if brand_ids is not None:
        stmt = stmt.where(post.c.brand_id.in_(brand_ids))
    if query.status is not None:
        stmt = stmt.where(post.c.status == query.status.value)
    if query.brand_id is not None:
        stmt = stmt.where(post.c.brand_id == query.brand_id)
    if query.campaign_id is not None:
        stmt = stmt.where(post.c.campaign_id == query.campaign_id)
    if targeted is not None:
        stmt = stmt.where(targeted(post.c.id))
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
    """Mark the post cancelled (the caller cancelled its targets first)."""
    await session.execute(
        update(post)
        .where(post.c.id == post_id)
        .values(status=PostStatus.cancelled.value, updated_at=now)
    )


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
    session: AsyncSession,
    post_ids: Collection[UUID],
    *,
    counts: Callable[[Collection[UUID]], Subquery],
    now: datetime,
) -> None:
    """Derive each post's status from its targets' `counts` (cancelled posts stay cancelled)."""
    if not post_ids:
        return
    ids = sorted(set(post_ids))
    # Lock in id order so two workers finishing targets of the same posts cannot deadlock.
    await session.execute(
        select(post.c.id).where(post.c.id.in_(ids)).order_by(post.c.id).with_for_update()
    )
    counts_of = counts(ids)
    status = case(
        (
            counts_of.c.open > 0,
            case(
                (counts_of.c.started > 0, PostStatus.publishing.value),
                else_=PostStatus.scheduled.value,
            ),
        ),
        (counts_of.c.published == counts_of.c.total, PostStatus.published.value),
        (counts_of.c.published == 0, PostStatus.failed.value),
        else_=PostStatus.partially_published.value,
    )
    await session.execute(
        update(post)
        .where(
            post.c.id == counts_of.c.post_id,
            post.c.status != PostStatus.cancelled.value,
            post.c.status.is_distinct_from(status),
        )
        .values(status=status, updated_at=now)
    )


async def update_post(session: AsyncSession, *, post_id: UUID, values: Mapping[str, Any]) -> None:
    """Change a post's columns (the caller holds its lock)."""
    await session.execute(update(post).where(post.c.id == post_id).values(dict(values)))


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
    """Copy a recurring post (not its targets) as its series' next occurrence, scheduled at `at`;
    False when that occurrence exists already (another worker made it)."""
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
    return result.first() is not None
