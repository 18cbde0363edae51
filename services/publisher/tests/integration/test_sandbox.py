"""The sandbox network publishes once per idempotency key."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from beacon_shared.contracts.common import Network
from publisher.connectors.base import Account, PublishContent
from publisher.connectors.models import sandbox_publication
from publisher.connectors.sandbox import SandboxConnector

pytestmark = pytest.mark.integration


def target(tenant_id: str) -> Account:
    return Account(uuid.uuid4(), tenant_id, Network.sandbox, "acct-1", None, None, {})


async def test_a_repeat_with_the_same_key_returns_the_first_publication(
    sessionmaker, engine, unique
):
    sandbox = SandboxConnector(sessionmaker)
    where, key = target(unique("t")), unique("key")
    content = PublishContent(text="Launch day!", link="https://example.com/launch")

    first, *repeats = await asyncio.gather(
        *(sandbox.publish(where, content, key) for _ in range(4))
    )

    assert first.external_id.startswith("sbx_")
    assert first.url is not None
    assert first.url.endswith(first.external_id)
    assert all(r == first for r in repeats)
    async with engine.connect() as conn:
        stored = await conn.scalar(
            select(func.count()).where(sandbox_publication.c.idempotency_key == key)
        )
    assert stored == 1


async def test_different_keys_are_different_publications(sessionmaker, unique):
    sandbox = SandboxConnector(sessionmaker)
    where = target(unique("t"))
    content = PublishContent(text="Launch day!")

    one = await sandbox.publish(where, content, unique("key"))
    two = await sandbox.publish(where, content, unique("key"))

    assert one.external_id != two.external_id


async def test_recent_posts_list_the_accounts_publications_since_a_time(sessionmaker, unique):
    sandbox = SandboxConnector(sessionmaker)
    mine, other = target(unique("t")), target(unique("t"))
    before = await sandbox.recent_posts(mine, datetime.now(UTC) - timedelta(minutes=1))

    published = await sandbox.publish(mine, PublishContent(text="Launch day!"), unique("key"))
    await sandbox.publish(other, PublishContent(text="Not mine"), unique("key"))
    recent = await sandbox.recent_posts(mine, datetime.now(UTC) - timedelta(minutes=1))
    later = await sandbox.recent_posts(mine, datetime.now(UTC) + timedelta(minutes=1))

    assert before == []
    assert [(p.external_id, p.text) for p in recent] == [(published.external_id, "Launch day!")]
    assert later == []
