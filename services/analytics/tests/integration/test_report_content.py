"""A report's content from rollups written by the aggregating handlers, and its CSV and PDF."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from analytics.periods import Bounds, InvalidPeriod
from analytics.reports import content, csv_export, pdf_document
from analytics.roi import campaigns, conversions
from analytics.roi.schemas import ConversionIn
from analytics.rollups.dimensions import Grain
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.contracts.publisher import CampaignChanged
from beacon_shared.events import Envelope

pytestmark = pytest.mark.integration

# The brand's week in Europe/Paris (UTC+1 in November): Monday 16 to Sunday 22 November 2026.
START = datetime(2026, 11, 15, 23, tzinfo=UTC)
END = datetime(2026, 11, 22, 23, tzinfo=UTC)
POST = uuid.UUID("00000000-0000-4000-8000-00000000000a")
CAMPAIGN = uuid.UUID("00000000-0000-4000-8000-00000000000c")


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def week(db_session, events, consume):
    """brand-a (Europe/Paris) over the week and the one before:

    this week: `fan` comments 3 times on the brand's mastodon post (Tue 10:00 local), which gets
    2 reactions and 100 impressions; `troll` comments on bluesky (Wed), hidden, negative;
    `sharer` shares on bluesky (Thu); a comment on Sunday at 23:30 local. One of fan's comments
    is allowed (positive) and answered in 10 minutes. A comment at 00:30 local on the Monday
    after belongs to the next week. The week before: 2 comments. The campaign of the post cost
    100 EUR and brought a 150 EUR sale on Wednesday.
    """
    fan = uuid.uuid4()
    troll = uuid.uuid4()
    published = events.published(
        post_id=POST,
        external_id="ext-1",
        network=Network.mastodon,
        campaign_id=str(CAMPAIGN),
        published_at=utc(16, 10),
    )
    await consume(
        db_session,
        [
            events.brand_configured(timezone="Europe/Paris", configured_at=utc(1, 0)),
            published,
            events.comment(
                created_at=utc(17, 9),
                network=Network.mastodon,
                thread="ext-1",
                author="fan",
                interaction_id=fan,
            ),
            *(
                events.comment(
                    created_at=utc(17, 9), network=Network.mastodon, thread="ext-1", author="fan"
                )
                for _ in range(2)
            ),
            *(
                events.engagement(
                    created_at=utc(17, 9, 30), network=Network.mastodon, target="ext-1"
                )
                for _ in range(2)
            ),
            events.observed(
                post="ext-1", network=Network.mastodon, observed_at=utc(20, 8), impressions=100
            ),
            events.comment(
                created_at=utc(18, 12),
                network=Network.bluesky,
                author="troll",
                interaction_id=troll,
            ),
            events.engagement(
                kind=InteractionKind.share,
                created_at=utc(19, 15),
                network=Network.bluesky,
                author="sharer",
            ),
            events.comment(created_at=utc(22, 22, 30), author="night-owl"),
            events.comment(created_at=utc(22, 23, 30), author="next-week"),
            events.decision(
                interaction_id=fan,
                action=ModerationAction.allow,
                sentiment=0.6,
                decided_at=utc(17, 9),
            ),
            events.decision(
                interaction_id=troll,
                action=ModerationAction.hide,
                sentiment=-0.8,
                network=Network.bluesky,
                decided_at=utc(18, 12),
            ),
            events.reply_completed(
                interaction_id=fan, commented_at=utc(17, 9), completed_at=utc(17, 9, 10)
            ),
            *(events.comment(created_at=utc(10, 14), author=f"last-week-{n}") for n in range(2)),
        ],
    )
    spring = CampaignChanged.model_validate(
        {
            "campaign_id": CAMPAIGN,
            "brand_id": "brand-a",
            "name": "Spring",
            "kind": "promotion",
            "utm_campaign": "spring",
            "utm_medium": "social",
            "cost_amount": "100.00",
            "currency": "EUR",
            "starts_at": "2026-11-16T00:00:00Z",
            "changed_at": "2026-11-01T00:00:00Z",
        }
    )
    tenant = events.tenant_id
    await campaigns.apply_changes(
        db_session,
        [Envelope.build(spring, tenant_id=tenant, subject=str(CAMPAIGN), source="/beacon/pub")],
    )
    await campaigns.record_publications(db_session, [published])
    sale = ConversionIn(
        kind="conversion",
        occurred_at=utc(18, 10),
        value=Decimal("150"),
        currency="EUR",
        utm_source="mastodon",
        utm_campaign="spring",
        utm_content=str(POST),
    )
    await conversions.record(
        db_session, tenant_id=tenant, submissions=[conversions.Submission(sale)]
    )
    return await content.build(
        db_session, tenant_id=tenant, brand_id="brand-a", start=START, end=END
    )


def figures(report) -> dict[str, tuple[object, object, object, object]]:
    return {
        line.metric: (line.current, line.previous, line.change, line.basis)
        for line in report.summary
    }


class TestContent:
    async def test_the_summary_compares_the_week_with_the_one_before(self, week):
        lines = figures(week)
        assert lines["comments"] == (5, 2, 1.5, None)
        assert lines["reactions"][:2] == (2, 0)
        assert lines["shares"][:2] == (1, 0)
        assert lines["interactions"] == (8, 2, 3.0, None)
        assert lines["engagement"] == (8, 2, 3.0, None)
        assert lines["impressions"][:2] == (100, 0)
        assert lines["engagement_rate"][0] == pytest.approx(0.08)
        assert lines["engagement_rate"][3] == "impressions"
        assert lines["sentiment.positive"][0] == lines["sentiment.negative"][0] == 1
        assert lines["sentiment.negative_share"][0] == pytest.approx(0.5)
        assert (lines["moderation.allow"][0], lines["moderation.hide"][0]) == (1, 1)
        assert lines["needing_response"][0] == 4
        assert lines["response_rate"][0] == pytest.approx(0.25)
        assert lines["first_response.mean_seconds"][0] == pytest.approx(600)
        assert (week.previous_start, week.previous_end) == (START - timedelta(days=7), START)
        assert week.timezone == "Europe/Paris"

    async def test_nothing_observed_leaves_reach_out(self, week):
        assert "reach" not in figures(week)

    async def test_the_series_has_every_local_day_of_the_week(self, week):
        days = [(p.bucket_start, p.values["interactions"]) for p in week.series]
        assert days == [
            (START + timedelta(days=n), count) for n, count in enumerate([0, 5, 1, 1, 0, 0, 1])
        ]
        assert week.series[1].values["impressions"] == 0
        assert week.series[4].values["impressions"] == 100

    async def test_networks_are_ranked_by_interactions(self, week):
        assert [(n.network, n.values) for n in week.networks] == [
            ("mastodon", {"interactions": 5, "engagement": 5, "impressions": 100, "reach": 0}),
            ("bluesky", {"interactions": 2, "engagement": 2, "impressions": 0, "reach": 0}),
            ("custom", {"interactions": 1, "engagement": 1, "impressions": 0, "reach": 0}),
        ]

    async def test_top_posts_and_authors(self, week):
        assert [(p.post_id, p.value, p.campaign_id) for p in week.top_posts] == [
            (str(POST), 5, str(CAMPAIGN))
        ]
        assert [p.network for p in week.top_posts[0].publications] == ["mastodon"]
        assert week.top_authors[0].author == "mastodon:fan"
        assert week.top_authors[0].value == 3
        assert {a.author for a in week.top_authors[1:]} == {
            "bluesky:troll",
            "bluesky:sharer",
            "custom:night-owl",
        }

    async def test_roi_per_campaign_over_the_utc_days_touching_the_week(self, week):
        assert (week.roi_first_day, week.roi_last_day) == (date(2026, 11, 15), date(2026, 11, 22))
        (spring,) = week.campaigns
        assert (spring.campaign.name, spring.conversions, spring.publications) == ("Spring", 1, 1)
        (eur,) = spring.currencies
        assert (eur.cost, eur.value, eur.roi) == (
            Decimal("100.00"),
            Decimal("150.00"),
            Decimal("0.5"),
        )

    async def test_hourly_series_are_utc_hours_with_the_empty_ones(self, db_session, events, week):
        hours = await content.build(
            db_session,
            tenant_id=events.tenant_id,
            brand_id="brand-a",
            start=utc(17, 8),
            end=utc(17, 11),
            grain=Grain.hour,
        )
        assert [(p.bucket_start, p.values["interactions"]) for p in hours.series] == [
            (utc(17, 8), 0),
            (utc(17, 9), 5),
            (utc(17, 10), 0),
        ]

    async def test_an_empty_period_is_refused_at_the_given_bounds(self, db_session, events):
        bounds = Bounds("period_start", "period_end", "body")
        with pytest.raises(InvalidPeriod) as raised:
            await content.build(
                db_session,
                tenant_id=events.tenant_id,
                brand_id="brand-a",
                start=END,
                end=START,
                bounds=bounds,
            )
        assert raised.value.errors == [
            {
                "pointer": "/period_end",
                "location": "body",
                "type": "period_empty",
                "message": "`period_end` must be after `period_start`.",
            }
        ]


class TestCsv:
    async def test_one_row_per_section_key_and_metric(self, week):
        rows = list(csv.DictReader(io.StringIO(csv_export.render(week))))
        assert list(rows[0]) == list(csv_export.COLUMNS)
        by = {
            (r["section"], r["bucket_start"], r["key"], r["currency"], r["metric"]): r for r in rows
        }
        assert by[("report", "", "", "", "period_start")]["value"] == "2026-11-16T00:00:00+01:00"
        summary = by[("summary", "", "", "", "interactions")]
        assert (summary["value"], summary["previous"], summary["change"]) == ("8", "2", "3.0")
        assert by[("summary", "", "", "", "engagement_rate")]["basis"] == "impressions"
        series = [r for r in rows if r["section"] == "series"]
        assert len(series) == 7 * len(content.SERIES_METRICS)
        assert by[("series", "2026-11-17T00:00:00+01:00", "", "", "interactions")]["value"] == "5"
        assert by[("network", "", "bluesky", "", "interactions")]["value"] == "2"
        assert by[("top_post", "", str(POST), "", "engagement")]["label"] == "mastodon"
        assert by[("top_author", "", "mastodon:fan", "", "interactions")]["value"] == "3"
        assert by[("campaign", "", str(CAMPAIGN), "EUR", "roi")]["value"] == "0.5000"
        assert by[("campaign", "", str(CAMPAIGN), "", "clicks")]["label"] == "Spring"

    async def test_text_that_a_spreadsheet_would_run_is_quoted(self, week):
        hostile = week.model_copy(
            update={"top_authors": [week.top_authors[0].model_copy(update={"author": "=cmd()"})]}
        )
        rows = list(csv.DictReader(io.StringIO(csv_export.render(hostile))))
        (author,) = [r for r in rows if r["section"] == "top_author"]
        assert author["key"] == "'=cmd()"


class TestPdf:
    async def test_the_pdf_shows_the_period_figures_charts_and_tables(self, week):
        pdf = PdfReader(io.BytesIO(pdf_document.render(week)))
        # Each table cell comes out on its own line: compare the words in reading order.
        text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
        assert "Report: brand-a" in text
        assert "2026-11-16 to 2026-11-22 (Europe/Paris)" in text
        assert "compared with 2026-11-09 to 2026-11-15" in text
        for expected in (
            "Interactions 8 2 +300.0 %",
            "Comments 5 2 +150.0 %",
            "Engagement rate 8.0 %",
            "Response rate 25.0 %",
            "Mean first-response time 10 min 00 s",
            "Top posts",
            f"1 {POST} mastodon 5",
            "1 fan mastodon 3",
            "Spring 0 1 100.00 EUR 150.00 EUR 50.0 %",
        ):
            assert expected in text, expected
        # The charts are drawn: the day labels of the series and the network names as categories.
        assert "17 Nov" in text
        assert text.count("bluesky") >= 2
