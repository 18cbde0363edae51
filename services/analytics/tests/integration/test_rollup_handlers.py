"""The aggregating handlers on real Postgres: what each event adds to which rollup rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from analytics.rollups import service as rollups_service
from analytics.rollups.models import pending_post_rollup
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.contracts.publisher import ScheduleChange
from beacon_shared.events import MalformedEvent

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 24, 10, 15, 42, tzinfo=UTC)
MINUTE = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
HOUR = datetime(2026, 11, 24, 10, tzinfo=UTC)
DAY = datetime(2026, 11, 24, tzinfo=UTC)


def totals(rows, grain: str = "day") -> dict[str, int]:
    """Metric → value of the brand-total rows of one grain (summed over buckets)."""
    out: dict[str, int] = {}
    for (g, dimension, _, _, metric), value in rows.items():
        if g == grain and dimension == "total":
            out[metric] = out.get(metric, 0) + value
    return out


def of(rows, dimension: str, grain: str = "day") -> dict[tuple[str, str], int]:
    """(key, metric) → value of one dimension's rows of one grain."""
    out: dict[tuple[str, str], int] = {}
    for (g, d, key, _, metric), value in rows.items():
        if g == grain and d == dimension:
            out[(key, metric)] = out.get((key, metric), 0) + value
    return out


class TestInteractions:
    async def test_a_batch_is_summed_into_one_row_per_bucket_and_metric(
        self, db_session, events, consume, rollups
    ):
        await consume(
            db_session,
            [
                events.comment(),
                events.comment(),
                events.comment(kind=InteractionKind.reply),
                events.engagement(kind=InteractionKind.share),
            ],
        )
        rows = await rollups(db_session, events.tenant_id, dimension="total")
        assert rows == {
            ("minute", "total", "", MINUTE, "comments"): 2,
            ("hour", "total", "", HOUR, "comments"): 2,
            ("day", "total", "", DAY, "comments"): 2,
            ("minute", "total", "", MINUTE, "replies"): 1,
            ("hour", "total", "", HOUR, "replies"): 1,
            ("day", "total", "", DAY, "replies"): 1,
            ("minute", "total", "", MINUTE, "shares"): 1,
            ("hour", "total", "", HOUR, "shares"): 1,
            ("day", "total", "", DAY, "shares"): 1,
        }

    async def test_interactions_are_cut_by_network_account_and_author(
        self, db_session, events, consume, rollups
    ):
        await consume(
            db_session,
            [
                events.comment(network=Network.facebook, account="page", author="ann"),
                events.comment(network=Network.facebook, account="page", author="bob"),
                events.engagement(network=Network.mastodon, author="ann"),
                events.engagement(
                    kind=InteractionKind.share, network=Network.mastodon, author="cy"
                ),
            ],
        )
        rows = await rollups(db_session, events.tenant_id)
        assert of(rows, "network") == {
            ("facebook", "comments"): 2,
            ("mastodon", "reactions"): 1,
            ("mastodon", "shares"): 1,
        }
        assert of(rows, "account", grain="hour") == {
            ("facebook:page", "comments"): 2,
            ("mastodon:acc-1", "reactions"): 1,
            ("mastodon:acc-1", "shares"): 1,
        }
        # Authors write: a reaction makes nobody an author, a share does.
        assert of(rows, "author") == {
            ("facebook:ann", "comments"): 1,
            ("facebook:bob", "comments"): 1,
            ("mastodon:cy", "shares"): 1,
        }
        assert of(rows, "author", grain="hour") == {}

    async def test_a_batch_is_written_in_one_rollup_statement(
        self, db_session, events, consume, rollups
    ):
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_args):
            if statement.startswith("INSERT INTO analytics.rollup"):
                statements.append(statement)

        engine = db_session.bind.sync_engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            await consume(db_session, [events.engagement(author=f"u{n}") for n in range(200)])
        finally:
            event.remove(engine, "before_cursor_execute", record)

        assert len(statements) == 1
        assert totals(await rollups(db_session, events.tenant_id)) == {"reactions": 200}

    async def test_later_batches_add_to_existing_rows(self, db_session, events, consume, rollups):
        await consume(db_session, [events.comment()])
        await consume(db_session, [events.comment(), events.comment()])
        assert totals(await rollups(db_session, events.tenant_id), "minute") == {"comments": 3}

    async def test_tenants_and_brands_are_counted_apart(
        self, db_session, events, consume, rollups, unique
    ):
        other = type(events)(unique("other"))
        await consume(
            db_session, [events.comment(), events.comment(brand_id=None), other.comment()]
        )
        assert totals(await rollups(db_session, events.tenant_id, brand_id="brand-a")) == {
            "comments": 1
        }
        assert totals(await rollups(db_session, events.tenant_id, brand_id="")) == {"comments": 1}
        assert totals(await rollups(db_session, other.tenant_id)) == {"comments": 1}


class TestPosts:
    async def test_interactions_on_a_published_post_count_toward_it_and_its_campaign(
        self, db_session, events, consume, rollups
    ):
        post = uuid.uuid4()
        await consume(
            db_session,
            [events.published(post_id=post, external_id="ext-1", campaign_id="camp-1")],
        )
        await consume(
            db_session,
            [
                events.comment(network=Network.sandbox, thread="ext-1"),
                events.engagement(network=Network.sandbox, target="ext-1"),
                events.engagement(network=Network.sandbox, target="not-a-post-of-ours"),
            ],
        )
        rows = await rollups(db_session, events.tenant_id)
        assert of(rows, "post") == {
            (str(post), "posts.published"): 1,
            (str(post), "comments"): 1,
            (str(post), "reactions"): 1,
        }
        # The campaign gets exactly what its post got.
        assert of(rows, "campaign", grain="hour") == {
            ("camp-1", metric): value for (_, metric), value in of(rows, "post", "hour").items()
        }

    async def test_interactions_read_before_the_post_s_publication_count_once_it_is_known(
        self, db_session, events, consume, rollups
    ):
        post = uuid.uuid4()
        early = [
            events.comment(network=Network.sandbox, thread="ext-2"),
            events.comment(network=Network.sandbox, thread="ext-2"),
        ]
        await consume(db_session, early)
        assert of(await rollups(db_session, events.tenant_id), "post") == {}

        await consume(
            db_session,
            [events.published(post_id=post, external_id="ext-2", campaign_id="camp-2")],
        )
        # Still held: the sweep moves them, in a transaction of its own.
        assert of(await rollups(db_session, events.tenant_id), "post") == {
            (str(post), "posts.published"): 1
        }
        await rollups_service.sweep(db_session, now=datetime.now(UTC))
        rows = await rollups(db_session, events.tenant_id)
        assert of(rows, "post")[(str(post), "comments")] == 2
        assert of(rows, "campaign")[("camp-2", "comments")] == 2
        assert of(rows, "post", grain="hour")[(str(post), "comments")] == 2
        # Counted in the brand's totals when they were read, and not again when attributed.
        for grain in ("minute", "hour", "day"):
            assert of(rows, "total", grain)[("", "comments")] == 2
        held = await db_session.scalar(
            select(pending_post_rollup.c.value).where(
                pending_post_rollup.c.tenant_id == events.tenant_id
            )
        )
        assert held is None

    async def test_the_sweep_attributes_amounts_held_after_the_post_was_recorded(
        self, db_session, events, consume, rollups
    ):
        post = uuid.uuid4()
        await consume(db_session, [events.published(post_id=post, external_id="ext-3")])
        # As if a batch that looked the thread up before the publication committed held it.
        await db_session.execute(
            pending_post_rollup.insert().values(
                tenant_id=events.tenant_id,
                network="sandbox",
                thread_external_id="ext-3",
                brand_id="brand-a",
                bucket_start=HOUR,
                metric="comments",
                value=4,
            )
        )
        await rollups_service.sweep(db_session, now=datetime.now(UTC))
        assert of(await rollups(db_session, events.tenant_id), "post")[(str(post), "comments")] == 4

    async def test_the_sweep_purges_held_amounts_past_the_horizon(self, db_session, events):
        await db_session.execute(
            pending_post_rollup.insert().values(
                tenant_id=events.tenant_id,
                network="sandbox",
                thread_external_id="someone-else-s",
                brand_id="brand-a",
                bucket_start=HOUR,
                metric="comments",
                value=1,
            )
        )
        await rollups_service.sweep(db_session, now=DAY + timedelta(days=32))
        held = await db_session.scalar(
            select(pending_post_rollup.c.value).where(
                pending_post_rollup.c.tenant_id == events.tenant_id
            )
        )
        assert held is None

    async def test_a_publication_announced_twice_counts_once(
        self, db_session, events, consume, rollups
    ):
        post = uuid.uuid4()
        await consume(db_session, [events.published(post_id=post, external_id="ext-4")])
        await consume(db_session, [events.published(post_id=post, external_id="ext-4")])
        assert totals(await rollups(db_session, events.tenant_id)) == {"posts.published": 1}

    async def test_schedules_and_failures_are_counted(self, db_session, events, consume, rollups):
        await consume(
            db_session,
            [
                events.scheduled(campaign_id="camp-5"),
                events.scheduled(change=ScheduleChange.rescheduled),
                events.scheduled(change=ScheduleChange.cancelled),
                events.failed(campaign_id="camp-5"),
            ],
        )
        rows = await rollups(db_session, events.tenant_id)
        assert totals(rows) == {"posts.scheduled": 1, "posts.failed": 1}
        assert of(rows, "campaign") == {
            ("camp-5", "posts.scheduled"): 1,
            ("camp-5", "posts.failed"): 1,
        }
        assert of(rows, "network") == {("mastodon", "posts.failed"): 1}


class TestObservedMetrics:
    async def test_totals_become_increments_counted_at_each_observation(
        self, db_session, events, consume, rollups
    ):
        post = uuid.uuid4()
        await consume(db_session, [events.published(post_id=post, external_id="ext-5")])
        later = AT + timedelta(hours=2)
        await consume(
            db_session,
            [
                events.observed(post="ext-5", impressions=100, reach=80),
                events.observed(post="ext-5", observed_at=later, impressions=250),
            ],
        )
        # Observed again (the same totals) and an older one arriving late: nothing more.
        await consume(
            db_session,
            [
                events.observed(post="ext-5", observed_at=later, impressions=250),
                events.observed(post="ext-5", observed_at=AT + timedelta(hours=1), impressions=180),
            ],
        )
        rows = await rollups(db_session, events.tenant_id)
        assert totals(rows) == {"posts.published": 1, "impressions": 250, "reach": 80}
        hourly = await rollups(db_session, events.tenant_id, grain="hour", metric="impressions")
        assert hourly[("hour", "total", "", HOUR, "impressions")] == 100
        assert (
            hourly[("hour", "total", "", later.replace(minute=0, second=0), "impressions")] == 150
        )
        assert of(rows, "post")[(str(post), "impressions")] == 250

    async def test_competitors_posts_are_not_the_brand_s_impressions(
        self, db_session, events, consume, rollups
    ):
        await consume(
            db_session, [events.observed(post="rival", impressions=10, owner="competitor")]
        )
        assert await rollups(db_session, events.tenant_id) == {}


class TestModeration:
    async def test_outcomes_are_counted_per_action_and_network(
        self, db_session, events, consume, rollups
    ):
        await consume(
            db_session,
            [events.decision(), events.decision(), events.decision(action=ModerationAction.allow)],
        )
        rows = await rollups(db_session, events.tenant_id)
        assert totals(rows) == {"moderation.hide": 2, "moderation.allow": 1}
        assert of(rows, "network") == {
            ("custom", "moderation.hide"): 2,
            ("custom", "moderation.allow"): 1,
        }

    async def test_a_revised_decision_moves_the_count_to_the_reviewer_s_action(
        self, db_session, events, consume, rollups
    ):
        later = AT + timedelta(minutes=30)
        comment = uuid.uuid4()
        await consume(
            db_session, [events.decision(action=ModerationAction.flag, interaction_id=comment)]
        )
        await consume(
            db_session,
            [
                events.decision(
                    action=ModerationAction.hide,
                    decided_at=later,
                    interaction_id=comment,
                    replaces_action=ModerationAction.flag,
                    replaces_decided_at=AT,
                )
            ],
        )
        minutes = await rollups(db_session, events.tenant_id, grain="minute")
        assert minutes == {
            ("minute", "total", "", MINUTE, "moderation.flag"): 0,
            ("minute", "total", "", later.replace(second=0), "moderation.hide"): 1,
            ("minute", "total", "", later.replace(second=0), "moderation.revisions"): 1,
        }


class TestSentiment:
    @pytest.mark.parametrize("decision_first", [False, True])
    async def test_a_comment_s_sentiment_counts_once_whichever_event_comes_first(
        self, db_session, events, consume, rollups, decision_first
    ):
        comment = uuid.uuid4()
        received = events.comment(
            interaction_id=comment, network=Network.facebook, account="page", author="fan"
        )
        decided = events.decision(
            interaction_id=comment, sentiment=0.8, decided_at=AT + timedelta(seconds=5)
        )
        first, second = (decided, received) if decision_first else (received, decided)
        await consume(db_session, [first])
        await consume(db_session, [second])
        # A revision of the decision changes the action, not the sentiment.
        await consume(
            db_session,
            [
                events.decision(
                    interaction_id=comment,
                    sentiment=0.8,
                    action=ModerationAction.allow,
                    replaces_action=ModerationAction.hide,
                    replaces_decided_at=AT + timedelta(seconds=5),
                )
            ],
        )
        rows = await rollups(db_session, events.tenant_id, metric="sentiment.positive")
        # Counted at the comment's time, cut like the comment.
        assert rows[("minute", "total", "", MINUTE, "sentiment.positive")] == 1
        assert of(rows, "account") == {("facebook:page", "sentiment.positive"): 1}
        assert of(rows, "author") == {("facebook:fan", "sentiment.positive"): 1}
        assert sum(rows.values()) == 8  # minute, hour, day + 2 network + 2 account + 1 author

    async def test_comments_are_labelled_by_moderation_s_thresholds(
        self, db_session, events, consume, rollups
    ):
        ids = [uuid.uuid4() for _ in range(4)]
        await consume(db_session, [events.comment(interaction_id=i) for i in ids])
        await consume(
            db_session,
            [
                events.decision(interaction_id=i, sentiment=s)
                for i, s in zip(ids, (0.5, 0.0, -0.3, -0.05), strict=True)
            ],
        )
        assert totals(await rollups(db_session, events.tenant_id)) == {
            "comments": 4,
            "moderation.hide": 4,
            "sentiment.positive": 1,
            "sentiment.neutral": 1,
            "sentiment.negative": 2,
        }

    async def test_a_decision_sent_before_it_carried_the_comment_counts_at_its_own_time(
        self, db_session, events, consume, rollups
    ):
        comment = uuid.uuid4()
        decided_at = AT + timedelta(minutes=2)
        await consume(
            db_session,
            [
                events.comment(
                    interaction_id=comment, network=Network.facebook, account="page", author="fan"
                ),
                events.decision(
                    interaction_id=comment, sentiment=-0.4, decided_at=decided_at, old=True
                ),
            ],
        )
        rows = await rollups(db_session, events.tenant_id, metric="sentiment.negative")
        # Labelled from its score by the contract; the brand and the network know it, at the
        # decision's time, but not the account, post or author it never named.
        assert rows[("minute", "total", "", decided_at.replace(second=0), "sentiment.negative")]
        assert of(rows, "network") == {("facebook", "sentiment.negative"): 1}
        assert of(rows, "account") == of(rows, "author") == {}


class TestBrandDays:
    async def test_days_start_at_the_brand_s_local_midnight_once_configured(
        self, db_session, events, consume, rollups
    ):
        late_evening = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # the 25th in Paris
        await consume(db_session, [events.comment(created_at=late_evening)])
        await consume(db_session, [events.brand_configured(timezone="Europe/Paris")])
        await consume(db_session, [events.comment(created_at=late_evening)])
        days = await rollups(db_session, events.tenant_id, grain="day", dimension="total")
        # Days counted before the zone was known keep their (UTC) boundaries.
        assert days == {
            ("day", "total", "", DAY, "comments"): 1,
            ("day", "total", "", datetime(2026, 11, 24, 23, tzinfo=UTC), "comments"): 1,
        }

    async def test_an_older_configuration_does_not_undo_a_newer_one(
        self, db_session, events, consume, rollups
    ):
        await consume(db_session, [events.brand_configured(timezone="Asia/Tokyo")])
        await consume(
            db_session,
            [
                events.brand_configured(
                    timezone="Europe/Paris", configured_at=AT - timedelta(days=1)
                )
            ],
        )
        await consume(db_session, [events.comment()])
        days = await rollups(db_session, events.tenant_id, grain="day", dimension="total")
        assert list(days) == [
            ("day", "total", "", datetime(2026, 11, 23, 15, tzinfo=UTC), "comments")
        ]

    async def test_the_workspace_s_configuration_sets_the_brand_s_days(
        self, db_session, events, consume, rollups
    ):
        await consume(db_session, [events.workspace_brand_configured(timezone="Asia/Tokyo")])
        await consume(db_session, [events.comment()])
        days = await rollups(db_session, events.tenant_id, grain="day", dimension="total")
        assert list(days) == [
            ("day", "total", "", datetime(2026, 11, 23, 15, tzinfo=UTC), "comments")
        ]

    async def test_the_latest_configuration_wins_whichever_service_sent_it(
        self, db_session, events, consume, rollups
    ):
        # The workspace's newer zone, then an older one of the publisher still in the topic.
        await consume(db_session, [events.workspace_brand_configured(timezone="Asia/Tokyo")])
        await consume(
            db_session,
            [
                events.brand_configured(
                    timezone="Europe/Paris", configured_at=AT - timedelta(days=1)
                )
            ],
        )
        # In one batch, a newer publisher zone beside an older workspace one for another brand.
        await consume(
            db_session,
            [
                events.brand_configured(timezone="America/New_York", brand_id="brand-b"),
                events.workspace_brand_configured(
                    timezone="Asia/Tokyo", brand_id="brand-b", configured_at=AT - timedelta(hours=1)
                ),
            ],
        )
        await consume(db_session, [events.comment(), events.comment(brand_id="brand-b")])
        assert list(
            await rollups(
                db_session, events.tenant_id, brand_id="brand-a", grain="day", dimension="total"
            )
        ) == [("day", "total", "", datetime(2026, 11, 23, 15, tzinfo=UTC), "comments")]
        assert list(
            await rollups(
                db_session, events.tenant_id, brand_id="brand-b", grain="day", dimension="total"
            )
        ) == [("day", "total", "", datetime(2026, 11, 24, 5, tzinfo=UTC), "comments")]

    async def test_an_unknown_zone_is_a_malformed_event(self, db_session, events, consume):
        with pytest.raises(MalformedEvent, match="Mars/Olympus"):
            await consume(db_session, [events.brand_configured(timezone="Mars/Olympus")])


class TestLateness:
    async def test_late_events_count_as_late_only_and_future_ones_at_their_receipt(
        self, db_session, events, consume, rollups
    ):
        received = AT
        await consume(
            db_session,
            [
                events.comment(created_at=AT - timedelta(days=45), received=received),
                events.comment(created_at=AT + timedelta(days=2), received=received),
            ],
        )
        assert await rollups(db_session, events.tenant_id, grain="minute") == {
            ("minute", "total", "", MINUTE, "events.late"): 1,
            ("minute", "total", "", MINUTE, "events.clamped"): 1,
            ("minute", "total", "", MINUTE, "comments"): 1,
        }
