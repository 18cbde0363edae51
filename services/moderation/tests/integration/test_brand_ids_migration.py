"""Upgrading a deployment registers every brand id moderation already holds, so that the brands its
clients used before the registry existed keep working."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from beacon_shared.auth.tables import brand, tenant
from beacon_shared.migrations import downgrade, upgrade
from beacon_shared.testing.databases import database_at
from moderation.alerts.models import brand_alert
from moderation.replies.models import saved_reply
from moderation.rules.models import rule_set

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[4]
IAM = ROOT / "shared" / "alembic.ini"
MODERATION = ROOT / "services" / "moderation" / "alembic.ini"
BEFORE = "078e056f609c"  # the revision before the brand ids are registered


@pytest.fixture
async def old_database_url(database_server_url: str):
    """A new database with iam at head and moderation as it was before; dropped afterwards."""
    async with database_at(database_server_url, [(IAM, "head"), (MODERATION, BEFORE)]) as url:
        yield url


async def test_the_brands_in_use_are_registered_and_their_organizations_too(old_database_url):
    now = datetime.now(UTC)
    engine = create_async_engine(old_database_url)
    async with engine.begin() as conn:
        # An organization iam knows already, with one of its brands registered.
        await conn.execute(insert(tenant).values(id="known", name="Known Ltd"))
        await conn.execute(insert(brand).values(tenant_id="known", id="registered"))
        for row in (
            {"tenant_id": "known", "brand_id": "registered", "name": "a"},
            {"tenant_id": "known", "brand_id": "shop", "name": "b"},
            {"tenant_id": "known", "brand_id": None, "name": "everyone's"},
            {"tenant_id": "fresh", "brand_id": "shop", "name": "a"},
        ):
            await conn.execute(
                insert(saved_reply).values(
                    id=uuid.uuid4(), body="Hi", created_at=now, updated_at=now, **row
                )
            )
        await conn.execute(
            insert(rule_set).values(
                id=uuid.uuid4(),
                tenant_id="fresh",
                brand_id="café",
                version=1,
                status="draft",
                rules=[],
                created_by="key:x",
                created_at=now,
                updated_at=now,
            )
        )
        await conn.execute(
            insert(brand_alert).values(
                tenant_id="other", brand_id="shop", alert_id=uuid.uuid4(), kind="bad_buzz"
            )
        )

    await asyncio.to_thread(upgrade, MODERATION, old_database_url)

    async with engine.connect() as conn:
        brands = set((await conn.execute(select(brand.c.tenant_id, brand.c.id))).all())
        tenants = dict((await conn.execute(select(tenant.c.id, tenant.c.name))).all())
    assert brands == {
        ("known", "registered"),
        ("known", "shop"),
        ("fresh", "shop"),
        ("fresh", "café"),
        ("other", "shop"),
    }
    # An organization iam knew keeps its name; the others are named after their id until renamed.
    assert tenants == {"known": "Known Ltd", "fresh": "fresh", "other": "other"}

    # Going back and up again changes nothing: the registry keeps the brands.
    await asyncio.to_thread(downgrade, MODERATION, old_database_url, BEFORE)
    await asyncio.to_thread(upgrade, MODERATION, old_database_url)
    async with engine.connect() as conn:
        again = set((await conn.execute(select(brand.c.tenant_id, brand.c.id))).all())
    await engine.dispose()
    assert again == brands
