"""The receive path's account lookups: found accounts are cached briefly, misses never."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import delete, insert

from beacon_shared.contracts.common import Network
from beacon_shared.db import create_sessionmaker
from ingest.accounts.directory import AccountDirectory
from ingest.accounts.models import connected_account

pytestmark = pytest.mark.integration


async def connect(engine, tenant: str, external_id: str) -> uuid.UUID:
    account_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(connected_account).values(
                id=account_id, tenant_id=tenant, network="facebook", external_account_id=external_id
            )
        )
    return account_id


async def test_an_account_connected_after_a_miss_is_found_at_once(engine, unique):
    directory = AccountDirectory(create_sessionmaker(engine), ttl_seconds=60)
    page = unique("page")

    missed = await directory.resolve(network=Network.facebook, external_account_id=page)
    account_id = await connect(engine, "t", page)
    found = await directory.resolve(network=Network.facebook, external_account_id=page)

    assert missed is None
    assert found is not None
    assert found.account_id == account_id


async def test_a_found_account_is_served_from_memory_within_the_ttl(engine, unique):
    cached = AccountDirectory(create_sessionmaker(engine), ttl_seconds=60)
    fresh = AccountDirectory(create_sessionmaker(engine), ttl_seconds=0)
    page = unique("page")
    await connect(engine, "t", page)
    assert await cached.resolve(network=Network.facebook, external_account_id=page)
    assert await fresh.resolve(network=Network.facebook, external_account_id=page)

    async with engine.begin() as conn:
        await conn.execute(
            delete(connected_account).where(connected_account.c.external_account_id == page)
        )

    assert await cached.resolve(network=Network.facebook, external_account_id=page)
    assert await fresh.resolve(network=Network.facebook, external_account_id=page) is None


async def test_concurrent_resolutions_of_one_account_share_one_lookup(engine, unique):
    sessions = 0
    sessionmaker = create_sessionmaker(engine)

    def counting_sessionmaker():
        nonlocal sessions
        sessions += 1
        return sessionmaker()

    directory = AccountDirectory(counting_sessionmaker, ttl_seconds=60)  # type: ignore[arg-type]
    page = unique("page")
    account_id = await connect(engine, "t", page)

    found = await asyncio.gather(
        *(directory.resolve(network=Network.facebook, external_account_id=page) for _ in range(50))
    )

    assert {a.account_id for a in found if a is not None} == {account_id}
    assert sessions == 1
