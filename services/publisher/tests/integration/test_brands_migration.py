"""Upgrading a deployment filled by the old schema: every brand id the publisher holds is
registered, and the settings it saved go out once more as the publisher's own brand.configured for
the workspace's registry to adopt."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from beacon_shared.auth.tables import brand
from beacon_shared.contracts.publisher import BrandConfigured
from beacon_shared.events import decode
from beacon_shared.migrations import upgrade
from beacon_shared.testing.databases import database_at
from publisher.db import outbox

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[4]
IAM = ROOT / "shared" / "alembic.ini"
PUBLISHER = ROOT / "services" / "publisher" / "alembic.ini"
BEFORE = "4a86f6569e52"  # the revision before brands came from the workspace


@pytest.fixture
async def old_database_url(database_server_url: str):
    """A new database with iam at head and the publisher as it was before; dropped afterwards."""
    async with database_at(database_server_url, [(IAM, "head"), (PUBLISHER, BEFORE)]) as url:
        yield url


async def test_brand_ids_are_registered_and_saved_settings_announced_for_the_registry(
    old_database_url,
):
    saved_at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    engine = create_async_engine(old_database_url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO publisher.brand_settings (tenant_id, brand_id, timezone, "
                "approval_required, pause_on_alert, updated_at) VALUES "
                "('acme', 'acme-fr', 'Europe/Paris', true, true, :at)"
            ),
            {"at": saved_at},
        )
        await conn.execute(
            text(
                "INSERT INTO publisher.post (id, tenant_id, brand_id, text, status) VALUES "
                "(:a, 'acme', 'acme-uk', 'Hello', 'draft'), (:b, 'zed', 'zed', 'Hi', 'draft'), "
                "(:c, 'zed', NULL, 'No brand', 'draft')"
            ),
            {"a": uuid.uuid4(), "b": uuid.uuid4(), "c": uuid.uuid4()},
        )

    await asyncio.to_thread(upgrade, PUBLISHER, old_database_url)

    async with engine.connect() as conn:
        brands = set((await conn.execute(select(brand.c.tenant_id, brand.c.id))).all())
        staged = [decode(v) for v in (await conn.execute(select(outbox.c.value))).scalars()]
        authors = set((await conn.execute(text("SELECT created_by FROM publisher.post"))).scalars())
    await engine.dispose()
    assert brands == {("acme", "acme-fr"), ("acme", "acme-uk"), ("zed", "zed")}
    assert [(e.tenantid, e.type) for e in staged] == [("acme", "publisher.brand.configured")]
    announced = staged[0].payload(BrandConfigured)
    assert (announced.brand_id, announced.timezone, announced.configured_at) == (
        "acme-fr",
        "Europe/Paris",
        saved_at,
    )
    assert (announced.approval_required, announced.pause_on_alert) == (True, True)
    assert authors == {None}
