"""With the broker down, ingest keeps accepting; everything is emitted once it is back."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from beacon_shared.embedded import EmbeddedBroker, free_port
from beacon_shared.testing.plugin import eventually
from beacon_shared.worker import run_worker
from ingest import worker
from ingest.config import Settings
from ingest.main import create_app

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.slow]


def comment(n: int) -> dict[str, object]:
    return {
        "kind": "comment",
        "external_id": f"outage-{n}",
        "thread_external_id": "post-1",
        "author": {"network_id": "u-1"},
        "text": f"comment {n}",
        "created_at": "2026-11-24T10:00:00Z",
    }


async def test_deliveries_during_an_outage_are_accepted_then_emitted_once(
    settings_for, api_client, issue_api_key, unique, kafka_idempotence
):
    if kafka_idempotence:
        pytest.skip("needs the embedded broker: the test stops and starts its own")
    tenant = unique("tenant")
    key = await issue_api_key(tenant)
    port = free_port()  # nothing listens here yet: the broker is down
    settings = settings_for(
        Settings,
        kafka_bootstrap=f"127.0.0.1:{port}",
        # No network polling: tests never leave the machine.
        poll_enabled=False,
        metrics_poll_enabled=False,
    )
    stop = asyncio.Event()
    broker: EmbeddedBroker | None = None
    running = asyncio.create_task(run_worker(settings, worker.spec(), stop, serve_http=False))
    try:
        async with api_client(create_app(settings), key=key.key) as http:
            ready = await http.get("/readyz")
            accepted = [await http.post("/v1/interactions", json=comment(n)) for n in range(20)]
            again = await http.post("/v1/interactions", json=comment(0))
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "database": True, "broker": False}
        assert {r.status_code for r in accepted} == {202}
        assert again.json()["duplicate"] is True
        assert not running.done()  # the worker waits for the broker instead of failing

        broker = EmbeddedBroker(port=port).start()
        consumer = AIOKafkaConsumer(
            "comment.received",
            bootstrap_servers=broker.bootstrap,
            group_id=unique("probe"),
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
        )

        async def topic_created() -> bool:
            admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
            await admin.start()
            try:
                return "comment.received" in await admin.list_topics()
            finally:
                await admin.close()

        # Subscribing first would auto-create the topic with the broker's default partitions.
        await eventually(topic_created, timeout=30, interval=0.5)
        await consumer.start()
        seen: list[str] = []

        async def all_emitted() -> bool:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    value = orjson.loads(record.value)
                    if value["tenantid"] == tenant:
                        seen.append(value["data"]["external_id"])
            return len(seen) >= 20

        try:
            await eventually(all_emitted, timeout=60)
            await asyncio.sleep(1)
            await all_emitted()
        finally:
            await consumer.stop()
        assert sorted(seen) == sorted(f"outage-{n}" for n in range(20))
    finally:
        stop.set()
        await running
        if broker is not None:
            broker.stop()
