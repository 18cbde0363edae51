"""Transactional outbox: stage events with the state change, relay them to Kafka after commit."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    LargeBinary,
    MetaData,
    Table,
    Text,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared.contracts import EVENT_TYPES
from beacon_shared.events import Envelope, encode, record_headers
from beacon_shared.logging import get_logger
from beacon_shared.metrics import OUTBOX_ERRORS, OUTBOX_OLDEST_AGE, OUTBOX_PUBLISHED
from beacon_shared.tracing import (
    SpanKind,
    event_traceparent,
    mark_failed,
    start_span,
    traceparent_of,
    tracing_enabled,
)

log = get_logger(__name__)
AGE_EXPORT_SECONDS = 1.0
# Per topic, unlike OUTBOX_PUBLISHED: what the platform emits, e.g. bad-buzz alerts raised.
EVENTS_PUBLISHED = Counter(
    "beacon_outbox_events_published_total",
    "Events published by a service's outbox relay and acknowledged, by topic.",
    ["schema", "topic"],
)


def outbox_table(metadata: MetaData) -> Table:
    """`<schema>.outbox`: rows are deleted once the broker acknowledged them."""
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", PgUUID(as_uuid=True), nullable=False),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def notify_channel(table: Table) -> str:
    """The LISTEN/NOTIFY channel that wakes the relay of `table`'s schema."""
    return f"{table.schema}_outbox"


class OutboxRecord(NamedTuple):
    """One row of an outbox, as `stage` inserts it."""

    event_id: UUID
    topic: str
    key: str
    value: bytes
    headers: list[list[str]]


def outbox_records(
    envelopes: Sequence[Envelope], *, keys: Sequence[str] = ()
) -> list[OutboxRecord]:
    """The rows that publish `envelopes`, encoded in the caller's context (its trace).

    Each record's key defaults to the envelope's subject, so one aggregate's events stay ordered.
    An event caused by a record of the batch being handled continues that record's trace.
    """
    return [
        OutboxRecord(
            event_id=env.id,
            topic=_topic_of(env),
            key=keys[i] if keys else env.subject,
            value=encode(env),
            headers=_headers(env),
        )
        for i, env in enumerate(envelopes)
    ]


def _headers(envelope: Envelope) -> list[list[str]]:
    traceparent = event_traceparent(envelope.causationid)
    return [
        [k, traceparent if k == "traceparent" else v.decode()] for k, v in record_headers(envelope)
    ]


async def stage(
    session: AsyncSession, table: Table, envelopes: Sequence[Envelope], *, keys: Sequence[str] = ()
) -> None:
    """Insert events in the caller's transaction; the relay publishes them after it commits."""
    if not envelopes:
        return
    rows = [record._asdict() for record in outbox_records(envelopes, keys=keys)]
    await session.execute(insert(table), rows)
    # Delivered on commit only, and folded into one notification per transaction.
    await session.execute(
        text("SELECT pg_notify(:channel, '')"), {"channel": notify_channel(table)}
    )


def _topic_of(envelope: Envelope) -> str:
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise ValueError(f"no contract declares event type {envelope.type!r}")
    return model.topic


class OutboxRelay:
    """Publishes staged rows in id order and deletes them once acknowledged; a crash re-sends."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        table: Table,
        producer: AIOKafkaProducer,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        linger_seconds: float = 0.005,
        drain_seconds: float = 5.0,
    ) -> None:
        self.engine = engine
        self.table = table
        self.producer = producer
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        # After a wake-up, wait this long for other commits: one batch instead of many.
        self.linger_seconds = linger_seconds
        # Once stopped, how long the last publish of what is pending may take.
        self.drain_seconds = drain_seconds
        self._wake = asyncio.Event()
        self._schema = table.schema or "public"
        self._select_pending = (
            select(table.c.id, table.c.topic, table.c.key, table.c.value, table.c.headers)
            .order_by(table.c.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        # One compiled statement whatever the batch's length (an IN list would compile per length).
        self._delete_sent = delete(table).where(
            table.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger)))
        )
        self._age_measured_at = 0.0
        self._take_turn = text("SELECT pg_try_advisory_xact_lock(hashtext(:name))")

    async def publish_pending(self, stop: asyncio.Event | None = None) -> int:
        """Publish until nothing is left, or until `stop` between two batches; returns how
        many rows went out."""
        total = 0
        while True:
            sent = await self._publish_batch()
            total += sent
            if sent < self.batch_size or (stop is not None and stop.is_set()):
                return total

    async def _publish_batch(self) -> int:
        async with self.engine.begin() as conn:
            # One relay of a schema publishes at a time, so a replica's later batch can never
            # overtake an earlier one of the same key; the others find the lock taken and wait
            # for their next turn (the holder drains everything pending).
            if not await conn.scalar(self._take_turn, {"name": f"beacon.outbox.{self._schema}"}):
                return 0
            rows = (await conn.execute(self._select_pending)).all()
            if not rows:
                return 0
            if tracing_enabled():
                await self._send_traced(rows)
            else:
                futures = [
                    await self.producer.send(
                        row.topic,
                        value=row.value,
                        key=row.key.encode(),
                        headers=[(k, v.encode()) for k, v in row.headers],
                    )
                    for row in rows
                ]
                await asyncio.gather(*futures)
            await conn.execute(self._delete_sent, {"ids": [row.id for row in rows]})
        OUTBOX_PUBLISHED.labels(self._schema).inc(len(rows))
        for topic, count in collections.Counter(row.topic for row in rows).items():
            EVENTS_PUBLISHED.labels(self._schema, topic).inc(count)
        return len(rows)

    async def _send_traced(self, rows: Sequence[Any]) -> None:
        """Send each row as a producer span, child of the work that staged it; the record's
        traceparent names the span, so its consumers continue from it."""
        spans = []
        futures = []
        for row in rows:
            staged_by = next((v for k, v in row.headers if k == "traceparent"), None)
            span = start_span(
                f"publish {row.topic}",
                kind=SpanKind.PRODUCER,
                parent=staged_by,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.destination.name": row.topic,
                    "messaging.message.id": str(row.id),
                },
            )
            spans.append(span)
            headers = [
                (k, (v if k != "traceparent" or span is None else traceparent_of(span)).encode())
                for k, v in row.headers
            ]
            futures.append(
                await self.producer.send(
                    row.topic, value=row.value, key=row.key.encode(), headers=headers
                )
            )
        results = await asyncio.gather(*futures, return_exceptions=True)
        for span, result in zip(spans, results, strict=True):
            if span is not None:
                if isinstance(result, BaseException):
                    mark_failed(span, repr(result))
                span.end()
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def oldest_age_seconds(self) -> float:
        """Age of the oldest unsent row (0 when empty): the service's publish lag."""
        async with self.engine.connect() as conn:
            oldest = (
                await conn.execute(
                    select(self.table.c.created_at).order_by(self.table.c.id).limit(1)
                )
            ).scalar()
        return 0.0 if oldest is None else max(0.0, (datetime.now(UTC) - oldest).total_seconds())

    async def _export_age(self) -> None:
        """Refresh the lag gauge at most once per AGE_EXPORT_SECONDS: a scrape needs no more."""
        now = time.monotonic()
        if now - self._age_measured_at >= AGE_EXPORT_SECONDS:
            self._age_measured_at = now
            OUTBOX_OLDEST_AGE.labels(self._schema).set(await self.oldest_age_seconds())

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set: woken by NOTIFY, with a slow poll as a safety net.

        Once stopped it publishes what is pending one last time (the worker stops its
        consumers and jobs first, so what they staged goes out now rather than at the next
        start); what fails then stays in the outbox for the next relay.
        """
        async with self._listening():
            backoff = 0.1
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self.publish_pending(stop)
                    await self._export_age()
                    backoff = 0.1
                except Exception as exc:
                    OUTBOX_ERRORS.labels(self._schema).inc()
                    log.warning("outbox.publish_failed", schema=self._schema, error=repr(exc))
                    # The lag matters most while the broker is down: keep exporting it.
                    with contextlib.suppress(Exception):
                        age = await self.oldest_age_seconds()
                        OUTBOX_OLDEST_AGE.labels(self._schema).set(age)
                    await _sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                await _wait_any(stop, self._wake, self.poll_seconds)
                if self._wake.is_set() and self.linger_seconds:
                    await _sleep_or_stop(stop, self.linger_seconds)
        try:
            # Bounded: a stopping worker must exit within its grace period even with a backlog
            # or an unreachable broker. An interrupted batch is rolled back and sent again later.
            sent = await asyncio.wait_for(self.publish_pending(), self.drain_seconds)
            log.info("outbox.drained", schema=self._schema, published=sent)
        except Exception as exc:
            OUTBOX_ERRORS.labels(self._schema).inc()
            log.warning("outbox.drain_failed", schema=self._schema, error=repr(exc))

    @contextlib.asynccontextmanager
    async def _listening(self) -> Any:
        conn = await self.engine.connect()
        try:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            channel = notify_channel(self.table)
            await driver.add_listener(channel, self._on_notify)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    await driver.remove_listener(channel, self._on_notify)
        finally:
            await conn.close()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
