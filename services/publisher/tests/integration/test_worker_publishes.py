"""The publisher worker publishes a post when it falls due, and both events reach the broker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer

from beacon_shared.contracts.publisher import PostPublished, PostScheduled
from beacon_shared.events import Envelope, decode
from beacon_shared.testing.plugin import eventually
from beacon_shared.worker import run_worker
from publisher import worker
from publisher.config import Settings
from publisher.main import create_app

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


SCHEDULED, PUBLISHED = PostScheduled.event_type, PostPublished.event_type


async def test_a_post_due_in_two_seconds_is_scheduled_then_published_on_time(
    settings_for, api_client, issue_api_key, unique, kafka_bootstrap
):
    tenant = unique("tenant")
    key = await issue_api_key(tenant)
    settings = settings_for(Settings, worker_port=0, scheduler_poll_seconds=0.2)
    stop = asyncio.Event()
    running = asyncio.create_task(
        run_worker(settings, worker.spec(settings), stop, serve_http=False)
    )
    consumer = AIOKafkaConsumer(
        "post.scheduled",
        "post.published",
        bootstrap_servers=kafka_bootstrap,
        group_id=unique("probe"),
        auto_offset_reset="earliest",
    )
    seen: list[Envelope] = []
    try:
        async with api_client(create_app(settings), key=key.key) as http:
            account = await http.post(
                "/v1/publishing-accounts",
                json={"network": "sandbox", "external_account_id": unique("acct")},
            )
            assert account.status_code == 201
            due = datetime.now(UTC) + timedelta(seconds=2)
            body = {
                "text": "Launch day!",
                "scheduled_at": due.isoformat(),
                "targets": [{"account_id": account.json()["id"]}],
            }
            created = await http.post("/v1/posts", json=body)
            assert created.status_code == 201
            await consumer.start()

            async def both_arrived() -> bool:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    seen.extend(e for r in records if (e := decode(r.value)).tenantid == tenant)
                return {e.type for e in seen} == {SCHEDULED, PUBLISHED}

            await eventually(both_arrived, timeout=20)
            final = (await http.get(f"/v1/posts/{created.json()['id']}")).json()
    finally:
        stop.set()
        await consumer.stop()
        await running

    # Two topics, so the order of arrival says nothing; the envelopes' times do.
    (scheduled_event,) = [e for e in seen if e.type == SCHEDULED]
    (published_event,) = [e for e in seen if e.type == PUBLISHED]
    assert scheduled_event.time < published_event.time
    scheduled = scheduled_event.payload(PostScheduled)
    published = published_event.payload(PostPublished)
    assert str(scheduled.post_id) == str(published.post_id) == created.json()["id"]
    assert scheduled.change == "scheduled"
    assert published.scheduled_at == scheduled.scheduled_at
    assert published.published_at >= scheduled.scheduled_at
    # Polling every 0.2 s, a due post goes out well within a few seconds even on a busy machine.
    assert published.published_at - scheduled.scheduled_at < timedelta(seconds=3)
    assert published_event.correlationid == scheduled_event.correlationid
    assert final["status"] == "published"
    assert final["targets"][0]["external_id"] == published.external_id
    assert published.account_id == account.json()["id"]
