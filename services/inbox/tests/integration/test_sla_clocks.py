"""SLA clocks on the real database: started by the community's messages, stopped by a response
(recorded directly, or found from an answer filed without it) and by resolving, breaches raised
once each however many passes run, and the events staged in the outbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.inbox import SlaBreached
from beacon_shared.contracts.ingest import InteractionKind, OwnActivityRecorded
from beacon_shared.contracts.topics import SLA_BREACHED
from beacon_shared.contracts.workspace import BrandConfigured
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope, MalformedEvent, decode
from beacon_shared.testing.plugin import eventually
from beacon_shared.worker import run_worker
from inbox import worker
from inbox.config import Settings
from inbox.conversations import service
from inbox.conversations.models import conversation, message
from inbox.conversations.schemas import ConversationChange, Status
from inbox.db import outbox
from inbox.replies.intake import own_activity
from inbox.sla import breaches, business_time, clocks, policies
from inbox.sla.brands import brand_configured
from inbox.sla.schemas import SlaPolicyIn

pytestmark = pytest.mark.integration
HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def admin(tenant: str) -> Principal:
    return Principal(tenant_id=tenant, key_id=None, user_id=uuid.uuid4(), scopes=frozenset({"*"}))


async def set_policy(engine: AsyncEngine, tenant: str, **fields: Any) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        await policies.put(
            session,
            principal=admin(tenant),
            brand_id="brand-1",
            body=SlaPolicyIn.model_validate(fields),
            now=datetime.now(UTC),
        )


async def the_conversation(engine: AsyncEngine, tenant: str) -> Any:
    async with engine.connect() as conn:
        return (
            await conn.execute(select(conversation).where(conversation.c.tenant_id == tenant))
        ).one()


async def events(engine: AsyncEngine, tenant: str, event_type: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        values = (await conn.execute(select(outbox.c.value).order_by(outbox.c.id))).scalars()
        found = [decode(value) for value in values]
    return [e.data for e in found if e.tenantid == tenant and e.type == event_type]


async def respond(engine: AsyncEngine, tenant: str, at: datetime, by: str | None) -> Any:
    row = await the_conversation(engine, tenant)
    async with create_sessionmaker(engine)() as session, session.begin():
        return await clocks.record_response(
            session, tenant_id=tenant, conversation_id=row.id, responded_at=at, responded_by=by
        )


async def find_breaches(engine: AsyncEngine, now: datetime) -> int:
    async with create_sessionmaker(engine)() as session, session.begin():
        return await breaches.find(session, now=now)


class TestClocks:
    async def test_a_message_starts_both_clocks_due_in_business_time(self, engine, tenant, receive):
        office = {d: [(9 * 60, 18 * 60)] for d in range(5)}
        holiday = (datetime.now(UTC) + timedelta(days=2)).date()
        await set_policy(
            engine,
            tenant,
            first_response_seconds=7200,
            resolution_seconds=3 * 86400,
            timezone="America/New_York",
            business_hours={
                "weekly": [
                    {"weekday": w, "opens": "09:00", "closes": "18:00"}
                    for w in ("monday", "tuesday", "wednesday", "thursday", "friday")
                ],
                "holidays": [holiday.isoformat()],
            },
        )
        sent = datetime.now(UTC) - timedelta(minutes=5)
        await receive(tenant, "hello?", created_at=sent)
        hours = business_time.BusinessHours.of("America/New_York", office, [holiday])
        row = await the_conversation(engine, tenant)
        assert row.response_target == "first_response"
        assert row.response_started_at == sent
        assert row.response_due_at == business_time.add(hours, sent, 7200)
        assert row.resolution_due_at == business_time.add(hours, sent, 3 * 86400)
        assert row.sla_due_at == row.response_due_at

        # A second message while waiting changes nothing; an earlier one arriving late does.
        await receive(tenant, "still there?")
        assert (await the_conversation(engine, tenant)).response_due_at == row.response_due_at
        earlier = sent - HOUR
        await receive(tenant, "first try", created_at=earlier)
        again = await the_conversation(engine, tenant)
        assert again.response_started_at == earlier
        assert again.response_due_at == business_time.add(hours, earlier, 7200)

    async def test_a_response_stops_its_clock_and_the_next_message_starts_the_next(
        self, engine, tenant, receive
    ):
        await set_policy(engine, tenant, first_response_seconds=3600, next_response_seconds=600)
        start = datetime.now(UTC) - 2 * HOUR
        await receive(tenant, "where is my order?", created_at=start)
        user = uuid.uuid4()
        first = await respond(engine, tenant, start + timedelta(minutes=30), f"user:{user}")
        assert first.target == "first_response"
        assert first.business_seconds == 1800
        assert (first.met, first.member_id, first.target_seconds) == (True, user, 3600)
        row = await the_conversation(engine, tenant)
        assert (row.waiting_since, row.response_due_at, row.sla_due_at) == (None, None, None)
        assert row.first_response_at == start + timedelta(minutes=30)
        # Recorded once: nobody waits any more.
        assert await respond(engine, tenant, start + HOUR, "user:x") is None

        follow_up = start + HOUR
        await receive(tenant, "and the refund?", created_at=follow_up)
        row = await the_conversation(engine, tenant)
        assert row.response_target == "next_response"
        assert row.response_due_at == follow_up + timedelta(minutes=10)
        late = await respond(engine, tenant, follow_up + timedelta(minutes=15), None)
        assert (late.target, late.met, late.business_seconds) == ("next_response", False, 900)
        recorded = await events(engine, tenant, "inbox.response.recorded")
        assert [(e["target"], e["met"]) for e in recorded] == [
            ("first_response", True),
            ("next_response", False),
        ]

    async def test_a_response_is_timed_without_a_policy(self, engine, tenant, receive):
        start = datetime.now(UTC) - HOUR
        await receive(tenant, "hi", brand_id="brand-2", created_at=start)
        done = await respond(engine, tenant, start + timedelta(minutes=2), "key:k")
        assert (done.business_seconds, done.met, done.target_seconds, done.due_at) == (
            120,
            None,
            None,
            None,
        )

    async def test_resolving_stops_both_clocks_and_times_the_resolution(
        self, engine, tenant, receive
    ):
        await set_policy(engine, tenant, first_response_seconds=60, resolution_seconds=86400)
        await receive(tenant, "broken", created_at=datetime.now(UTC) - HOUR)
        row = await the_conversation(engine, tenant)
        principal = admin(tenant)
        async with create_sessionmaker(engine)() as session, session.begin():
            after = await service.change(
                session,
                principal=principal,
                conversation_id=row.id,
                data=ConversationChange(status=Status.resolved),
            )
        assert (after.response_due_at, after.resolution_due_at, after.sla_due_at) == (
            None,
            None,
            None,
        )
        [resolution] = await events(engine, tenant, "inbox.resolution.recorded")
        assert resolution["met"] is True
        assert resolution["member_id"] == str(principal.user_id)
        assert 3590 < resolution["business_seconds"] < 3700
        # No response was recorded: the conversation was resolved unanswered.
        assert await events(engine, tenant, "inbox.response.recorded") == []

        # A new message opens the conversation again: both clocks start over.
        await receive(tenant, "broken again")
        reopened = await the_conversation(engine, tenant)
        assert reopened.response_target == "first_response"
        assert reopened.resolution_due_at is not None


class TestTheBrandsZone:
    async def configure(self, engine, tenant, zone, at):
        brand = BrandConfigured(
            brand_id="brand-1",
            name="Brand one",
            timezone=zone,
            languages=["en"],
            approval_required=False,
            self_approval_allowed=True,
            pause_on_alert=False,
            configured_at=at,
        )
        event = Envelope.build(brand, tenant_id=tenant, subject="brand-1", source="/workspace")
        async with create_sessionmaker(engine)() as session, session.begin():
            await brand_configured(session, event)

    async def test_a_policy_naming_no_zone_counts_in_the_brands(self, engine, tenant, receive):
        now = datetime.now(UTC)
        await self.configure(engine, tenant, "Pacific/Kiritimati", now - HOUR)
        # An older configuration arriving late changes nothing.
        await self.configure(engine, tenant, "America/Anchorage", now - 2 * HOUR)
        await set_policy(
            engine,
            tenant,
            first_response_seconds=3600,
            business_hours={"weekly": [{"weekday": "monday", "opens": "09:00", "closes": "10:00"}]},
        )
        sent = now - timedelta(minutes=5)
        await receive(tenant, "hello?", created_at=sent)
        monday = business_time.BusinessHours.of("Pacific/Kiritimati", {0: [(540, 600)]})
        row = await the_conversation(engine, tenant)
        assert row.response_due_at == business_time.add(monday, sent, 3600)

    async def test_an_unknown_zone_is_a_malformed_event(self, engine, tenant):
        with pytest.raises(MalformedEvent):
            await self.configure(engine, tenant, "Mars/Olympus", datetime.now(UTC))


class TestAnswersFiledWithoutTheClock:
    async def answer(self, engine, tenant, at, by):
        """File the brand's answer as a thread's filing does: an outbound message, and nobody
        waiting."""
        row = await the_conversation(engine, tenant)
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                insert(message).values(
                    id=uuid.uuid4(),
                    tenant_id=tenant,
                    conversation_id=row.id,
                    brand_id=row.brand_id,
                    kind="reply",
                    direction="outbound",
                    sent_by=by,
                    delivery="sent",
                    text="We are on it.",
                    created_at=at,
                    received_at=at,
                )
            )
            await session.execute(
                update(conversation).where(conversation.c.id == row.id).values(waiting_since=None)
            )

    async def test_the_breach_pass_records_the_answer_it_finds(self, engine, tenant, receive):
        await set_policy(engine, tenant, first_response_seconds=3600)
        start = datetime.now(UTC) - 2 * HOUR
        await receive(tenant, "hello", created_at=start)
        await self.answer(engine, tenant, start + timedelta(minutes=20), "user:someone")
        # The wait ended without the clock: the pass is asked to look at once.
        assert (await the_conversation(engine, tenant)).sla_alarm_at == EPOCH
        # Past its due time, but answered before it: no breach, the response recorded.
        await find_breaches(engine, datetime.now(UTC))
        [recorded] = await events(engine, tenant, "inbox.response.recorded")
        assert (recorded["business_seconds"], recorded["met"]) == (1200, True)
        assert recorded["responded_by"] == "user:someone"
        assert await events(engine, tenant, "inbox.sla.breached") == []
        assert (await the_conversation(engine, tenant)).response_due_at is None

    async def test_a_message_after_such_an_answer_records_it_first(self, engine, tenant, receive):
        await set_policy(engine, tenant, first_response_seconds=3600, next_response_seconds=60)
        start = datetime.now(UTC) - 2 * HOUR
        await receive(tenant, "hello", created_at=start)
        await self.answer(engine, tenant, start + timedelta(minutes=5), None)
        await receive(tenant, "thanks, and?", created_at=start + HOUR)
        [recorded] = await events(engine, tenant, "inbox.response.recorded")
        assert (recorded["target"], recorded["business_seconds"]) == ("first_response", 300)
        row = await the_conversation(engine, tenant)
        assert row.response_target == "next_response"
        assert row.response_started_at == start + HOUR


class TestAnswersFiledByTheReplies:
    async def test_a_native_reply_records_the_response_at_once(self, engine, tenant, receive):
        await set_policy(engine, tenant, first_response_seconds=3600)
        start = datetime.now(UTC) - 2 * HOUR
        comment = await receive(tenant, "is it in stock?", created_at=start)
        answered_at = start + timedelta(minutes=45)
        native = OwnActivityRecorded(
            brand_id="brand-1",
            account_external_id="page-1",
            network=comment.network,
            kind=InteractionKind.reply,
            external_id=f"own-{uuid.uuid4().hex[:8]}",
            parent_external_id=comment.external_id,
            thread_external_id=comment.thread_external_id,
            text="Yes, in every size.",
            created_at=answered_at,
            received_at=answered_at,
        )
        async with create_sessionmaker(engine)() as session, session.begin():
            assert await own_activity(
                session, tenant_id=tenant, event=native, now=datetime.now(UTC)
            )
        [recorded] = await events(engine, tenant, "inbox.response.recorded")
        assert (recorded["business_seconds"], recorded["met"]) == (2700, True)
        assert recorded["responded_by"] is None
        row = await the_conversation(engine, tenant)
        assert (row.waiting_since, row.response_due_at, row.sla_alarm_at) == (None, None, None)


class TestBreaches:
    async def test_a_breach_is_raised_once_per_clock(self, engine, tenant, receive):
        await set_policy(engine, tenant, first_response_seconds=600, resolution_seconds=7200)
        now = datetime.now(UTC)
        await receive(tenant, "help", created_at=now - HOUR)
        await find_breaches(engine, now - HOUR)
        assert await events(engine, tenant, "inbox.sla.breached") == []  # not due yet
        await find_breaches(engine, now)
        await find_breaches(engine, now + timedelta(seconds=1))
        [breach] = await events(engine, tenant, "inbox.sla.breached")
        assert breach["target"] == "first_response"
        assert datetime.fromisoformat(breach["due_at"]) == now - HOUR + timedelta(minutes=10)
        row = await the_conversation(engine, tenant)
        # The alarm moved to the resolution's due time; overdue stays.
        assert row.sla_alarm_at == now + HOUR
        assert row.sla_due_at == now - HOUR + timedelta(minutes=10)
        await find_breaches(engine, now + 2 * HOUR)
        targets = [b["target"] for b in await events(engine, tenant, "inbox.sla.breached")]
        assert targets == ["first_response", "resolution"]

    async def test_concurrent_passes_share_the_work_and_raise_each_breach_once(
        self, engine, unique, register_brands, receive
    ):
        tenant = unique("tenant")
        await register_brands(tenant, "brand-1")
        await set_policy(engine, tenant, first_response_seconds=60)
        now = datetime.now(UTC)
        for n in range(20):
            await receive(tenant, f"q{n}", thread_external_id=f"p-{n}", created_at=now - HOUR)

        async def one_pass() -> int:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await breaches.find(session, now=now, limit=7)

        # Other tests' conversations may be due too: passes run until none of ours is left.
        for _ in range(10):
            await asyncio.gather(one_pass(), one_pass())
            found = await events(engine, tenant, "inbox.sla.breached")
            if len(found) >= 20:
                break
        await asyncio.gather(one_pass(), one_pass())
        found = await events(engine, tenant, "inbox.sla.breached")
        assert len(found) == 20
        assert len({b["conversation_id"] for b in found}) == 20


def test_business_hours_of_a_policy_row_round_trip():
    saved = SlaPolicyIn.model_validate(
        {
            "first_response_seconds": 60,
            "timezone": "Europe/Paris",
            "business_hours": {
                "weekly": [{"weekday": "sunday", "opens": "10:00", "closes": "24:00"}],
                "holidays": ["2026-05-01"],
            },
        }
    )
    stored = policies.openings(saved.business_hours)
    assert stored == [{"weekday": 6, "opens": 600, "closes": 1440}]
    assert date(2026, 5, 1) in saved.business_hours.holidays


@pytest.mark.kafka
async def test_the_worker_raises_a_breach_onto_the_broker(
    settings_for, engine, unique, kafka_bootstrap, tenant, receive
):
    await set_policy(engine, tenant, first_response_seconds=60)
    await receive(tenant, "hello?", created_at=datetime.now(UTC) - HOUR)
    settings = settings_for(Settings, worker_port=0, sla_poll_seconds=0.2)
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, worker.spec(), stop, serve_http=False))
    consumer = AIOKafkaConsumer(
        SLA_BREACHED.name,
        bootstrap_servers=kafka_bootstrap,
        group_id=unique("test.sla"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    try:
        await eventually(lambda: _topic_exists(kafka_bootstrap), timeout=60)
        await consumer.start()
        found: list[Envelope] = []

        async def breached() -> bool:
            batches = await consumer.getmany(timeout_ms=500)
            found.extend(
                e
                for records in batches.values()
                for e in (decode(r.value) for r in records)
                if e.tenantid == tenant
            )
            return bool(found)

        await eventually(breached, timeout=60)
        breach = found[0].payload(SlaBreached)
        assert (found[0].type, breach.target) == ("inbox.sla.breached", "first_response")
        assert breach.conversation_id == (await the_conversation(engine, tenant)).id
    finally:
        await consumer.stop()
        stop.set()
        await running


async def _topic_exists(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return SLA_BREACHED.name in await admin.list_topics()
    finally:
        await admin.close()
