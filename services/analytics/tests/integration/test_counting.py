"""Consumed events become counters: summed per batch, counted once however often replayed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.counters.handlers import BATCH_HANDLERS
from analytics.counters.models import counter
from analytics.db import inbox
from analytics.worker import events_consumer
from beacon_shared.consumer import ConsumerRunner
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.events import Envelope, encode

pytestmark = pytest.mark.integration

MINUTE = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


async def counts(session: AsyncSession, tenant_id: str) -> dict[tuple[str, str, datetime], int]:
    rows = await session.execute(
        select(counter.c.brand_id, counter.c.metric, counter.c.bucket_start, counter.c.count).where(
            counter.c.tenant_id == tenant_id
        )
    )
    return {(r.brand_id, r.metric, r.bucket_start): r.count for r in rows}


async def handle(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """Call the batch handler of each type the way the runner does: one call per type."""
    by_type: dict[str, list[Envelope]] = {}
    for envelope in envelopes:
        by_type.setdefault(envelope.type, []).append(envelope)
    for event_type, batch in by_type.items():
        await BATCH_HANDLERS[event_type](session, batch)


async def test_a_batch_is_summed_into_one_row_per_counter(db_session, events):
    batch = [
        events.comment(),
        events.comment(),
        events.comment(kind=InteractionKind.reply),
        events.comment(brand_id=None),
    ]
    await handle(db_session, batch)

    assert await counts(db_session, events.tenant_id) == {
        ("brand-a", "comments.received", MINUTE): 3,
        ("brand-a", "comments.received.comment", MINUTE): 2,
        ("brand-a", "comments.received.reply", MINUTE): 1,
        ("", "comments.received", MINUTE): 1,
        ("", "comments.received.comment", MINUTE): 1,
    }


async def test_a_batch_is_applied_in_one_statement(db_session, events):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO analytics.counter"):
            statements.append(statement)

    engine = db_session.bind.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        await handle(db_session, [events.comment() for _ in range(50)])
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert len(statements) == 1
    assert (await counts(db_session, events.tenant_id))[
        ("brand-a", "comments.received", MINUTE)
    ] == 50


async def test_later_batches_add_to_existing_counters(db_session, events):
    await handle(db_session, [events.decision(), events.published()])
    await handle(db_session, [events.decision(), events.decision(action=ModerationAction.allow)])

    assert await counts(db_session, events.tenant_id) == {
        ("brand-a", "comments.moderated.hide", MINUTE): 2,
        ("brand-a", "comments.moderated.allow", MINUTE): 1,
        ("brand-a", "posts.published", MINUTE): 1,
        ("brand-a", "posts.published.sandbox", MINUTE): 1,
    }


async def test_tenants_are_counted_apart(db_session, events, unique):
    other = type(events)(unique("other"))
    await handle(db_session, [events.engagement(), other.engagement(), other.engagement()])

    assert await counts(db_session, events.tenant_id) == {
        ("brand-a", "engagements.recorded.reaction", MINUTE): 1
    }
    assert await counts(db_session, other.tenant_id) == {
        ("brand-a", "engagements.recorded.reaction", MINUTE): 2
    }


class TestThroughTheConsumerRunner:
    """The runner's partition path on the test transaction: inbox dedupe, then the handlers."""

    @pytest.fixture
    def runner(self, db_session, settings_for):
        from analytics.config import Settings

        # Sessions on the test's connection: the runner's commits become savepoint releases.
        sessions = async_sessionmaker(
            bind=db_session.bind, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        return ConsumerRunner(
            events_consumer(),
            settings=settings_for(Settings),
            sessionmaker=sessions,
            inbox=inbox,
            producer=None,  # only dead letters use it, and these records are all valid
        )

    @staticmethod
    def records(envelopes: list[Envelope], first_offset: int = 0) -> list[ConsumerRecord]:
        return [
            ConsumerRecord(
                topic="comment.received",
                partition=0,
                offset=first_offset + n,
                timestamp=0,
                timestamp_type=0,
                key=b"k",
                value=encode(envelope),
                checksum=None,
                serialized_key_size=1,
                serialized_value_size=0,
                headers=[],
            )
            for n, envelope in enumerate(envelopes)
        ]

    async def test_a_replayed_batch_counts_nothing(self, runner, db_session, events):
        batch = [events.comment(), events.comment(), events.comment()]
        tp = TopicPartition("comment.received", 0)
        stop = asyncio.Event()

        await runner._process({tp: self.records(batch)}, stop)
        first = await counts(db_session, events.tenant_id)
        await runner._process({tp: self.records(batch, first_offset=3)}, stop)

        assert first[("brand-a", "comments.received", MINUTE)] == 3
        assert await counts(db_session, events.tenant_id) == first

    async def test_a_duplicate_inside_one_batch_counts_once(self, runner, db_session, events):
        comment = events.comment()
        tp = TopicPartition("comment.received", 0)

        await runner._process(
            {tp: self.records([comment, events.comment(), comment])}, asyncio.Event()
        )

        assert (await counts(db_session, events.tenant_id))[
            ("brand-a", "comments.received", MINUTE)
        ] == 2


async def test_a_revised_decision_moves_the_count_to_the_reviewer_s_action(db_session, events):
    later = MINUTE + timedelta(minutes=30)
    await handle(db_session, [events.decision(action=ModerationAction.flag)])
    await handle(
        db_session,
        [
            events.decision(
                action=ModerationAction.hide,
                decided_at=later,
                replaces_action=ModerationAction.flag,
                replaces_decided_at=MINUTE,
            )
        ],
    )
    assert await counts(db_session, events.tenant_id) == {
        ("brand-a", "comments.moderated.flag", MINUTE): 0,
        ("brand-a", "comments.moderated.hide", later): 1,
    }
