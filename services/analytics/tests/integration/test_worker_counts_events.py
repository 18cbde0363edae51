"""Analytics's worker counts events from the broker once each, replays included."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from analytics import worker
from analytics.config import Settings
from analytics.counters.models import counter
from beacon_shared.contracts import EVENT_TYPES
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.contracts.publisher import ScheduleChange
from beacon_shared.contracts.topics import ALL_TOPICS
from beacon_shared.events import Envelope, encode
from beacon_shared.testing.plugin import eventually
from beacon_shared.topics import ensure_topics
from beacon_shared.worker import run_worker

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


async def send(producer: AIOKafkaProducer, envelopes: list[Envelope]) -> None:
    # One key for all: each topic's records share a partition, so they are handled in order.
    for envelope in envelopes:
        await producer.send_and_wait(
            EVENT_TYPES[envelope.type].topic, value=encode(envelope), key=b"analytics-replay"
        )


async def test_replayed_events_are_counted_once(settings_for, kafka_bootstrap, engine, events):
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
    # Sent after the replay on every topic: once they are counted, the replay was handled too.
    last = [
        events.comment(),
        events.engagement(kind=InteractionKind.share),
        events.decision(),
        events.scheduled(),
        events.published(),
    ]
    await ensure_topics(kafka_bootstrap, ALL_TOPICS)
    stop = asyncio.Event()
    running = asyncio.create_task(
        run_worker(settings_for(Settings, worker_port=0), worker.spec(), stop, serve_http=False)
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        await send(producer, distinct)
        await send(producer, distinct)
        await send(producer, last)

        async def totals() -> dict[str, int]:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(counter.c.metric, func.sum(counter.c.count))
                    .where(counter.c.tenant_id == events.tenant_id)
                    .group_by(counter.c.metric)
                )
                return {metric: int(total) for metric, total in rows}

        expected = {
            "comments.received": 4,
            "comments.received.comment": 3,
            "comments.received.reply": 1,
            "engagements.recorded.reaction": 1,
            "engagements.recorded.share": 1,
            "comments.moderated.hide": 2,
            "comments.moderated.allow": 1,
            "posts.scheduled": 2,
            "posts.published": 2,
            "posts.published.sandbox": 2,
        }

        async def all_counted() -> bool:
            return await totals() == expected

        with contextlib.suppress(AssertionError):
            await eventually(all_counted, timeout=30)
        assert await totals() == expected
        assert not running.done()
    finally:
        await producer.stop()
        stop.set()
        await running
