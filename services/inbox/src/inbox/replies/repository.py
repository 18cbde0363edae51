"""SQL of replies' own table: each brand's messaging setting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.replies.models import messaging_setting


async def setting(session: AsyncSession, *, tenant_id: str, brand_id: str) -> Row[Any] | None:
    """A brand's messaging setting, if it was ever set."""
    s = messaging_setting.c
    row: Row[Any] | None = (
        await session.execute(
            select(messaging_setting).where(s.tenant_id == tenant_id, s.brand_id == brand_id)
        )
    ).first()
    return row


async def put_setting(session: AsyncSession, values: Mapping[str, Any]) -> Row[Any]:
    """Set a brand's messaging setting."""
    s = messaging_setting.c
    new = insert(messaging_setting).values(dict(values))
    row: Row[Any] = (
        await session.execute(
            new.on_conflict_do_update(
                index_elements=[s.tenant_id, s.brand_id],
                set_={
                    "human_agent": new.excluded.human_agent,
                    "updated_by": new.excluded.updated_by,
                    "updated_at": new.excluded.updated_at,
                },
            ).returning(messaging_setting)
        )
    ).one()
    return row
