"""campaign.changed and post.published into ROI's tables: latest version wins, replays and
out-of-order versions change nothing, old utm_campaigns stay the campaign's."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiokafka import TopicPartition
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.roi import repository
from analytics.roi.consumer import roi_consumer
from analytics.roi.handlers import campaign_changed, post_published
from analytics.roi.models import campaign, campaign_publication, utm_claim
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import CampaignChanged, PostPublished
from beacon_shared.events import Envelope, MalformedEvent

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def changed(
    tenant_id: str, campaign_id: uuid.UUID, *, at: datetime = T0, **values: object
) -> Envelope:
    payload = CampaignChanged.model_validate(
        {
            "campaign_id": campaign_id,
            "name": "Spring Sale",
            "kind": "promotion",
            "utm_campaign": "spring",
            "utm_medium": "social",
            "cost_amount": "1000.00",
            "currency": "EUR",
            "changed_at": at,
            **values,
        }
    )
    return Envelope.build(
        payload, tenant_id=tenant_id, subject=str(campaign_id), source="/beacon/publisher"
    )


def published(
    tenant_id: str,
    campaign_id: object,
    *,
    network: Network = Network.x,
    post_id: uuid.UUID | None = None,
    target_id: uuid.UUID | None = None,
) -> Envelope:
    payload = PostPublished(
        post_id=post_id or uuid.uuid4(),
        target_id=target_id or uuid.uuid4(),
        campaign_id=str(campaign_id) if campaign_id is not None else None,
        account_id="acc",
        network=network,
        external_id=uuid.uuid4().hex,
        scheduled_at=T0,
        published_at=T0,
    )
    return Envelope.build(payload, tenant_id=tenant_id, subject="p", source="/beacon/publisher")


@pytest.fixture
def tenant(unique) -> str:
    return unique("tenant")


async def stored(session: AsyncSession, tenant_id: str, campaign_id: uuid.UUID):
    return (
        await session.execute(
            select(campaign).where(
                campaign.c.tenant_id == tenant_id, campaign.c.campaign_id == campaign_id
            )
        )
    ).one()


async def claims(session: AsyncSession, tenant_id: str) -> dict[str, datetime]:
    rows = await session.execute(
        select(utm_claim.c.utm_campaign, utm_claim.c.claimed_at).where(
            utm_claim.c.tenant_id == tenant_id
        )
    )
    return {row.utm_campaign: row.claimed_at for row in rows}


class TestCampaignChanged:
    async def test_a_new_campaign_is_stored_whole(self, db_session, tenant):
        campaign_id = uuid.uuid4()
        await campaign_changed(
            db_session,
            [
                changed(
                    tenant,
                    campaign_id,
                    brand_id="brand-a",
                    starts_at=T0,
                    ends_at=T0 + timedelta(days=7),
                    archived=True,
                )
            ],
        )

        row = await stored(db_session, tenant, campaign_id)
        assert (row.name, row.kind, row.brand_id, row.utm_campaign, row.utm_medium) == (
            "Spring Sale",
            "promotion",
            "brand-a",
            "spring",
            "social",
        )
        assert (row.cost_amount, row.currency, row.archived) == (Decimal("1000.00"), "EUR", True)
        assert (row.starts_at, row.ends_at) == (T0, T0 + timedelta(days=7))
        assert row.created_at == row.changed_at == T0

    async def test_a_later_version_replaces_the_stored_one(self, db_session, tenant):
        campaign_id = uuid.uuid4()
        await campaign_changed(db_session, [changed(tenant, campaign_id)])
        await campaign_changed(
            db_session,
            [changed(tenant, campaign_id, at=T0 + timedelta(hours=1), cost_amount="1200.50")],
        )

        row = await stored(db_session, tenant, campaign_id)
        assert (row.cost_amount, row.changed_at, row.created_at) == (
            Decimal("1200.50"),
            T0 + timedelta(hours=1),
            T0,
        )

    async def test_an_older_version_arriving_late_changes_nothing_but_the_creation_time(
        self, db_session, tenant
    ):
        campaign_id = uuid.uuid4()
        later = T0 + timedelta(hours=2)
        await campaign_changed(
            db_session, [changed(tenant, campaign_id, at=later, name="Final name")]
        )
        await campaign_changed(db_session, [changed(tenant, campaign_id, name="First name")])

        row = await stored(db_session, tenant, campaign_id)
        assert (row.name, row.changed_at) == ("Final name", later)
        assert row.created_at == T0

    async def test_versions_in_one_batch_keep_the_latest_whatever_their_order(
        self, db_session, tenant
    ):
        campaign_id = uuid.uuid4()
        await campaign_changed(
            db_session,
            [
                changed(tenant, campaign_id, at=T0 + timedelta(hours=3), name="Third"),
                changed(tenant, campaign_id, at=T0, name="First"),
                changed(tenant, campaign_id, at=T0 + timedelta(hours=1), name="Second"),
            ],
        )

        row = await stored(db_session, tenant, campaign_id)
        assert (row.name, row.created_at) == ("Third", T0)

    async def test_every_utm_campaign_it_had_stays_claimed(self, db_session, tenant):
        campaign_id = uuid.uuid4()
        renamed = T0 + timedelta(days=1)
        await campaign_changed(
            db_session, [changed(tenant, campaign_id, at=renamed, utm_campaign="summer")]
        )
        await campaign_changed(db_session, [changed(tenant, campaign_id, utm_campaign="spring")])

        assert await claims(db_session, tenant) == {"summer": renamed, "spring": T0}
        assert (await stored(db_session, tenant, campaign_id)).utm_campaign == "summer"

    async def test_a_cost_that_is_no_amount_is_a_malformed_event(self, db_session, tenant):
        with pytest.raises(MalformedEvent):
            await campaign_changed(db_session, [changed(tenant, uuid.uuid4(), cost_amount="lots")])
        with pytest.raises(MalformedEvent):
            await campaign_changed(
                db_session, [changed(tenant, uuid.uuid4(), cost_amount="10", currency=None)]
            )

    async def test_a_batch_larger_than_one_statement_is_stored_whole(
        self, db_session, tenant, monkeypatch
    ):
        monkeypatch.setattr(repository, "CHUNK_ROWS", 2)
        ids = [uuid.uuid4() for _ in range(5)]
        await campaign_changed(
            db_session, [changed(tenant, i, utm_campaign=f"c{n}") for n, i in enumerate(ids)]
        )

        assert [(await stored(db_session, tenant, i)).utm_campaign for i in ids] == [
            f"c{n}" for n in range(5)
        ]
        assert set(await claims(db_session, tenant)) == {f"c{n}" for n in range(5)}

    async def test_tenants_are_kept_apart(self, db_session, tenant, unique):
        campaign_id = uuid.uuid4()
        other = unique("other")
        await campaign_changed(
            db_session,
            [changed(tenant, campaign_id), changed(other, campaign_id, name="Theirs")],
        )

        assert (await stored(db_session, tenant, campaign_id)).name == "Spring Sale"
        assert (await stored(db_session, other, campaign_id)).name == "Theirs"


class TestPostPublished:
    async def publications(self, session: AsyncSession, tenant_id: str):
        rows = await session.execute(
            select(campaign_publication.c.campaign_id, campaign_publication.c.network).where(
                campaign_publication.c.tenant_id == tenant_id
            )
        )
        return sorted((row.campaign_id, row.network) for row in rows)

    async def test_campaign_publications_are_kept_once_per_target(self, db_session, tenant):
        campaign_id, target_id = uuid.uuid4(), uuid.uuid4()
        await post_published(
            db_session,
            [
                published(tenant, campaign_id, target_id=target_id),
                published(tenant, campaign_id, network=Network.facebook),
                published(tenant, None),
                published(tenant, "not-a-uuid"),
            ],
        )
        # The same publication again (a reconciliation found it): no second row.
        await post_published(db_session, [published(tenant, campaign_id, target_id=target_id)])

        assert await self.publications(db_session, tenant) == [
            (campaign_id, "facebook"),
            (campaign_id, "x"),
        ]


class TestThroughTheConsumerRunner:
    """A replayed topic changes nothing: the inbox drops the events already handled."""

    @pytest.fixture
    def runner(self, runner_for):
        return runner_for(roi_consumer())

    async def test_replaying_both_topics_changes_nothing(self, runner, records, db_session, tenant):
        campaign_id = uuid.uuid4()
        campaigns = [
            changed(tenant, campaign_id),
            changed(tenant, campaign_id, at=T0 + timedelta(hours=1), name="Renamed"),
        ]
        posts = [published(tenant, campaign_id), published(tenant, campaign_id)]
        batches = {
            TopicPartition("campaign.changed", 0): records("campaign.changed", campaigns),
            TopicPartition("post.published", 0): records("post.published", posts),
        }
        stop = asyncio.Event()

        await runner._process(batches, stop)
        first = (await stored(db_session, tenant, campaign_id), await claims(db_session, tenant))
        await runner._process(batches, stop)

        assert first[0].name == "Renamed"
        assert (
            await stored(db_session, tenant, campaign_id),
            await claims(db_session, tenant),
        ) == (first)
        count = await db_session.scalar(
            select(func.count())
            .select_from(campaign_publication)
            .where(campaign_publication.c.tenant_id == tenant)
        )
        assert count == 2


def test_the_worker_runs_the_roi_consumer_group():
    from analytics import worker

    [roi] = [c for c in worker.spec().consumers if c.group_id == "analytics.roi"]
    assert set(roi.topics) == {"campaign.changed", "post.published"}
    assert roi.handles("publisher.campaign.changed")
