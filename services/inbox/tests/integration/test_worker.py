"""The inbox's worker on the real broker: interactions and decisions filed, snoozes ended, the
status counts' changes folded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, update

from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import CommentModerated, ModerationAction
from beacon_shared.contracts.topics import COMMENT_MODERATED, COMMENT_RECEIVED
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope, encode
from beacon_shared.testing.plugin import eventually
from beacon_shared.topics import ensure_topics
from beacon_shared.worker import run_worker
from inbox import worker
from inbox.config import Settings
from inbox.conversations import service
from inbox.conversations.models import conversation, message, status_count_change

pytestmark = pytest.mark.integration


async def snooze(engine, conversation_id, until):
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(conversation)
            .where(conversation.c.id == conversation_id)
            .values(status="snoozed", snoozed_until=until)
        )


async def statuses(engine, tenant):
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(conversation.c.thread_external_id, conversation.c.status).where(
                conversation.c.tenant_id == tenant
            )
        )
        return {row.thread_external_id: row.status for row in rows}


async def test_a_snooze_ends_at_its_time_and_not_before(engine, unique, receive):
    tenant = unique("tenant")
    now = datetime.now(UTC)
    soon = await receive(tenant, "call me in an hour", thread_external_id="p-soon")
    later = await receive(tenant, "call me tomorrow", thread_external_id="p-later")
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(message.c.interaction_id, message.c.conversation_id).where(
                message.c.tenant_id == tenant
            )
        )
        ids = {row.interaction_id: row.conversation_id for row in rows}
    await snooze(engine, ids[soon.interaction_id], now + timedelta(hours=1))
    await snooze(engine, ids[later.interaction_id], now + timedelta(days=1))

    async with create_sessionmaker(engine)() as session, session.begin():
        assert await service.wake_snoozed(session, now=now + timedelta(minutes=59)) == 0
    assert await statuses(engine, tenant) == {"p-soon": "snoozed", "p-later": "snoozed"}
    async with create_sessionmaker(engine)() as session, session.begin():
        await service.wake_snoozed(session, now=now + timedelta(hours=1))
    assert await statuses(engine, tenant) == {"p-soon": "open", "p-later": "snoozed"}


@pytest.mark.kafka
async def test_the_worker_files_interactions_and_decisions_ends_snoozes_and_folds_counts(
    settings_for, engine, unique, kafka_bootstrap, comment_for, receive
):
    tenant = unique("tenant")
    thread = unique("post")
    received = comment_for("Mon colis est arrivé abîmé", thread_external_id=thread)
    private = comment_for(
        "Can I change my address?",
        kind=InteractionKind.direct_message,
        thread_external_id=unique("dm"),
    )
    decided = {
        "decision_id": "5f0c7a0e-8f5e-4b8e-9d63-0d2f5f1a2b3c",
        "interaction_id": str(received.interaction_id),
        "brand_id": received.brand_id,
        "network": received.network.value,
        "external_id": received.external_id,
        "action": ModerationAction.flag.value,
        "decided_by": "rule:default.toxic",
        "decided_at": datetime.now(UTC).isoformat(),
        "language": "fr",
    }
    # Snoozed until a second from now: the worker's alarm opens it again.
    waiting = await receive(tenant, "ping me later", thread_external_id=unique("post"))
    async with engine.connect() as conn:
        waiting_id = await conn.scalar(
            select(message.c.conversation_id).where(
                message.c.interaction_id == waiting.interaction_id
            )
        )
    await snooze(engine, waiting_id, datetime.now(UTC) + timedelta(seconds=1))

    await ensure_topics(kafka_bootstrap, [COMMENT_RECEIVED, COMMENT_MODERATED])
    settings = settings_for(Settings, worker_port=0, snooze_poll_seconds=0.2)
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, worker.spec(), stop, serve_http=False))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for comment in (received, private):
            value = encode(
                Envelope.build(
                    comment,
                    tenant_id=tenant,
                    subject=str(comment.interaction_id),
                    source="/beacon/ingest",
                )
            )
            await producer.send_and_wait(COMMENT_RECEIVED.name, value=value, key=thread.encode())
        decision = Envelope.build(
            CommentModerated.model_validate(decided),
            tenant_id=tenant,
            subject=decided["decision_id"],
            source="/beacon/moderation",
        )
        await producer.send_and_wait(
            COMMENT_MODERATED.name, value=encode(decision), key=thread.encode()
        )

        async def filed():
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(conversation).where(conversation.c.tenant_id == tenant)
                    )
                ).all()
                language = await conn.scalar(
                    select(message.c.language).where(
                        message.c.interaction_id == received.interaction_id
                    )
                )
                unfolded = await conn.scalar(
                    select(func.count())
                    .select_from(status_count_change)
                    .where(status_count_change.c.tenant_id == tenant)
                )
            by_kind = {row.kind: row for row in rows if row.id != waiting_id}
            woken = next(row.status for row in rows if row.id == waiting_id) == "open"
            flagged = "comment" in by_kind and by_kind["comment"].review_count == 1
            seen.update(
                kinds=sorted(by_kind),
                flagged=flagged,
                language=language,
                woken=woken,
                unfolded=unfolded,
            )
            return len(by_kind) == 2 and flagged and language == "fr" and woken and unfolded == 0

        seen: dict[str, object] = {}
        try:
            await eventually(filed, timeout=60)
        except AssertionError as failed:
            raise AssertionError(f"the worker did not file everything: {seen}") from failed
    finally:
        await producer.stop()
        stop.set()
        await running
