"""Ingest's worker relays staged interactions to Kafka, once each."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer

from beacon_shared.events import decode
from beacon_shared.testing.plugin import eventually
from beacon_shared.worker import run_worker
from ingest import worker
from ingest.config import Settings
from ingest.main import create_app

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


async def test_accepted_comments_reach_comment_received(
    settings_for, api_client, issue_api_key, unique, kafka_bootstrap
):
    tenant = unique("tenant")
    key = await issue_api_key(tenant)
    # No network polling: tests never leave the machine.
    settings = settings_for(Settings, worker_port=0, poll_enabled=False, metrics_poll_enabled=False)
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, worker.spec(), stop, serve_http=False))
    consumer = AIOKafkaConsumer(
        "comment.received",
        bootstrap_servers=kafka_bootstrap,
        group_id=unique("probe"),
        auto_offset_reset="earliest",
    )
    try:
        async with api_client(create_app(settings), key=key.key) as http:
            for n in range(3):
                body = {
                    "kind": "comment",
                    "external_id": f"c-{n}",
                    "thread_external_id": "p-1",
                    "author": {"network_id": "u"},
                    "text": "hi",
                    "created_at": "2026-11-24T10:00:00Z",
                }
                assert (await http.post("/v1/interactions", json=body)).status_code == 202
                assert (await http.post("/v1/interactions", json=body)).json()["duplicate"]
        await consumer.start()
        seen: list[str] = []

        async def collected() -> bool:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                seen.extend(
                    decode(r.value).data["external_id"]
                    for r in records
                    if decode(r.value).tenantid == tenant
                )
            return len(seen) >= 3

        await eventually(collected, timeout=20)
        await asyncio.sleep(0.5)
        await collected()
        assert sorted(seen) == ["c-0", "c-1", "c-2"]
    finally:
        stop.set()
        await consumer.stop()
        await running
