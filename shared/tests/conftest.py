"""Fixtures of the platform library's own tests: a throw-away schema, topics and event types."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import BigInteger, Column, Integer, Table, Text, delete, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.consumer import BatchHandler, Consumer, ConsumerRunner, Handler, inbox_table
from beacon_shared.contracts import EVENT_TYPES
from beacon_shared.db import create_sessionmaker, make_metadata
from beacon_shared.events import EventPayload
from beacon_shared.idempotency import idempotency_table
from beacon_shared.kafka import create_producer
from beacon_shared.outbox import outbox_table, position_table
from beacon_shared.settings import ServiceSettings
from beacon_shared.topics import TopicSpec, ensure_topics

SCHEMA = "shared_test"
metadata = make_metadata(SCHEMA)
_outbox = outbox_table(metadata)
_inbox = inbox_table(metadata)
_keys = idempotency_table(metadata)
# Rows workers claim under a lease, in `due` order, per test `batch`; times are plain numbers
# of seconds on the test's own clock.
_leased = Table(
    "leased",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("batch", Text, nullable=False),
    Column("due", BigInteger, nullable=False),
    Column("holder", Text),
    Column("lease_until", BigInteger),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("outcome", Text),
)
# What test handlers write: one row per handled event, with the transaction that wrote it.
_effect = Table(
    "effect",
    metadata,
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("consumer", Text, nullable=False),
    Column("txid", BigInteger, nullable=False),
)


@pytest.fixture(scope="session")
async def shared_test_schema(engine: AsyncEngine) -> AsyncIterator[str]:
    """The `shared_test` schema, with an outbox, an inbox and a table for handler effects."""
    # Service schemas are only ever built by their Alembic migrations. This one belongs to no
    # service and exists only while the library's own tests run, so it is created from the
    # metadata here and dropped at the end of the session.
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        await conn.run_sync(metadata.create_all)
    yield SCHEMA
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))


@pytest.fixture
async def outbox(shared_test_schema: str, engine: AsyncEngine) -> AsyncIterator[Table]:
    """The test schema's outbox; rows a failed test left behind are removed afterwards."""
    yield _outbox
    # The relay publishes every row of its table: leftovers would leak into the next test, and
    # so would the offsets it recorded (a test may use a broker of its own).
    async with engine.begin() as conn:
        await conn.execute(delete(_outbox))
        await conn.execute(delete(position_table(_outbox)))


@pytest.fixture
def inbox(shared_test_schema: str) -> Table:
    """The test schema's inbox (rows are per consumer group, and every test has its own)."""
    return _inbox


@pytest.fixture
def key_table(shared_test_schema: str) -> Table:
    """The test schema's Idempotency-Key table (rows are per tenant: give each test its own)."""
    return _keys


@pytest.fixture
def leased(shared_test_schema: str) -> Table:
    """The test schema's table of rows to claim (give each test its own `batch`)."""
    return _leased


@pytest.fixture
def effect(shared_test_schema: str) -> Table:
    """Rows written by test handlers: (event_id, consumer, txid)."""
    return _effect


@pytest.fixture
def settings(settings_for: Callable[..., ServiceSettings]) -> ServiceSettings:
    """Platform settings on the test servers, with quick retries and group joins."""
    return settings_for(
        ServiceSettings,
        service_name="shared-test",
        consumer_max_retries=2,
        consumer_session_timeout_ms=2000,
        api_key_cache_seconds=0,
        max_body_bytes=1024,
    )


@pytest.fixture
async def producer(settings: ServiceSettings) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer built the way services build theirs."""
    producer = create_producer(settings, client_id="shared-test")
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def new_topic(kafka_bootstrap: str, unique: Callable[[str], str]) -> Callable[..., Awaitable[str]]:
    """Create a fresh topic (and its DLQ): `await new_topic(partitions=1)`."""

    async def create(*, partitions: int = 1) -> str:
        name = unique("shared-test")
        await ensure_topics(kafka_bootstrap, [TopicSpec(name, partitions, "A test topic.")])
        return name

    return create


class Pinged(EventPayload):
    """The payload of the test event types."""

    n: int


@pytest.fixture
def ping_type(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], type[Pinged]]:
    """A payload type published to `topic`, registered as a contract for the test's duration."""

    def register(topic: str) -> type[Pinged]:
        model = type(
            "PingedOn" + topic.replace("-", "_").replace(".", "_"),
            (Pinged,),
            {"event_type": f"sharedtest.{topic}.pinged", "topic": topic, "__module__": __name__},
        )
        monkeypatch.setitem(EVENT_TYPES, model.event_type, model)
        return model

    return register


@pytest.fixture
def read_topic(kafka_bootstrap: str) -> Callable[..., Awaitable[list[ConsumerRecord]]]:
    """Every record of a one-partition topic from the start, once `until(records)` holds."""

    async def read(
        topic: str,
        until: Callable[[list[ConsumerRecord]], bool],
        *,
        timeout: float = 15.0,
    ) -> list[ConsumerRecord]:
        # No group: assigning the partition directly avoids a group join per read.
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            records: list[ConsumerRecord] = []
            async with asyncio.timeout(timeout):
                while not until(records):
                    for batch in (await consumer.getmany(tp, timeout_ms=200)).values():
                        records.extend(batch)
            return records
        finally:
            await consumer.stop()

    return read


@dataclass
class RunningConsumer:
    """A ConsumerRunner running in the background."""

    runner: ConsumerRunner
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def stopped(self) -> None:
        """Ask it to stop and wait until it has."""
        self.stop.set()
        await asyncio.wait_for(self.task, 30)


@pytest.fixture
def run_consumer(
    settings: ServiceSettings, engine: AsyncEngine, inbox: Table, producer: AIOKafkaProducer
) -> Callable[..., contextlib.AbstractAsyncContextManager[RunningConsumer]]:
    """Run a ConsumerRunner in the background: `async with run_consumer(group, topics, ...)`."""

    @contextlib.asynccontextmanager
    async def run(
        group_id: str,
        topics: list[str],
        *,
        handlers: Mapping[str, Handler] | None = None,
        batch_handlers: Mapping[str, BatchHandler] | None = None,
    ) -> AsyncIterator[RunningConsumer]:
        runner = ConsumerRunner(
            Consumer(group_id, topics, dict(handlers or {}), dict(batch_handlers or {})),
            settings=settings,
            sessionmaker=create_sessionmaker(engine),
            inbox=inbox,
            producer=producer,
        )
        stop = asyncio.Event()
        running = RunningConsumer(runner, stop, asyncio.create_task(runner.run(stop)))
        try:
            yield running
        finally:
            await running.stopped()

    return run
