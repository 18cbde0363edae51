"""The migration registering brand ids: what ingest held before the brand registry joins it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from beacon_shared.auth.tables import brand as registered
from beacon_shared.auth.tables import tenant
from beacon_shared.db import create_sessionmaker
from beacon_shared.migrations import upgrade
from beacon_shared.testing.databases import database_at
from ingest.accounts.models import connected_account
from ingest.competitors.models import tracked_account
from ingest.interactions.models import interaction

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[4]
IAM = ROOT / "shared" / "alembic.ini"
INI = ROOT / "services" / "ingest" / "alembic.ini"
BEFORE = "839271d2c304"


@pytest.fixture
async def old_engine(database_server_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A new database with iam at head and ingest as it was before; dropped afterwards."""
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
            insert(interaction),
            [
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant_id,
                    "brand_id": brand_id,
                    "network": "custom",
                    "kind": "comment",
                    "external_id": uuid.uuid4().hex,
                    "author_id": "u-1",
                    "text": "hello",
                    "created_at": now,
                    "raw": {},
                }
                for brand_id in ("commented", None)
            ],
        )
        await session.execute(
            insert(connected_account).values(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                brand_id="connected",
                network="facebook",
                external_account_id=f"page-{uuid.uuid4().hex}",
            )
        )
        await session.execute(
            insert(tracked_account).values(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                brand_id="watching",
                network="bluesky",
                external_account_id=f"did:plc:{uuid.uuid4().hex[:24]}",
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
    assert brands == {"commented", "connected", "watching"}
    assert organization == tenant_id
