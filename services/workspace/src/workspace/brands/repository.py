"""Brand rows: the registry's ids (`iam.brand`) with their settings here, defaults where a brand
registered before the registry has none saved yet."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from beacon_shared.auth.tables import brand as registry
from workspace.brands.models import brand

AnyRow = Row[*tuple[Any, ...]]

_SETTINGS = and_(brand.c.tenant_id == registry.c.tenant_id, brand.c.id == registry.c.id)
_COLUMNS = (
    registry.c.id,
    func.coalesce(brand.c.name, registry.c.id).label("name"),
    func.coalesce(brand.c.timezone, "UTC").label("timezone"),
    func.coalesce(brand.c.languages, literal([], ARRAY(Text))).label("languages"),
    func.coalesce(brand.c.approval_required, False).label("approval_required"),
    func.coalesce(brand.c.self_approval_allowed, False).label("self_approval_allowed"),
    func.coalesce(brand.c.pause_on_alert, False).label("pause_on_alert"),
    registry.c.created_at,
    brand.c.configured_at,
)


async def live(
    session: AsyncSession, *, tenant_id: str, brand_ids: Collection[str] | None = None
) -> Sequence[AnyRow]:
    """The organization's live brands by id, only `brand_ids` when given."""
    query = (
        select(*_COLUMNS)
        .select_from(registry.outerjoin(brand, _SETTINGS))
        .where(registry.c.tenant_id == tenant_id, registry.c.deleted_at.is_(None))
    )
    if brand_ids is not None:
        query = query.where(registry.c.id.in_(brand_ids) if brand_ids else ~true())
    return (await session.execute(query.order_by(registry.c.id))).all()


async def count_live(session: AsyncSession, *, tenant_id: str) -> int:
    """How many live brands the organization has."""
    count = await session.scalar(
        select(func.count()).where(
            registry.c.tenant_id == tenant_id, registry.c.deleted_at.is_(None)
        )
    )
    return int(count or 0)


async def lock_configured_at(
    session: AsyncSession, *, tenant_id: str, brand_id: str
) -> datetime | None:
    """The settings row's last change, locked against concurrent changes (None: no row yet)."""
    locked: datetime | None = await session.scalar(
        select(brand.c.configured_at)
        .where(brand.c.tenant_id == tenant_id, brand.c.id == brand_id)
        .with_for_update()
    )
    return locked


async def save(session: AsyncSession, *, values: Mapping[str, Any]) -> None:
    """Insert or replace a brand's settings row."""
    keys = {"tenant_id", "id"}
    await session.execute(
        insert(brand)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[brand.c.tenant_id, brand.c.id],
            set_={k: v for k, v in values.items() if k not in keys},
        )
    )
