"""The analytics API over rollups: series, summary, breakdown, top, validation and access."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from analytics.config import Settings
from analytics.main import create_app
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.db import create_sessionmaker

pytestmark = pytest.mark.integration

DAY = "2026-11-24"
POST = uuid.UUID("00000000-0000-4000-8000-000000000001")


def at(hour: int, minute: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, register_brands, engine, events, consume):
    """A client of a tenant whose events (committed) are:

    brand-a: comments at 10:01 (x2, on its post), 10:59 and the 25th 09:00, a reply on the 23rd
    at 12:00; its post (campaign camp-1, 10:05) with 3 reactions and 100 impressions; one
    comment hidden at 10:02; two positive comments by `fan`, one negative by `troll`.
    brand-b: a comment at 11:30. No brand: a comment at 11:31.
    """
    await register_brands(events.tenant_id, "brand-a", "brand-b")
    key = await issue_api_key(events.tenant_id, scopes=("analytics:read",))
    fan = [uuid.uuid4(), uuid.uuid4()]
    troll = uuid.uuid4()
    batch = [
        events.published(
            post_id=POST, external_id="ext-1", campaign_id="camp-1", published_at=at(10, 5)
        ),
        events.comment(
            created_at=at(10, 1),
            network=Network.sandbox,
            thread="ext-1",
            interaction_id=fan[0],
            author="fan",
        ),
        events.comment(
            created_at=at(10, 1),
            network=Network.sandbox,
            thread="ext-1",
            interaction_id=fan[1],
            author="fan",
        ),
        events.comment(created_at=at(10, 59), interaction_id=troll, author="troll"),
        events.comment(created_at=at(9, 0, day=25)),
        events.comment(created_at=at(12, 0, day=23), kind=InteractionKind.reply),
        events.comment(created_at=at(11, 30), brand_id="brand-b"),
        events.comment(created_at=at(11, 31), brand_id=None),
        *(
            events.engagement(
                created_at=at(10, 20), network=Network.sandbox, target="ext-1", author=f"r{n}"
            )
            for n in range(3)
        ),
        events.observed(post="ext-1", observed_at=at(10, 30), impressions=100),
        events.decision(
            interaction_id=fan[0],
            action=ModerationAction.allow,
            sentiment=0.7,
            decided_at=at(10, 2),
        ),
        events.decision(
            interaction_id=fan[1],
            action=ModerationAction.allow,
            sentiment=0.4,
            decided_at=at(10, 2),
        ),
        events.decision(
            interaction_id=troll,
            action=ModerationAction.hide,
            sentiment=-0.8,
            decided_at=at(10, 59),
        ),
    ]
    async with create_sessionmaker(engine)() as session, session.begin():
        await consume(session, batch)
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        http.tenant = events.tenant_id  # type: ignore[attr-defined]
        yield http


def series_params(**overrides: str) -> dict[str, str]:
    params = {
        "metric": "comments",
        "from": f"{DAY}T00:00:00Z",
        "to": f"{DAY}T23:59:59Z",
        "grain": "hour",
    }
    params.update(overrides)
    return params


def points(body: dict[str, object]) -> list[tuple[str, object]]:
    return [(p["bucket_start"], p["value"]) for p in body["points"]]  # type: ignore[attr-defined,index]


class TestSeries:
    async def test_hourly_buckets_sum_every_brand(self, client):
        response = await client.get("/v1/analytics/series", params=series_params())
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["grain"], body["brand_id"], body["dimension"]) == ("hour", None, "total")
        assert points(body) == [("2026-11-24T10:00:00Z", 3), ("2026-11-24T11:00:00Z", 2)]
        assert body["total"] == 5

    async def test_minute_buckets_keep_each_minute(self, client):
        response = await client.get(
            "/v1/analytics/series", params=series_params(grain="minute", to=f"{DAY}T11:00:00Z")
        )
        assert points(response.json()) == [("2026-11-24T10:01:00Z", 2), ("2026-11-24T10:59:00Z", 1)]

    async def test_day_buckets_of_one_brand(self, client):
        response = await client.get(
            "/v1/analytics/series",
            params=series_params(
                grain="day",
                brand_id="brand-a",
                **{"from": "2026-11-23T00:00:00Z", "to": "2026-11-30T00:00:00Z"},
            ),
        )
        assert points(response.json()) == [("2026-11-24T00:00:00Z", 3), ("2026-11-25T00:00:00Z", 1)]

    async def test_the_range_includes_from_and_excludes_to(self, client):
        response = await client.get(
            "/v1/analytics/series",
            params=series_params(
                grain="minute", **{"from": f"{DAY}T10:01:00Z", "to": f"{DAY}T10:59:00Z"}
            ),
        )
        assert points(response.json()) == [("2026-11-24T10:01:00Z", 2)]

    async def test_an_offset_in_the_range_is_honoured(self, client):
        response = await client.get(
            "/v1/analytics/series",
            params=series_params(
                **{"from": f"{DAY}T12:00:00+01:00", "to": f"{DAY}T13:00:00+01:00"}
            ),
        )
        assert points(response.json()) == [("2026-11-24T11:00:00Z", 2)]

    async def test_a_bucket_starting_before_from_is_left_out(self, client):
        response = await client.get(
            "/v1/analytics/series",
            params=series_params(**{"from": f"{DAY}T11:30:00Z", "to": f"{DAY}T13:00:00Z"}),
        )
        assert points(response.json()) == []

    async def test_brand_filters_including_events_without_a_brand(self, client):
        b = await client.get("/v1/analytics/series", params=series_params(brand_id="brand-b"))
        none = await client.get("/v1/analytics/series", params=series_params(brand_id=""))
        assert points(b.json()) == [("2026-11-24T11:00:00Z", 1)]
        assert points(none.json()) == [("2026-11-24T11:00:00Z", 1)]

    async def test_a_post_filter_and_a_derived_metric(self, client):
        response = await client.get(
            "/v1/analytics/series",
            params=series_params(metric="engagement", post_id=str(POST)),
        )
        body = response.json()
        assert (body["dimension"], body["key"]) == ("post", str(POST))
        assert points(body) == [("2026-11-24T10:00:00Z", 5)]

    async def test_an_account_filter(self, client):
        response = await client.get(
            "/v1/analytics/series",
            params=series_params(account="sandbox:acc-1", metric="reactions"),
        )
        assert points(response.json()) == [("2026-11-24T10:00:00Z", 3)]

    async def test_a_ratio_series(self, client):
        response = await client.get(
            "/v1/analytics/series",
            params=series_params(metric="sentiment.positive_share", brand_id="brand-a"),
        )
        assert response.json()["points"][0]["value"] == pytest.approx(2 / 3)

    async def test_the_previous_period_on_request(self, client):
        response = await client.get(
            "/v1/analytics/series",
            params=series_params(
                metric="conversations",
                grain="day",
                brand_id="brand-a",
                compare="true",
                to="2026-11-25T00:00:00Z",
            ),
        )
        body = response.json()
        assert body["total"] == 3
        assert body["previous"]["start"] == "2026-11-23T00:00:00Z"
        assert body["previous"]["total"] == 1
        assert points(body["previous"]) == [("2026-11-23T00:00:00Z", 1)]
        assert body["change"] == 2.0

    async def test_brands_in_different_zones_are_summed_per_utc_day(
        self, client, engine, events, consume
    ):
        async with create_sessionmaker(engine)() as session, session.begin():
            await consume(
                session, [events.brand_configured(brand_id="brand-b", timezone="Asia/Tokyo")]
            )
            await consume(session, [events.comment(brand_id="brand-b", created_at=at(20, 0))])
        response = await client.get(
            "/v1/analytics/series",
            params=series_params(grain="day", to="2026-11-26T00:00:00Z"),
        )
        assert points(response.json()) == [("2026-11-24T00:00:00Z", 6), ("2026-11-25T00:00:00Z", 1)]

    async def test_minutes_exist_for_totals_only(self, client):
        response = await client.get(
            "/v1/analytics/series", params=series_params(grain="minute", network="sandbox")
        )
        assert response.status_code == 422
        assert response.json()["code"] == "unsupported_query"


class TestSummary:
    async def test_every_figure_with_the_previous_period(self, client):
        response = await client.get(
            "/v1/analytics/summary",
            params={
                "brand_id": "brand-a",
                "from": f"{DAY}T00:00:00Z",
                "to": "2026-11-25T00:00:00Z",
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["previous_start"] == "2026-11-23T00:00:00Z"
        figures = body["figures"]
        assert figures["comments"] == {"current": 3, "previous": 0, "change": None, "basis": None}
        assert figures["conversations"]["current"] == 3
        assert figures["conversations"]["previous"] == 1
        assert figures["conversations"]["change"] == 2.0
        assert figures["engagement"]["current"] == 6
        assert figures["impressions"]["current"] == 100
        assert figures["engagement_rate"]["current"] == pytest.approx(0.06)
        assert figures["engagement_rate"]["basis"] == "impressions"
        assert figures["posts.published"]["current"] == 1
        assert figures["moderation.hide"]["current"] == 1
        assert figures["sentiment.negative"]["current"] == 1
        assert figures["needing_response"]["current"] == 2
        assert figures["response_rate"]["current"] == 0.0
        assert figures["first_response.mean_seconds"]["current"] is None

    async def test_the_ends_of_the_range_are_exact_to_the_minute(self, client):
        response = await client.get(
            "/v1/analytics/summary",
            params={
                "brand_id": "brand-a",
                "from": f"{DAY}T10:02:00Z",
                "to": "2026-11-25T09:00:00Z",
            },
        )
        # The comment at 10:59 only: 10:01 is before, the 25th's 09:00 is at `to`.
        assert response.json()["figures"]["comments"]["current"] == 1

    async def test_without_a_brand_every_brand_is_summed(self, client):
        response = await client.get(
            "/v1/analytics/summary",
            params={"from": f"{DAY}T00:00:00Z", "to": "2026-11-25T00:00:00Z"},
        )
        assert response.json()["figures"]["comments"]["current"] == 5

    async def test_a_campaign_s_figures(self, client):
        response = await client.get(
            "/v1/analytics/summary",
            params={
                "campaign_id": "camp-1",
                "from": f"{DAY}T00:00:00Z",
                "to": "2026-11-25T00:00:00Z",
            },
        )
        figures = response.json()["figures"]
        assert (figures["comments"]["current"], figures["reactions"]["current"]) == (2, 3)
        assert figures["sentiment.positive"]["current"] == 2


class TestBreakdown:
    async def test_by_network(self, client):
        response = await client.get(
            "/v1/analytics/breakdown",
            params={
                "metric": "interactions",
                "by": "network",
                "from": f"{DAY}T00:00:00Z",
                "to": "2026-11-25T00:00:00Z",
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["items"] == [
            {"key": "sandbox", "value": 5},
            {"key": "custom", "value": 3},
        ]

    async def test_by_brand(self, client):
        response = await client.get(
            "/v1/analytics/breakdown",
            params={
                "metric": "comments",
                "by": "brand",
                "from": f"{DAY}T00:00:00Z",
                "to": "2026-11-25T00:00:00Z",
            },
        )
        assert response.json()["items"] == [
            {"key": "brand-a", "value": 3},
            {"key": "", "value": 1},
            {"key": "brand-b", "value": 1},
        ]

    async def test_a_ratio_per_key(self, client):
        response = await client.get(
            "/v1/analytics/breakdown",
            params={
                "metric": "sentiment.positive_share",
                "by": "author",
                "brand_id": "brand-a",
                "from": f"{DAY}T00:00:00Z",
                "to": "2026-11-25T00:00:00Z",
            },
        )
        assert response.json()["items"] == [
            {"key": "sandbox:fan", "value": 1.0},
            {"key": "custom:troll", "value": 0.0},
        ]


class TestTop:
    async def test_top_posts_with_their_publications(self, client):
        response = await client.get(
            "/v1/analytics/top",
            params={
                "kind": "posts",
                "brand_id": "brand-a",
                "from": f"{DAY}T00:00:00Z",
                "to": "2026-11-25T00:00:00Z",
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["metric"] == "engagement"
        assert body["posts"] == [
            {
                "post_id": str(POST),
                "value": 5,
                "campaign_id": "camp-1",
                "publications": [
                    {"network": "sandbox", "external_id": "ext-1", "account": "sandbox:acc-1"}
                ],
            }
        ]

    async def test_top_authors_and_advocates(self, client):
        params = {
            "brand_id": "brand-a",
            "from": f"{DAY}T00:00:00Z",
            "to": "2026-11-25T00:00:00Z",
            "limit": "2",
        }
        authors = (
            await client.get("/v1/analytics/top", params={**params, "kind": "authors"})
        ).json()
        advocates = (
            await client.get("/v1/analytics/top", params={**params, "kind": "advocates"})
        ).json()
        assert [(a["author"], a["value"]) for a in authors["authors"]] == [
            ("sandbox:fan", 2),
            ("custom:troll", 1),
        ]
        assert advocates["metric"] == "sentiment.positive"
        assert [(a["network"], a["author_id"], a["value"]) for a in advocates["authors"]] == [
            ("sandbox", "fan", 2)
        ]

    async def test_ratios_do_not_rank(self, client):
        response = await client.get(
            "/v1/analytics/top",
            params={
                "kind": "posts",
                "metric": "engagement_rate",
                "from": f"{DAY}T00:00:00Z",
                "to": "2026-11-25T00:00:00Z",
            },
        )
        assert response.status_code == 422
        assert response.json()["code"] == "unsupported_query"


class TestValidation:
    async def assert_problem(self, response, code: str, pointers: set[str]) -> None:
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == code
        assert {e["pointer"] for e in body["errors"]} == pointers

    async def test_from_not_before_to_is_refused(self, client):
        response = await client.get(
            "/v1/analytics/series",
            params=series_params(**{"from": f"{DAY}T12:00:00Z", "to": f"{DAY}T12:00:00Z"}),
        )
        await self.assert_problem(response, "invalid_period", {"/query/to"})
        assert response.json()["errors"][0]["type"] == "period_empty"

    async def test_a_range_over_400_days_is_refused(self, client):
        longest = await client.get(
            "/v1/analytics/summary",
            params={"from": "2025-01-01T00:00:00Z", "to": "2026-02-05T00:00:00Z"},
        )
        response = await client.get(
            "/v1/analytics/summary",
            params={"from": "2025-01-01T00:00:00Z", "to": "2026-02-05T00:00:01Z"},
        )
        assert longest.status_code == 200
        await self.assert_problem(response, "invalid_period", {"/query/to"})
        assert response.json()["errors"][0]["type"] == "period_too_long"

    async def test_minute_buckets_over_a_week_are_refused(self, client):
        response = await client.get(
            "/v1/analytics/series", params=series_params(grain="minute", to="2026-12-01T00:00:01Z")
        )
        await self.assert_problem(response, "too_many_buckets", {"/query/grain"})

    async def test_an_unknown_grain_is_refused(self, client):
        response = await client.get("/v1/analytics/series", params=series_params(grain="week"))
        await self.assert_problem(response, "validation_failed", {"/query/grain"})

    async def test_an_unknown_metric_is_refused(self, client):
        response = await client.get(
            "/v1/analytics/series", params=series_params(metric="comments.recieved")
        )
        await self.assert_problem(response, "unknown_metric", {"/query/metric"})

    async def test_two_filters_besides_the_brand_are_refused(self, client):
        response = await client.get(
            "/v1/analytics/series", params=series_params(network="sandbox", campaign_id="camp-1")
        )
        await self.assert_problem(
            response, "unsupported_query", {"/query/network", "/query/campaign_id"}
        )

    async def test_times_without_an_offset_or_missing_are_refused(self, client):
        response = await client.get(
            "/v1/analytics/series", params={"metric": "comments", "from": "2026-11-24T10:00:00"}
        )
        await self.assert_problem(response, "validation_failed", {"/query/from", "/query/to"})


class TestAccess:
    async def test_another_tenant_sees_none_of_the_figures(
        self, client, settings_for, api_client, issue_api_key, unique
    ):
        key = await issue_api_key(unique("other"), scopes=("analytics:read",))
        async with api_client(create_app(settings_for(Settings)), key=key.key) as other:
            series = await other.get("/v1/analytics/series", params=series_params())
            summary = await other.get(
                "/v1/analytics/summary",
                params={"from": f"{DAY}T00:00:00Z", "to": "2026-11-25T00:00:00Z"},
            )
        assert series.json()["points"] == []
        assert summary.json()["figures"]["comments"]["current"] == 0

    async def test_a_key_without_the_analytics_scope_is_forbidden(
        self, settings_for, api_client, issue_api_key, unique
    ):
        key = await issue_api_key(unique("tenant"), scopes=("posts:read",))
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            response = await http.get("/v1/analytics/series", params=series_params())
        assert response.status_code == 403

    async def test_no_key_is_unauthorized(self, settings_for, api_client):
        async with api_client(create_app(settings_for(Settings))) as http:
            response = await http.get("/v1/analytics/metrics")
        assert response.status_code == 401

    async def test_the_catalogue_lists_stored_sums_and_ratios(self, client):
        response = await client.get("/v1/analytics/metrics")
        kinds = {m["name"]: m["kind"] for m in response.json()}
        assert (kinds["comments"], kinds["engagement"], kinds["engagement_rate"]) == (
            "stored",
            "sum",
            "ratio",
        )


class TestBrands:
    async def test_an_unregistered_brand_is_refused(self, client):
        for path, params in [
            ("/v1/analytics/series", series_params(brand_id="brand-z")),
            (
                "/v1/analytics/summary",
                {"from": f"{DAY}T00:00:00Z", "to": "2026-11-25T00:00:00Z", "brand_id": "brand-z"},
            ),
        ]:
            response = await client.get(path, params=params)
            assert response.status_code == 422, path
            assert response.json()["code"] == "unknown_brand"

    @pytest.fixture
    async def limited(self, client, settings_for, api_client, issue_api_key):
        """A key of the same tenant limited to brand-a."""
        key = await issue_api_key(client.tenant, scopes=("analytics:read",), brand_ids=("brand-a",))
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            yield http

    async def test_a_key_limited_to_a_brand_counts_only_that_brand(self, limited):
        series = await limited.get("/v1/analytics/series", params=series_params())
        summary = await limited.get(
            "/v1/analytics/summary",
            params={"from": f"{DAY}T00:00:00Z", "to": "2026-11-25T00:00:00Z"},
        )
        by_brand = await limited.get(
            "/v1/analytics/breakdown",
            params={
                "metric": "comments",
                "by": "brand",
                "from": f"{DAY}T00:00:00Z",
                "to": "2026-11-25T00:00:00Z",
            },
        )
        assert series.status_code == 200, series.text
        assert points(series.json()) == [("2026-11-24T10:00:00Z", 3)]
        assert summary.json()["figures"]["comments"]["current"] == 3
        assert by_brand.json()["items"] == [{"key": "brand-a", "value": 3}]

    async def test_a_key_limited_to_a_brand_may_not_name_another_or_none(self, limited):
        for brand_id in ("brand-b", ""):
            response = await limited.get(
                "/v1/analytics/series", params=series_params(brand_id=brand_id)
            )
            assert response.status_code == 403, brand_id
            assert response.json()["code"] == "brand_not_allowed"
        top = await limited.get(
            "/v1/analytics/top",
            params={
                "kind": "authors",
                "brand_id": "brand-b",
                "from": f"{DAY}T00:00:00Z",
                "to": "2026-11-25T00:00:00Z",
            },
        )
        assert top.status_code == 403
