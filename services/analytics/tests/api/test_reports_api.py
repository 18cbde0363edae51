"""The reports API: generating, listing, downloading, the CSV export, weekly schedules;
validation, tenant isolation and scopes."""

from __future__ import annotations

import contextlib
import csv
import io
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from analytics.config import Settings
from analytics.main import create_app
from beacon_shared.contracts.common import Network
from beacon_shared.db import create_sessionmaker

pytestmark = pytest.mark.integration

# Monday 16 to Sunday 22 November 2026 in Europe/Paris.
WEEK = {"period_start": "2026-11-16T00:00:00+01:00", "period_end": "2026-11-23T00:00:00+01:00"}
READ, WRITE = ("analytics:read",), ("analytics:read", "analytics:write")


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def make_client(settings_for, api_client, issue_api_key, register_brands):
    """A client of the tenant, whose brand-a and brand-b are registered; its key is limited to
    `brand_ids` when given."""

    @contextlib.asynccontextmanager
    async def make(
        tenant: str, scopes: tuple[str, ...] = WRITE, brand_ids: tuple[str, ...] | None = None
    ):
        await register_brands(tenant, "brand-a", "brand-b")
        key = await issue_api_key(tenant, scopes=scopes, brand_ids=brand_ids)
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            yield http

    return make


@pytest.fixture
async def tenant(engine, events, consume) -> str:
    """brand-a (Europe/Paris): 3 comments on mastodon on Tuesday 17 November, 1 on bluesky the
    Tuesday before."""
    async with create_sessionmaker(engine)() as session, session.begin():
        await consume(
            session,
            [
                events.brand_configured(timezone="Europe/Paris", configured_at=utc(1, 0)),
                *(
                    events.comment(created_at=utc(17, 9), network=Network.mastodon)
                    for _ in range(3)
                ),
                events.comment(created_at=utc(10, 9), network=Network.bluesky),
            ],
        )
    return events.tenant_id


@pytest.fixture
async def client(tenant, make_client):
    async with make_client(tenant) as http:
        yield http


def assert_problem(response, status: int, code: str, pointers: set[str]) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert {e["pointer"] for e in body.get("errors", [])} == pointers


def interactions(body: dict[str, object]) -> tuple[object, object]:
    (line,) = [f for f in body["content"]["summary"] if f["metric"] == "interactions"]  # type: ignore[index]
    return line["current"], line["previous"]


class TestStoredReports:
    async def test_a_report_is_generated_stored_and_read_back(self, client):
        created = await client.post("/v1/reports", json={"brand_id": "brand-a", **WEEK})
        assert created.status_code == 201, created.text
        body = created.json()
        assert created.headers["location"] == body["path"] == f"/v1/reports/{body['id']}"
        assert (body["origin"], body["timezone"], body["formats"]) == (
            "request",
            "Europe/Paris",
            ["csv", "pdf"],
        )
        assert interactions(body) == (3, 1)

        fetched = await client.get(body["path"])
        assert fetched.status_code == 200
        assert fetched.json() == body

    async def test_the_list_pages_newest_first_without_content(self, client):
        ids = []
        for _ in range(3):
            created = await client.post("/v1/reports", json={"brand_id": "brand-a", **WEEK})
            ids.append(created.json()["id"])
        await client.post("/v1/reports", json={"brand_id": "brand-b", **WEEK})

        first = (await client.get("/v1/reports", params={"brand_id": "brand-a", "limit": 2})).json()
        second = (
            await client.get(
                "/v1/reports",
                params={"brand_id": "brand-a", "limit": 2, "cursor": first["next_cursor"]},
            )
        ).json()
        assert [r["id"] for r in first["items"] + second["items"]] == ids[::-1]
        assert second["next_cursor"] is None
        assert "content" not in first["items"][0]
        every = (await client.get("/v1/reports")).json()["items"]
        assert {r["brand_id"] for r in every} == {"brand-a", "brand-b"}

    async def test_downloads_are_csv_and_pdf_attachments(self, client):
        path = (await client.post("/v1/reports", json={"brand_id": "brand-a", **WEEK})).json()[
            "path"
        ]

        as_csv = await client.get(f"{path}/csv")
        assert as_csv.status_code == 200
        assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert as_csv.headers["content-disposition"] == (
            'attachment; filename="report-brand-a-2026-11-16-2026-11-22.csv"'
        )
        rows = list(csv.DictReader(io.StringIO(as_csv.text)))
        (total,) = [r for r in rows if (r["section"], r["metric"]) == ("summary", "interactions")]
        assert (total["value"], total["previous"]) == ("3", "1")

        as_pdf = await client.get(f"{path}/pdf")
        assert as_pdf.status_code == 200
        assert as_pdf.headers["content-type"] == "application/pdf"
        assert as_pdf.headers["content-disposition"] == (
            'attachment; filename="report-brand-a-2026-11-16-2026-11-22.pdf"'
        )
        text = " ".join(PdfReader(io.BytesIO(as_pdf.content)).pages[0].extract_text().split())
        assert "Report: brand-a" in text
        assert "Interactions 3 1 +200.0 %" in text

    async def test_a_period_that_holds_nothing_is_refused_in_the_body(self, client):
        response = await client.post(
            "/v1/reports",
            json={
                "brand_id": "brand-a",
                "period_start": WEEK["period_end"],
                "period_end": WEEK["period_start"],
            },
        )
        assert_problem(response, 422, "invalid_period", {"/period_end"})

    async def test_times_without_an_offset_are_refused(self, client):
        response = await client.post(
            "/v1/reports",
            json={
                "brand_id": "brand-a",
                "period_start": "2026-11-16T00:00:00",
                "period_end": WEEK["period_end"],
            },
        )
        assert_problem(response, 422, "validation_failed", {"/period_start"})

    async def test_unknown_ids_are_404(self, client):
        for suffix in ("", "/csv", "/pdf"):
            response = await client.get(f"/v1/reports/{uuid.uuid4()}{suffix}")
            assert_problem(response, 404, "report_not_found", set())


class TestExport:
    async def test_the_export_is_computed_now_and_stored_nowhere(self, client):
        response = await client.get(
            "/v1/reports/export.csv",
            params={
                "brand_id": "brand-a",
                "from": "2026-11-17T00:00:00+01:00",
                "to": "2026-11-18T00:00:00+01:00",
                "grain": "hour",
            },
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == (
            'attachment; filename="report-brand-a-2026-11-17-2026-11-17.csv"'
        )
        rows = list(csv.DictReader(io.StringIO(response.text)))
        hours = [r for r in rows if (r["section"], r["metric"]) == ("series", "interactions")]
        assert len(hours) == 24
        assert [r["value"] for r in hours if r["value"] != "0"] == ["3"]
        assert [r["bucket_start"] for r in hours if r["value"] == "3"] == [
            "2026-11-17T10:00:00+01:00"
        ]
        assert (await client.get("/v1/reports")).json()["items"] == []

    @pytest.mark.parametrize(
        ("params", "code", "pointer"),
        [
            ({"to": "2026-11-16T00:00:00+01:00"}, "invalid_period", "/query/to"),
            ({"from": "2025-01-01T00:00:00Z"}, "invalid_period", "/query/to"),
            ({"grain": "minute"}, "validation_failed", "/query/grain"),
            ({"brand_id": ""}, "validation_failed", "/query/brand_id"),
        ],
    )
    async def test_bad_queries_are_422(self, client, params, code, pointer):
        query = {
            "brand_id": "brand-a",
            "from": "2026-11-16T00:00:00+01:00",
            "to": "2026-11-23T00:00:00+01:00",
            **params,
        }
        response = await client.get("/v1/reports/export.csv", params=query)
        assert_problem(response, 422, code, {pointer})


class TestSchedules:
    PATH = "/v1/brands/brand-a/report-schedule"

    async def test_put_get_and_delete(self, client):
        put = await client.put(self.PATH, json={"weekday": "monday", "hour": 8})
        assert put.status_code == 200, put.text
        body = put.json()
        assert (body["brand_id"], body["weekday"], body["hour"], body["timezone"]) == (
            "brand-a",
            "monday",
            8,
            "Europe/Paris",
        )
        next_run = datetime.fromisoformat(body["next_run_at"])
        local = next_run.astimezone(ZoneInfo("Europe/Paris"))
        assert (local.isoweekday(), local.hour, local.minute) == (1, 8, 0)
        assert next_run > datetime.now(UTC)
        assert (await client.get(self.PATH)).json() == body

        assert (await client.delete(self.PATH)).status_code == 204
        assert_problem(await client.get(self.PATH), 404, "report_schedule_not_found", set())
        assert_problem(await client.delete(self.PATH), 404, "report_schedule_not_found", set())

    @pytest.mark.parametrize(
        ("body", "pointer"),
        [
            ({"weekday": "someday", "hour": 8}, "/weekday"),
            ({"weekday": "monday", "hour": 24}, "/hour"),
            ({"weekday": "monday"}, "/hour"),
            ({"weekday": "monday", "hour": True}, "/hour"),
            ({"weekday": "monday", "hour": "8"}, "/hour"),
        ],
    )
    async def test_bad_schedules_are_422(self, client, body, pointer):
        assert_problem(await client.put(self.PATH, json=body), 422, "validation_failed", {pointer})


class TestAccess:
    async def test_another_tenant_sees_nothing(self, client, make_client, unique):
        path = (await client.post("/v1/reports", json={"brand_id": "brand-a", **WEEK})).json()[
            "path"
        ]
        await client.put(TestSchedules.PATH, json={"weekday": "monday", "hour": 8})
        async with make_client(unique("other")) as other:
            for suffix in ("", "/csv", "/pdf"):
                assert (await other.get(f"{path}{suffix}")).status_code == 404
            assert (await other.get("/v1/reports")).json()["items"] == []
            assert (await other.get(TestSchedules.PATH)).status_code == 404
            assert (await other.delete(TestSchedules.PATH)).status_code == 404
            exported = await other.get(
                "/v1/reports/export.csv",
                params={
                    "brand_id": "brand-a",
                    "from": "2026-11-16T00:00:00+01:00",
                    "to": "2026-11-23T00:00:00+01:00",
                },
            )
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        (total,) = [r for r in rows if (r["section"], r["metric"]) == ("summary", "interactions")]
        assert (total["value"], total["previous"]) == ("0", "0")
        assert (await client.get(TestSchedules.PATH)).status_code == 200
        await client.delete(TestSchedules.PATH)

    async def test_writing_needs_analytics_write(self, tenant, make_client):
        async with make_client(tenant, READ) as reader:
            assert (await reader.get("/v1/reports")).status_code == 200
            created = await reader.post("/v1/reports", json={"brand_id": "brand-a", **WEEK})
            scheduled = await reader.put(TestSchedules.PATH, json={"weekday": "monday", "hour": 8})
            deleted = await reader.delete(TestSchedules.PATH)
        for response in (created, scheduled, deleted):
            assert_problem(response, 403, "forbidden", set())

    async def test_an_unregistered_brand_is_refused(self, client):
        period = {"from": "2026-11-16T00:00:00+01:00", "to": "2026-11-23T00:00:00+01:00"}
        for response in (
            await client.post("/v1/reports", json={"brand_id": "brand-q", **WEEK}),
            await client.get("/v1/reports", params={"brand_id": "brand-q"}),
            await client.get("/v1/reports/export.csv", params={"brand_id": "brand-q", **period}),
            await client.put(
                "/v1/brands/brand-q/report-schedule", json={"weekday": "monday", "hour": 8}
            ),
            await client.get("/v1/brands/brand-q/report-schedule"),
        ):
            assert_problem(response, 422, "unknown_brand", set())

    async def test_a_key_limited_to_another_brand_sees_and_changes_nothing(
        self, client, tenant, make_client
    ):
        path = (await client.post("/v1/reports", json={"brand_id": "brand-a", **WEEK})).json()[
            "path"
        ]
        await client.post("/v1/reports", json={"brand_id": "brand-b", **WEEK})
        await client.put(TestSchedules.PATH, json={"weekday": "monday", "hour": 8})
        async with make_client(tenant, brand_ids=("brand-b",)) as limited:
            for suffix in ("", "/csv", "/pdf"):
                assert (await limited.get(f"{path}{suffix}")).status_code == 404
            listed = (await limited.get("/v1/reports")).json()["items"]
            named = await limited.get("/v1/reports", params={"brand_id": "brand-a"})
            created = await limited.post("/v1/reports", json={"brand_id": "brand-a", **WEEK})
            exported = await limited.get(
                "/v1/reports/export.csv",
                params={
                    "brand_id": "brand-a",
                    "from": "2026-11-16T00:00:00+01:00",
                    "to": "2026-11-23T00:00:00+01:00",
                },
            )
            schedule = [
                await limited.get(TestSchedules.PATH),
                await limited.put(TestSchedules.PATH, json={"weekday": "friday", "hour": 9}),
                await limited.delete(TestSchedules.PATH),
            ]
        assert {r["brand_id"] for r in listed} == {"brand-b"}
        for response in (named, created, exported, *schedule):
            assert_problem(response, 403, "brand_not_allowed", set())
        kept = (await client.get(TestSchedules.PATH)).json()
        assert (kept["weekday"], kept["hour"]) == ("monday", 8)
        await client.delete(TestSchedules.PATH)

    async def test_reading_needs_a_key(self, tenant, settings_for, api_client):
        async with api_client(create_app(settings_for(Settings))) as anonymous:
            response = await anonymous.get("/v1/reports/export.csv", params={"brand_id": "b"})
        assert response.status_code == 401


async def test_the_openapi_document_declares_the_downloads(tenant, make_client):
    async with make_client(tenant) as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
    ok = "200"
    assert set(paths["/v1/reports/export.csv"]["get"]["responses"][ok]["content"]) == {"text/csv"}
    assert set(paths["/v1/reports/{report_id}/csv"]["get"]["responses"][ok]["content"]) == {
        "text/csv"
    }
    assert set(paths["/v1/reports/{report_id}/pdf"]["get"]["responses"][ok]["content"]) == {
        "application/pdf"
    }
    assert "422" in paths["/v1/reports"]["post"]["responses"]
    assert set(paths["/v1/brands/{brand_id}/report-schedule"]) == {"get", "put", "delete"}
