"""What goes out: a campaign's links carry UTM tags, media that cannot be fetched fail the target
with the fetcher's reason, and a network's variant replaces the post's text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, select, update

from beacon_shared.crypto import SecretBox
from beacon_shared.egress import EgressPolicy, EgressTransport
from beacon_shared.testing.fake_networks import NoNetwork
from publisher.accounts.models import account
from publisher.authoring.models import post
from publisher.campaigns import service as campaigns
from publisher.campaigns.models import campaign
from publisher.campaigns.schemas import CampaignIn
from publisher.connectors.models import sandbox_publication
from publisher.connectors.registry import built_in_registry
from publisher.delivery.models import post_target
from publisher.scheduling.scheduler import Scheduler, SchedulerConfig

pytestmark = pytest.mark.integration


def scheduler(sessionmaker) -> Scheduler:
    # The worker's client is the egress guard's; no network behind it here.
    http = httpx.AsyncClient(transport=EgressTransport(NoNetwork(), EgressPolicy(allow_http=True)))
    return Scheduler(
        sessionmaker=sessionmaker,
        connectors=built_in_registry(sessionmaker, http),
        config=SchedulerConfig(worker_id="content-test"),
        box=SecretBox(None, setting="PUBLISHER_CREDENTIALS_KEY"),
        http=http,
    )


async def set_post(sessionmaker, post_id, **values) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(update(post).where(post.c.id == post_id).values(**values))


async def published_text(sessionmaker, target_id) -> str:
    async with sessionmaker() as session:
        text: str = await session.scalar(
            select(sandbox_publication.c.text).where(
                sandbox_publication.c.idempotency_key == str(target_id)
            )
        )
    return text


async def target(sessionmaker, target_id):
    async with sessionmaker() as session:
        return (
            await session.execute(select(post_target).where(post_target.c.id == target_id))
        ).one()


async def test_a_campaigns_links_go_out_tagged_for_the_network(sessionmaker, seed_committed):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids
    async with sessionmaker() as session, session.begin():
        tenant_id = (await target(sessionmaker, target_id)).tenant_id
        row = await campaigns.create(
            session, tenant_id=tenant_id, body=CampaignIn(name="Winter Sale")
        )
    await set_post(
        sessionmaker,
        seeded.post_id,
        campaign_id=str(row.id),
        text="Sale starts now: https://shop.example/winter?ref=home",
        link="https://shop.example/landing",
    )
    try:
        await scheduler(sessionmaker).tick()
        text = await published_text(sessionmaker, target_id)
    finally:
        async with sessionmaker() as session, session.begin():
            await session.execute(delete(campaign).where(campaign.c.id == row.id))

    tags = (
        "utm_source=sandbox&utm_medium=social&utm_campaign=winter-sale"
        f"&utm_content={seeded.post_id}"
    )
    assert text == (
        f"Sale starts now: https://shop.example/winter?ref=home&{tags} "
        f"https://shop.example/landing?{tags}"
    )


async def test_a_networks_variant_replaces_the_posts_text(sessionmaker, seed_committed):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids
    await set_post(
        sessionmaker,
        seeded.post_id,
        text="The long version for everyone",
        variants={"sandbox": {"text": "Short for the sandbox"}, "x": {"text": "For X"}},
    )

    await scheduler(sessionmaker).tick()

    assert await published_text(sessionmaker, target_id) == "Short for the sandbox"


async def test_media_from_a_private_address_fail_the_target_with_the_reason(
    sessionmaker, seed_committed
):
    seeded = await seed_committed()
    (target_id,) = seeded.target_ids
    await set_post(
        sessionmaker,
        seeded.post_id,
        media=[{"url": "http://169.254.169.254/latest/meta-data/image.png"}],
    )

    await scheduler(sessionmaker).tick()

    row = await target(sessionmaker, target_id)
    assert (row.status, row.failure_kind) == ("failed", "media")
    assert "169.254.169.254" in row.error
    assert "not a public address" in row.error
    assert await published_text(sessionmaker, target_id) is None


async def test_a_paused_account_fails_its_target_without_publishing(sessionmaker, seed_committed):
    seeded = await seed_committed(due_at=datetime.now(UTC) - timedelta(seconds=1))
    (target_id,) = seeded.target_ids
    account_id = (await target(sessionmaker, target_id)).account_id
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(account).where(account.c.id == account_id).values(status="paused")
        )

    await scheduler(sessionmaker).tick()

    row = await target(sessionmaker, target_id)
    assert (row.status, row.failure_kind, row.error) == (
        "failed",
        "account",
        "the account is paused",
    )
    assert await published_text(sessionmaker, target_id) is None
