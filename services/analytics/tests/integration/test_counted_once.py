"""Counted once: redelivered batches, duplicates in a batch and a topic replayed from the start
by a new consumer of the same group change no total; a malformed event is dead-lettered while
the rest of its batch counts."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import func, select

from analytics.aggregation import BATCH_HANDLERS, TOPICS, events_consumer
from analytics.config import Settings
from analytics.db import inbox
from analytics.rollups.models import rollup
from beacon_shared.consumer import Consumer
from beacon_shared.contracts import EVENT_TYPES
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.contracts.publisher import ScheduleChange
from beacon_shared.contracts.topics import ALL_TOPICS
from beacon_shared.contracts.topics import TOPICS as TOPIC_SPECS
from beacon_shared.events import Envelope, encode
from beacon_shared.metrics import CONSUMED
from beacon_shared.testing.plugin import eventually
from beacon_shared.topics import dlq_name, ensure_topics
from beacon_shared.worker import WorkerSpec, run_worker

pytestmark = pytest.mark.integration


def day_totals(rows) -> dict[str, int]:
    out: dict[str, int] = {}
    for (grain, dimension, _, _, metric), value in rows.items():
        if grain == "day" and dimension == "total":
            out[metric] = out.get(metric, 0) + value
    return out


class TestThroughTheConsumerRunner:
    """The runner's batch path on the test transaction: inbox dedupe, then the handlers."""

    @pytest.fixture
    def runner(self, runner_for):
        return runner_for(events_consumer())

    @pytest.fixture
    def comments(self, records):
        return lambda values, first_offset=0: records("comment.received", values, first_offset)

    async def test_a_redelivered_batch_counts_nothing(
        self, runner, comments, db_session, events, rollups
    ):
        batch = [events.comment(), events.comment(), events.comment(kind=InteractionKind.reply)]
        tp = TopicPartition("comment.received", 0)
        stop = asyncio.Event()

        await runner._process({tp: comments(batch)}, stop)
        first = await rollups(db_session, events.tenant_id)
        # The same records again (a rebalance before the offsets were committed).
        await runner._process({tp: comments(batch, first_offset=3)}, stop)

        assert day_totals(first) == {"comments": 2, "replies": 1}
        assert await rollups(db_session, events.tenant_id) == first

    async def test_a_duplicate_inside_one_batch_counts_once(
        self, runner, comments, db_session, events, rollups
    ):
        comment = events.comment()
        tp = TopicPartition("comment.received", 0)

        await runner._process({tp: comments([comment, events.comment(), comment])}, asyncio.Event())

        assert day_totals(await rollups(db_session, events.tenant_id)) == {"comments": 2}

    async def test_a_malformed_event_is_dead_lettered_and_the_rest_counts(
        self, runner, comments, db_session, events, rollups, dead_letters
    ):
        good = [events.comment(), events.comment()]
        bad = events.comment()
        broken = bad.model_copy(update={"data": {**bad.data, "kind": "smoke signal"}})
        tp = TopicPartition("comment.received", 0)

        await runner._process(
            {tp: comments([good[0], broken, good[1], b"not json"])}, asyncio.Event()
        )

        assert day_totals(await rollups(db_session, events.tenant_id)) == {"comments": 2}
        assert sorted(headers["dlq.reason"] for _, _, headers in dead_letters.sent) == [
            b"malformed",
            b"malformed",
        ]
        assert {topic for topic, _, _ in dead_letters.sent} == {dlq_name("comment.received")}

    async def test_an_unknown_event_type_is_skipped(
        self, runner, comments, db_session, events, rollups
    ):
        stranger = events.comment().model_copy(update={"type": "ingest.comment.teleported"})
        tp = TopicPartition("comment.received", 0)

        await runner._process({tp: comments([stranger, events.comment()])}, asyncio.Event())

        assert day_totals(await rollups(db_session, events.tenant_id)) == {"comments": 1}


@pytest.mark.kafka
async def test_a_topic_replayed_from_the_start_changes_no_total(
    settings_for, kafka_bootstrap, engine, events, unique
):
    group = unique("analytics-replay")
    spec = WorkerSpec(
        topics=ALL_TOPICS,
        inbox=inbox,
        consumers=[Consumer(group_id=group, topics=TOPICS, batch_handlers=BATCH_HANDLERS)],
    )
    settings = settings_for(Settings, worker_port=0)
    distinct = [
        events.comment(),
        events.comment(),
        events.comment(kind=InteractionKind.reply),
        events.engagement(),
        events.decision(),
        events.decision(action=ModerationAction.allow),
        events.scheduled(),
        events.scheduled(change=ScheduleChange.cancelled),
        events.published(),
    ]
    expected = {
        "comments": 2,
        "replies": 1,
        "reactions": 1,
        "moderation.hide": 1,
        "moderation.allow": 1,
        "posts.scheduled": 1,
        "posts.published": 1,
    }

    async def totals() -> dict[str, int]:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(rollup.c.metric, func.sum(rollup.c.value))
                .where(
                    rollup.c.tenant_id == events.tenant_id,
                    rollup.c.grain == "day",
                    rollup.c.dimension == "total",
                )
                .group_by(rollup.c.metric)
            )
            return {metric: int(total) for metric, total in rows}

    async def run_until(expectation: dict[str, int]) -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(run_worker(settings, spec, stop, serve_http=False))
        try:

            async def counted() -> bool:
                return await totals() == expectation

            with contextlib.suppress(AssertionError):
                await eventually(counted, timeout=30)
            assert not running.done()
        finally:
            stop.set()
            await running

    await ensure_topics(kafka_bootstrap, ALL_TOPICS)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        # Every event twice: a producer retry after a lost acknowledgement.
        await send(producer, distinct + distinct)
        await run_until(expected)
        assert await totals() == expected

        await rewind(kafka_bootstrap, group)
        # A new worker instance of the same group reads every topic from its first offset. A
        # marker follows the replayed records on each topic's partition: once all are counted,
        # the replay was handled too, and any double count would show.
        markers = [
            events.comment(kind=InteractionKind.mention),
            events.engagement(kind=InteractionKind.share),
            events.decision(action=ModerationAction.flag),
            events.scheduled(),
            events.published(),
        ]
        after = {
            **expected,
            "mentions": 1,
            "shares": 1,
            "moderation.flag": 1,
            "posts.scheduled": 2,
            "posts.published": 2,
        }
        replayed = CONSUMED.labels(group, "comment.received", "duplicate")
        before = replayed._value.get()
        await send(producer, markers)
        await run_until(after)
        assert await totals() == after
        # The replay really happened: the six comment records came back as duplicates.
        assert replayed._value.get() - before >= 6
    finally:
        await producer.stop()


async def send(producer: AIOKafkaProducer, envelopes: list[Envelope]) -> None:
    # One key for all: each topic's records share a partition, so they are handled in order.
    for envelope in envelopes:
        await producer.send_and_wait(
            EVENT_TYPES[envelope.type].topic, value=encode(envelope), key=b"analytics-replay"
        )


async def rewind(bootstrap: str, group: str) -> None:
    """Move the group's committed offsets back to the start of every partition of its topics,
    as a member of the group (the broker accepts commits from members only)."""
    consumer = AIOKafkaConsumer(
        *TOPICS,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        session_timeout_ms=2000,
        heartbeat_interval_ms=600,
    )
    await consumer.start()
    try:
        expected = {
            TopicPartition(topic, partition)
            for topic in TOPICS
            for partition in range(TOPIC_SPECS[topic].partitions)
        }

        async def assigned() -> bool:
            await consumer.getmany(timeout_ms=100)
            return consumer.assignment() == expected

        await eventually(assigned, timeout=30)
        await consumer.commit(dict.fromkeys(expected, 0))
        assert {await consumer.committed(tp) for tp in expected} == {0}
    finally:
        await consumer.stop()
