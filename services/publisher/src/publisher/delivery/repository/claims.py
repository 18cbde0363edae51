"""The SQL of delivery: claiming due targets under a lease, recording outcomes, and holding
targets whose outcome is unknown.

Lock order, everywhere: targets first, then posts in id order, so claimers, finishers,
the sweeper and cancellations never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Row,
    Text,
    column,
    func,
    select,
    update,
    values,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import leases
from publisher.delivery.models import post_target
from publisher.delivery.status import OPEN, TargetStatus

# What a worker needs of a claimed target; its post's content comes from authoring.
CLAIMED_COLUMNS: tuple[ColumnElement[Any], ...] = (
    post_target.c.id,
    post_target.c.post_id,
    post_target.c.tenant_id,
    post_target.c.account_id,
    post_target.c.network,
    post_target.c.attempts,
    post_target.c.due_at,
    post_target.c.unconfirmed_at,
)
# Builds, from a target's post id column, a condition on its post (the caller's rule).
PostCondition = Callable[[ColumnElement[UUID]], ColumnElement[bool]]


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    lease_until: datetime,
    worker_id: str,
    limit: int,
    held_back: PostCondition,
) -> list[Row[Any]]:
    """Claim up to `limit` due targets nobody else holds; returns them (CLAIMED_COLUMNS).

    Targets for whose post `held_back` holds true are passed over: they stay scheduled and are
    claimed once it no longer does. The condition joins the claim's statement.
    """
    claimed = await leases.claim(
        session,
        post_target,
        where=[
            post_target.c.status == TargetStatus.scheduled.value,
            post_target.c.due_at <= now,
            ~held_back(post_target.c.post_id),
        ],
        order_by=[post_target.c.due_at],
        limit=limit,
        lease={
            "status": TargetStatus.publishing.value,
            "lease_until": lease_until,
            "claimed_by": worker_id,
            "attempts": post_target.c.attempts + 1,
            "updated_at": now,
        },
        returning=[post_target.c.id],
    )
    ids = [row.id for row in claimed]
    if not ids:
        return []
    rows = await session.execute(
        select(*CLAIMED_COLUMNS).where(post_target.c.id.in_(ids)).order_by(post_target.c.due_at)
    )
    return list(rows.all())


async def claim_unconfirmed(
    session: AsyncSession, *, now: datetime, lease_until: datetime, worker_id: str, limit: int
) -> list[Row[Any]]:
    """Claim unconfirmed targets whose reconciliation is due and that nobody else holds."""
    claimed = await leases.claim(
        session,
        post_target,
        where=[
            post_target.c.status == TargetStatus.unconfirmed.value,
            post_target.c.due_at <= now,
            (post_target.c.lease_until.is_(None)) | (post_target.c.lease_until < now),
        ],
        order_by=[post_target.c.due_at],
        limit=limit,
        lease={"lease_until": lease_until, "claimed_by": worker_id, "updated_at": now},
        returning=[post_target.c.id],
    )
    ids = [row.id for row in claimed]
    if not ids:
        return []
    rows = await session.execute(
        select(*CLAIMED_COLUMNS).where(post_target.c.id.in_(ids)).order_by(post_target.c.due_at)
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
    return result.scalar() is not None


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
    return result.scalar() is not None


async def expire_leases(
    session: AsyncSession, *, now: datetime, error: str, limit: int
) -> list[Row[Any]]:
    """Claims whose lease ran out become unconfirmed, due for reconciliation now: their worker
    may have published them before it stopped. Returns them."""
    expired = await leases.claim(
        session,
        post_target,
        where=[
            post_target.c.status == TargetStatus.publishing.value,
            post_target.c.lease_until < now,
        ],
        limit=limit,
        lease={
            "status": TargetStatus.unconfirmed.value,
            # When the lease ran out, not when that was noticed: reconciliation looks for the
            # post from one lease before, i.e. from the claim, when the worker sent it.
            "unconfirmed_at": post_target.c.lease_until,
            "due_at": now,
            "error": error,
            "lease_until": None,
            "claimed_by": None,
            "updated_at": now,
        },
        returning=[post_target.c.id, post_target.c.post_id, post_target.c.status],
    )
    return list(expired)


async def oldest_due_at(session: AsyncSession, *, now: datetime) -> datetime | None:
    """The due time of the longest-waiting target not yet published."""
    result = await session.execute(
        select(func.min(post_target.c.due_at)).where(
            post_target.c.status.in_(OPEN), post_target.c.due_at <= now
        )
    )
    oldest: datetime | None = result.scalar()
    return oldest
