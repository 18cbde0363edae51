"""Events out: what each change logs for the live streams and queues for the webhooks, the log's
trimming, and a delivery to a real receiver, signed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select, update

from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.crypto import SecretBox
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from beacon_shared.testing.egress import LOCAL_EGRESS
from beacon_shared.webhooks import verify
from beacon_shared.webhooks.dispatcher import Dispatcher, DispatcherConfig
from beacon_shared.webhooks.schemas import EndpointIn
from inbox.conversations import service
from inbox.conversations.handlers import comment_received
from inbox.conversations.models import conversation
from inbox.conversations.schemas import ConversationChange
from inbox.sla import breaches, policies
from inbox.sla.schemas import SlaPolicyIn
from inbox.stream import service as stream
from inbox.stream.models import stream_event, stream_trim
from inbox.webhooks.dispatcher import METRICS
from inbox.webhooks.models import TABLES
from inbox.webhooks.service import WEBHOOKS

pytestmark = pytest.mark.integration

BOX = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="INBOX_CREDENTIALS_KEY")


async def logged(engine, tenant: str) -> list[tuple[str, dict]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(stream_event.c.type, stream_event.c.data)
            .where(stream_event.c.tenant_id == tenant)
            .order_by(stream_event.c.id)
        )
        return [(r.type, r.data["data"]) for r in rows]


async def queued(engine, tenant: str) -> list[str]:
    d = TABLES.delivery.c
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(d.event_type).where(d.tenant_id == tenant).order_by(d.created_at, d.id)
        )
        return list(rows.scalars())


async def subscribe(engine, tenant: str, url: str, **fields) -> str:
    async with create_sessionmaker(engine)() as session, session.begin():
        created = await WEBHOOKS.create_endpoint(
            session,
            tenant_id=tenant,
            body=EndpointIn(url=url, **fields),
            box=BOX,
            egress=LOCAL_EGRESS,
        )
    return created.secret


def principal(tenant: str) -> Principal:
    return Principal(tenant_id=tenant, key_id=uuid.uuid4(), scopes=frozenset({"*"}))


class TestWhatIsSent:
    async def test_a_filed_message_is_logged_and_queued_for_subscribers_of_its_type_and_brand(
        self, engine, tenant, receive
    ):
        await subscribe(engine, tenant, "https://hooks.example.com/all")
        await subscribe(engine, tenant, "https://hooks.example.com/b2", brand_ids=["brand-2"])
        await subscribe(
            engine,
            tenant,
            "https://hooks.example.com/status",
            event_types=["conversation.status_changed"],
        )

        comment = await receive(tenant, "Is the blue one back?")

        ((kind, data),) = await logged(engine, tenant)
        assert kind == "message.received"
        assert data["interaction_id"] == str(comment.interaction_id)
        assert (data["text"], data["brand_id"], data["new_conversation"]) == (
            "Is the blue one back?",
            "brand-1",
            True,
        )
        assert await queued(engine, tenant) == ["message.received"]
        # The webhook carries the body the stream does, timestamp included.
        async with engine.connect() as conn:
            sent = await conn.scalar(
                select(TABLES.delivery.c.payload).where(TABLES.delivery.c.tenant_id == tenant)
            )
            streamed = await conn.scalar(
                select(stream_event.c.data).where(stream_event.c.tenant_id == tenant)
            )
        assert sent == streamed

    async def test_a_message_opening_a_resolved_conversation_again_says_so(
        self, engine, tenant, receive
    ):
        await receive(tenant, "first", thread_external_id="p-9")
        async with create_sessionmaker(engine)() as session, session.begin():
            (conversation_id,) = (
                await session.execute(
                    select(conversation.c.id).where(conversation.c.tenant_id == tenant)
                )
            ).scalars()
            await service.change(
                session,
                principal=principal(tenant),
                conversation_id=conversation_id,
                data=ConversationChange(status="resolved"),
            )
        await receive(tenant, "again", thread_external_id="p-9")

        kinds = [
            (k, d.get("previous_status"), d.get("status"), d.get("by"))
            for k, d in await logged(engine, tenant)
        ]
        assert kinds[1][:3] == ("conversation.status_changed", "open", "resolved")
        assert kinds[2:] == [
            ("message.received", None, None, None),
            ("conversation.status_changed", "resolved", "open", "system"),
        ]

    async def test_an_assignment_and_a_status_change_are_two_events(
        self, engine, tenant, receive, member
    ):
        agent = await member(tenant, "agent")
        await receive(tenant)
        async with create_sessionmaker(engine)() as session, session.begin():
            (conversation_id,) = (
                await session.execute(
                    select(conversation.c.id).where(conversation.c.tenant_id == tenant)
                )
            ).scalars()
            await service.change(
                session,
                principal=principal(tenant),
                conversation_id=conversation_id,
                data=ConversationChange(status="pending", assignee=agent.user_id),
            )
            # Labels alone send nothing.
            await service.change(
                session,
                principal=principal(tenant),
                conversation_id=conversation_id,
                data=ConversationChange(labels=["vip"]),
            )

        events = await logged(engine, tenant)
        assert [k for k, _ in events] == [
            "message.received",
            "conversation.status_changed",
            "conversation.assigned",
        ]
        assigned = events[2][1]
        assert (assigned["assignee"], assigned["previous_assignee"]) == (
            str(agent.user_id),
            None,
        )

    async def test_a_decision_is_sent_with_its_conversation(
        self, engine, tenant, receive, moderate
    ):
        comment = await receive(tenant)
        await moderate(tenant, comment, ModerationAction.flag)

        kind, data = (await logged(engine, tenant))[-1]
        assert (kind, data["action"], data["interaction_id"]) == (
            "message.moderated",
            "flag",
            str(comment.interaction_id),
        )
        assert data["conversation_id"] is not None

    async def test_a_snooze_that_ends_is_a_status_change_by_the_system(
        self, engine, tenant, receive
    ):
        await receive(tenant)
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                update(conversation)
                .where(conversation.c.tenant_id == tenant)
                .values(status="snoozed", snoozed_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        async with create_sessionmaker(engine)() as session, session.begin():
            await service.wake_snoozed(session, now=datetime.now(UTC))

        kind, data = (await logged(engine, tenant))[-1]
        assert (kind, data["previous_status"], data["status"], data["by"]) == (
            "conversation.status_changed",
            "snoozed",
            "open",
            "system",
        )


class TestTheLog:
    async def test_trimming_keeps_the_newest_and_records_what_went(self, engine, tenant, receive):
        for n in range(5):
            await receive(tenant, f"message {n}", thread_external_id=f"p-{n}")
        async with engine.connect() as conn:
            ids = list(
                (
                    await conn.execute(
                        select(stream_event.c.id)
                        .where(stream_event.c.tenant_id == tenant)
                        .order_by(stream_event.c.id)
                    )
                ).scalars()
            )
        async with create_sessionmaker(engine)() as session, session.begin():
            removed = await stream.trim(
                session, now=datetime.now(UTC), keep_for=timedelta(hours=1), keep=2
            )
        assert removed >= 3
        async with engine.connect() as conn:
            kept = await stream.read(conn, tenant_id=tenant, after_id=0, brand_ids=None, limit=10)
            assert [r.id for r in kept] == ids[-2:]
            assert await stream.start(conn, tenant_id=tenant, last_event_id=ids[2]) == (
                stream.Start(ids[2], missed=False)
            )
            assert await stream.start(conn, tenant_id=tenant, last_event_id=ids[1]) == (
                stream.Start(ids[-1], missed=True)
            )
            assert await stream.start(conn, tenant_id=tenant, last_event_id=None) == (
                stream.Start(ids[-1], missed=False)
            )

    async def test_trimming_by_age(self, engine, tenant, receive):
        await receive(tenant, "old")
        async with create_sessionmaker(engine)() as session, session.begin():
            await stream.trim(
                session,
                now=datetime.now(UTC) + timedelta(hours=2),
                keep_for=timedelta(hours=1),
                keep=1000,
            )
        assert await logged(engine, tenant) == []
        async with engine.connect() as conn:
            through = await conn.scalar(
                select(stream_trim.c.trimmed_through).where(stream_trim.c.tenant_id == tenant)
            )
        assert through is not None

    async def test_nothing_is_logged_or_queued_when_the_change_rolls_back(
        self, engine, tenant, comment_for
    ):
        await subscribe(engine, tenant, "https://hooks.example.com/all")
        comment = comment_for()
        envelope = Envelope.build(
            comment, tenant_id=tenant, subject=str(uuid.uuid4()), source="/beacon/ingest"
        )
        async with create_sessionmaker(engine)() as session, session.begin():
            await comment_received(session, envelope)
            await session.rollback()
        assert await logged(engine, tenant) == []
        assert await queued(engine, tenant) == []


class Receiver:
    """An HTTP/1.1 server on 127.0.0.1 that records each request and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append((headers, body))
        self.arrived.set()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()


async def test_the_dispatcher_delivers_an_inbox_event_signed(engine, tenant, receive):
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    secret = await subscribe(
        engine, tenant, f"http://127.0.0.1:{port}/hooks", event_types=["message.received"]
    )
    comment = await receive(tenant, "Where is my order?")
    dispatcher = Dispatcher(
        tables=TABLES,
        metrics=METRICS,
        sessionmaker=create_sessionmaker(engine),
        box=BOX,
        config=DispatcherConfig(worker_id="test", egress=LOCAL_EGRESS),
    )
    try:
        # Other tests' deliveries go to hosts that do not resolve here; this one is the
        # tenant's only one to arrive.
        while not receiver.received:
            await dispatcher.tick()
            await asyncio.wait_for(receiver.arrived.wait(), 5)
    finally:
        await dispatcher.aclose()
        server.close()
        await server.wait_closed()

    headers, body = receiver.received[0]
    verify(secret, headers, body, now=datetime.now(UTC))
    sent = orjson.loads(body)
    assert sent["type"] == "message.received"
    assert sent["data"]["interaction_id"] == str(comment.interaction_id)
    d = TABLES.delivery.c
    async with engine.connect() as conn:
        status = await conn.scalar(select(d.status).where(d.tenant_id == tenant))
    assert status == "delivered"


async def test_an_sla_breach_is_sent_to_subscribers_and_the_stream(engine, tenant, receive):
    await subscribe(engine, tenant, "https://hooks.example.com/sla", event_types=["sla.breached"])
    async with create_sessionmaker(engine)() as session, session.begin():
        await policies.put(
            session,
            principal=principal(tenant),
            brand_id="brand-1",
            body=SlaPolicyIn.model_validate({"first_response_seconds": 600}),
            now=datetime.now(UTC),
        )
    now = datetime.now(UTC)
    await receive(tenant, "help", created_at=now - timedelta(hours=1))
    async with create_sessionmaker(engine)() as session, session.begin():
        await breaches.find(session, now=now)

    kind, data = (await logged(engine, tenant))[-1]
    assert (kind, data["target"], data["brand_id"]) == ("sla.breached", "first_response", "brand-1")
    assert await queued(engine, tenant) == ["sla.breached"]
