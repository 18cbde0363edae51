"""The counters API: series, summary, validation, tenant isolation and auth."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analytics.config import Settings
from analytics.counters import service
from analytics.counters.metrics import CounterKey
from analytics.main import create_app
from beacon_shared.db import create_sessionmaker

pytestmark = pytest.mark.integration

DAY = "2026-11-24"


def at(hour: int, minute: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def seed(engine):
    """Commit counter increments: `await seed(tenant, [(brand, metric, minute), ...])`."""

    async def add(tenant_id: str, increments: list[tuple[str, str, datetime]]) -> None:
        async with create_sessionmaker(engine)() as session, session.begin():
            await service.record(
                session,
                [CounterKey(tenant_id, brand, metric, t) for brand, metric, t in increments],
            )

    return add


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, unique, seed):
    tenant = unique("tenant")
    key = await issue_api_key(tenant, scopes=("analytics:read",))
    await seed(
        tenant,
        [
            ("brand-a", "comments.received", at(10, 1)),
            ("brand-a", "comments.received", at(10, 1)),
            ("brand-a", "comments.received", at(10, 59)),
            ("brand-b", "comments.received", at(11, 30)),
            ("", "comments.received", at(11, 31)),
            ("brand-a", "comments.received", at(9, 0, day=25)),
            ("brand-a", "posts.published", at(10, 5)),
            ("brand-a", "comments.moderated.hide", at(10, 2)),
        ],
    )
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
        yield http


def series_params(**overrides: str) -> dict[str, str]:
    params = {
        "metric": "comments.received",
        "from": f"{DAY}T00:00:00Z",
        "to": f"{DAY}T23:59:59Z",
        "bucket": "hour",
    }
    params.update(overrides)
    return params


def points(body: dict[str, object]) -> list[tuple[str, int]]:
    return [(p["bucket_start"], p["count"]) for p in body["points"]]  # type: ignore[attr-defined,index]


class TestSeries:
    async def test_hourly_buckets_sum_every_brand(self, client):
        response = await client.get("/v1/counters", params=series_params())
        assert response.status_code == 200
        assert response.json()["bucket"] == "hour"
        assert points(response.json()) == [
            ("2026-11-24T10:00:00Z", 3),
            ("2026-11-24T11:00:00Z", 2),
        ]

    async def test_minute_buckets_keep_each_minute(self, client):
        response = await client.get(
            "/v1/counters",
            params=series_params(bucket="minute", to=f"{DAY}T11:00:00Z"),
        )
        assert points(response.json()) == [
            ("2026-11-24T10:01:00Z", 2),
            ("2026-11-24T10:59:00Z", 1),
        ]

    async def test_day_buckets_span_days(self, client):
        response = await client.get(
            "/v1/counters", params=series_params(bucket="day", to="2026-11-30T00:00:00Z")
        )
        assert points(response.json()) == [
            ("2026-11-24T00:00:00Z", 5),
            ("2026-11-25T00:00:00Z", 1),
        ]

    async def test_the_range_includes_from_and_excludes_to(self, client):
        response = await client.get(
            "/v1/counters",
            params=series_params(
                bucket="minute", **{"from": f"{DAY}T10:01:00Z", "to": f"{DAY}T10:59:00Z"}
            ),
        )
        assert points(response.json()) == [("2026-11-24T10:01:00Z", 2)]

    async def test_an_offset_in_the_range_is_honoured(self, client):
        response = await client.get(
            "/v1/counters",
            params=series_params(
                **{"from": f"{DAY}T12:30:00+01:00", "to": f"{DAY}T13:00:00+01:00"}
            ),
        )
        assert points(response.json()) == [("2026-11-24T11:00:00Z", 2)]

    async def test_a_brand_filter_keeps_that_brand_only(self, client):
        response = await client.get("/v1/counters", params=series_params(brand_id="brand-b"))
        assert response.json()["brand_id"] == "brand-b"
        assert points(response.json()) == [("2026-11-24T11:00:00Z", 1)]

    async def test_an_empty_brand_filter_keeps_events_without_a_brand(self, client):
        response = await client.get("/v1/counters", params=series_params(brand_id=""))
        assert points(response.json()) == [("2026-11-24T11:00:00Z", 1)]

    async def test_a_known_metric_never_counted_is_an_empty_series(self, client):
        response = await client.get(
            "/v1/counters", params=series_params(metric="engagements.recorded.share")
        )
        assert response.status_code == 200
        assert response.json()["points"] == []


class TestSummary:
    async def test_totals_every_metric_in_the_range(self, client):
        response = await client.get(
            "/v1/counters/summary", params={"from": f"{DAY}T00:00:00Z", "to": f"{DAY}T23:59:59Z"}
        )
        assert response.status_code == 200
        assert response.json() == {
            "brand_id": None,
            "totals": {
                "comments.moderated.hide": 1,
                "comments.received": 5,
                "posts.published": 1,
            },
        }

    async def test_a_brand_filter_applies_to_the_totals(self, client):
        response = await client.get(
            "/v1/counters/summary",
            params={
                "from": f"{DAY}T00:00:00Z",
                "to": "2026-11-26T00:00:00Z",
                "brand_id": "brand-b",
            },
        )
        assert response.json()["totals"] == {"comments.received": 1}


class TestValidation:
    async def assert_problem(self, response, code: str, pointers: set[str]) -> None:
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == code
        assert {e["pointer"] for e in body["errors"]} == pointers

    async def test_from_after_to_is_refused(self, client):
        response = await client.get(
            "/v1/counters",
            params=series_params(**{"from": f"{DAY}T12:00:00Z", "to": f"{DAY}T12:00:00Z"}),
        )
        await self.assert_problem(response, "invalid_time_range", {"/query/to"})

    async def test_a_range_over_400_days_is_refused(self, client):
        longest = await client.get(
            "/v1/counters/summary",
            params={"from": "2025-01-01T00:00:00Z", "to": "2026-02-05T00:00:00Z"},
        )
        response = await client.get(
            "/v1/counters/summary",
            params={"from": "2025-01-01T00:00:00Z", "to": "2026-02-05T00:00:01Z"},
        )
        assert longest.status_code == 200
        await self.assert_problem(response, "invalid_time_range", {"/query/to"})

    async def test_minute_buckets_over_a_week_are_refused(self, client):
        response = await client.get(
            "/v1/counters", params=series_params(bucket="minute", to="2026-12-01T00:00:01Z")
        )
        await self.assert_problem(response, "too_many_buckets", {"/query/bucket"})

    async def test_an_unknown_bucket_is_refused(self, client):
        response = await client.get("/v1/counters", params=series_params(bucket="week"))
        await self.assert_problem(response, "validation_failed", {"/query/bucket"})

    async def test_an_unknown_metric_is_refused(self, client):
        response = await client.get(
            "/v1/counters", params=series_params(metric="comments.recieved")
        )
        await self.assert_problem(response, "unknown_metric", {"/query/metric"})

    async def test_times_without_an_offset_or_missing_are_refused(self, client):
        response = await client.get(
            "/v1/counters", params={"metric": "comments.received", "from": "2026-11-24T10:00:00"}
        )
        await self.assert_problem(response, "validation_failed", {"/query/from", "/query/to"})


class TestAccess:
    async def test_another_tenant_sees_none_of_the_counts(
        self, client, settings_for, api_client, issue_api_key, unique
    ):
        key = await issue_api_key(unique("other"), scopes=("analytics:read",))
        async with api_client(create_app(settings_for(Settings)), key=key.key) as other:
            series = await other.get("/v1/counters", params=series_params())
            summary = await other.get(
                "/v1/counters/summary",
                params={"from": f"{DAY}T00:00:00Z", "to": f"{DAY}T23:00:00Z"},
            )
        mine = await client.get("/v1/counters", params=series_params())

        assert points(mine.json()) != []
        assert series.json()["points"] == []
        assert summary.json()["totals"] == {}

    @pytest.mark.parametrize("path", ["/v1/counters", "/v1/counters/summary"])
    async def test_a_request_without_a_key_is_a_401_problem(self, settings_for, api_client, path):
        async with api_client(create_app(settings_for(Settings))) as anonymous:
            response = await anonymous.get(path, params=series_params())
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unauthorized"

    async def test_a_key_without_the_scope_is_a_403_problem(
        self, settings_for, api_client, issue_api_key, unique
    ):
        key = await issue_api_key(unique("t"), scopes=("interactions:read",))
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            response = await http.get("/v1/counters", params=series_params())
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
