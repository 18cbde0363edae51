"""The migration registering brand ids: what analytics held before the brand registry joins it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from analytics.brands.models import brand
from analytics.reports.models import report_schedule
from analytics.roi.models import campaign
from beacon_shared.auth.tables import brand as registered
from beacon_shared.auth.tables import tenant
from beacon_shared.db import create_sessionmaker
from beacon_shared.migrations import downgrade, upgrade

pytestmark = pytest.mark.integration

INI = Path(__file__).resolve().parents[2] / "alembic.ini"
BEFORE = "d68c816715af"


async def test_brand_ids_held_before_the_registry_are_registered(engine, database_url, unique):
    tenant_id = unique("tenant")
    now = datetime.now(UTC)
    await asyncio.to_thread(downgrade, INI, database_url, BEFORE)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                insert(brand),
                [
                    {"tenant_id": tenant_id, "brand_id": "seen"},
                    {"tenant_id": tenant_id, "brand_id": ""},
                ],
            )
            await session.execute(
                insert(campaign),
                [
                    {
                        "tenant_id": tenant_id,
                        "campaign_id": uuid.uuid4(),
                        "brand_id": brand_id,
                        "name": "c",
                        "kind": "campaign",
                        "utm_campaign": "c",
                        "utm_medium": "social",
                        "archived": False,
                        "created_at": now,
                        "changed_at": now,
                    }
                    for brand_id in ("campaigned", None)
                ],
            )
            await session.execute(
                insert(report_schedule).values(
                    tenant_id=tenant_id,
                    brand_id="scheduled",
                    weekday=1,
                    hour=8,
                    next_run_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        await asyncio.to_thread(upgrade, INI, database_url)

    async with create_sessionmaker(engine)() as session:
        brands = set(
            await session.scalars(
                select(registered.c.id).where(
                    registered.c.tenant_id == tenant_id, registered.c.deleted_at.is_(None)
                )
            )
        )
        organization = await session.scalar(select(tenant.c.id).where(tenant.c.id == tenant_id))
    assert brands == {"seen", "campaigned", "scheduled"}
    assert organization == tenant_id
