"""The SQL of targets as authoring plans them: added, listed, locked, scheduled, cancelled,
retried, copied to a series' next post, and flagged while their account is stopped.

Lock order, everywhere: targets first, then posts in id order, so claimers, finishers,
the sweeper and cancellations never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Row,
    ScalarSelect,
    Subquery,
    case,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from publisher.delivery.models import post_target
from publisher.delivery.status import OPEN, TargetStatus


async def insert_targets(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert a post's targets."""
    await session.execute(insert(post_target), [dict(r) for r in rows])


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


async def cancel_targets(session: AsyncSession, *, post_id: UUID, now: datetime) -> None:
    """Mark the post's targets cancelled (the caller holds their locks)."""
    await session.execute(
        update(post_target)
        .where(post_target.c.post_id == post_id)
        .values(status=TargetStatus.cancelled.value, updated_at=now)
    )


async def copy_targets(
    session: AsyncSession, *, source: UUID, new_id: UUID, at: datetime, now: datetime
) -> None:
    """Give the post `new_id` the targets of `source`, scheduled at `at`."""
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


def has_target(
    post_id: ColumnElement[UUID], *, account_id: str | None, network: str | None
) -> ColumnElement[bool]:
    """Whether the post has a target on this account and/or network (a correlated condition)."""
    has = select(post_target.c.id).where(post_target.c.post_id == post_id)
    if account_id is not None:
        has = has.where(post_target.c.account_id == account_id)
    if network is not None:
        has = has.where(post_target.c.network == network)
    return exists(has)


def networks_of(post_id: ColumnElement[UUID]) -> ScalarSelect[Any]:
    """The distinct networks of the post's targets (a correlated array)."""
    return (
        select(func.array_agg(func.distinct(post_target.c.network)))
        .where(post_target.c.post_id == post_id)
        .scalar_subquery()
    )


def target_counts(post_ids: Collection[UUID]) -> Subquery:
    """Per post: its targets, those open, those started and those published."""
    t = post_target.c
    return (
        select(
            t.post_id,
            func.count().label("total"),
            func.count().filter(t.status.in_(OPEN)).label("open"),
            func.count()
            .filter((t.status != TargetStatus.scheduled.value) | (t.attempts > 0))
            .label("started"),
            func.count().filter(t.status == TargetStatus.published.value).label("published"),
        )
        .where(t.post_id.in_(list(post_ids)))
        .group_by(t.post_id)
        .subquery()
    )


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
