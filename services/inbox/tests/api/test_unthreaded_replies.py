"""The brand's messages heard of before their thread is filed are kept, and join it once it is."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import (
    ActionCompleted,
    ActionOutcome,
    InteractionKind,
    OwnActivityRecorded,
)
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from inbox.replies import unthreaded
from inbox.replies.handlers import action_completed, own_activity_recorded
from inbox.replies.models import unthreaded_outbound

pytestmark = pytest.mark.integration


@pytest.fixture
async def ann(tenant, member):
    return await member(tenant, "agent")


async def deliver(engine, tenant, payload):
    handler = action_completed if isinstance(payload, ActionCompleted) else own_activity_recorded
    envelope = Envelope.build(
        payload, tenant_id=tenant, subject=str(uuid.uuid4()), source="/beacon/ingest"
    )
    async with create_sessionmaker(engine)() as session, session.begin():
        await handler(session, envelope)


async def retry(engine, now):
    async with create_sessionmaker(engine)() as session, session.begin():
        return await unthreaded.retry(session, now=now)


async def kept(engine, tenant):
    async with engine.connect() as conn:
        return await conn.scalar(
            select(func.count())
            .select_from(unthreaded_outbound)
            .where(unthreaded_outbound.c.tenant_id == tenant)
        )


async def texts(http, key, as_key):
    (item,) = (await http.get("/v1/conversations", headers=as_key(key))).json()["items"]
    found = (await http.get(f"/v1/conversations/{item['id']}", headers=as_key(key))).json()
    return [(m["text"], m["direction"]) for m in found["messages"]]


async def test_a_moderation_reply_before_its_comment_joins_the_thread_once_filed(
    http, engine, tenant, ann, comment_for, receive, as_key
):
    comment = comment_for("Where is my parcel?")
    now = datetime.now(UTC)
    reply = ActionCompleted(
        action_id=uuid.uuid4(),
        interaction_id=comment.interaction_id,
        brand_id="brand-1",
        network=Network.instagram,
        external_id=comment.external_id,
        action="reply",
        outcome=ActionOutcome.succeeded,
        attempts=1,
        reply_external_id="r-1",
        requested_by="rule:answer",
        comment_created_at=comment.created_at,
        completed_at=now,
        reply_text="It left this morning.",
        thread_external_id="post-1",
        kind=InteractionKind.comment,
    )

    await deliver(engine, tenant, reply)
    assert await kept(engine, tenant) == 1
    # Tried before its comment is filed: kept again.
    assert await retry(engine, now + timedelta(minutes=1)) == 0
    assert await kept(engine, tenant) == 1

    await receive(
        tenant,
        comment.text,
        interaction_id=comment.interaction_id,
        external_id=comment.external_id,
        created_at=comment.created_at,
    )
    assert await retry(engine, now + timedelta(minutes=2)) == 1
    assert await kept(engine, tenant) == 0
    assert await texts(http, ann.key, as_key) == [
        ("Where is my parcel?", "inbound"),
        ("It left this morning.", "outbound"),
    ]


async def test_a_native_reply_without_a_thread_is_dropped_after_a_day(engine, tenant):
    now = datetime.now(UTC)
    own = OwnActivityRecorded(
        brand_id="brand-1",
        account_id="account-1",
        account_external_id="ig-1",
        network=Network.instagram,
        kind=InteractionKind.comment,
        external_id="own-post-comment",
        thread_external_id="post-nobody-commented",
        text="New collection out now",
        created_at=now,
        received_at=now,
    )
    await deliver(engine, tenant, own)
    assert await kept(engine, tenant) == 1
    async with engine.begin() as conn:
        await conn.execute(
            update(unthreaded_outbound)
            .where(unthreaded_outbound.c.tenant_id == tenant)
            .values(kept_at=now - timedelta(days=2))
        )
    assert await retry(engine, now + timedelta(minutes=1)) == 0
    assert await kept(engine, tenant) == 0
