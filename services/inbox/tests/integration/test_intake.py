"""Interactions join their conversations and reopen them; moderation's decisions show on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.db import create_sessionmaker
from inbox.conversations.models import conversation, message

pytestmark = pytest.mark.integration


async def conversations_of(engine, tenant):
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(conversation)
            .where(conversation.c.tenant_id == tenant)
            .order_by(conversation.c.created_at)
        )
        return rows.all()


async def set_status(engine, conversation_id, **values):
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(conversation).where(conversation.c.id == conversation_id).values(**values)
        )


class TestThreads:
    async def test_comments_on_one_post_are_one_conversation_with_its_first_author(
        self, engine, unique, receive
    ):
        tenant = unique("tenant")
        now = datetime.now(UTC)
        await receive(tenant, "First!", created_at=now - timedelta(minutes=5))
        await receive(
            tenant,
            "Any news on my order?",
            kind=InteractionKind.reply,
            author=Author(network_id="u-2", handle="bob"),
            created_at=now - timedelta(minutes=1),
        )
        (row,) = await conversations_of(engine, tenant)
        assert row.kind == "comment"
        assert row.thread_external_id == "post-1"
        assert row.message_count == 2
        assert row.preview == "Any news on my order?"
        assert (row.contact_network_id, row.contact_handle) == ("u-1", "alice")
        assert row.last_message_at == now - timedelta(minutes=1)
        assert row.status == "open"

    async def test_an_older_message_arriving_late_leaves_the_preview_to_the_latest(
        self, engine, unique, receive
    ):
        tenant = unique("tenant")
        now = datetime.now(UTC)
        await receive(tenant, "latest", created_at=now)
        await receive(tenant, "older", created_at=now - timedelta(hours=1))
        (row,) = await conversations_of(engine, tenant)
        assert (row.preview, row.last_message_at, row.message_count) == ("latest", now, 2)

    async def test_kinds_brands_and_networks_keep_their_own_conversations(
        self, engine, unique, receive
    ):
        tenant = unique("tenant")
        await receive(tenant, "a comment")
        await receive(tenant, "on the other brand", brand_id="brand-2")
        await receive(tenant, "on another network", network=Network.facebook)
        await receive(tenant, "@brand hello", kind=InteractionKind.mention, thread_external_id=None)
        await receive(
            tenant, "hi in private", kind=InteractionKind.direct_message, thread_external_id="dm-9"
        )
        await receive(
            tenant,
            "again in private",
            kind=InteractionKind.direct_message,
            thread_external_id="dm-9",
        )
        rows = await conversations_of(engine, tenant)
        assert sorted((r.kind, r.brand_id, r.network, r.message_count) for r in rows) == [
            ("comment", "brand-1", "facebook", 1),
            ("comment", "brand-1", "instagram", 1),
            ("comment", "brand-2", "instagram", 1),
            ("direct_message", "brand-1", "instagram", 2),
            ("mention", "brand-1", "instagram", 1),
        ]

    async def test_a_redelivered_interaction_is_filed_once(self, engine, unique, receive):
        tenant = unique("tenant")
        first = await receive(tenant, "once")
        await receive(tenant, "once", interaction_id=first.interaction_id)
        (row,) = await conversations_of(engine, tenant)
        assert row.message_count == 1
        async with engine.connect() as conn:
            count = len(
                (
                    await conn.execute(select(message.c.id).where(message.c.tenant_id == tenant))
                ).all()
            )
        assert count == 1

    async def test_a_brandless_interaction_has_a_conversation_of_the_organization(
        self, engine, unique, receive
    ):
        tenant = unique("tenant")
        await receive(tenant, "one", brand_id=None)
        await receive(tenant, "two", brand_id=None)
        (row,) = await conversations_of(engine, tenant)
        assert (row.brand_id, row.message_count) == (None, 2)


class TestReopening:
    @pytest.mark.parametrize("status", ["resolved", "snoozed"])
    async def test_a_new_message_reopens_a_resolved_or_snoozed_conversation(
        self, engine, unique, receive, status
    ):
        tenant = unique("tenant")
        await receive(tenant, "help")
        (row,) = await conversations_of(engine, tenant)
        later = datetime.now(UTC) + timedelta(days=1)
        await set_status(
            engine,
            row.id,
            status=status,
            snoozed_until=later if status == "snoozed" else None,
            resolved_at=datetime.now(UTC) if status == "resolved" else None,
        )
        await receive(tenant, "still waiting")
        (row,) = await conversations_of(engine, tenant)
        assert (row.status, row.snoozed_until, row.resolved_at) == ("open", None, None)

    async def test_a_new_message_leaves_a_pending_conversation_pending(
        self, engine, unique, receive
    ):
        tenant = unique("tenant")
        await receive(tenant, "help")
        (row,) = await conversations_of(engine, tenant)
        await set_status(engine, row.id, status="pending")
        await receive(tenant, "here is my order number")
        (row,) = await conversations_of(engine, tenant)
        assert row.status == "pending"


class TestDecisions:
    async def test_a_flag_counts_for_review_until_a_person_decides(
        self, engine, unique, receive, moderate
    ):
        tenant = unique("tenant")
        comment = await receive(tenant, "You people are useless")
        flagged = await moderate(tenant, comment, ModerationAction.flag)
        (row,) = await conversations_of(engine, tenant)
        assert row.review_count == 1
        await moderate(
            tenant,
            comment,
            ModerationAction.hide,
            decision_id=flagged.decision_id,
            decided_by="user:someone",
            language=None,
            replaces_action=ModerationAction.flag,
        )
        (row,) = await conversations_of(engine, tenant)
        assert row.review_count == 0

    async def test_a_decision_arriving_before_its_message_shows_once_it_is_filed(
        self, engine, unique, receive, moderate, comment_for
    ):
        tenant = unique("tenant")
        comment = comment_for("Je suis très déçue de ma commande")
        await moderate(tenant, comment, ModerationAction.escalate, language="fr")
        await receive(
            tenant,
            comment.text,
            interaction_id=comment.interaction_id,
            external_id=comment.external_id,
        )
        (row,) = await conversations_of(engine, tenant)
        assert row.review_count == 1
        async with engine.connect() as conn:
            language = await conn.scalar(
                select(message.c.language).where(message.c.interaction_id == comment.interaction_id)
            )
        assert language == "fr"

    async def test_an_older_decision_arriving_late_does_not_replace_the_latest(
        self, engine, unique, receive, moderate
    ):
        tenant = unique("tenant")
        comment = await receive(tenant, "You people are useless")
        now = datetime.now(UTC)
        await moderate(tenant, comment, ModerationAction.allow, decided_at=now)
        await moderate(
            tenant, comment, ModerationAction.flag, decided_at=now - timedelta(seconds=5)
        )
        (row,) = await conversations_of(engine, tenant)
        assert row.review_count == 0
