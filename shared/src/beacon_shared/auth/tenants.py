"""Organizations (tenants): made on first use by whatever registers something of theirs."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.tables import tenant


async def ensure_tenant(session: AsyncSession, *, tenant_id: str, name: str | None = None) -> None:
    """Create the tenant if it does not exist yet."""
    await session.execute(
        insert(tenant).values(id=tenant_id, name=name or tenant_id).on_conflict_do_nothing()
    )
