"""The idempotent consumer runner, on the real database and broker, one topic per test."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import BaseModel
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared.events import Envelope, encode, header, record_headers
from beacon_shared.testing.plugin import eventually
from beacon_shared.topics import dlq_name

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

PING = "sharedtest.ping.sent"
PONG = "sharedtest.pong.sent"
ReadTopic = Callable[..., Awaitable[list[ConsumerRecord]]]


class Ping(BaseModel):
    n: int


def envelope(n: int, *, event_type: str = PING, data: dict[str, object] | None = None) -> Envelope:
    return Envelope(
        type=event_type,
        source="/beacon/test",
        subject=f"s-{n}",
        time=datetime.now(UTC),
        tenantid="t-1",
        data={"n": n} if data is None else data,
    )


async def send(producer: AIOKafkaProducer, topic: str, *envelopes: Envelope) -> None:
    for env in envelopes:
        await producer.send_and_wait(
            topic, encode(env), key=env.subject.encode(), headers=record_headers(env)
        )


class Recorder:
    """Test handlers: each writes an effect row in the runner's transaction, and logs its calls."""

    def __init__(
        self, effect: Table, group: str, *, poison: Sequence[int] = (), conflicts: int = 0
    ) -> None:
        self.effect = effect
        self.group = group
        self.poison = set(poison)
        self.conflicts = conflicts  # the first calls' transactions the server aborts
        self.calls: list[list[UUID]] = []

    async def handle(self, session: AsyncSession, env: Envelope) -> None:
        await self.handle_batch(session, [env])

    async def handle_batch(self, session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        self.calls.append([env.id for env in envelopes])
        if any(env.payload(Ping).n in self.poison for env in envelopes):
            raise ValueError("cannot handle a poison ping")
        if len(self.calls) <= self.conflicts:
            # The error the server raises in the transaction it picks to end a deadlock.
            await session.execute(
                text(
                    "DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = 'deadlock_detected';"
                    " END $$"
                )
            )
        txid = (await session.execute(select(func.txid_current()))).scalar_one()
        await session.execute(
            insert(self.effect),
            [{"event_id": env.id, "consumer": self.group, "txid": txid} for env in envelopes],
        )

    def attempts(self, env: Envelope) -> int:
        return sum(env.id in call for call in self.calls)


async def effects(engine: AsyncEngine, effect: Table, group: str) -> list[tuple[UUID, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(effect.c.event_id, effect.c.txid)
            .where(effect.c.consumer == group)
            .order_by(effect.c.txid)
        )
        return [(row.event_id, row.txid) for row in rows]


async def handled(engine: AsyncEngine, effect: Table, group: str) -> list[UUID]:
    return [event_id for event_id, _ in await effects(engine, effect, group)]


async def until_handled(engine: AsyncEngine, effect: Table, group: str, *events: Envelope) -> None:
    wanted = {env.id for env in events}

    async def done() -> bool:
        return wanted <= set(await handled(engine, effect, group))

    await eventually(done, timeout=20)


@pytest.fixture
async def topic(new_topic: Callable[..., Awaitable[str]]) -> str:
    return await new_topic(partitions=1)


@pytest.fixture
def group(unique: Callable[[str], str]) -> str:
    return unique("shared-test.group")


@pytest.fixture
def committed(kafka_bootstrap: str) -> Callable[[str, str], Awaitable[int | None]]:
    """The offset a group committed on partition 0 of a topic."""

    async def offset(group: str, topic: str) -> int | None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            value: int | None = await consumer.committed(TopicPartition(topic, 0))
            return value
        finally:
            await consumer.stop()

    return offset


@pytest.fixture
def dead_letters(
    topic: str, read_topic: ReadTopic
) -> Callable[[int], Awaitable[list[ConsumerRecord]]]:
    """The first `count` records of the topic's DLQ."""

    async def read(count: int) -> list[ConsumerRecord]:
        return await read_topic(dlq_name(topic), lambda rs: len(rs) >= count)

    return read


async def test_an_event_delivered_twice_is_handled_once(
    engine, effect, inbox, producer, topic, group, run_consumer
):
    first, second = envelope(1), envelope(2)
    await send(producer, topic, first, first, second)
    recorder = Recorder(effect, group)

    async with run_consumer(group, [topic], handlers={PING: recorder.handle}):
        await until_handled(engine, effect, group, second)

    assert await handled(engine, effect, group) == [first.id, second.id]
    assert recorder.attempts(first) == 1
    async with engine.connect() as conn:
        claimed = await conn.execute(select(inbox.c.event_id).where(inbox.c.consumer == group))
        assert set(claimed.scalars()) == {first.id, second.id}


async def test_another_group_handles_the_same_event_again(
    engine, effect, producer, topic, group, run_consumer
):
    env = envelope(1)
    await send(producer, topic, env)
    other = group + "-other"

    async with (
        run_consumer(group, [topic], handlers={PING: Recorder(effect, group).handle}),
        run_consumer(other, [topic], handlers={PING: Recorder(effect, other).handle}),
    ):
        await until_handled(engine, effect, group, env)
        await until_handled(engine, effect, other, env)


async def test_a_record_whose_transaction_fails_is_left_uncommitted_and_redelivered(
    engine, effect, producer, topic, group, run_consumer, committed
):
    env = envelope(1)
    await send(producer, topic, env)
    attempts = 0

    async def loses_its_connection(session: AsyncSession, _: Envelope) -> None:
        nonlocal attempts
        attempts += 1
        await session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    async with run_consumer(group, [topic], handlers={PING: loses_its_connection}):
        # More attempts than the retry budget: a database failure is not the record's fault.
        await eventually(lambda: attempts > 3, timeout=20)

    assert await committed(group, topic) is None
    recorder = Recorder(effect, group)
    async with run_consumer(group, [topic], handlers={PING: recorder.handle}):
        await until_handled(engine, effect, group, env)
    assert await committed(group, topic) == 1


async def test_a_failing_handler_is_retried_then_dead_lettered_and_the_partition_moves_on(
    engine, effect, settings, producer, topic, group, run_consumer, committed, dead_letters
):
    poison, after, last = envelope(1), envelope(2), envelope(3)
    await send(producer, topic, poison, after, last)
    recorder = Recorder(effect, group, poison=[1])

    async with run_consumer(group, [topic], handlers={PING: recorder.handle}):
        await until_handled(engine, effect, group, after, last)
        await eventually(lambda: committed(group, topic), timeout=10)

    assert recorder.attempts(poison) == 1 + settings.consumer_max_retries
    assert await handled(engine, effect, group) == [after.id, last.id]
    assert await committed(group, topic) == 3
    (dead,) = await dead_letters(1)
    headers = {k: v.decode() for k, v in dead.headers}
    assert dead.value == encode(poison)
    assert dead.key == poison.subject.encode()
    assert headers["dlq.reason"] == "handler_failed"
    assert headers["dlq.error"] == "ValueError: cannot handle a poison ping"
    assert headers["dlq.consumer"] == group
    assert (headers["dlq.topic"], headers["dlq.partition"], headers["dlq.offset"]) == (
        topic,
        "0",
        "0",
    )
    assert headers["ce_id"] == str(poison.id)  # the original headers are kept


async def test_a_malformed_record_goes_straight_to_the_dlq(
    engine, effect, producer, topic, group, run_consumer, dead_letters
):
    good = envelope(2)
    await producer.send_and_wait(topic, b"{not an envelope", key=b"k")
    await send(producer, topic, good)
    recorder = Recorder(effect, group)

    async with run_consumer(group, [topic], handlers={PING: recorder.handle}):
        await until_handled(engine, effect, group, good)

    (dead,) = await dead_letters(1)
    assert dead.value == b"{not an envelope"
    assert header(dead.headers, "dlq.reason") == "malformed"
    assert (header(dead.headers, "dlq.error") or "").startswith("MalformedEvent: ")
    assert recorder.calls == [[good.id]]


async def test_data_that_breaks_its_contract_goes_to_the_dlq_without_retries(
    engine, effect, producer, topic, group, run_consumer, dead_letters
):
    broken, good = envelope(1, data={"n": "one"}), envelope(2)
    await send(producer, topic, broken, good)
    recorder = Recorder(effect, group)

    async with run_consumer(group, [topic], handlers={PING: recorder.handle}):
        await until_handled(engine, effect, group, good)

    (dead,) = await dead_letters(1)
    assert header(dead.headers, "ce_id") == str(broken.id)
    assert header(dead.headers, "dlq.reason") == "malformed"
    assert recorder.attempts(broken) == 1


async def test_unknown_event_types_are_skipped(
    engine, effect, producer, topic, group, run_consumer, dead_letters, committed
):
    unknown, good = envelope(1, event_type="sharedtest.other.happened"), envelope(2)
    await send(producer, topic, unknown, good)
    await producer.send_and_wait(topic, b"sentinel")
    recorder = Recorder(effect, group)

    async with run_consumer(group, [topic], handlers={PING: recorder.handle}):
        await until_handled(engine, effect, group, good)
        # The malformed sentinel is dead-lettered last: had the unknown type been, it came first.
        dead = await dead_letters(1)

    assert [r.value for r in dead] == [b"sentinel"]
    assert recorder.calls == [[good.id]]
    assert await committed(group, topic) == 3


async def test_a_batch_handler_handles_a_fetch_in_one_transaction(
    engine, effect, inbox, producer, topic, group, run_consumer
):
    events = [envelope(n) for n in range(20)]
    await send(producer, topic, *events, events[0])  # the last one is a duplicate
    recorder = Recorder(effect, group)

    async with run_consumer(group, [topic], batch_handlers={PING: recorder.handle_batch}):
        await until_handled(engine, effect, group, *events)

    rows = await effects(engine, effect, group)
    assert sorted(event_id for event_id, _ in rows) == sorted(e.id for e in events)
    assert max(len(call) for call in recorder.calls) > 1
    # Every call wrote in a transaction of its own, shared by all of its events.
    assert sorted(Counter(txid for _, txid in rows).values()) == sorted(
        len(set(call)) for call in recorder.calls
    )
    async with engine.connect() as conn:
        claimed = await conn.execute(select(inbox.c.event_id).where(inbox.c.consumer == group))
        assert sorted(claimed.scalars()) == sorted(e.id for e in events)


async def test_a_poison_event_in_a_batch_is_isolated_by_halving_it(
    engine, effect, producer, topic, group, run_consumer, dead_letters, settings
):
    events = [envelope(n) for n in range(64)]
    poison = events[37]
    await send(producer, topic, *events)
    recorder = Recorder(effect, group, poison=[37])

    async with run_consumer(group, [topic], batch_handlers={PING: recorder.handle_batch}):
        good = [e for e in events if e is not poison]
        await until_handled(engine, effect, group, *good)
        (dead,) = await dead_letters(1)

    assert header(dead.headers, "ce_id") == str(poison.id)
    assert header(dead.headers, "dlq.reason") == "handler_failed"
    assert sorted(await handled(engine, effect, group)) == sorted(e.id for e in good)
    # Halves down to the poison, then its own retries: far fewer calls than one per record.
    alone = [call for call in recorder.calls if call == [poison.id]]
    assert len(alone) == 1 + settings.consumer_max_retries
    assert len(recorder.calls) - len(alone) <= 2 * 6 + 1
    # The records before the poison were handled before those after it.
    order = [event_id for call in recorder.calls for event_id in call]
    assert order.index(events[36].id) < order.index(events[38].id)


async def test_types_sharing_a_batch_handler_are_handed_to_it_together(
    engine, effect, producer, topic, group, run_consumer
):
    pings = [envelope(n) for n in range(6)]
    pongs = [envelope(n, event_type=PONG) for n in range(6, 12)]
    await send(producer, topic, *[e for pair in zip(pings, pongs, strict=True) for e in pair])
    recorder = Recorder(effect, group)
    shared = recorder.handle_batch

    async with run_consumer(group, [topic], batch_handlers={PING: shared, PONG: shared}):
        await until_handled(engine, effect, group, *pings, *pongs)

    ping_ids, pong_ids = {e.id for e in pings}, {e.id for e in pongs}
    assert any(ping_ids & set(call) and pong_ids & set(call) for call in recorder.calls)
    assert sorted(await handled(engine, effect, group)) == sorted(ping_ids | pong_ids)


async def test_a_batch_the_server_aborts_for_a_conflict_is_run_again_whole(
    engine, effect, producer, topic, group, run_consumer
):
    events = [envelope(n) for n in range(10)]
    await send(producer, topic, *events)
    recorder = Recorder(effect, group, conflicts=2)

    async with run_consumer(group, [topic], batch_handlers={PING: recorder.handle_batch}):
        await until_handled(engine, effect, group, *events)

    assert sorted(await handled(engine, effect, group)) == sorted(e.id for e in events)
    # Aborted twice, then committed: three calls with the same batch, none record by record.
    first = recorder.calls[0]
    assert len(first) > 1
    assert recorder.calls[:3] == [first, first, first]
    assert all(len(call) > 1 for call in recorder.calls)


async def test_stopping_finishes_the_record_in_hand_and_commits_it(
    engine, effect, producer, topic, group, run_consumer, committed
):
    env = envelope(1)
    await send(producer, topic, env)
    entered, release = asyncio.Event(), asyncio.Event()
    recorder = Recorder(effect, group)

    async def slow(session: AsyncSession, envelope: Envelope) -> None:
        entered.set()
        await release.wait()
        await recorder.handle(session, envelope)

    async with run_consumer(group, [topic], handlers={PING: slow}) as running:
        await asyncio.wait_for(entered.wait(), 20)
        running.stop.set()
        release.set()
        await asyncio.wait_for(running.task, 10)

    assert await handled(engine, effect, group) == [env.id]
    assert await committed(group, topic) == 1


async def test_a_restarted_group_resumes_after_its_committed_offset(
    engine, effect, producer, topic, group, run_consumer
):
    before, after = envelope(1), envelope(2)
    recorder = Recorder(effect, group)
    await send(producer, topic, before)
    async with run_consumer(group, [topic], handlers={PING: recorder.handle}):
        await until_handled(engine, effect, group, before)

    await send(producer, topic, after)
    async with run_consumer(group, [topic], handlers={PING: recorder.handle}):
        await until_handled(engine, effect, group, after)

    assert recorder.calls == [[before.id], [after.id]]
