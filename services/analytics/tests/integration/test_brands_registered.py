"""The migration registering brand ids: what analytics held before the brand registry joins it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics.brands.models import brand
from analytics.reports.models import report_schedule
from analytics.roi.models import campaign
from beacon_shared.auth.tables import brand as registered
from beacon_shared.auth.tables import tenant
from beacon_shared.db import create_sessionmaker
from beacon_shared.migrations import upgrade
from beacon_shared.testing.databases import database_at

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[4]
IAM = ROOT / "shared" / "alembic.ini"
INI = ROOT / "services" / "analytics" / "alembic.ini"
BEFORE = "d68c816715af"


@pytest.fixture
async def old_engine(database_server_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A new database with iam at head and analytics as it was before; dropped afterwards."""
    async with database_at(database_server_url, [(IAM, "head"), (INI, BEFORE)]) as url:
        engine = create_async_engine(url)
        yield url, engine
        await engine.dispose()


async def test_brand_ids_held_before_the_registry_are_registered(old_engine, unique):
    url, engine = old_engine
    tenant_id = unique("tenant")
    now = datetime.now(UTC)
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
    await asyncio.to_thread(upgrade, INI, url)

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
