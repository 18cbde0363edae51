"""Idempotent consumer runner: inbox dedupe, commit-after-DB, bounded retries, dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError, IllegalStateError
from opentelemetry.trace import Span
from sqlalchemy import Column, DateTime, MetaData, Table, Text, bindparam, func, literal, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.db import database_unavailable
from beacon_shared.events import Envelope, MalformedEvent, decode, header
from beacon_shared.logging import get_logger
from beacon_shared.metrics import CONSUMED, CONSUMER_LAG, CONSUMER_RETRIES
from beacon_shared.settings import ServiceSettings
from beacon_shared.topics import dlq_name
from beacon_shared.tracing import (
    SpanKind,
    cause_traceparents,
    current_correlation_id,
    mark_failed,
    start_span,
    traced,
    traceparent_of,
    tracing_enabled,
)
from beacon_shared.waiting import doubling, wait_or_stop

log = get_logger(__name__)

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, Sequence[Envelope]], Awaitable[None]]

# Failures of the infrastructure, not of the record: retried until they pass, never dead-lettered.
TRANSIENT = (sa_exc.OperationalError, sa_exc.InterfaceError, ConnectionError, OSError)


# The server aborted the transaction against another one (a deadlock, a serialization
# failure): nothing is wrong with the records, and the batch is run again as a whole, never
# record by record, after a jittered pause that grows up to MAX_CONFLICT_PAUSE seconds.
_CONFLICTS = frozenset({"40P01", "40001"})
MAX_CONFLICT_PAUSE = 2.0
# Past this a commit is given up: the batch is in the database already, and the inbox makes
# handling its records again harmless.
COMMIT_TIMEOUT_SECONDS = 10.0


def _conflict(exc: Exception) -> bool:
    return isinstance(exc, sa_exc.DBAPIError) and getattr(exc.orig, "sqlstate", None) in _CONFLICTS


def _lost_connection(exc: Exception) -> bool:
    # asyncpg reports a connection dropped mid-transaction, and a server shutting down or
    # starting up, as plain DBAPIErrors: the database's state, never the record's fault.
    return database_unavailable(exc)


def inbox_table(metadata: MetaData) -> Table:
    """`<schema>.inbox`: one row per (event, consumer group) already handled."""
    return Table(
        "inbox",
        metadata,
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("consumer", Text, primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


@dataclass(frozen=True)
class Consumer:
    """A consumer group: the topics it reads and a handler per event type it understands.

    Types with a batch handler are handled a fetch (all its partitions) at a time in one
    transaction, and each partition's offset is committed after it; types sharing one batch
    handler are handed to it together, in one call;
    event types nobody handles are skipped.
    """

    group_id: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    batch_handlers: Mapping[str, BatchHandler] = field(default_factory=dict)

    def handles(self, event_type: str) -> bool:
        """Whether this group has a handler for `event_type`."""
        return event_type in self.handlers or event_type in self.batch_handlers


class ConsumerRunner:
    """Runs one Consumer against Kafka and Postgres until stopped."""

    def __init__(
        self,
        consumer: Consumer,
        *,
        settings: ServiceSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        inbox: Table,
        producer: AIOKafkaProducer,
    ) -> None:
        self.spec = consumer
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.inbox = inbox
        # One statement for a whole fetch, whatever its size: the ids go as one array parameter
        # (rows as parameters would send one row per round of the driver's batching).
        self._claim_ids = (
            insert(inbox)
            .from_select(
                ["event_id", "consumer"],
                select(
                    func.unnest(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))),
                    literal(consumer.group_id, Text),
                ),
            )
            .on_conflict_do_nothing()
            .returning(inbox.c.event_id)
        )
        self.producer = producer  # for dead letters only
        self._kafka: AIOKafkaConsumer | None = None
        self._lag_exported: set[TopicPartition] = set()
        # Clear while a fetched batch is being handled and committed.
        self._idle = asyncio.Event()
        self._idle.set()

    def _build_kafka_consumer(self) -> AIOKafkaConsumer:
        kafka = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            group_id=self.spec.group_id,
            client_id=f"{self.settings.service_name}-{self.spec.group_id}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.settings.consumer_batch_size,
            fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
            session_timeout_ms=self.settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=self.settings.consumer_session_timeout_ms // 3,
        )
        kafka.subscribe(list(self.spec.topics), listener=_FinishBatchFirst(self._idle))
        return kafka

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop`; the batch in hand is finished and committed before leaving."""
        kafka = self._kafka = self._build_kafka_consumer()
        await kafka.start()
        log.info("consumer.started", group=self.spec.group_id, topics=list(self.spec.topics))
        try:
            while not stop.is_set():
                batches = await kafka.getmany(
                    timeout_ms=500, max_records=self.settings.consumer_batch_size
                )
                self._forget_lag(kafka.assignment())
                if not batches:
                    continue
                self._idle.clear()
                try:
                    await self._process(batches, stop)
                    await self._commit(kafka, batches)
                finally:
                    self._idle.set()
        except _Stopped:
            log.info("consumer.stopped_while_waiting", group=self.spec.group_id)
        finally:
            await kafka.stop()  # leaves the group so partitions move at once
            self._forget_lag(frozenset())
            log.info("consumer.stopped", group=self.spec.group_id)

    async def _commit(
        self, kafka: AIOKafkaConsumer, batches: Mapping[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        """Commit the batch's offsets; a commit the group refuses is left to the inbox.

        The group refuses it when this member lost the partitions meanwhile (it outlived its
        session, say): their new owner reads the records again and the inbox skips them.
        """
        offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
        try:
            await asyncio.wait_for(kafka.commit(offsets), timeout=COMMIT_TIMEOUT_SECONDS)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("consumer.commit_refused", group=self.spec.group_id, error=repr(exc))
            return
        except TimeoutError:
            # The client retries a commit the broker answers with a retriable error (a topic the
            # coordinator does not know yet, after the cluster was replaced) without end, and the
            # loop would stop fetching behind it. Uncommitted records are read again, and the
            # inbox skips them.
            log.warning(
                "consumer.commit_timed_out",
                group=self.spec.group_id,
                timeout_seconds=COMMIT_TIMEOUT_SECONDS,
            )
            return
        for tp, records in batches.items():
            self._record_lag(kafka, tp, records[-1].offset + 1)

    def _record_lag(self, kafka: AIOKafkaConsumer, tp: TopicPartition, position: int) -> None:
        # highwater() comes from the last fetch response; end_offsets() is not trusted (see docs).
        highwater = kafka.highwater(tp)
        if highwater is not None:
            CONSUMER_LAG.labels(self.spec.group_id, tp.topic, str(tp.partition)).set(
                max(0, highwater - position)
            )
            self._lag_exported.add(tp)

    def _forget_lag(self, assigned: Set[TopicPartition]) -> None:
        """Drop the lag of partitions this member no longer owns: their new owner reports it,
        and a stale figure left here would keep a lag alert firing."""
        for tp in self._lag_exported - assigned:
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.spec.group_id, tp.topic, str(tp.partition))
        self._lag_exported &= assigned

    async def _process(
        self, batches: Mapping[TopicPartition, list[ConsumerRecord]], stop: asyncio.Event
    ) -> None:
        """Every partition's records of one fetch: batchable ones in one transaction.

        One transaction per fetch rather than per partition: with many partitions each holds a
        few records, and batch handlers (a classifier, a set-based upsert) pay per call.
        """
        decoded: list[tuple[ConsumerRecord, Envelope]] = []
        for records in batches.values():
            for record in records:
                try:
                    envelope = decode(record.value)
                except MalformedEvent as exc:
                    await self._dead_letter(record, exc, reason="malformed")
                    continue
                if self.spec.handles(envelope.type):
                    decoded.append((record, envelope))
                else:
                    log.debug("consumer.skipped_unknown_type", type=envelope.type)
                    CONSUMED.labels(self.spec.group_id, record.topic, "skipped").inc()
        batchable = [pair for pair in decoded if pair[1].type in self.spec.batch_handlers]
        await self._handle_batchable(batchable, stop)
        for record, envelope in decoded:
            if envelope.type not in self.spec.batch_handlers:
                await self._handle_one(record, envelope, stop)

    async def _handle_batchable(
        self, pairs: list[tuple[ConsumerRecord, Envelope]], stop: asyncio.Event
    ) -> None:
        """The records as one batch; if it fails, each half the same way, in order, down to
        single records, which take the per-record path (retries, then the dead letters).

        Halving finds a poison record in a batch of n in about 2·log2(n) batches instead of n
        transactions of one record, and the records before and after it keep their order.
        """
        if not pairs:
            return
        if len(pairs) == 1:
            await self._handle_one(*pairs[0], stop)
            return
        if await self._try_batch(pairs, stop):
            return
        middle = len(pairs) // 2
        await self._handle_batchable(pairs[:middle], stop)
        await self._handle_batchable(pairs[middle:], stop)

    async def _try_batch(
        self, pairs: list[tuple[ConsumerRecord, Envelope]], stop: asyncio.Event
    ) -> bool:
        """One transaction for the batch; False when it failed (the caller splits it)."""
        spans = [self._start_span(record) for record, _ in pairs]
        # Each record's own parent: its span, or (untraced) the traceparent it came with, of
        # which an event staged for it gets a child when staged (none is drawn for the rest).
        causes: dict[str, str] = {}
        for (record, env), span in zip(pairs, spans, strict=True):
            parent = header(record.headers, "traceparent") if span is None else traceparent_of(span)
            if parent is not None:
                causes[str(env.id)] = parent
        token = cause_traceparents.set(causes)
        handled = False
        try:
            handled = await self._run_batch(pairs, stop)
            return handled
        finally:
            cause_traceparents.reset(token)
            for span in spans:
                if span is not None:
                    if not handled:
                        mark_failed(span, "batch failed; handled again in smaller batches")
                    span.end()

    def _start_span(self, record: ConsumerRecord) -> Span | None:
        if not tracing_enabled():
            return None
        return start_span(
            f"process {record.topic}",
            kind=SpanKind.CONSUMER,
            parent=header(record.headers, "traceparent"),
            attributes=self._span_attributes(record),
        )

    def _span_attributes(self, record: ConsumerRecord) -> dict[str, str | int]:
        return {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": record.topic,
            "messaging.consumer.group.name": self.spec.group_id,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.offset": record.offset,
        }

    async def _run_batch(
        self, pairs: list[tuple[ConsumerRecord, Envelope]], stop: asyncio.Event
    ) -> bool:
        envelopes = [env for _, env in pairs]
        conflicts = 0
        while True:
            try:
                async with self.sessionmaker() as session, session.begin():
                    fresh = await self._claim(session, envelopes)
                    by_handler: dict[BatchHandler, list[Envelope]] = {}
                    for env in fresh:
                        handler = self.spec.batch_handlers[env.type]
                        by_handler.setdefault(handler, []).append(env)
                    for handler, group in by_handler.items():
                        await handler(session, group)
                fresh_ids = {env.id for env in fresh}
                outcomes: Counter[tuple[str, str]] = Counter()
                for record, env in pairs:
                    outcome = "handled" if env.id in fresh_ids else "duplicate"
                    outcomes[record.topic, outcome] += 1
                    fresh_ids.discard(env.id)  # the same event twice: the second is a duplicate
                for (topic, outcome), count in outcomes.items():
                    CONSUMED.labels(self.spec.group_id, topic, outcome).inc(count)
                return True
            except TRANSIENT as exc:
                await self._wait_transient(exc, stop)
            except Exception as exc:
                if _lost_connection(exc):
                    await self._wait_transient(exc, stop)
                    continue
                if _conflict(exc):
                    conflicts += 1
                    await self._after_conflict(exc, conflicts, stop)
                    continue
                log.warning("consumer.batch_failed", group=self.spec.group_id, error=repr(exc))
                return False

    async def _handle_one(
        self, record: ConsumerRecord, envelope: Envelope, stop: asyncio.Event
    ) -> None:
        correlation_token = current_correlation_id.set(envelope.correlationid)
        try:
            with traced(
                f"process {record.topic}",
                kind=SpanKind.CONSUMER,
                parent=header(record.headers, "traceparent"),
                attributes=self._span_attributes(record),
            ) as span:
                await self._handle_with_retries(record, envelope, stop, span)
        finally:
            current_correlation_id.reset(correlation_token)

    async def _handle_with_retries(
        self,
        record: ConsumerRecord,
        envelope: Envelope,
        stop: asyncio.Event,
        span: Span | None,
    ) -> None:
        handler = self.spec.handlers.get(envelope.type)
        batch_handler = self.spec.batch_handlers.get(envelope.type)
        attempt = conflicts = 0
        while True:
            try:
                async with self.sessionmaker() as session, session.begin():
                    fresh = await self._claim(session, [envelope])
                    if fresh:
                        if handler is not None:
                            await handler(session, envelope)
                        elif batch_handler is not None:
                            await batch_handler(session, [envelope])
                outcome = "handled" if fresh else "duplicate"
                CONSUMED.labels(self.spec.group_id, record.topic, outcome).inc()
                return
            except MalformedEvent as exc:
                mark_failed(span, "malformed")
                await self._dead_letter(record, exc, reason="malformed")
                return
            except TRANSIENT as exc:
                await self._wait_transient(exc, stop)
            except Exception as exc:
                if _lost_connection(exc):
                    await self._wait_transient(exc, stop)
                    continue
                if _conflict(exc):  # not the record's fault: not an attempt
                    conflicts += 1
                    await self._after_conflict(exc, conflicts, stop)
                    continue
                if attempt >= self.settings.consumer_max_retries:
                    mark_failed(span, "handler_failed")
                    await self._dead_letter(record, exc, reason="handler_failed")
                    return
                CONSUMER_RETRIES.labels(self.spec.group_id, record.topic).inc()
                await asyncio.sleep(doubling(self.settings.consumer_retry_backoff_seconds, attempt))
                attempt += 1

    async def _claim(self, session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Envelope]:
        """Insert inbox rows; only the events not seen before by this group come back."""
        ids = [env.id for env in envelopes]
        inserted = set((await session.execute(self._claim_ids, {"ids": ids})).scalars())
        seen: set[object] = set()
        fresh = []
        for env in envelopes:
            if env.id in inserted and env.id not in seen:
                seen.add(env.id)
                fresh.append(env)
        return fresh

    async def _wait_transient(self, exc: Exception, stop: asyncio.Event) -> None:
        """Back off on an infrastructure failure; leave uncommitted when stopping instead."""
        log.warning(
            "consumer.infrastructure_unavailable", group=self.spec.group_id, error=repr(exc)
        )
        await self._pause(1.0, exc, stop)

    async def _after_conflict(self, exc: Exception, conflicts: int, stop: asyncio.Event) -> None:
        """Wait before running the transaction the server aborted again: jittered, so the two
        sides do not meet again at once, and longer after each conflict in a row."""
        log.info("consumer.conflict", group=self.spec.group_id, error=repr(exc))
        pause = doubling(0.05, conflicts, cap=MAX_CONFLICT_PAUSE)
        await self._pause(random.uniform(0.0, pause), exc, stop)

    async def _pause(self, seconds: float, exc: Exception, stop: asyncio.Event) -> None:
        """Wait `seconds` before trying again, or leave uncommitted when stopping."""
        if await wait_or_stop(stop, seconds):
            raise _Stopped from exc

    async def _dead_letter(self, record: ConsumerRecord, exc: Exception, *, reason: str) -> None:
        headers = [
            *(record.headers or ()),
            ("dlq.reason", reason.encode()),
            ("dlq.error", f"{type(exc).__name__}: {exc}"[:2000].encode()),
            ("dlq.consumer", self.spec.group_id.encode()),
            ("dlq.topic", record.topic.encode()),
            ("dlq.partition", str(record.partition).encode()),
            ("dlq.offset", str(record.offset).encode()),
            ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        await self.producer.send_and_wait(
            dlq_name(record.topic), value=record.value, key=record.key, headers=headers
        )
        CONSUMED.labels(self.spec.group_id, record.topic, "dead_lettered").inc()
        log.warning(
            "consumer.dead_lettered",
            group=self.spec.group_id,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
            error=repr(exc),
        )


class _FinishBatchFirst(ConsumerRebalanceListener):  # type: ignore[misc]
    """Holds a rebalance until the batch in hand is handled and committed.

    Without it a member scaled in or out mid-batch would commit for partitions already given
    away: the commit is refused and the next owner handles the batch's records again.
    """

    def __init__(self, idle: asyncio.Event) -> None:
        self._idle = idle

    async def on_partitions_revoked(self, revoked: Set[TopicPartition]) -> None:
        await self._idle.wait()

    async def on_partitions_assigned(self, assigned: Set[TopicPartition]) -> None:
        return None


class _Stopped(Exception):
    """Raised out of a retry loop when the runner is asked to stop."""
