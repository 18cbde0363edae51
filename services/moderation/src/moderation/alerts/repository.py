"""All SQL of brands' bad-buzz alerts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.alerts.models import brand_alert


async def insert_alert(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str,
    alert_id: UUID,
    kind: str,
    since: datetime,
) -> bool:
    """Record a raised alert; False when it is known already (raised, or resolved first)."""
    inserted = await session.execute(
        insert(brand_alert)
        .values(tenant_id=tenant_id, brand_id=brand_id, alert_id=alert_id, kind=kind, since=since)
        .on_conflict_do_nothing()
        .returning(brand_alert.c.alert_id)
    )
    return inserted.first() is not None


async def resolve_alert(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str,
    alert_id: UUID,
    kind: str,
    resolved_at: datetime,
) -> bool:
    """Mark an alert resolved (recording it if its raise has not arrived yet); False when it was
    resolved already."""
    statement = insert(brand_alert).values(
        tenant_id=tenant_id,
        brand_id=brand_id,
        alert_id=alert_id,
        kind=kind,
        resolved_at=resolved_at,
    )
    changed = await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(brand_alert.primary_key.columns),
            set_={"resolved_at": statement.excluded.resolved_at},
            where=brand_alert.c.resolved_at.is_(None),
        ).returning(brand_alert.c.alert_id)
    )
    return changed.first() is not None


OPEN_ALERT: tuple[ColumnElement[Any], ...] = (
    brand_alert.c.alert_id,
    brand_alert.c.kind,
    brand_alert.c.since,
)


async def open_alerts(
    session: AsyncSession, *, tenant_id: str, brand_id: str
) -> Sequence[Row[Any]]:
    """The brand's alerts not resolved yet, oldest first."""
    return (
        await session.execute(
            select(*OPEN_ALERT)
            .where(
                brand_alert.c.tenant_id == tenant_id,
                brand_alert.c.brand_id == brand_id,
                brand_alert.c.resolved_at.is_(None),
            )
            .order_by(brand_alert.c.since, brand_alert.c.alert_id)
        )
    ).all()


async def with_open_alerts(
    session: AsyncSession, brands: Collection[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of the (tenant, brand) pairs have an alert open."""
    if not brands:
        return set()
    rows = await session.execute(
        select(brand_alert.c.tenant_id, brand_alert.c.brand_id)
        .where(
            tuple_(brand_alert.c.tenant_id, brand_alert.c.brand_id).in_(sorted(brands)),
            brand_alert.c.resolved_at.is_(None),
        )
        .distinct()
    )
    return {(tenant_id, brand_id) for tenant_id, brand_id in rows}
