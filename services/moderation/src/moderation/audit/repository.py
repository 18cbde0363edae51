"""All SQL of the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from moderation.audit.models import audit_entry
from moderation.audit.schemas import AuditQuery


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Append rows."""
    if rows:
        await session.execute(insert(audit_entry), list(rows))


async def list_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: AuditQuery,
    brand_ids: frozenset[str] | None,
    after: Cursor | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Up to `limit` entries of the tenant (of `brand_ids` unless None), newest first, strictly
    after `after`."""
    stmt = select(audit_entry).where(audit_entry.c.tenant_id == tenant_id)
    if brand_ids is not None:
        stmt = stmt.where(audit_entry.c.brand_id.in_(brand_ids))
    for column, value in (
        (audit_entry.c.brand_id, query.brand_id),
        (audit_entry.c.interaction_id, query.interaction_id),
        (audit_entry.c.decision_id, query.decision_id),
        (audit_entry.c.event, query.event),
        (audit_entry.c.actor, query.actor),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if query.since is not None:
        stmt = stmt.where(audit_entry.c.at >= query.since)
    if query.until is not None:
        stmt = stmt.where(audit_entry.c.at < query.until)
    if after is not None:
        stmt = stmt.where(tuple_(audit_entry.c.at, audit_entry.c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(audit_entry.c.at.desc(), audit_entry.c.id.desc()).limit(limit)
    return (await session.execute(stmt)).all()
