"""All SQL of brand settings and brand pauses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from publisher.brands.models import brand_pause, brand_settings

SETTINGS: tuple[ColumnElement[Any], ...] = (
    brand_settings.c.timezone,
    brand_settings.c.approval_required,
    brand_settings.c.self_approval_allowed,
    brand_settings.c.pause_on_alert,
)


OPEN_ALERT: tuple[ColumnElement[Any], ...] = (
    brand_pause.c.alert_id,
    brand_pause.c.kind,
    brand_pause.c.since,
)


def _brand(tenant_id: str, brand_id: str) -> list[ColumnElement[bool]]:
    return [brand_settings.c.tenant_id == tenant_id, brand_settings.c.brand_id == brand_id]


def _open_alerts(tenant_id: str, brand_id: str) -> list[ColumnElement[bool]]:
    return [
        brand_pause.c.tenant_id == tenant_id,
        brand_pause.c.brand_id == brand_id,
        brand_pause.c.resolved_at.is_(None),
    ]


async def get_settings(session: AsyncSession, *, tenant_id: str, brand_id: str) -> Row[Any] | None:
    """The brand's saved settings."""
    return (await session.execute(select(*SETTINGS).where(*_brand(tenant_id, brand_id)))).first()


async def lock_updated_at(
    session: AsyncSession, *, tenant_id: str, brand_id: str
) -> datetime | None:
    """When the brand's settings were last saved, locked until the transaction ends."""
    return (
        await session.execute(
            select(brand_settings.c.updated_at)
            .where(*_brand(tenant_id, brand_id))
            .with_for_update()
        )
    ).scalar()


async def upsert_settings(
    session: AsyncSession, *, tenant_id: str, brand_id: str, values: Mapping[str, Any]
) -> None:
    """Save the brand's settings whole."""
    await session.execute(
        insert(brand_settings)
        .values(tenant_id=tenant_id, brand_id=brand_id, **values)
        .on_conflict_do_update(index_elements=["tenant_id", "brand_id"], set_=dict(values))
    )


async def open_alerts(
    session: AsyncSession, *, tenant_id: str, brand_id: str
) -> Sequence[Row[Any]]:
    """The brand's alerts not resolved yet, oldest first."""
    return (
        await session.execute(
            select(*OPEN_ALERT)
            .where(*_open_alerts(tenant_id, brand_id))
            .order_by(brand_pause.c.since, brand_pause.c.alert_id)
        )
    ).all()


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
        insert(brand_pause)
        .values(tenant_id=tenant_id, brand_id=brand_id, alert_id=alert_id, kind=kind, since=since)
        .on_conflict_do_nothing()
        .returning(brand_pause.c.alert_id)
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
) -> None:
    """Mark an alert resolved, recording it first if its raise has not arrived yet."""
    statement = insert(brand_pause).values(
        tenant_id=tenant_id,
        brand_id=brand_id,
        alert_id=alert_id,
        kind=kind,
        resolved_at=resolved_at,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(brand_pause.primary_key.columns),
            set_={"resolved_at": statement.excluded.resolved_at},
            where=brand_pause.c.resolved_at.is_(None),
        )
    )


def paused(
    tenant_id: ColumnElement[str], brand_id: ColumnElement[str | None]
) -> ColumnElement[bool]:
    """True for a brand whose queue is paused: pause_on_alert is on and an alert is open.

    Both lookups are primary-key prefixes, so a scheduler's claim pays two index probes per
    candidate target.
    """
    return exists().where(
        brand_settings.c.tenant_id == tenant_id,
        brand_settings.c.brand_id == brand_id,
        brand_settings.c.pause_on_alert,
        brand_pause.c.tenant_id == tenant_id,
        brand_pause.c.brand_id == brand_id,
        brand_pause.c.resolved_at.is_(None),
    )
