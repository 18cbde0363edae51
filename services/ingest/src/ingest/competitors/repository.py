"""All SQL of tracked competitors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, Select, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.common import Network
from beacon_shared.pagination import Cursor
from ingest.competitors.models import TrackingStatus, tracked_account
from ingest.competitors.schemas import CompetitorQuery

t = tracked_account.c
_COLUMNS: tuple[ColumnElement[Any], ...] = (
    t.id,
    t.brand_id,
    t.network,
    t.external_account_id,
    t.handle,
    t.label,
    t.instance_url,
    t.status,
    t.created_at,
    t.updated_at,
)


def _with_poll_state(poll_state: Select[Any]) -> Select[Any]:
    p = poll_state.subquery()
    return select(
        *_COLUMNS, p.c.polled_at.label("metrics_polled_at"), p.c.last_error.label("metrics_error")
    ).select_from(tracked_account.outerjoin(p, p.c.account_id == t.id))


async def insert_competitor(session: AsyncSession, row: Mapping[str, Any]) -> UUID | None:
    """Insert a tracked account; None when the brand already tracks it."""
    result = await session.execute(
        insert(tracked_account)
        .values(dict(row))
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "brand_id", "network", "external_account_id"]
        )
        .returning(t.id)
    )
    inserted: UUID | None = result.scalar_one_or_none()
    return inserted


async def get(
    session: AsyncSession, *, tenant_id: str, competitor_id: UUID, poll_state: Select[Any]
) -> Row[Any] | None:
    """One tracked account of the tenant, with its `poll_state` (the metrics poller's)."""
    stmt = _with_poll_state(poll_state).where(t.tenant_id == tenant_id, t.id == competitor_id)
    row: Row[Any] | None = (await session.execute(stmt)).first()
    return row


async def list_competitors(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: CompetitorQuery,
    after: Cursor | None,
    limit: int,
    poll_state: Select[Any],
    brands: frozenset[str] | None = None,
) -> list[Row[Any]]:
    """Up to `limit` tracked accounts of the tenant (of these brands; None: every one), newest
    first, strictly after `after`; with their `poll_state` (the metrics poller's)."""
    stmt = _with_poll_state(poll_state).where(t.tenant_id == tenant_id)
    if query.brand_id is not None:
        stmt = stmt.where(t.brand_id == query.brand_id)
    if brands is not None:
        stmt = stmt.where(t.brand_id.in_(sorted(brands)))
    if query.network is not None:
        stmt = stmt.where(t.network == query.network.value)
    if query.status is not None:
        stmt = stmt.where(t.status == query.status.value)
    if after is not None:
        stmt = stmt.where(tuple_(t.created_at, t.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(t.created_at.desc(), t.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


async def update_competitor(
    session: AsyncSession, *, tenant_id: str, competitor_id: UUID, values: Mapping[str, Any]
) -> bool:
    """Apply `values` to one tracked account of the tenant; False when it has no such account."""
    result = await session.execute(
        update(tracked_account)
        .where(t.tenant_id == tenant_id, t.id == competitor_id)
        .values(dict(values))
        .returning(t.id)
    )
    return result.first() is not None


async def delete_competitor(session: AsyncSession, *, tenant_id: str, competitor_id: UUID) -> bool:
    """Delete one tracked account of the tenant; False when it has no such account."""
    result = await session.execute(
        delete(tracked_account)
        .where(t.tenant_id == tenant_id, t.id == competitor_id)
        .returning(t.id)
    )
    return result.first() is not None


def metrics_candidates(networks: Sequence[Network]) -> Select[Any]:
    """Actively tracked accounts on these networks, as the metrics poller joins them."""
    return select(
        t.id, t.tenant_id, t.brand_id, t.network, t.external_account_id, t.handle, t.instance_url
    ).where(t.network.in_([n.value for n in networks]), t.status == TrackingStatus.active.value)
