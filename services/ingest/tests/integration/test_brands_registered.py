"""The migration registering brand ids: what ingest held before the brand registry joins it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select

from beacon_shared.auth.tables import brand as registered
from beacon_shared.auth.tables import tenant
from beacon_shared.db import create_sessionmaker
from beacon_shared.migrations import downgrade, upgrade
from ingest.accounts.models import connected_account
from ingest.competitors.models import tracked_account
from ingest.interactions.models import interaction

pytestmark = pytest.mark.integration

INI = Path(__file__).resolve().parents[2] / "alembic.ini"
BEFORE = "839271d2c304"


async def test_brand_ids_held_before_the_registry_are_registered(engine, database_url, unique):
    tenant_id = unique("tenant")
    now = datetime.now(UTC)
    await asyncio.to_thread(downgrade, INI, database_url, BEFORE)
    try:
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
    finally:
        await asyncio.to_thread(upgrade, INI, database_url)

    async with create_sessionmaker(engine)() as session, session.begin():
        # No worker started by a later test polls it.
        await session.execute(
            delete(tracked_account).where(tracked_account.c.tenant_id == tenant_id)
        )
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
