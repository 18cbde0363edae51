"""The transactional outbox and its relay, on the real database and broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError
from prometheus_client import REGISTRY
from sqlalchemy import Table, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.db import create_sessionmaker
from beacon_shared.embedded import EmbeddedBroker
from beacon_shared.events import Envelope, EventPayload, decode
from beacon_shared.metrics import OUTBOX_OLDEST_AGE
from beacon_shared.outbox import stage
from beacon_shared.outbox_relay import OutboxRelay
from beacon_shared.testing.plugin import eventually

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

ReadTopic = Callable[..., Awaitable[list[ConsumerRecord]]]


def pings(model: Callable[..., EventPayload], count: int) -> list[Envelope]:
    return [
        Envelope.build(model(n=n), tenant_id="t-1", subject=f"s-{n}", source="/beacon/test")
        for n in range(count)
    ]


async def stage_committed(engine: AsyncEngine, outbox: Table, envelopes: list[Envelope]) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        await stage(session, outbox, envelopes)


async def outbox_rows(engine: AsyncEngine, outbox: Table) -> int:
    """Rows not yet acknowledged by the broker (relayed ones are kept for the window)."""
    async with engine.connect() as conn:
        unsent = select(func.count()).select_from(outbox).where(outbox.c.relayed_at.is_(None))
        return int((await conn.execute(unsent)).scalar_one())


def oldest_age_gauge() -> float | None:
    return REGISTRY.get_sample_value(
        "beacon_outbox_oldest_unsent_age_seconds", {"schema": "shared_test"}
    )


@pytest.fixture
async def topic(new_topic: Callable[..., Awaitable[str]]) -> str:
    return await new_topic(partitions=1)


@pytest.fixture
def ping(topic: str, ping_type: Callable[[str], type[EventPayload]]) -> type[EventPayload]:
    return ping_type(topic)


@pytest.fixture
def relay(engine: AsyncEngine, outbox: Table, producer: AIOKafkaProducer) -> OutboxRelay:
    return OutboxRelay(
        engine=engine, table=outbox, producer=producer, batch_size=50, poll_seconds=30
    )


@pytest.fixture
async def unreachable_producer() -> AsyncIterator[AIOKafkaProducer]:
    """A producer whose broker has gone away."""
    broker = EmbeddedBroker().start()
    producer = AIOKafkaProducer(
        bootstrap_servers=broker.bootstrap, acks="all", linger_ms=0, request_timeout_ms=500
    )
    try:
        await producer.start()
        broker.stop()
        yield producer
    finally:
        await producer.stop()
        broker.stop()


Stop = Callable[[], Awaitable[None]]


@pytest.fixture
async def running() -> AsyncIterator[Callable[[OutboxRelay], Stop]]:
    """Run relays in the background until the test ends: `stop = running(relay)`."""
    stops: list[Stop] = []

    def start(relay: OutboxRelay) -> Stop:
        event = asyncio.Event()
        task = asyncio.create_task(relay.run(event))

        async def stop() -> None:
            event.set()
            await asyncio.wait_for(task, 10)

        stops.append(stop)
        return stop

    yield start
    for stop in stops:
        await stop()


async def test_staging_writes_nothing_when_the_callers_transaction_rolls_back(
    engine, outbox, relay, ping, topic, producer, read_topic: ReadTopic
):
    rolled_back, kept = pings(ping, 1)[0], pings(ping, 1)[0]

    async def failing_request() -> None:
        async with create_sessionmaker(engine)() as session, session.begin():
            await stage(session, outbox, [rolled_back])
            raise RuntimeError("the request failed after staging")

    with pytest.raises(RuntimeError):
        await failing_request()
    assert await outbox_rows(engine, outbox) == 0

    await stage_committed(engine, outbox, [kept])
    assert await relay.publish_pending() == 1

    records = await read_topic(topic, lambda rs: len(rs) >= 1)
    assert [decode(r.value).id for r in records] == [kept.id]


async def test_staged_rows_are_visible_only_after_the_caller_commits(engine, outbox, ping):
    envelope = pings(ping, 1)[0]
    async with create_sessionmaker(engine)() as session, session.begin():
        await stage(session, outbox, [envelope])
        assert await outbox_rows(engine, outbox) == 0  # another connection sees nothing yet

    assert await outbox_rows(engine, outbox) == 1


async def test_the_relay_publishes_in_id_order_with_headers_then_marks_them_relayed(
    engine, outbox, relay, ping, topic, read_topic: ReadTopic
):
    envelopes = pings(ping, 7)
    await stage_committed(engine, outbox, envelopes[:3])
    await stage_committed(engine, outbox, envelopes[3:])

    assert await relay.publish_pending() == 7

    assert await outbox_rows(engine, outbox) == 0
    records = await read_topic(topic, lambda rs: len(rs) >= 7)
    assert [decode(r.value) for r in records] == envelopes
    for record, envelope in zip(records, envelopes, strict=True):
        headers = dict(record.headers)
        assert record.key == envelope.subject.encode()
        assert headers["ce_id"] == str(envelope.id).encode()
        assert headers["ce_type"] == envelope.type.encode()
        assert headers["traceparent"].startswith(b"00-")


async def test_the_relay_publishes_more_rows_than_one_batch(
    engine, outbox, relay, ping, topic, read_topic: ReadTopic
):
    envelopes = pings(ping, 120)
    await stage_committed(engine, outbox, envelopes)

    assert await relay.publish_pending() == 120

    records = await read_topic(topic, lambda rs: len(rs) >= 120)
    assert [decode(r.value).id for r in records] == [e.id for e in envelopes]


async def test_stage_uses_the_given_record_keys(
    engine, outbox, relay, ping, topic, read_topic: ReadTopic
):
    envelopes = pings(ping, 2)
    async with create_sessionmaker(engine)() as session, session.begin():
        await stage(session, outbox, envelopes, keys=["thread-1", "thread-2"])
    await relay.publish_pending()

    records = await read_topic(topic, lambda rs: len(rs) >= 2)
    assert [r.key for r in records] == [b"thread-1", b"thread-2"]


async def test_a_staged_event_is_published_on_notify_long_before_the_poll(
    engine, outbox, relay, ping, topic, read_topic: ReadTopic, running
):
    first, second = pings(ping, 2)
    await stage_committed(engine, outbox, [first])
    running(relay)  # polls only every 30 s
    await read_topic(topic, lambda rs: len(rs) >= 1)  # its first pass is done: it now waits

    await stage_committed(engine, outbox, [second])

    records = await read_topic(topic, lambda rs: len(rs) >= 2, timeout=5)
    assert [decode(r.value).id for r in records] == [first.id, second.id]


async def test_rows_survive_an_unreachable_broker_and_go_out_once_it_is_reachable(
    engine, outbox, relay, ping, topic, read_topic: ReadTopic, unreachable_producer
):
    envelopes = pings(ping, 3)
    await stage_committed(engine, outbox, envelopes)
    cut_off = OutboxRelay(engine=engine, table=outbox, producer=unreachable_producer)

    with pytest.raises(KafkaError):
        await cut_off.publish_pending()

    assert await outbox_rows(engine, outbox) == 3
    assert await relay.publish_pending() == 3
    assert await outbox_rows(engine, outbox) == 0
    records = await read_topic(topic, lambda rs: len(rs) >= 3)
    assert [decode(r.value).id for r in records] == [e.id for e in envelopes]


async def test_a_running_relay_keeps_retrying_and_exports_the_lag_while_the_broker_is_down(
    engine, outbox, relay, ping, topic, read_topic: ReadTopic, unreachable_producer, running
):
    OUTBOX_OLDEST_AGE.labels("shared_test").set(0)
    envelopes = pings(ping, 2)
    await stage_committed(engine, outbox, envelopes)
    async with engine.begin() as conn:
        await conn.execute(update(outbox).values(created_at=func.now() - text("interval '2 min'")))
    stop = running(
        OutboxRelay(engine=engine, table=outbox, producer=unreachable_producer, poll_seconds=30)
    )

    await eventually(lambda: (oldest_age_gauge() or 0) >= 120, timeout=10)
    assert await outbox_rows(engine, outbox) == 2

    await stop()
    running(relay)
    records = await read_topic(topic, lambda rs: len(rs) >= 2)
    assert [decode(r.value).id for r in records] == [e.id for e in envelopes]
    await eventually(lambda: oldest_age_gauge() == 0.0, timeout=10)


async def test_a_relay_skips_rows_another_relay_holds(engine, outbox, relay, ping):
    envelopes = pings(ping, 4)
    await stage_committed(engine, outbox, envelopes)
    async with engine.connect() as holder, holder.begin():
        held = (
            await holder.execute(
                select(outbox.c.event_id).order_by(outbox.c.id).limit(2).with_for_update()
            )
        ).scalars()
        assert list(held) == [e.id for e in envelopes[:2]]

        sent = await asyncio.wait_for(relay.publish_pending(), 10)

        assert sent == 2
        async with engine.connect() as conn:
            left = (
                (await conn.execute(select(outbox.c.event_id).where(outbox.c.relayed_at.is_(None))))
                .scalars()
                .all()
            )
        assert sorted(left, key=str) == sorted((e.id for e in envelopes[:2]), key=str)

    assert await relay.publish_pending() == 2


async def test_two_relays_at_once_publish_every_row_once_and_in_order(
    engine, outbox, ping, topic, producer, read_topic: ReadTopic
):
    envelopes = pings(ping, 300)
    await stage_committed(engine, outbox, envelopes)
    relays = [
        OutboxRelay(engine=engine, table=outbox, producer=producer, batch_size=25) for _ in range(2)
    ]

    sent = await asyncio.gather(*(r.publish_pending() for r in relays))

    assert sum(sent) == 300
    assert await outbox_rows(engine, outbox) == 0
    # A sentinel after both relays finished: everything before it is all they published.
    await producer.send_and_wait(topic, b"sentinel")
    records = await read_topic(topic, lambda rs: bool(rs) and rs[-1].value == b"sentinel")
    published: list[UUID] = [decode(r.value).id for r in records[:-1]]
    assert len(published) == len(set(published)) == 300
    # One relay publishes at a time: a later batch never overtakes an earlier one.
    assert published == [e.id for e in envelopes]


async def test_oldest_age_is_zero_when_the_outbox_is_empty(relay):
    assert await relay.oldest_age_seconds() == 0.0


async def test_oldest_age_is_the_age_of_the_oldest_unsent_row(engine, outbox, relay, ping):
    await stage_committed(engine, outbox, pings(ping, 1))
    async with engine.begin() as conn:
        await conn.execute(update(outbox).values(created_at=func.now() - text("interval '90 s'")))
    await stage_committed(engine, outbox, pings(ping, 1))

    age = await relay.oldest_age_seconds()

    assert 90 <= age < 120


async def test_a_running_relay_sets_the_oldest_age_gauge_once_published(
    engine, outbox, relay, ping, topic, read_topic: ReadTopic, running
):
    OUTBOX_OLDEST_AGE.labels("shared_test").set(999)
    await stage_committed(engine, outbox, pings(ping, 1))
    running(relay)

    await read_topic(topic, lambda rs: len(rs) >= 1)
    await eventually(lambda: oldest_age_gauge() == 0.0, timeout=5)
