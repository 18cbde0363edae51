"""The scheduler publishes due targets once and records what happened."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import PostPublished
from beacon_shared.crypto import SecretBox
from beacon_shared.events import decode
from beacon_shared.network_calls import Refused
from beacon_shared.testing.fake_networks import NoNetwork
from publisher.authoring.models import post
from publisher.connectors.base import Account, PublishContent, PublishResult, RecentPost
from publisher.connectors.models import sandbox_publication
from publisher.connectors.registry import ConnectorRegistry, built_in_registry
from publisher.db import outbox
from publisher.delivery.models import post_target
from publisher.scheduling.scheduler import Scheduler, SchedulerConfig

pytestmark = pytest.mark.integration


class RefusingNetwork:
    """A network that refuses every post."""

    network: ClassVar[Network] = Network.sandbox
    idempotency_window: ClassVar[timedelta | None] = None

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        raise Refused("the account was disconnected from the network")

    async def recent_posts(self, account: Account, since: datetime) -> list[RecentPost]:
        return []


class SilentNetwork(RefusingNetwork):
    """A network that never answers in time, and never lists anything: nothing went out."""

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        raise TimeoutError


def scheduler(sessionmaker, connectors=None, **config) -> Scheduler:
    http = httpx.AsyncClient(transport=NoNetwork())
    return Scheduler(
        sessionmaker=sessionmaker,
        connectors=connectors or built_in_registry(sessionmaker, http),
        config=SchedulerConfig(worker_id="test-worker", **config),
        box=SecretBox(None, setting="PUBLISHER_CREDENTIALS_KEY"),
        http=http,
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
    # The seeded account's network id (`acct-0-<hex>`), for analytics' per-account figures.
    assert (event.external_account_id or "").startswith("acct-0-")


async def test_a_republish_after_a_lost_lease_reuses_the_network_post(
    sessionmaker, engine, seed_committed
):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids
    sandbox = built_in_registry(sessionmaker, httpx.AsyncClient(transport=NoNetwork())).get(
        Network.sandbox
    )
    account_id = uuid.UUID((await target_row(engine, target_id)).account_id)
    # A worker published, then died before recording it; its lease has run out.
    first = await sandbox.publish(
        Account(account_id, "t", Network.sandbox, "acct-0", None, None, {}),
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

    jobs = scheduler(sessionmaker)
    await jobs.tick()
    held = await target_row(engine, target_id)
    await jobs.reconcile()

    # The lost worker's outcome is unknown: the post is looked for before anything is resent.
    assert held.status == "unconfirmed"
    row = await target_row(engine, target_id)
    assert (row.status, row.attempts, row.external_id) == ("published", 1, first.external_id)
    (event,) = await published_events(engine, seeded.post_id)
    assert event.confirmed_by == "reconciled"
    assert (event.external_account_id or "").startswith("acct-0-")


async def test_a_refused_post_fails_with_the_networks_reason_and_no_event(
    sessionmaker, engine, seed_committed
):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids

    await scheduler(sessionmaker, ConnectorRegistry([RefusingNetwork()])).tick()

    row = await target_row(engine, target_id)
    assert (row.status, row.failure_kind) == ("failed", "refused")
    assert row.error == "Refused: the account was disconnected from the network"
    assert await published_events(engine, seeded.post_id) == []


async def test_an_unanswered_publish_is_reconciled_before_it_is_sent_again_then_given_up(
    sessionmaker, engine, seed_committed
):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids
    jobs = scheduler(
        sessionmaker,
        ConnectorRegistry([SilentNetwork()]),
        max_attempts=2,
        retry_backoff=timedelta(0),
        reconcile_delay=timedelta(0),
        reconcile_settle=timedelta(0),
    )

    await jobs.tick()
    unconfirmed = await target_row(engine, target_id)
    await jobs.tick()
    still_held = await target_row(engine, target_id)
    await jobs.reconcile()
    not_found = await target_row(engine, target_id)
    await jobs.tick()
    await jobs.reconcile()
    given_up = await target_row(engine, target_id)

    assert (unconfirmed.status, unconfirmed.attempts) == ("unconfirmed", 1)
    assert "outcome unknown" in unconfirmed.error
    # Nothing is sent while the outcome is unknown.
    assert (still_held.status, still_held.attempts) == ("unconfirmed", 1)
    # Not among the account's posts: safe to send again.
    assert (not_found.status, not_found.attempts) == ("scheduled", 1)
    assert (given_up.status, given_up.attempts, given_up.failure_kind) == (
        "failed",
        2,
        "exhausted",
    )
    assert given_up.error.startswith("gave up after 2 attempts")


async def test_the_publish_lag_is_how_long_the_oldest_due_target_has_waited(
    sessionmaker, seed_committed
):
    await seed_committed(due_at=datetime.now(UTC) - timedelta(seconds=30))

    lag = await scheduler(sessionmaker).update_lag()

    assert lag >= 30
    assert REGISTRY.get_sample_value("beacon_publisher_publish_lag_seconds") == lag


class SlowNetwork(RefusingNetwork):
    """Answers after a while, as a real network does."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        self.started.set()
        await asyncio.sleep(0.5)
        return PublishResult(external_id=f"slow-{idempotency_key}")


async def test_on_stop_the_calls_in_flight_finish_and_are_recorded(
    sessionmaker, engine, seed_committed
):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids
    network = SlowNetwork()
    jobs = scheduler(sessionmaker, ConnectorRegistry([network]), poll_seconds=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(jobs.run(stop))

    await asyncio.wait_for(network.started.wait(), timeout=10)
    stop.set()
    await asyncio.wait_for(running, timeout=10)

    row = await target_row(engine, target_id)
    assert (row.status, row.external_id) == ("published", f"slow-{target_id}")
    (event,) = await published_events(engine, seeded.post_id)
    assert event.external_id == row.external_id


async def test_a_lost_claim_the_network_never_got_is_sent_again_at_once_under_its_key(
    sessionmaker, engine, seed_committed
):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids
    # A worker claimed it and died before sending; its lease has run out.
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
    # The sandbox dedupes by key, so no settle time is waited out (it would be an hour here).
    jobs = scheduler(sessionmaker, reconcile_settle=timedelta(hours=1))

    await jobs.sweep()
    await jobs.reconcile()
    requeued = await target_row(engine, target_id)
    await jobs.tick()

    assert requeued.status == "scheduled"
    row = await target_row(engine, target_id)
    assert (row.status, row.attempts) == ("published", 2)
    assert len(await published_events(engine, seeded.post_id)) == 1
