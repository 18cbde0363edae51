"""The outbox relay: publishes the rows `beacon_shared.outbox.stage` inserted, after commit.

Relayed rows are kept for a retention window, marked with when and where the broker acknowledged
them. The relay watches the broker it sends to; when the broker has lost what it acknowledged
(another cluster answers, a topic or a partition is gone, a partition's high watermark is below
an offset it acknowledged), the window is relayed again in id order, and consumers' inbox keeps
every effect once.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.structs import RecordMetadata
from prometheus_client import Counter
from sqlalchemy import (
    BigInteger,
    Integer,
    Interval,
    Table,
    bindparam,
    case,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from beacon_shared.broker_loss import (
    LOSS_CLUSTER,
    LOSS_OFFSETS,
    LOSS_TOPIC,
    cluster_id,
    missing_partitions,
    offsets_gone,
)
from beacon_shared.logging import get_logger
from beacon_shared.metrics import (
    OUTBOX_ERRORS,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISHED,
    OUTBOX_REPLAYED,
)
from beacon_shared.outbox import notify_channel, position_table
from beacon_shared.topics import TopicSpec, ensure_topics
from beacon_shared.tracing import (
    SpanKind,
    mark_failed,
    start_span,
    traceparent_of,
    tracing_enabled,
)
from beacon_shared.waiting import Backoff, wait_or_stop

log = get_logger(__name__)
AGE_EXPORT_SECONDS = 1.0
DEFAULT_RETENTION_SECONDS = 86_400.0
# Relayed rows past the window are deleted this often, this many per transaction, so a prune
# never holds many locks or one long transaction.
PRUNE_EVERY_SECONDS = 60.0
PRUNE_CHUNK = 5_000
# Per topic, unlike OUTBOX_PUBLISHED: what the platform emits, e.g. bad-buzz alerts raised.
EVENTS_PUBLISHED = Counter(
    "beacon_outbox_events_published_total",
    "Events published by a service's outbox relay and acknowledged, by topic.",
    ["schema", "topic"],
)


class OutboxRelay:
    """Publishes staged rows in id order and marks them relayed once acknowledged; a crash
    re-sends. Relayed rows are kept `retention_seconds`, and sent again if the broker lost them.

    With `loss_detection`, before each batch the relay asks the broker for its cluster id (one
    metadata round trip) and, every `check_seconds`, for the partitions it has acknowledged to
    and their high watermarks (see `beacon_shared.broker_loss`). When the broker lost what it
    acknowledged, the relay creates `topics` again and marks every retained row unsent in one
    transaction, so the window goes out again in id order before anything staged later.
    """

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
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        loss_detection: bool = True,
        check_seconds: float = 30.0,
        bootstrap: str | None = None,
        topics: Sequence[TopicSpec] = (),
        replication_factor: int = 1,
    ) -> None:
        self.engine = engine
        self.table = table
        self.positions = position_table(table)
        self.producer = producer
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        # After a wake-up, wait this long for other commits: one batch instead of many.
        self.linger_seconds = linger_seconds
        # Once stopped, how long the last publish of what is pending may take.
        self.drain_seconds = drain_seconds
        self.retention = timedelta(seconds=retention_seconds)
        self.loss_detection = loss_detection
        self.check_seconds = check_seconds
        # Where the high watermarks are read and topics are created again (both skipped if None).
        self.bootstrap = bootstrap
        self.topics = list(topics)
        self.replication_factor = replication_factor
        self._wake = asyncio.Event()
        self._schema = table.schema or "public"
        self._turn_name = f"beacon.outbox.{self._schema}"
        self._select_pending = (
            select(table.c.id, table.c.topic, table.c.key, table.c.value, table.c.headers)
            .where(table.c.relayed_at.is_(None))
            .order_by(table.c.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        # One compiled statement whatever the batch's length (a VALUES list would compile per
        # length): the ids and where they landed go as three array parameters.
        sent = (
            func.unnest(
                bindparam("ids", type_=ARRAY(BigInteger)),
                bindparam("partitions", type_=ARRAY(Integer)),
                bindparam("offsets", type_=ARRAY(BigInteger)),
            )
            .table_valued("sent_id", "sent_partition", "sent_offset")
            .render_derived(name="sent")
        )
        self._mark_relayed = (
            update(table)
            .where(table.c.id == sent.c.sent_id)
            .values(
                relayed_at=func.now(),
                relayed_partition=sent.c.sent_partition,
                relayed_offset=sent.c.sent_offset,
            )
        )
        upsert = pg_insert(self.positions)
        same_cluster = self.positions.c.cluster_id == upsert.excluded.cluster_id
        self._record_positions = upsert.on_conflict_do_update(
            index_elements=[self.positions.c.topic, self.positions.c.partition],
            set_={
                "cluster_id": upsert.excluded.cluster_id,
                "acked_offset": case(
                    (
                        same_cluster,
                        func.greatest(self.positions.c.acked_offset, upsert.excluded.acked_offset),
                    ),
                    else_=upsert.excluded.acked_offset,
                ),
                "updated_at": func.now(),
            },
        )
        self._unmark_window = (
            update(table)
            .where(table.c.relayed_at.is_not(None))
            .values(relayed_at=None, relayed_partition=None, relayed_offset=None)
        )
        expired = (
            select(table.c.id)
            .where(table.c.relayed_at < func.now() - bindparam("window", type_=Interval))
            .order_by(table.c.relayed_at)
            .limit(PRUNE_CHUNK)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        self._prune_chunk = delete(table).where(table.c.id.in_(expired))
        self._age_measured_at = 0.0
        self._next_prune = 0.0
        self._take_turn = text("SELECT pg_try_advisory_xact_lock(hashtext(:name))")
        # The cluster last found holding what was acknowledged, and when to look deeper next.
        self._cluster: str | None = None
        self._next_check = 0.0

    async def publish_pending(self, stop: asyncio.Event | None = None) -> int:
        """Publish until nothing is left, or until `stop` between two batches; returns how
        many rows went out."""
        total = 0
        while True:
            await self.watch_broker()
            sent = await self._publish_batch()
            total += sent
            if sent < self.batch_size or (stop is not None and stop.is_set()):
                return total

    async def _publish_batch(self) -> int:
        if self.loss_detection and self._cluster is None:
            # The broker was not checked yet (another relay had the turn). Asked before taking
            # the turn: holding it only to do nothing could make the relay that checked give up.
            return 0
        async with self.engine.begin() as conn:
            # One relay of a schema publishes at a time, so a replica's later batch can never
            # overtake an earlier one of the same key; the others find the lock taken and wait
            # for their next turn (the holder drains everything pending).
            if not await conn.scalar(self._take_turn, {"name": self._turn_name}):
                return 0
            rows = (await conn.execute(self._select_pending)).all()
            if not rows:
                return 0
            if tracing_enabled():
                acks = await self._send_traced(rows)
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
                acks = await asyncio.gather(*futures)
            await conn.execute(
                self._mark_relayed,
                {
                    "ids": [row.id for row in rows],
                    "partitions": [ack.partition for ack in acks],
                    "offsets": [ack.offset for ack in acks],
                },
            )
            if self._cluster is not None:
                await self._record(conn, acks, self._cluster)
        OUTBOX_PUBLISHED.labels(self._schema).inc(len(rows))
        for topic, count in collections.Counter(row.topic for row in rows).items():
            EVENTS_PUBLISHED.labels(self._schema, topic).inc(count)
        return len(rows)

    async def _record(
        self, conn: AsyncConnection, acks: Sequence[RecordMetadata], cluster: str
    ) -> None:
        """Keep the highest acknowledged offset of each partition the batch went to."""
        highest: dict[tuple[str, int], int] = {}
        for ack in acks:
            key = (ack.topic, ack.partition)
            highest[key] = max(highest.get(key, -1), ack.offset)
        await conn.execute(
            self._record_positions,
            [
                {"topic": topic, "partition": partition, "cluster_id": cluster, "acked_offset": o}
                for (topic, partition), o in sorted(highest.items())
            ],
        )

    async def watch_broker(self) -> str | None:
        """Check that the broker still holds what it acknowledged; if not, mark the retained
        window unsent (creating the topics again first). Returns why it was replayed, if it was.

        The cluster id is asked every time (one round trip); the database is read only when it
        changed or a deeper check (topics, high watermarks) is due.
        """
        if not self.loss_detection:
            return None
        cluster = await cluster_id(self.producer.client)
        deep = time.monotonic() >= self._next_check
        if cluster == self._cluster and not deep:
            return None
        reason: str | None = None
        async with self.engine.begin() as conn:
            if not await conn.scalar(self._take_turn, {"name": self._turn_name}):
                return None  # another relay publishes now, and checks before it does
            recorded = (
                await conn.execute(
                    select(
                        self.positions.c.topic,
                        self.positions.c.partition,
                        self.positions.c.cluster_id,
                        self.positions.c.acked_offset,
                    )
                )
            ).all()
            reason = await self._loss(cluster, recorded, deep=deep)
            if reason is not None:
                await self._replay(conn, reason, cluster)
        # Only once committed: a replay rolled back must be found again at the next pass.
        self._cluster = cluster
        if deep:
            self._next_check = time.monotonic() + self.check_seconds
        return reason

    async def _loss(self, cluster: str, recorded: Sequence[Any], *, deep: bool) -> str | None:
        if any(row.cluster_id != cluster for row in recorded):
            return LOSS_CLUSTER
        if not deep or not recorded:
            return None
        acknowledged = {TopicPartition(r.topic, r.partition): r.acked_offset for r in recorded}
        if await missing_partitions(self.producer.client, list(acknowledged)):
            return LOSS_TOPIC
        if self.bootstrap is not None and await offsets_gone(self.bootstrap, acknowledged):
            return LOSS_OFFSETS
        return None

    async def _replay(self, conn: AsyncConnection, reason: str, cluster: str) -> None:
        if self.topics and self.bootstrap is not None:
            # Before anything is sent: a producer's first send would create a topic with the
            # broker's default partition count, where the broker creates topics on demand.
            await ensure_topics(
                self.bootstrap, self.topics, replication_factor=self.replication_factor
            )
        replayed = (await conn.execute(self._unmark_window)).rowcount
        await conn.execute(delete(self.positions))
        OUTBOX_REPLAYED.labels(self._schema, reason).inc(replayed)
        log.warning(
            "outbox.broker_lost_events",
            schema=self._schema,
            reason=reason,
            cluster_id=cluster,
            replaying=replayed,
        )

    async def prune(self) -> int:
        """Delete relayed rows older than the retention window, a chunk per transaction;
        returns how many."""
        total = 0
        while True:
            async with self.engine.begin() as conn:
                deleted = (
                    await conn.execute(self._prune_chunk, {"window": self.retention})
                ).rowcount
            total += deleted
            if deleted < PRUNE_CHUNK:
                return total

    async def _prune_now_and_then(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_SECONDS
        try:
            pruned = await self.prune()
        except Exception as exc:
            log.warning("outbox.prune_failed", schema=self._schema, error=repr(exc))
            return
        if pruned:
            log.info("outbox.pruned", schema=self._schema, rows=pruned)

    async def _send_traced(self, rows: Sequence[Any]) -> list[RecordMetadata]:
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
        return list(results)

    async def oldest_age_seconds(self) -> float:
        """Age of the oldest unsent row (0 when none): the service's publish lag."""
        async with self.engine.connect() as conn:
            oldest = (
                await conn.execute(
                    select(self.table.c.created_at)
                    .where(self.table.c.relayed_at.is_(None))
                    .order_by(self.table.c.id)
                    .limit(1)
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
        """Relay until `stop` is set: woken by NOTIFY, with a slow poll as a safety net, and
        pruning relayed rows past the window every PRUNE_EVERY_SECONDS.

        Once stopped it publishes what is pending one last time (the worker stops its
        consumers and jobs first, so what they staged goes out now rather than at the next
        start); what fails then stays in the outbox for the next relay.
        """
        async with self._listening():
            backoff = Backoff(0.1, cap=5.0)
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self.publish_pending(stop)
                    await self._export_age()
                    backoff.succeeded()
                except Exception as exc:
                    OUTBOX_ERRORS.labels(self._schema).inc()
                    log.warning("outbox.publish_failed", schema=self._schema, error=repr(exc))
                    # The lag matters most while the broker is down: keep exporting it.
                    with contextlib.suppress(Exception):
                        age = await self.oldest_age_seconds()
                        OUTBOX_OLDEST_AGE.labels(self._schema).set(age)
                    await wait_or_stop(stop, backoff.failed())
                    continue
                await self._prune_now_and_then()
                await _wait_any(stop, self._wake, self.poll_seconds)
                if self._wake.is_set() and self.linger_seconds:
                    await wait_or_stop(stop, self.linger_seconds)
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


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
