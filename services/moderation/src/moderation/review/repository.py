"""All SQL of the review queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, any_, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from moderation.review.models import review_item
from moderation.review.schemas import ReviewQuery


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Queue items; a comment already queued stays as it is."""
    if rows:
        await session.execute(insert(review_item).on_conflict_do_nothing(), list(rows))


async def get(session: AsyncSession, *, tenant_id: str, item_id: UUID) -> Row[Any] | None:
    result = await session.execute(
        select(review_item).where(review_item.c.tenant_id == tenant_id, review_item.c.id == item_id)
    )
    row: Row[Any] | None = result.first()
    return row


async def list_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: ReviewQuery,
    assignee: str | None,
    brand_ids: frozenset[str] | None,
    after: Cursor | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Up to `limit` items (of `assignee` and of `brand_ids` unless None), oldest first, strictly
    after `after`."""
    stmt = select(review_item).where(review_item.c.tenant_id == tenant_id)
    if query.status is None:
        stmt = stmt.where(review_item.c.status != "resolved")
    else:
        stmt = stmt.where(review_item.c.status == query.status.value)
    if brand_ids is not None:
        stmt = stmt.where(review_item.c.brand_id.in_(brand_ids))
    for column, value in (
        (review_item.c.brand_id, query.brand_id),
        (review_item.c.assignee, assignee),
        (review_item.c.reason, query.reason),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if query.label is not None:
        stmt = stmt.where(literal(query.label) == any_(review_item.c.labels))
    if query.min_priority is not None:
        stmt = stmt.where(review_item.c.priority >= query.min_priority)
    if query.since is not None:
        stmt = stmt.where(review_item.c.created_at >= query.since)
    if after is not None:
        stmt = stmt.where(
            tuple_(review_item.c.created_at, review_item.c.id) > tuple_(after.at, after.id)
        )
    stmt = stmt.order_by(review_item.c.created_at, review_item.c.id).limit(limit)
    return (await session.execute(stmt)).all()


async def claim(
    session: AsyncSession, *, tenant_id: str, item_id: UUID, assignee: str, by: str, now: datetime
) -> Row[Any] | None:
    """Claim an open item (or one the assignee already holds); None when that is not the case."""
    result = await session.execute(
        update(review_item)
        .where(
            review_item.c.tenant_id == tenant_id,
            review_item.c.id == item_id,
            _open_or_held_by(assignee),
        )
        .values(status="claimed", assignee=assignee, assigned_by=by, claimed_at=now)
        .returning(review_item)
    )
    row: Row[Any] | None = result.first()
    return row


async def set_assignee(
    session: AsyncSession,
    *,
    tenant_id: str,
    item_id: UUID,
    assignee: str | None,
    by: str,
    now: datetime,
) -> Row[Any] | None:
    """Hand an unresolved item to someone (or back to the queue with None), `by` whom."""
    status = "claimed" if assignee is not None else "open"
    result = await session.execute(
        update(review_item)
        .where(
            review_item.c.tenant_id == tenant_id,
            review_item.c.id == item_id,
            review_item.c.status != "resolved",
        )
        .values(
            status=status,
            assignee=assignee,
            assigned_by=by,
            claimed_at=now if assignee else None,
        )
        .returning(review_item)
    )
    row: Row[Any] | None = result.first()
    return row


async def resolve(
    session: AsyncSession,
    *,
    tenant_id: str,
    item_id: UUID,
    resolution: str,
    reviewer: str,
    holder: str | None,
    now: datetime,
) -> Row[Any] | None:
    """Resolve an item that is open or claimed by `holder`; None otherwise."""
    return await _resolve_where(
        session,
        [
            review_item.c.tenant_id == tenant_id,
            review_item.c.id == item_id,
            _open_or_held_by(holder),
        ],
        resolution=resolution,
        reviewer=reviewer,
        now=now,
    )


def _open_or_held_by(person: str | None) -> ColumnElement[bool]:
    """Items `person` may act on: open ones, and those they claimed (none without a person)."""
    if person is None:
        return review_item.c.status == "open"
    return or_(
        review_item.c.status == "open",
        (review_item.c.status == "claimed") & (review_item.c.assignee == person),
    )


async def resolve_interaction(
    session: AsyncSession,
    *,
    tenant_id: str,
    interaction_id: UUID,
    resolution: str,
    reviewer: str,
    now: datetime,
) -> Row[Any] | None:
    """Resolve the interaction's item if it is open or claimed by anyone; None otherwise."""
    return await _resolve_where(
        session,
        [
            review_item.c.tenant_id == tenant_id,
            review_item.c.interaction_id == interaction_id,
            review_item.c.status.in_(("open", "claimed")),
        ],
        resolution=resolution,
        reviewer=reviewer,
        now=now,
    )


async def _resolve_where(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    *,
    resolution: str,
    reviewer: str,
    now: datetime,
) -> Row[Any] | None:
    """Resolve the item matching `where`; None if none does."""
    result = await session.execute(
        update(review_item)
        .where(*where)
        .values(status="resolved", resolution=resolution, resolved_by=reviewer, resolved_at=now)
        .returning(review_item)
    )
    row: Row[Any] | None = result.first()
    return row
