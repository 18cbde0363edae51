"""Interactions filed a batch at a time, as the worker's group hands them over: what one batch
files is what the same messages filed one by one would."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from inbox.contacts.models import contact, contact_identity
from inbox.conversations.handlers import comments_received
from inbox.conversations.models import conversation, message
from inbox.stream.models import stream_event

pytestmark = pytest.mark.integration


async def file_batch(engine, *filed: tuple[str, CommentReceived]) -> None:
    """The (tenant, comment) pairs handled as one batch, in one transaction."""
    async with create_sessionmaker(engine)() as session, session.begin():
        await comments_received(
            session,
            [
                Envelope.build(
                    comment, tenant_id=tenant, subject=str(uuid.uuid4()), source="/beacon/ingest"
                )
                for tenant, comment in filed
            ],
        )


async def rows(engine, table, tenant):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(table).where(table.c.tenant_id == tenant).order_by(table.c.created_at)
            )
        ).all()


async def logged(engine, tenant) -> list[tuple[str, dict]]:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(stream_event.c.type, stream_event.c.data)
            .where(stream_event.c.tenant_id == tenant)
            .order_by(stream_event.c.id)
        )
        return [(r.type, r.data["data"]) for r in found]


async def test_messages_of_one_new_thread_make_one_conversation(engine, tenant, comment_for):
    now = datetime.now(UTC)
    first = comment_for("first", created_at=now - timedelta(minutes=3))
    latest = comment_for(
        "latest",
        author=Author(network_id="u-2", handle="bob"),
        created_at=now - timedelta(minutes=1),
    )
    earliest = comment_for(
        "written earliest, arrived last",
        author=Author(network_id="u-3"),
        created_at=now - timedelta(minutes=9),
    )
    await file_batch(engine, (tenant, first), (tenant, latest), (tenant, earliest))

    (row,) = await rows(engine, conversation, tenant)
    assert row.message_count == 3
    assert (row.preview, row.last_message_at) == ("latest", now - timedelta(minutes=1))
    assert row.last_inbound_at == now - timedelta(minutes=1)
    # Who it is with: the author of the first message filed.
    assert (row.contact_network_id, row.contact_handle) == ("u-1", "alice")
    assert row.waiting_since == now - timedelta(minutes=9)
    assert row.response_started_at == now - timedelta(minutes=9)
    assert row.status == "open"
    filed = await rows(engine, message, tenant)
    assert sorted(m.text for m in filed) == ["first", "latest", "written earliest, arrived last"]
    assert {m.conversation_id for m in filed} == {row.id}
    events = await logged(engine, tenant)
    assert [(t, e["interaction_id"], e["new_conversation"]) for t, e in events] == [
        ("message.received", str(first.interaction_id), True),
        ("message.received", str(latest.interaction_id), False),
        ("message.received", str(earliest.interaction_id), False),
    ]


async def test_a_message_and_its_redelivery_in_one_batch_are_filed_once(
    engine, tenant, comment_for
):
    comment = comment_for("only once")
    await file_batch(engine, (tenant, comment), (tenant, comment))

    (row,) = await rows(engine, conversation, tenant)
    assert row.message_count == 1
    assert len(await rows(engine, message, tenant)) == 1
    (author,) = await rows(engine, contact, tenant)
    assert author.message_count == 1
    assert [t for t, _ in await logged(engine, tenant)] == ["message.received"]


async def test_a_redelivery_of_a_message_filed_before_is_not_filed_again(
    engine, tenant, receive, comment_for
):
    filed = await receive(tenant, "before")
    again = comment_for("new")
    await file_batch(engine, (tenant, filed), (tenant, again))

    (row,) = await rows(engine, conversation, tenant)
    assert row.message_count == 2
    assert sorted(m.text for m in await rows(engine, message, tenant)) == ["before", "new"]


async def test_messages_of_a_resolved_conversation_open_it_again_once(
    engine, tenant, receive, comment_for
):
    await receive(tenant, "thanks")
    (row,) = await rows(engine, conversation, tenant)
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(conversation)
            .where(conversation.c.id == row.id)
            .values(status="resolved", resolved_at=datetime.now(UTC))
        )
    await file_batch(engine, (tenant, comment_for("one more")), (tenant, comment_for("and")))

    (row,) = await rows(engine, conversation, tenant)
    assert (row.status, row.resolved_at, row.message_count) == ("open", None, 3)
    events = await logged(engine, tenant)
    assert [(t, e.get("new_conversation"), e.get("previous_status")) for t, e in events] == [
        ("message.received", True, None),
        ("message.received", False, None),
        ("conversation.status_changed", None, "resolved"),
        ("message.received", False, None),
    ]


async def test_messages_of_a_pending_conversation_leave_it_pending(
    engine, tenant, receive, comment_for
):
    await receive(tenant, "hello")
    (row,) = await rows(engine, conversation, tenant)
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(conversation).where(conversation.c.id == row.id).values(status="pending")
        )
    await file_batch(engine, (tenant, comment_for("a")), (tenant, comment_for("b")))

    (row,) = await rows(engine, conversation, tenant)
    assert (row.status, row.message_count) == ("pending", 3)
    assert [t for t, _ in await logged(engine, tenant)] == ["message.received"] * 3


async def test_two_messages_of_one_new_author_make_one_contact(engine, tenant, comment_for):
    now = datetime.now(UTC)
    await file_batch(
        engine,
        (
            tenant,
            comment_for(
                "on one post",
                author=Author(network_id="u-7", handle="old_name"),
                created_at=now - timedelta(minutes=5),
            ),
        ),
        (
            tenant,
            comment_for(
                "on another",
                thread_external_id="post-2",
                author=Author(network_id="u-7", handle="new_name", display_name="Dee"),
                created_at=now - timedelta(minutes=2),
            ),
        ),
    )

    (author,) = await rows(engine, contact, tenant)
    assert author.message_count == 2
    assert (author.first_contact_at, author.last_contact_at) == (
        now - timedelta(minutes=5),
        now - timedelta(minutes=2),
    )
    assert (author.handle, author.display_name) == ("new_name", "Dee")
    identities = await rows_of_identity(engine, tenant)
    assert [(i.network_id, i.contact_id, i.handle) for i in identities] == [
        ("u-7", author.id, "old_name")
    ]
    assert {m.contact_id for m in await rows(engine, message, tenant)} == {author.id}
    assert {c.contact_id for c in await rows(engine, conversation, tenant)} == {author.id}


async def test_an_older_message_in_the_batch_leaves_the_contact_the_latest_names(
    engine, tenant, comment_for
):
    now = datetime.now(UTC)
    await file_batch(
        engine,
        (tenant, comment_for(author=Author(network_id="u-8", handle="latest"), created_at=now)),
        (
            tenant,
            comment_for(
                author=Author(network_id="u-8", handle="older", display_name="Old"),
                created_at=now - timedelta(hours=1),
            ),
        ),
    )
    (author,) = await rows(engine, contact, tenant)
    assert (author.handle, author.display_name, author.message_count) == ("latest", None, 2)
    assert author.first_contact_at == now - timedelta(hours=1)


async def rows_of_identity(engine, tenant):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(contact_identity).where(contact_identity.c.tenant_id == tenant)
            )
        ).all()


async def test_a_batch_mixing_organizations_brands_and_networks(
    engine, tenant, unique, comment_for
):
    other = unique("tenant")
    same_author = Author(network_id="u-1", handle="alice")
    await file_batch(
        engine,
        (tenant, comment_for("brand 1 on instagram", author=same_author)),
        (tenant, comment_for("brand 2 on instagram", brand_id="brand-2", author=same_author)),
        (tenant, comment_for("brand 1 on facebook", network=Network.facebook, author=same_author)),
        (tenant, comment_for("brand 1 on instagram again", author=same_author)),
        (other, comment_for("another organization", author=same_author)),
        (
            tenant,
            comment_for(
                "a private message",
                kind=InteractionKind.direct_message,
                thread_external_id="dm-1",
                author=same_author,
            ),
        ),
    )

    found = {
        (r.brand_id, r.network, r.kind): r.message_count
        for r in await rows(engine, conversation, tenant)
    }
    assert found == {
        ("brand-1", "instagram", "comment"): 2,
        ("brand-2", "instagram", "comment"): 1,
        ("brand-1", "facebook", "comment"): 1,
        ("brand-1", "instagram", "direct_message"): 1,
    }
    # One contact per author per brand and network.
    contacts = sorted((r.brand_id, r.message_count) for r in await rows(engine, contact, tenant))
    assert contacts == [("brand-1", 1), ("brand-1", 3), ("brand-2", 1)]
    by_conversation = {}
    for m in await rows(engine, message, tenant):
        by_conversation.setdefault(m.conversation_id, set()).add(m.contact_id)
    assert all(len(ids) == 1 for ids in by_conversation.values())
    (theirs,) = await rows(engine, conversation, other)
    assert (theirs.message_count, theirs.preview) == (1, "another organization")
    assert [t for t, _ in await logged(engine, other)] == ["message.received"]
    assert len(await logged(engine, tenant)) == 5


async def test_batches_filing_one_new_author_at_the_same_time_make_one_contact(
    engine, tenant, comment_for
):
    sessionmaker = create_sessionmaker(engine)
    author = Author(network_id="u-9", handle="eve")
    first, second = (
        Envelope.build(c, tenant_id=tenant, subject=str(uuid.uuid4()), source="/beacon/ingest")
        for c in (
            comment_for("on one post", author=author),
            comment_for("on another", thread_external_id="post-2", author=author),
        )
    )
    async with sessionmaker() as one:
        await one.begin()
        await comments_received(one, [first])

        async def other() -> None:
            async with sessionmaker() as session, session.begin():
                await comments_received(session, [second])

        # The second waits on the first's new identity, then takes its contact.
        waiting = asyncio.create_task(other())
        await asyncio.sleep(0.5)
        assert not waiting.done()
        await one.commit()
    await waiting

    (made,) = await rows(engine, contact, tenant)
    assert made.message_count == 2
    assert [i.contact_id for i in await rows_of_identity(engine, tenant)] == [made.id]
    assert {m.contact_id for m in await rows(engine, message, tenant)} == {made.id}


async def test_decisions_arrived_first_show_on_the_batch_s_messages(
    engine, tenant, comment_for, moderate
):
    flagged = comment_for("this is a scam", thread_external_id="post-1")
    french = comment_for("livraison cassée", thread_external_id="post-2")
    plain = comment_for("nice", thread_external_id="post-2")
    await moderate(tenant, flagged, ModerationAction.flag, sentiment="negative", language="en")
    await moderate(tenant, french, ModerationAction.escalate, language="fr")
    await file_batch(engine, (tenant, flagged), (tenant, french), (tenant, plain))

    languages = {m.text: m.language for m in await rows(engine, message, tenant)}
    assert languages == {"this is a scam": "en", "livraison cassée": "fr", "nice": None}
    found = {r.thread_external_id: r for r in await rows(engine, conversation, tenant)}
    assert (found["post-1"].review_count, found["post-1"].sentiment) == (1, "negative")
    assert (found["post-2"].review_count, found["post-2"].message_count) == (1, 2)


async def test_a_brandless_thread_and_author_are_found_again_by_the_next_batch(
    engine, tenant, comment_for
):
    for text in ("one", "two"):
        await file_batch(
            engine,
            (tenant, comment_for(text, brand_id=None)),
            (tenant, comment_for(f"{text} on a brand")),
        )

    found = {r.brand_id: r.message_count for r in await rows(engine, conversation, tenant)}
    assert found == {None: 2, "brand-1": 2}
    assert sorted(
        (r.brand_id or "", r.message_count) for r in await rows(engine, contact, tenant)
    ) == [
        ("", 2),
        ("brand-1", 2),
    ]
    events = [e for _, e in await logged(engine, tenant)]
    assert [(e["brand_id"], e["new_conversation"]) for e in events] == [
        (None, True),
        ("brand-1", True),
        (None, False),
        ("brand-1", False),
    ]
