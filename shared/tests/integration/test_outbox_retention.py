"""Relayed outbox rows kept for a window and sent again when the broker lost them: a second
embedded broker stands for a broker started afresh (a new cluster holding nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from uuid import UUID

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY
from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared import outbox_relay as relay_module
from beacon_shared.consumer import Consumer, ConsumerRunner
from beacon_shared.db import create_sessionmaker
from beacon_shared.embedded import EmbeddedBroker
from beacon_shared.events import Envelope, EventPayload, decode
from beacon_shared.kafka import create_producer
from beacon_shared.outbox import stage
from beacon_shared.outbox_relay import OutboxRelay
from beacon_shared.settings import ServiceSettings
from beacon_shared.testing.plugin import eventually
from beacon_shared.topics import TopicSpec, ensure_topics

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

WINDOW_SECONDS = 3600.0


def pings(model: Callable[..., EventPayload], count: int, *, first: int = 0) -> list[Envelope]:
    return [
        Envelope.build(model(n=n), tenant_id="t-1", subject=f"s-{n}", source="/beacon/test")
        for n in range(first, first + count)
    ]


async def stage_committed(engine: AsyncEngine, outbox: Table, envelopes: list[Envelope]) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        await stage(session, outbox, envelopes)


@dataclass(frozen=True)
class Row:
    event_id: UUID
    relayed: bool
    partition: int | None
    offset: int | None


async def rows(engine: AsyncEngine, outbox: Table) -> list[Row]:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(
                outbox.c.event_id,
                outbox.c.relayed_at.is_not(None),
                outbox.c.relayed_partition,
                outbox.c.relayed_offset,
            ).order_by(outbox.c.id)
        )
        return [Row(*row) for row in found]


async def read_all(bootstrap: str, topic: str, count: int) -> list[ConsumerRecord]:
    """Every record of a one-partition topic from the start, once `count` have arrived."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        records: list[ConsumerRecord] = []
        async with asyncio.timeout(20):
            while len(records) < count:
                for batch in (await consumer.getmany(tp, timeout_ms=200)).values():
                    records.extend(batch)
        return records
    finally:
        await consumer.stop()


def replayed_metric(reason: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "beacon_outbox_replayed_total", {"schema": "shared_test", "reason": reason}
        )
        or 0.0
    )


@pytest.fixture
async def topic(new_topic: Callable[..., Awaitable[str]]) -> str:
    return await new_topic(partitions=1)


@pytest.fixture
def ping(topic: str, ping_type: Callable[[str], type[EventPayload]]) -> type[EventPayload]:
    return ping_type(topic)


@pytest.fixture
def relay_on(engine: AsyncEngine, outbox: Table, topic: str) -> Callable[..., OutboxRelay]:
    """A relay of the test outbox sending through `producer` to the broker at `bootstrap`."""

    def build(producer: AIOKafkaProducer, bootstrap: str, **overrides: object) -> OutboxRelay:
        options: dict[str, object] = {
            "batch_size": 50,
            "poll_seconds": 30,
            "retention_seconds": WINDOW_SECONDS,
            "bootstrap": bootstrap,
            "topics": [TopicSpec(topic, 1, "A test topic.")],
        }
        options.update(overrides)
        return OutboxRelay(engine=engine, table=outbox, producer=producer, **options)  # type: ignore[arg-type]

    return build


@pytest.fixture
def second_broker() -> Iterator[EmbeddedBroker]:
    """Another embedded broker: a cluster that never saw anything of the session's broker."""
    broker = EmbeddedBroker().start()
    yield broker
    broker.stop()


@pytest.fixture
async def second_producer(
    settings: ServiceSettings, second_broker: EmbeddedBroker
) -> AsyncIterator[AIOKafkaProducer]:
    producer = create_producer(
        settings.model_copy(update={"kafka_bootstrap": second_broker.bootstrap}),
        client_id="shared-test-second",
    )
    await producer.start()
    yield producer
    await producer.stop()


class TestRetention:
    async def test_relayed_rows_are_kept_with_the_partition_and_offset_acknowledged(
        self, engine, outbox, producer, kafka_bootstrap, relay_on, ping, topic
    ):
        envelopes = pings(ping, 3)
        await stage_committed(engine, outbox, envelopes)

        assert await relay_on(producer, kafka_bootstrap).publish_pending() == 3

        records = await read_all(kafka_bootstrap, topic, 3)
        kept = await rows(engine, outbox)
        assert [row.event_id for row in kept] == [env.id for env in envelopes]
        assert [(row.relayed, row.partition, row.offset) for row in kept] == [
            (True, record.partition, record.offset) for record in records
        ]

    async def test_relayed_rows_past_the_window_are_pruned_and_unsent_ones_never(
        self, engine, outbox, producer, kafka_bootstrap, relay_on, ping
    ):
        relay = relay_on(producer, kafka_bootstrap)
        old, recent = pings(ping, 2), pings(ping, 2, first=2)
        await stage_committed(engine, outbox, old + recent)
        await relay.publish_pending()
        async with engine.begin() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.event_id.in_([env.id for env in old]))
                .values(relayed_at=func.now() - text("interval '61 minutes'"))
            )
        unsent = pings(ping, 1, first=4)
        await stage_committed(engine, outbox, unsent)
        async with engine.begin() as conn:  # staged long ago and never acknowledged
            await conn.execute(
                update(outbox)
                .where(outbox.c.event_id == unsent[0].id)
                .values(created_at=func.now() - text("interval '2 days'"))
            )

        assert await relay.prune() == 2

        assert [row.event_id for row in await rows(engine, outbox)] == [
            env.id for env in recent + unsent
        ]

    async def test_a_prune_deletes_every_expired_row_a_chunk_at_a_time(
        self, engine, outbox, producer, kafka_bootstrap, relay_on, ping, monkeypatch
    ):
        monkeypatch.setattr(relay_module, "PRUNE_CHUNK", 3)
        relay = relay_on(producer, kafka_bootstrap, retention_seconds=0)
        await stage_committed(engine, outbox, pings(ping, 10))
        await relay.publish_pending()

        assert await relay.prune() == 10

        assert await rows(engine, outbox) == []


class TestBrokerLoss:
    async def test_a_fresh_broker_is_detected_and_the_window_is_relayed_again_in_order(
        self,
        engine,
        outbox,
        producer,
        kafka_bootstrap,
        relay_on,
        ping,
        topic,
        second_broker,
        second_producer,
    ):
        before = pings(ping, 5)
        await stage_committed(engine, outbox, before)
        assert await relay_on(producer, kafka_bootstrap).publish_pending() == 5
        replayed_before = replayed_metric("cluster_changed")
        # The broker is replaced by one holding nothing, and events are staged meanwhile.
        after = pings(ping, 2, first=5)
        await stage_committed(engine, outbox, after)
        relay = relay_on(second_producer, second_broker.bootstrap)

        assert await relay.watch_broker() == "cluster_changed"
        assert await relay.publish_pending() == 7

        records = await read_all(second_broker.bootstrap, topic, 7)
        assert [decode(r.value).id for r in records] == [env.id for env in before + after]
        assert replayed_metric("cluster_changed") - replayed_before == 5
        assert all(row.relayed for row in await rows(engine, outbox))
        # The new cluster's offsets are the ones recorded from now on: nothing more is replayed.
        assert await relay.watch_broker() is None
        assert await relay.publish_pending() == 0

    async def test_a_relay_that_starts_on_the_same_broker_replays_nothing(
        self, engine, outbox, producer, kafka_bootstrap, relay_on, ping, topic
    ):
        await stage_committed(engine, outbox, pings(ping, 3))
        await relay_on(producer, kafka_bootstrap).publish_pending()

        restarted = relay_on(producer, kafka_bootstrap)

        assert await restarted.watch_broker() is None
        assert await restarted.publish_pending() == 0
        assert len(await read_all(kafka_bootstrap, topic, 3)) == 3

    async def test_a_topic_gone_from_the_broker_is_created_again_and_relayed_again(
        self, engine, outbox, producer, kafka_bootstrap, relay_on, ping, topic
    ):
        envelopes = pings(ping, 3)
        await stage_committed(engine, outbox, envelopes)
        await relay_on(producer, kafka_bootstrap).publish_pending()
        await delete_topic(kafka_bootstrap, topic)
        relay = relay_on(producer, kafka_bootstrap)

        assert await relay.watch_broker() == "topic_missing"

        assert all(not row.relayed for row in await rows(engine, outbox))
        assert await topic_partitions(kafka_bootstrap, topic) == 1

    async def test_a_partition_whose_offsets_went_back_is_relayed_again(
        self, engine, outbox, producer, kafka_bootstrap, relay_on, ping, topic
    ):
        await stage_committed(engine, outbox, pings(ping, 3))
        await relay_on(producer, kafka_bootstrap).publish_pending()
        # Deleted and created again: the same partitions, from offset 0.
        await delete_topic(kafka_bootstrap, topic)
        await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1, "A test topic.")])
        relay = relay_on(producer, kafka_bootstrap)

        assert await relay.watch_broker() == "offsets_went_back"

        assert all(not row.relayed for row in await rows(engine, outbox))

    async def test_no_loss_is_looked_for_when_detection_is_off(
        self,
        engine,
        outbox,
        producer,
        kafka_bootstrap,
        relay_on,
        ping,
        second_producer,
        second_broker,
    ):
        await stage_committed(engine, outbox, pings(ping, 2))
        await relay_on(producer, kafka_bootstrap).publish_pending()

        relay = relay_on(second_producer, second_broker.bootstrap, loss_detection=False)

        assert await relay.watch_broker() is None
        assert all(row.relayed for row in await rows(engine, outbox))

    async def test_a_consumer_fed_the_replay_produces_each_effect_once(
        self,
        engine,
        outbox,
        inbox,
        effect,
        settings,
        producer,
        kafka_bootstrap,
        relay_on,
        ping,
        topic,
        second_broker,
        second_producer,
        unique,
    ):
        group = unique("replayed")
        before, after = pings(ping, 6), pings(ping, 3, first=6)
        await stage_committed(engine, outbox, before)
        await relay_on(producer, kafka_bootstrap).publish_pending()

        async def record(session: AsyncSession, env: Envelope) -> None:
            await session.execute(insert(effect).values(event_id=env.id, consumer=group, txid=0))

        async def effects() -> list[UUID]:
            async with engine.connect() as conn:
                found = await conn.execute(
                    select(effect.c.event_id).where(effect.c.consumer == group)
                )
                return list(found.scalars())

        async def consume(
            bootstrap: str, producer: AIOKafkaProducer, until: Callable[[], bool]
        ) -> None:
            runner = ConsumerRunner(
                Consumer(group, [topic], {ping.event_type: record}),
                settings=settings.model_copy(update={"kafka_bootstrap": bootstrap}),
                sessionmaker=create_sessionmaker(engine),
                inbox=inbox,
                producer=producer,
            )
            stop = asyncio.Event()
            task = asyncio.create_task(runner.run(stop))
            try:
                await eventually(until, timeout=30)
            finally:
                stop.set()
                await asyncio.wait_for(task, 30)

        # The group handles what the first broker had, then that broker is gone.
        await consume(kafka_bootstrap, producer, lambda: consumed(group, topic, "handled") == 6)
        await stage_committed(engine, outbox, after)
        relay = relay_on(second_producer, second_broker.bootstrap)
        assert await relay.publish_pending() == len(before + after)
        # On the fresh broker the group has no committed offset: it reads the replay from the
        # start, and the inbox skips what it had handled.
        await consume(
            second_broker.bootstrap,
            second_producer,
            lambda: consumed(group, topic, "handled") + consumed(group, topic, "duplicate") == 15,
        )

        assert consumed(group, topic, "handled") == 9
        assert consumed(group, topic, "duplicate") == 6
        handled = await effects()
        assert sorted(handled, key=str) == sorted((e.id for e in before + after), key=str)


def consumed(group: str, topic: str, outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "beacon_consumer_events_total", {"group": group, "topic": topic, "outcome": outcome}
        )
        or 0.0
    )


async def delete_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic, f"{topic}.dlq"])
        await eventually(lambda: _gone(admin, topic), timeout=10)
    finally:
        await admin.close()


async def _gone(admin: AIOKafkaAdminClient, topic: str) -> bool:
    return topic not in await admin.list_topics()


async def topic_partitions(bootstrap: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        return len(described["partitions"])
    finally:
        await admin.close()
