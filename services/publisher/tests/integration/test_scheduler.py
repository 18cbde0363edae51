"""The scheduler publishes due targets once and records what happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import PostPublished
from beacon_shared.events import decode
from publisher.connectors.base import (
    PermanentFailure,
    PublishContent,
    PublishResult,
    PublishTarget,
)
from publisher.connectors.models import sandbox_publication
from publisher.connectors.registry import ConnectorRegistry, built_in_registry
from publisher.db import outbox
from publisher.posts.models import post, post_target
from publisher.scheduling.scheduler import Scheduler, SchedulerConfig

pytestmark = pytest.mark.integration


class RefusingNetwork:
    """A network that refuses every post."""

    network = Network.sandbox

    async def publish(
        self, target: PublishTarget, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        raise PermanentFailure("the account was disconnected from the network")


class SilentNetwork:
    """A network that never answers in time."""

    network = Network.sandbox

    async def publish(
        self, target: PublishTarget, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        raise TimeoutError


def scheduler(sessionmaker, connectors=None, **config) -> Scheduler:
    return Scheduler(
        sessionmaker=sessionmaker,
        connectors=connectors or built_in_registry(sessionmaker),
        config=SchedulerConfig(worker_id="test-worker", **config),
    )


async def published_events(engine, post_id) -> list[PostPublished]:
    async with engine.connect() as conn:
        values = (
            await conn.execute(
                select(outbox.c.value).where(
                    outbox.c.key == str(post_id), outbox.c.topic == "post.published"
                )
            )
        ).scalars()
        return [decode(v).payload(PostPublished) for v in values]


async def target_row(engine, target_id):
    async with engine.connect() as conn:
        return (await conn.execute(select(post_target).where(post_target.c.id == target_id))).one()


async def test_a_due_target_is_published_once_and_its_event_staged_once(
    sessionmaker, engine, seed_committed
):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids
    jobs = scheduler(sessionmaker)

    await jobs.tick()
    await jobs.tick()

    row = await target_row(engine, target_id)
    assert row.status == "published"
    assert row.published_at >= row.due_at
    async with engine.connect() as conn:
        network = (
            await conn.execute(
                select(sandbox_publication).where(
                    sandbox_publication.c.idempotency_key == str(target_id)
                )
            )
        ).one()
        post_status = await conn.scalar(select(post.c.status).where(post.c.id == seeded.post_id))
    assert (row.external_id, row.url) == (network.external_id, network.url)
    assert post_status == "published"
    (event,) = await published_events(engine, seeded.post_id)
    assert (event.target_id, event.external_id) == (target_id, row.external_id)
    assert event.published_at >= event.scheduled_at


async def test_a_republish_after_a_lost_lease_reuses_the_network_post(
    sessionmaker, engine, seed_committed
):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids
    sandbox = built_in_registry(sessionmaker).get(Network.sandbox)
    # A worker published, then died before recording it; its lease has run out.
    first = await sandbox.publish(
        PublishTarget(target_id, "t", "acct-0", Network.sandbox),
        PublishContent(text="Launch day!"),
        str(target_id),
    )
    async with sessionmaker() as session, session.begin():
        await session.execute(
            post_target.update()
            .where(post_target.c.id == target_id)
            .values(
                status="publishing",
                attempts=1,
                claimed_by="crashed",
                lease_until=datetime.now(UTC) - timedelta(seconds=1),
            )
        )

    await scheduler(sessionmaker).tick()

    row = await target_row(engine, target_id)
    assert (row.status, row.attempts, row.external_id) == ("published", 2, first.external_id)
    assert len(await published_events(engine, seeded.post_id)) == 1


async def test_a_refused_post_fails_with_the_networks_reason_and_no_event(
    sessionmaker, engine, seed_committed
):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids

    await scheduler(sessionmaker, ConnectorRegistry([RefusingNetwork()])).tick()

    row = await target_row(engine, target_id)
    assert row.status == "failed"
    assert row.error == "the account was disconnected from the network"
    assert await published_events(engine, seeded.post_id) == []


async def test_an_unanswered_publish_is_retried_later_then_given_up(
    sessionmaker, engine, seed_committed
):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids
    jobs = scheduler(
        sessionmaker,
        ConnectorRegistry([SilentNetwork()]),
        max_attempts=2,
        retry_backoff=timedelta(0),
    )

    await jobs.tick()
    after_first = await target_row(engine, target_id)
    await jobs.tick()
    after_second = await target_row(engine, target_id)

    assert (after_first.status, after_first.attempts) == ("scheduled", 1)
    assert "outcome unknown" in after_first.error
    assert (after_second.status, after_second.attempts) == ("failed", 2)
    assert after_second.error.startswith("gave up after 2 attempts")


async def test_the_publish_lag_is_how_long_the_oldest_due_target_has_waited(
    sessionmaker, seed_committed
):
    await seed_committed(due_at=datetime.now(UTC) - timedelta(seconds=30))

    lag = await scheduler(sessionmaker).update_lag()

    assert lag >= 30
    assert REGISTRY.get_sample_value("beacon_publisher_publish_lag_seconds") == lag
