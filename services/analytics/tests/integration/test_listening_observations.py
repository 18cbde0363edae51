"""Observed post metrics become per-post latest totals and per-day account aggregates, counted
once: later readings add only their difference, replays and stale readings change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from aiokafka import TopicPartition
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.brands import service as brands
from analytics.listening.handlers import listening_consumer, post_metrics_observed
from analytics.listening.models import account_engagement_day, observed_post, term_hour
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import PostMetricsObserved
from beacon_shared.events import Envelope, MalformedEvent

pytestmark = pytest.mark.integration

PUBLISHED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SEEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Observations:
    """post.metrics.observed envelopes of one tenant, as ingest's poller builds them."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id

    def of(
        self,
        post: str = "p-1",
        *,
        likes: int | None = 1,
        comments: int | None = 0,
        shares: int | None = 0,
        at: datetime = SEEN,
        owner: str = "own",
        brand_id: str | None = "brand-a",
        account: str = "acc-own",
        published: datetime = PUBLISHED,
        text: str = "",
        competitor_id: str | None = None,
        network: Network = Network.mastodon,
    ) -> Envelope:
        payload = PostMetricsObserved(
            brand_id=brand_id,
            network=network,
            account_external_id=account,
            account_handle=f"{account}@example",
            owner=owner,
            competitor_id=competitor_id,
            post_external_id=post,
            text=text,
            post_created_at=published,
            likes=likes,
            comments=comments,
            shares=shares,
            observed_at=at,
        )
        return Envelope.build(
            payload, tenant_id=self.tenant_id, subject=post, source="/beacon/ingest"
        )


@pytest.fixture
def observe(unique) -> Observations:
    return Observations(unique("tenant"))


async def days(session: AsyncSession, tenant_id: str) -> dict[tuple[str, str, str, date], tuple]:
    d = account_engagement_day.c
    rows = await session.execute(select(account_engagement_day).where(d.tenant_id == tenant_id))
    return {
        (r.brand_id, r.owner, r.account_external_id, r.day): (
            r.posts,
            r.likes,
            r.comments,
            r.shares,
        )
        for r in rows
    }


async def post_totals(session: AsyncSession, tenant_id: str) -> dict[str, tuple]:
    o = observed_post.c
    rows = await session.execute(select(observed_post).where(o.tenant_id == tenant_id))
    return {r.post_external_id: (r.likes, r.comments, r.shares, r.observed_at) for r in rows}


DAY = date(2026, 11, 20)


async def test_a_first_reading_counts_the_post_and_its_whole_totals(db_session, observe):
    await post_metrics_observed(
        db_session,
        [observe.of("p-1", likes=5, comments=2, shares=1), observe.of("p-2", likes=3)],
    )

    assert await days(db_session, observe.tenant_id) == {
        ("brand-a", "own", "acc-own", DAY): (2, 8, 2, 1)
    }
    assert (await post_totals(db_session, observe.tenant_id))["p-1"] == (5, 2, 1, SEEN)


async def test_later_readings_add_only_their_difference(db_session, observe):
    await post_metrics_observed(db_session, [observe.of(likes=5, comments=2, shares=1)])
    await post_metrics_observed(
        db_session, [observe.of(likes=9, comments=2, shares=4, at=SEEN + timedelta(hours=1))]
    )
    await post_metrics_observed(
        db_session, [observe.of(likes=12, comments=3, shares=4, at=SEEN + timedelta(hours=2))]
    )

    assert await days(db_session, observe.tenant_id) == {
        ("brand-a", "own", "acc-own", DAY): (1, 12, 3, 4)
    }


async def test_a_replayed_or_repeated_reading_changes_nothing(db_session, observe):
    first = observe.of(likes=5)
    await post_metrics_observed(db_session, [first])
    before = await days(db_session, observe.tenant_id)

    await post_metrics_observed(db_session, [first])  # the same event again
    await post_metrics_observed(db_session, [observe.of(likes=5)])  # the same reading anew

    assert await days(db_session, observe.tenant_id) == before


async def test_a_reading_older_than_the_stored_one_is_ignored(db_session, observe):
    await post_metrics_observed(db_session, [observe.of(likes=9, at=SEEN + timedelta(hours=1))])
    await post_metrics_observed(db_session, [observe.of(likes=4, at=SEEN)])

    assert await days(db_session, observe.tenant_id) == {
        ("brand-a", "own", "acc-own", DAY): (1, 9, 0, 0)
    }
    assert (await post_totals(db_session, observe.tenant_id))["p-1"][0] == 9


async def test_withdrawn_likes_lower_the_aggregate(db_session, observe):
    await post_metrics_observed(db_session, [observe.of(likes=9)])
    await post_metrics_observed(db_session, [observe.of(likes=7, at=SEEN + timedelta(hours=1))])

    assert await days(db_session, observe.tenant_id) == {
        ("brand-a", "own", "acc-own", DAY): (1, 7, 0, 0)
    }


async def test_a_metric_the_network_did_not_give_keeps_its_last_value(db_session, observe):
    await post_metrics_observed(db_session, [observe.of(likes=6, shares=2)])
    await post_metrics_observed(
        db_session, [observe.of(likes=8, shares=None, at=SEEN + timedelta(hours=1))]
    )

    assert await days(db_session, observe.tenant_id) == {
        ("brand-a", "own", "acc-own", DAY): (1, 8, 0, 2)
    }


async def test_readings_of_one_post_in_one_batch_count_the_latest_only(db_session, observe):
    await post_metrics_observed(
        db_session,
        [
            observe.of(likes=3, at=SEEN),
            observe.of(likes=10, at=SEEN + timedelta(hours=2)),
            observe.of(likes=6, at=SEEN + timedelta(hours=1)),
        ],
    )

    assert await days(db_session, observe.tenant_id) == {
        ("brand-a", "own", "acc-own", DAY): (1, 10, 0, 0)
    }


async def test_brands_tracking_the_same_competitor_count_it_apart(db_session, observe):
    rival = {"owner": "competitor", "account": "rival", "competitor_id": "c-1"}
    await post_metrics_observed(
        db_session,
        [
            observe.of("r-1", likes=4, brand_id="brand-a", **rival),
            observe.of("r-1", likes=4, brand_id="brand-b", **rival),
        ],
    )
    await post_metrics_observed(
        db_session,
        [observe.of("r-1", likes=6, brand_id="brand-a", at=SEEN + timedelta(hours=1), **rival)],
    )

    assert await days(db_session, observe.tenant_id) == {
        ("brand-a", "competitor", "rival", DAY): (1, 6, 0, 0),
        ("brand-b", "competitor", "rival", DAY): (1, 4, 0, 0),
    }


async def test_a_post_counts_on_the_brand_s_day_it_was_published(db_session, observe):
    await brands.configure(db_session, [(observe.tenant_id, "brand-a", "Pacific/Auckland", SEEN)])
    # 13:30 UTC on the 20th is 02:30 on the 21st in Auckland (UTC+13 in November).
    late = datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
    await post_metrics_observed(
        db_session, [observe.of(published=late, at=late + timedelta(hours=1))]
    )

    assert set(await days(db_session, observe.tenant_id)) == {
        ("brand-a", "own", "acc-own", date(2026, 11, 21))
    }


async def test_a_post_s_terms_count_once_in_its_publication_hour(db_session, observe):
    text = "Our #Winter menu is here: hot chocolate, #winter vibes"
    await post_metrics_observed(db_session, [observe.of(text=text)])
    await post_metrics_observed(db_session, [observe.of(text=text, at=SEEN + timedelta(hours=1))])

    h = term_hour.c
    rows = await db_session.execute(
        select(h.term, h.source, h.hour_start, h.count).where(h.tenant_id == observe.tenant_id)
    )
    hour = datetime(2026, 11, 20, 9, tzinfo=UTC)
    assert {(r.term, r.source, r.hour_start, r.count) for r in rows} == {
        ("#winter", "own_post", hour, 1),
        ("menu", "own_post", hour, 1),
        ("hot", "own_post", hour, 1),
        ("chocolate", "own_post", hour, 1),
        ("vibes", "own_post", hour, 1),
    }


async def test_an_unknown_owner_is_a_malformed_event(db_session, observe):
    with pytest.raises(MalformedEvent, match="owner"):
        await post_metrics_observed(db_session, [observe.of(owner="partner")])


class TestThroughTheConsumerRunner:
    """The runner on the test transaction: inbox dedupe, batches, dead letters."""

    @pytest.fixture
    def runner(self, runner_for):
        return runner_for(listening_consumer())

    @pytest.fixture
    def observed(self, records):
        return lambda envelopes, first_offset=0: records(
            "post.metrics.observed", envelopes, first_offset
        )

    async def test_replaying_the_topic_from_the_start_changes_nothing(
        self, runner, observed, db_session, observe
    ):
        stream = [
            observe.of("p-1", likes=2),
            observe.of("p-2", likes=1, comments=1),
            observe.of("p-1", likes=5, at=SEEN + timedelta(hours=1)),
            observe.of("p-2", likes=1, comments=4, at=SEEN + timedelta(hours=1)),
        ]
        tp = TopicPartition("post.metrics.observed", 0)
        stop = asyncio.Event()

        await runner._process({tp: observed(stream[:2])}, stop)
        await runner._process({tp: observed(stream[2:], 2)}, stop)
        first = await days(db_session, observe.tenant_id)
        await runner._process({tp: observed(stream, 4)}, stop)

        assert first == {("brand-a", "own", "acc-own", DAY): (2, 6, 4, 0)}
        assert await days(db_session, observe.tenant_id) == first

    async def test_a_malformed_event_is_dead_lettered_and_the_rest_counted(
        self, runner, observed, db_session, observe, dead_letters
    ):
        bad = observe.of("p-9", owner="partner")
        tp = TopicPartition("post.metrics.observed", 0)

        await runner._process(
            {tp: observed([observe.of("p-1", likes=3), bad, observe.of("p-2", likes=4)])},
            asyncio.Event(),
        )

        assert await days(db_session, observe.tenant_id) == {
            ("brand-a", "own", "acc-own", DAY): (2, 7, 0, 0)
        }
        assert [topic for topic, _, _ in dead_letters.sent] == ["post.metrics.observed.dlq"]
        assert dead_letters.sent[0][2]["dlq.reason"] == b"malformed"
