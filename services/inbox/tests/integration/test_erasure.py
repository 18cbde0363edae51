"""An author's erasure: their messages, decisions, contact, identities and notes deleted, their
conversations emptied of them, another author's untouched, and the counts reported."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import func, insert, select

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.crypto import SecretBox
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from beacon_shared.testing.egress import LOCAL_EGRESS
from beacon_shared.webhooks.schemas import EndpointIn
from inbox.contacts.models import contact, contact_identity, contact_note
from inbox.conversations.models import conversation, decision, message
from inbox.db import outbox
from inbox.privacy.handlers import erasure_requested
from inbox.stream.models import stream_event
from inbox.webhooks.models import TABLES
from inbox.webhooks.service import WEBHOOKS

pytestmark = pytest.mark.integration

BOB = Author(network_id="u-2", handle="bob", display_name="Bob")
BOX = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="INBOX_CREDENTIALS_KEY")


async def erase(engine, tenant, *, author_id="u-1", brand_id=None, network=Network.instagram):
    request = ErasureRequested(
        erasure_id=uuid.uuid4(),
        brand_id=brand_id,
        network=network,
        author_id=author_id,
        requested_by="user:test",
        requested_at=datetime.now(UTC),
    )
    env = Envelope.build(
        request, tenant_id=tenant, subject=str(request.erasure_id), source="/beacon/workspace"
    )
    async with create_sessionmaker(engine)() as session, session.begin():
        await erasure_requested(session, env)
    async with engine.connect() as conn:
        value = await conn.scalar(
            select(outbox.c.value).where(outbox.c.key == str(request.erasure_id))
        )
    staged = orjson.loads(value)
    assert staged["type"] == "inbox.erasure.completed"
    return staged["data"]["erased"]


async def count(engine, table, *where):
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table).where(*where))


async def note_on(engine, tenant, contact_id):
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            insert(contact_note).values(
                id=uuid.uuid4(),
                tenant_id=tenant,
                contact_id=contact_id,
                author="user:agent",
                text="Prefers to be called in the morning",
                created_at=datetime.now(UTC),
            )
        )


class TestErasure:
    async def test_the_authors_messages_and_contact_go_and_the_conversation_stays_with_the_rest(
        self, engine, unique, receive, moderate
    ):
        tenant = unique("tenant")
        async with create_sessionmaker(engine)() as session, session.begin():
            await WEBHOOKS.create_endpoint(
                session,
                tenant_id=tenant,
                body=EndpointIn(url="https://hooks.example.com/inbox"),
                box=BOX,
                egress=LOCAL_EGRESS,
            )
        first = await receive(tenant, "My order never came, call me on 0612345678")
        await moderate(tenant, first)
        await receive(tenant, "Same here", kind=InteractionKind.reply, author=BOB)
        async with engine.connect() as conn:
            alice = await conn.scalar(
                select(contact_identity.c.contact_id).where(
                    contact_identity.c.tenant_id == tenant, contact_identity.c.network_id == "u-1"
                )
            )
        await note_on(engine, tenant, alice)

        erased = await erase(engine, tenant)

        assert erased == {
            "messages": 1,
            "decisions": 1,
            # message.received and message.moderated about her message; Bob's stay.
            "stream_events": 2,
            "webhook_deliveries": 2,
            "contacts": 1,
            "identities": 1,
            "notes": 1,
            "conversations_emptied": 1,
        }
        async with engine.connect() as conn:
            texts = (
                await conn.scalars(select(message.c.text).where(message.c.tenant_id == tenant))
            ).all()
            (row,) = (
                await conn.execute(select(conversation).where(conversation.c.tenant_id == tenant))
            ).all()
        assert texts == ["Same here"]
        assert (row.contact_network_id, row.contact_handle, row.contact_name) == ("", None, None)
        assert row.contact_id is None
        assert (row.message_count, row.preview) == (1, "Same here")
        assert await count(engine, contact, contact.c.tenant_id == tenant) == 1
        assert await count(engine, decision, decision.c.tenant_id == tenant) == 0
        assert await count(engine, contact_note, contact_note.c.tenant_id == tenant) == 0
        async with engine.connect() as conn:
            logged = (
                await conn.scalars(
                    select(stream_event.c.data).where(stream_event.c.tenant_id == tenant)
                )
            ).all()
            queued = (
                await conn.scalars(
                    select(TABLES.delivery.c.payload).where(TABLES.delivery.c.tenant_id == tenant)
                )
            ).all()
        assert "0612345678" not in orjson.dumps([*logged, *queued]).decode()
        assert [e["data"]["text"] for e in logged if e["type"] == "message.received"] == [
            "Same here"
        ]
        assert len(queued) == 1

    async def test_another_network_and_another_brand_are_left_alone(self, engine, unique, receive):
        tenant = unique("tenant")
        await receive(tenant, "on instagram, brand 1")
        await receive(tenant, "on instagram, brand 2", brand_id="brand-2", thread_external_id="p2")
        await receive(tenant, "on x", network=Network.x, thread_external_id="p3")

        erased = await erase(engine, tenant, brand_id="brand-1")

        assert erased["messages"] == 1
        async with engine.connect() as conn:
            texts = (
                await conn.scalars(select(message.c.text).where(message.c.tenant_id == tenant))
            ).all()
        assert sorted(texts) == ["on instagram, brand 2", "on x"]

    async def test_a_second_request_finds_nothing_left(self, engine, unique, receive):
        tenant = unique("tenant")
        await receive(tenant, "hello")
        await erase(engine, tenant)

        erased = await erase(engine, tenant)

        assert erased["messages"] == 0
        assert erased["contacts"] == 0
