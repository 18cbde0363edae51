"""Ingest's worker on the real broker: each requested action is carried out and reported once."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import ActionCompleted
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.contracts.topics import ACTION_COMPLETED, ACTION_REQUESTED
from beacon_shared.events import Envelope, decode, encode, header
from beacon_shared.testing.plugin import eventually
from beacon_shared.testing.topic_probe import drain, probe
from beacon_shared.topics import ensure_topics
from beacon_shared.worker import run_worker
from ingest import worker
from ingest.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


async def test_requests_are_carried_out_and_completed_once_however_often_they_arrive(
    settings_for, kafka_bootstrap, tenant, make_request, stored
):
    thread = f"post-{uuid.uuid4().hex}"

    def envelope(request) -> Envelope:
        return Envelope.build(
            request, tenant_id=tenant, subject=str(request.action_id), source="/beacon/moderation"
        )

    reply = make_request(
        network=Network.sandbox,
        action=NetworkAction.reply,
        external_id="s-1",
        account_id=None,
        reply_text="Thanks!",
        thread_external_id=thread,
    )
    sentinel = make_request(
        network=Network.sandbox,
        action=NetworkAction.hide,
        external_id="s-2",
        account_id=None,
        thread_external_id=thread,
    )
    first = envelope(reply)
    again = envelope(reply)  # moderation published the same request twice
    off_contract = encode(
        first.model_copy(update={"id": uuid.uuid4(), "data": {**first.data, "action": "ban"}})
    )
    await ensure_topics(kafka_bootstrap, [ACTION_REQUESTED, ACTION_COMPLETED])
    settings = settings_for(
        Settings, worker_port=0, poll_enabled=False, action_interval_seconds=0.1
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, worker.spec(), stop, serve_http=False))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
    completed = await probe(kafka_bootstrap, ACTION_COMPLETED)
    dead = await probe(kafka_bootstrap, ACTION_REQUESTED.dlq)
    await producer.start()
    try:
        for value in (encode(first), off_contract, encode(first), encode(again)):
            await producer.send_and_wait(ACTION_REQUESTED.name, value=value, key=thread.encode())
        await producer.send_and_wait(
            ACTION_REQUESTED.name, value=encode(envelope(sentinel)), key=thread.encode()
        )
        events: dict[str, list[ConsumerRecord]] = {}
        letters: list[ConsumerRecord] = []

        async def sentinel_completed() -> bool:
            for record in await drain(completed):
                events.setdefault(str(decode(record.value).data["action_id"]), []).append(record)
            letters.extend(r for r in await drain(dead) if r.value == off_contract)
            return str(sentinel.action_id) in events and len(letters) == 1

        await eventually(sentinel_completed, timeout=30)
        await asyncio.sleep(0.5)  # anything doubled would have followed by now
        await sentinel_completed()

        (record,) = events[str(reply.action_id)]
        assert record.key == thread.encode()
        done = decode(record.value)
        assert done.causationid == str(first.id)
        payload = done.payload(ActionCompleted)
        assert payload.outcome == "succeeded"
        assert payload.reply_external_id == f"sandbox-reply-{reply.action_id}"
        assert len(events[str(sentinel.action_id)]) == 1
        assert header(letters[0].headers, "dlq.consumer") == "ingest.actions"
        assert (await stored(reply.action_id)).attempts == 1
    finally:
        stop.set()
        await producer.stop()
        await completed.stop()
        await dead.stop()
        await running
