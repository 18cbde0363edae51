"""Listening's consumer group on the broker: a topic replayed from the start counts once."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from analytics import worker
from analytics.config import Settings
from analytics.db import inbox
from analytics.listening.handlers import GROUP_ID, listening_consumer
from analytics.listening.models import account_engagement_day, term_hour
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind, PostMetricsObserved
from beacon_shared.contracts.topics import COMMENT_RECEIVED, POST_METRICS_OBSERVED
from beacon_shared.events import Envelope, encode
from beacon_shared.testing.plugin import eventually
from beacon_shared.topics import ensure_topics
from beacon_shared.worker import WorkerSpec, run_worker

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

PUBLISHED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def observed(tenant: str, post: str, likes: int, hours_later: int) -> Envelope:
    payload = PostMetricsObserved(
        brand_id="brand-a",
        network=Network.bluesky,
        account_external_id="did:plc:rival",
        owner="competitor",
        competitor_id="c-1",
        post_external_id=post,
        text="#Launch day",
        post_created_at=PUBLISHED,
        likes=likes,
        comments=1,
        shares=0,
        observed_at=PUBLISHED + timedelta(hours=hours_later),
    )
    return Envelope.build(payload, tenant_id=tenant, subject=post, source="/beacon/ingest")


def comment(tenant: str, text: str) -> Envelope:
    payload = CommentReceived(
        interaction_id=uuid.uuid4(),
        brand_id="brand-a",
        network=Network.bluesky,
        kind=InteractionKind.mention,
        external_id=text,
        author=Author(network_id="fan"),
        text=text,
        created_at=PUBLISHED,
        received_at=PUBLISHED,
    )
    return Envelope.build(payload, tenant_id=tenant, subject=text, source="/beacon/ingest")


def test_the_analytics_worker_runs_the_listening_group():
    assert GROUP_ID in {consumer.group_id for consumer in worker.spec().consumers}


async def test_a_replayed_topic_is_counted_once(settings_for, kafka_bootstrap, engine, unique):
    tenant = unique("tenant")
    stream = [
        observed(tenant, "p-1", likes=3, hours_later=1),
        observed(tenant, "p-2", likes=1, hours_later=1),
        observed(tenant, "p-1", likes=8, hours_later=2),
        comment(tenant, "launch is live"),
    ]
    # Sent after the replay: once it is counted, everything before it was handled.
    last = [observed(tenant, "p-3", likes=2, hours_later=3), comment(tenant, "sentinel")]
    await ensure_topics(kafka_bootstrap, [POST_METRICS_OBSERVED, COMMENT_RECEIVED])
    spec = WorkerSpec(
        topics=[POST_METRICS_OBSERVED, COMMENT_RECEIVED],
        inbox=inbox,
        consumers=[listening_consumer()],
    )
    stop = asyncio.Event()
    running = asyncio.create_task(
        run_worker(settings_for(Settings, worker_port=0), spec, stop, serve_http=False)
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for envelope in [*stream, *stream, *last]:
            topic = (
                POST_METRICS_OBSERVED
                if envelope.type.endswith("metrics_observed")
                else COMMENT_RECEIVED
            )
            await producer.send_and_wait(topic.name, value=encode(envelope), key=b"replay")

        async def state() -> tuple[dict[date, tuple[int, int, int]], dict[str, int]]:
            d, h = account_engagement_day.c, term_hour.c
            async with engine.connect() as conn:
                days = {
                    r.day: (r.posts, r.likes, r.comments)
                    for r in await conn.execute(
                        select(account_engagement_day).where(d.tenant_id == tenant)
                    )
                }
                terms = {
                    f"{r.source}:{r.term}": r.count
                    for r in await conn.execute(select(term_hour).where(h.tenant_id == tenant))
                }
            return days, terms

        async def sentinel_seen() -> bool:
            days, terms = await state()
            return "comment:sentinel" in terms and days.get(date(2026, 11, 20), (0,))[0] == 3

        await eventually(sentinel_seen, timeout=60)
        days, terms = await state()
        assert days == {date(2026, 11, 20): (3, 11, 3)}
        assert terms == {
            "competitor_post:#launch": 3,
            "competitor_post:day": 3,
            "comment:launch": 1,
            "comment:live": 1,
            "comment:sentinel": 1,
        }
    finally:
        await producer.stop()
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running, 30)
