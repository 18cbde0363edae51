"""Outbox relay benchmark: throughput against a raw producer, and commit-to-broker latency.

Runs on embedded servers unless DATABASE_URL / KAFKA_BOOTSTRAP are set. Prints a JSON object and
writes bench/results/outbox.json. `make bench-outbox`.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer
from sqlalchemy import text

from beacon_shared import outbox
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.contracts.topics import COMMENT_RECEIVED
from beacon_shared.db import create_engine, create_sessionmaker, make_metadata
from beacon_shared.events import Envelope, encode, record_headers
from beacon_shared.kafka import create_producer
from beacon_shared.settings import ServiceSettings
from beacon_shared.topics import ensure_topics
from bench.servers import servers

RESULTS = Path(__file__).parent / "results" / "outbox.json"
THROUGHPUT_EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))
EVENTS_PER_TRANSACTION = 100
LATENCY_EVENTS = 1000
LATENCY_RATE = 200  # events/s, one per transaction
POLL_SECONDS = 5.0  # the relay's safety-net poll; NOTIFY must wake it long before
# The embedded broker holds a fetch for the whole max wait even when records are ready.
FETCH_MAX_WAIT_MS = 20


def envelope(tenant: str, n: int) -> Envelope:
    now = datetime.now(UTC)
    payload = CommentReceived(
        interaction_id=uuid.uuid4(),
        network=Network.custom,
        kind=InteractionKind.comment,
        external_id=f"c-{n}",
        thread_external_id=f"t-{n % 64}",
        author=Author(network_id="u"),
        text="A benchmark comment of ordinary length, with a question about the product?",
        created_at=now,
        received_at=now,
    )
    return Envelope.build(
        payload, tenant_id=tenant, subject=str(payload.interaction_id), source="/beacon/bench"
    )


async def consume(
    bootstrap: str, tenant: str, count: int, latencies: list[float], ready: asyncio.Event
) -> float:
    """Read until `count` events of `tenant` arrived; returns the wall time of the last one."""
    consumer = AIOKafkaConsumer(
        COMMENT_RECEIVED.name,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )
    await consumer.start()
    seen, last = 0, 0.0
    try:
        while seen < count:
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            arrived = datetime.now(UTC)
            if consumer.assignment():
                ready.set()
            for records in batches.values():
                for record in records:
                    value = orjson.loads(record.value)
                    if value["tenantid"] == tenant:
                        seen += 1
                        staged_at = datetime.fromisoformat(value["time"])
                        latencies.append((arrived - staged_at).total_seconds() * 1000)
            last = time.perf_counter()
    finally:
        await consumer.stop()
    return last


def percentile(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100)[int(q) - 1], 2)


async def run(database_url: str, bootstrap: str, idempotence: bool) -> dict[str, object]:
    settings = ServiceSettings(
        database_url=database_url, kafka_bootstrap=bootstrap, kafka_enable_idempotence=idempotence
    )
    await ensure_topics(bootstrap, [COMMENT_RECEIVED])
    metadata = make_metadata("bench_outbox")
    table = outbox.outbox_table(metadata)
    engine = create_engine(database_url, pool_size=4)
    async with engine.begin() as conn:  # a throw-away schema for the benchmark only
        await conn.execute(text("DROP SCHEMA IF EXISTS bench_outbox CASCADE"))
        await conn.execute(text("CREATE SCHEMA bench_outbox"))
        await conn.run_sync(metadata.create_all)
    sessionmaker = create_sessionmaker(engine)
    producer = create_producer(settings)
    await producer.start()
    try:
        # As a worker builds it: relayed rows kept for the window, the broker watched.
        relay = outbox.OutboxRelay(
            engine=engine,
            table=table,
            producer=producer,
            batch_size=500,
            poll_seconds=POLL_SECONDS,
            retention_seconds=settings.outbox_retention_seconds,
            loss_detection=settings.outbox_loss_detection,
            check_seconds=settings.outbox_check_seconds,
            bootstrap=bootstrap,
            topics=[COMMENT_RECEIVED],
        )
        stop = asyncio.Event()
        relay_task = asyncio.create_task(relay.run(stop))
        # Latency at a steady rate, one event per transaction, on a quiet topic.
        tenant = f"lat-{uuid.uuid4().hex[:6]}"
        latencies: list[float] = []
        consumer = asyncio.create_task(
            consume(bootstrap, tenant, LATENCY_EVENTS, latencies, ready := asyncio.Event())
        )
        await ready.wait()
        for n in range(LATENCY_EVENTS):
            async with sessionmaker() as session, session.begin():
                await outbox.stage(session, table, [envelope(tenant, n)])
            await asyncio.sleep(1 / LATENCY_RATE)
        await consumer
        # Baseline: the same records sent straight to the broker by the same producer.
        tenant = f"raw-{uuid.uuid4().hex[:6]}"
        envs = [envelope(tenant, n) for n in range(THROUGHPUT_EVENTS)]
        started = time.perf_counter()
        futures = [
            await producer.send(
                COMMENT_RECEIVED.name,
                value=encode(e),
                key=e.subject.encode(),
                headers=record_headers(e),
            )
            for e in envs
        ]
        await asyncio.gather(*futures)
        raw_rate = THROUGHPUT_EVENTS / (time.perf_counter() - started)

        # Relay throughput: stage in transactions of 100 while the relay runs, until consumed.
        tenant = f"relay-{uuid.uuid4().hex[:6]}"
        throughput_latencies: list[float] = []
        consumer = asyncio.create_task(
            consume(
                bootstrap, tenant, THROUGHPUT_EVENTS, throughput_latencies, ready := asyncio.Event()
            )
        )
        await ready.wait()  # the consumer has joined before the clock starts
        started = time.perf_counter()
        for first in range(0, THROUGHPUT_EVENTS, EVENTS_PER_TRANSACTION):
            async with sessionmaker() as session, session.begin():
                await outbox.stage(
                    session,
                    table,
                    [envelope(tenant, n) for n in range(first, first + EVENTS_PER_TRANSACTION)],
                )
        staged_rate = THROUGHPUT_EVENTS / (time.perf_counter() - started)
        relay_rate = THROUGHPUT_EVENTS / (await consumer - started)
        stop.set()
        await relay_task

        # The relay alone: a backlog staged while it was stopped, drained from its start.
        tenant = f"backlog-{uuid.uuid4().hex[:6]}"
        for first in range(0, THROUGHPUT_EVENTS, EVENTS_PER_TRANSACTION):
            async with sessionmaker() as session, session.begin():
                await outbox.stage(
                    session,
                    table,
                    [envelope(tenant, n) for n in range(first, first + EVENTS_PER_TRANSACTION)],
                )
        backlog_latencies: list[float] = []
        consumer = asyncio.create_task(
            consume(
                bootstrap, tenant, THROUGHPUT_EVENTS, backlog_latencies, ready := asyncio.Event()
            )
        )
        await ready.wait()
        stop = asyncio.Event()
        started = time.perf_counter()
        relay_task = asyncio.create_task(relay.run(stop))
        backlog_rate = THROUGHPUT_EVENTS / (await consumer - started)
        stop.set()
        await relay_task
    finally:
        await producer.stop()
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA bench_outbox CASCADE"))
        await engine.dispose()
    return {
        "events": THROUGHPUT_EVENTS,
        "raw_producer_per_s": round(raw_rate),
        "staged_per_s": round(staged_rate),
        "relayed_per_s": round(relay_rate),
        "relay_to_raw_ratio": round(relay_rate / raw_rate, 3),
        "backlog_relayed_per_s": round(backlog_rate),
        "latency_rate_per_s": LATENCY_RATE,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p99_ms": percentile(latencies, 99),
        "relay_poll_seconds": POLL_SECONDS,
    }


def main() -> None:
    with servers() as found:
        result = asyncio.run(
            run(found.database_url, found.bootstrap, idempotence=found.idempotence)
        )
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
