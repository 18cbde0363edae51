"""All SQL of campaigns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import Row, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor
from publisher.campaigns.models import campaign

UTM_CAMPAIGN_UNIQUE = "uq_campaign_tenant_id_utm_campaign"


class UtmCampaignConflict(Exception):
    """Another campaign of the tenant holds the utm_campaign."""


async def insert_campaign(session: AsyncSession, row: Mapping[str, Any]) -> Row[Any]:
    """Insert a campaign; UtmCampaignConflict (the transaction goes on) if its utm_campaign is
    taken."""
    async with _utm_campaign_guard(session):
        result = await session.execute(insert(campaign).values(dict(row)).returning(campaign))
    inserted: Row[Any] = result.one()
    return inserted


async def get_campaign(
    session: AsyncSession,
    *,
    tenant_id: str,
    campaign_id: UUID,
    lock: Literal["share", "update"] | None = None,
) -> Row[Any] | None:
    """One campaign of the tenant, optionally locked until the transaction ends."""
    stmt = select(campaign).where(campaign.c.tenant_id == tenant_id, campaign.c.id == campaign_id)
    if lock == "share":
        stmt = stmt.with_for_update(read=True)
    elif lock == "update":
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).first()


async def update_campaign(
    session: AsyncSession, *, campaign_id: UUID, values: Mapping[str, Any]
) -> Row[Any]:
    """Change a campaign; UtmCampaignConflict (the transaction goes on) if its new utm_campaign is
    taken."""
    async with _utm_campaign_guard(session):
        result = await session.execute(
            update(campaign)
            .where(campaign.c.id == campaign_id)
            .values(dict(values))
            .returning(campaign)
        )
    updated: Row[Any] = result.one()
    return updated


async def list_campaigns(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str | None,
    kind: str | None,
    active_at: datetime | None,
    include_archived: bool,
    after: Cursor | None,
    limit: int,
) -> list[Row[Any]]:
    """Up to `limit` campaigns of the tenant, newest first, strictly after `after`."""
    c = campaign.c
    stmt = select(campaign).where(c.tenant_id == tenant_id)
    if brand_id is not None:
        stmt = stmt.where(c.brand_id == brand_id)
    if kind is not None:
        stmt = stmt.where(c.kind == kind)
    if active_at is not None:
        stmt = stmt.where(
            or_(c.starts_at.is_(None), c.starts_at <= active_at),
            or_(c.ends_at.is_(None), c.ends_at > active_at),
        )
    if not include_archived:
        stmt = stmt.where(c.archived_at.is_(None))
    if after is not None:
        stmt = stmt.where(tuple_(c.created_at, c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(c.created_at.desc(), c.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


@asynccontextmanager
async def _utm_campaign_guard(session: AsyncSession) -> AsyncIterator[None]:
    """A savepoint around a write: the utm_campaign unique violation becomes UtmCampaignConflict,
    and the outer transaction stays usable."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as exc:
        if UTM_CAMPAIGN_UNIQUE in str(exc.orig):
            raise UtmCampaignConflict from exc
        raise
