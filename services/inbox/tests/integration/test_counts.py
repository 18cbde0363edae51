"""The status counts kept by brand and assignee agree with counting the conversations, whatever
changed them and whether their changes were folded yet."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from beacon_shared.db import create_sessionmaker
from inbox.conversations import repository, service
from inbox.conversations.models import conversation, status_count_change
from inbox.conversations.schemas import UNASSIGNED, Filters

pytestmark = pytest.mark.integration

SCOPES = (
    {},
    {"brand_id": "brand-1"},
    {"brand_ids": frozenset({"brand-2"})},
    {"brand_ids": frozenset()},
    {"assignee": UNASSIGNED},
)


async def agree(engine, tenant, *scopes):
    """The kept counts of each scope, each checked against counting the conversations."""
    found = []
    async with create_sessionmaker(engine)() as session:
        for scope in scopes or SCOPES:
            brand_ids, brand_id = scope.get("brand_ids"), scope.get("brand_id")
            assignee = scope.get("assignee")
            kept = await repository.count_kept(
                session, tenant_id=tenant, brand_ids=brand_ids, brand_id=brand_id, assignee=assignee
            )
            where = repository.visible(
                tenant_id=tenant,
                filters=Filters(brand_id=brand_id),
                assignee=assignee,
                brand_ids=brand_ids,
            )
            assert kept == await repository.count_by_status(session, where=where), scope
            found.append(kept)
    return found


async def change(engine, tenant, thread, **values):
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(conversation)
            .where(conversation.c.tenant_id == tenant, conversation.c.thread_external_id == thread)
            .values(**values)
        )


async def fold(engine):
    async with create_sessionmaker(engine)() as session, session.begin():
        await service.fold_counts(session)


async def test_arrivals_changes_reopening_and_snoozes_are_counted(engine, unique, receive):
    tenant = unique("tenant")
    for thread, brand in (("p-1", "brand-1"), ("p-2", "brand-1"), ("p-3", "brand-2")):
        await receive(tenant, "hello", thread_external_id=thread, brand_id=brand)
    (everything, *_) = await agree(engine, tenant)
    assert everything == {"open": 3, "pending": 0, "snoozed": 0, "resolved": 0}

    ann = uuid.uuid4()
    await change(engine, tenant, "p-1", assignee=ann, status="pending")
    await change(engine, tenant, "p-2", status="resolved")
    await change(
        engine,
        tenant,
        "p-3",
        status="snoozed",
        snoozed_until=datetime.now(UTC) - timedelta(seconds=1),
    )
    everything, brand_1, *_ = await agree(engine, tenant, *SCOPES, {"assignee": ann})
    assert everything == {"open": 0, "pending": 1, "snoozed": 1, "resolved": 1}
    assert brand_1 == {"open": 0, "pending": 1, "snoozed": 0, "resolved": 1}

    await fold(engine)
    await receive(tenant, "me again", thread_external_id="p-2", brand_id="brand-1")
    async with create_sessionmaker(engine)() as session, session.begin():
        assert await service.wake_snoozed(session, now=datetime.now(UTC)) >= 1
    everything, *_, mine = await agree(engine, tenant, *SCOPES, {"assignee": ann})
    assert everything == {"open": 2, "pending": 1, "snoozed": 0, "resolved": 0}
    assert mine == {"open": 0, "pending": 1, "snoozed": 0, "resolved": 0}


async def test_a_fold_leaves_the_counts_as_they_were_and_no_changes_behind(engine, unique, receive):
    tenant = unique("tenant")
    for n in range(3):
        await receive(tenant, "hello", thread_external_id=f"p-{n}")
    await change(engine, tenant, "p-0", status="resolved")
    before = await agree(engine, tenant)
    await fold(engine)
    assert await agree(engine, tenant) == before
    async with engine.connect() as conn:
        left = await conn.scalar(
            select(func.count())
            .select_from(status_count_change)
            .where(status_count_change.c.tenant_id == tenant)
        )
    assert left == 0


async def test_many_rows_in_one_statement_and_deletions_are_counted(engine, unique):
    tenant = unique("tenant")
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant,
            "brand_id": "brand-1",
            "network": "x",
            "kind": "mention",
            "thread_external_id": f"t-{n}",
            "status": status,
            "contact_network_id": "u-1",
            "preview": "hi",
            "created_at": now,
            "last_message_at": now,
            "last_inbound_at": now,
            "updated_at": now,
        }
        for n, status in enumerate(("open", "open", "pending", "resolved"))
    ]
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(insert(conversation).values(rows))
    (everything, *_) = await agree(engine, tenant)
    assert everything == {"open": 2, "pending": 1, "snoozed": 0, "resolved": 1}
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            delete(conversation).where(
                conversation.c.tenant_id == tenant, conversation.c.status == "open"
            )
        )
    (everything, *_) = await agree(engine, tenant)
    assert everything == {"open": 0, "pending": 1, "snoozed": 0, "resolved": 1}
