"""Reading and saving brand publishing settings; a brand never configured gets the defaults."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from publisher.brands.models import brand_settings
from publisher.brands.schemas import BrandSettings


async def get(session: AsyncSession, *, tenant_id: str, brand_id: str | None) -> BrandSettings:
    """The brand's settings (the defaults for no brand or a brand never configured)."""
    if brand_id is None:
        return BrandSettings()
    row = (
        await session.execute(
            select(brand_settings.c.timezone, brand_settings.c.approval_required).where(
                brand_settings.c.tenant_id == tenant_id, brand_settings.c.brand_id == brand_id
            )
        )
    ).first()
    return BrandSettings() if row is None else BrandSettings.model_validate(dict(row._mapping))


async def put(
    session: AsyncSession, *, tenant_id: str, brand_id: str, settings: BrandSettings
) -> BrandSettings:
    """Save the brand's settings whole."""
    values = {**settings.model_dump(), "updated_at": datetime.now(UTC)}
    await session.execute(
        insert(brand_settings)
        .values(tenant_id=tenant_id, brand_id=brand_id, **values)
        .on_conflict_do_update(index_elements=["tenant_id", "brand_id"], set_=values)
    )
    return settings
