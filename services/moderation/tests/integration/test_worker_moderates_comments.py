"""Moderation's worker on the real broker: comments decided once, bad records dead-lettered."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from sqlalchemy import select

from beacon_shared.contracts.moderation import CommentModerated
from beacon_shared.contracts.topics import COMMENT_MODERATED, COMMENT_RECEIVED
from beacon_shared.events import decode, encode, header
from beacon_shared.testing.plugin import eventually
from beacon_shared.testing.topic_probe import drain, probe
from beacon_shared.topics import ensure_topics
from beacon_shared.worker import run_worker
from moderation import worker
from moderation.config import Settings
from moderation.decisions.models import decision

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


async def test_comments_are_decided_once_and_malformed_records_go_to_the_dlq(
    settings_for, engine, unique, kafka_bootstrap, comment, envelope_of
):
    tenant = unique("tenant")
    garbage = f"not json {tenant}".encode()
    thread = unique("post")
    spam = envelope_of(comment("Join my smm panel", thread_external_id=thread), tenant_id=tenant)
    broken = {**spam.data, "interaction_id": "x"}
    off_contract = encode(spam.model_copy(update={"id": uuid.uuid4(), "data": broken}))
    # Same thread, so it follows the others on their partition: once it is done, they are.
    sentinel = envelope_of(comment("Is it in stock?", thread_external_id=thread), tenant_id=tenant)
    await ensure_topics(kafka_bootstrap, [COMMENT_RECEIVED, COMMENT_MODERATED])

    settings = settings_for(Settings, worker_port=0)
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, worker.spec(), stop, serve_http=False))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
    moderated = await probe(kafka_bootstrap, COMMENT_MODERATED)
    dead = await probe(kafka_bootstrap, COMMENT_RECEIVED.dlq)
    await producer.start()
    try:
        for value in (garbage, encode(spam), off_contract, encode(spam), encode(sentinel)):
            await producer.send_and_wait(COMMENT_RECEIVED.name, value=value, key=thread.encode())

        events: dict[str, list[ConsumerRecord]] = {}
        letters: list[ConsumerRecord] = []

        async def sentinel_moderated() -> bool:
            for record in await drain(moderated):
                interaction = str(decode(record.value).data["interaction_id"])
                events.setdefault(interaction, []).append(record)
            letters.extend(r for r in await drain(dead) if r.value in (garbage, off_contract))
            return str(sentinel.data["interaction_id"]) in events and len(letters) == 2

        await eventually(sentinel_moderated, timeout=30)

        async with engine.connect() as conn:
            rows = await conn.execute(select(decision).where(decision.c.tenant_id == tenant))
            stored = {str(row.interaction_id): row for row in rows}
        assert set(stored) == {
            str(spam.data["interaction_id"]),
            str(sentinel.data["interaction_id"]),
        }
        spam_decision = stored[str(spam.data["interaction_id"])]
        assert spam_decision.action == "hide"
        (event,) = events[str(spam.data["interaction_id"])]
        assert event.key == thread.encode()
        envelope = decode(event.value)
        assert envelope.causationid == str(spam.id)
        assert envelope.payload(CommentModerated).decision_id == spam_decision.id
        assert [letter.value for letter in letters] == [garbage, off_contract]
        for letter in letters:
            assert header(letter.headers, "dlq.reason") == "malformed"
            assert header(letter.headers, "dlq.consumer") == "moderation.comments"
        assert "CommentReceived" in (header(letters[1].headers, "dlq.error") or "")
    finally:
        stop.set()
        await producer.stop()
        await moderated.stop()
        await dead.stop()
        await running
