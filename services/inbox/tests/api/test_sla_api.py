"""A brand's SLA policy over HTTP, and the conversations' due times and `overdue` filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.integration

OFFICE = {
    "first_response_seconds": 3600,
    "next_response_seconds": 7200,
    "resolution_seconds": 86400,
    "timezone": "Europe/Paris",
    "business_hours": {
        "weekly": [
            {"weekday": day, "opens": "09:00", "closes": "18:00"}
            for day in ("friday", "monday", "tuesday", "wednesday", "thursday")
        ],
        "holidays": ["2026-12-25", "2026-01-01"],
    },
}
URL = "/v1/brands/brand-1/sla-policy"


@pytest.fixture
async def admin(tenant, member, as_key):
    """Headers of an admin of the organization."""
    return as_key((await member(tenant, "admin")).key)


def problem(response, status, code):
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    return response.json()


async def test_a_policy_is_set_read_replaced_and_removed(http, admin):
    assert problem(await http.get(URL, headers=admin), 404, "sla_policy_not_found")
    saved = await http.put(URL, json=OFFICE, headers=admin)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["brand_id"] == "brand-1"
    assert body["timezone"] == body["zone_in_use"] == "Europe/Paris"
    # Kept by weekday and time, holidays in order.
    assert [o["weekday"] for o in body["business_hours"]["weekly"]] == [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
    ]
    assert body["business_hours"]["holidays"] == ["2026-01-01", "2026-12-25"]
    assert body["updated_by"].startswith("user:")
    assert (await http.get(URL, headers=admin)).json() == body

    calendar = {"first_response_seconds": 900}
    replaced = (await http.put(URL, json=calendar, headers=admin)).json()
    assert replaced["business_hours"] is None
    assert replaced["next_response_seconds"] is None
    assert (replaced["timezone"], replaced["zone_in_use"]) == (None, "UTC")
    assert replaced["created_at"] == body["created_at"]

    assert (await http.delete(URL, headers=admin)).status_code == 204
    assert problem(await http.get(URL, headers=admin), 404, "sla_policy_not_found")
    assert problem(await http.delete(URL, headers=admin), 404, "sla_policy_not_found")


async def test_an_unknown_time_zone_is_refused(http, admin):
    found = problem(
        await http.put(URL, json={**OFFICE, "timezone": "Europe/Atlantis"}, headers=admin),
        422,
        "invalid_timezone",
    )
    assert found["errors"][0]["pointer"] == "/timezone"


async def test_inverted_and_overlapping_hours_are_refused_each_named(http, admin):
    hours = {
        "weekly": [
            {"weekday": "monday", "opens": "09:00", "closes": "12:00"},
            {"weekday": "monday", "opens": "11:00", "closes": "14:00"},
            {"weekday": "tuesday", "opens": "22:00", "closes": "02:00"},
            {"weekday": "wednesday", "opens": "12:00", "closes": "12:00"},
            # Touching is not overlapping.
            {"weekday": "thursday", "opens": "09:00", "closes": "12:00"},
            {"weekday": "thursday", "opens": "12:00", "closes": "24:00"},
        ]
    }
    found = problem(
        await http.put(URL, json={**OFFICE, "business_hours": hours}, headers=admin),
        422,
        "invalid_business_hours",
    )
    assert sorted(e["pointer"] for e in found["errors"]) == [
        "/business_hours/weekly/1",
        "/business_hours/weekly/2",
        "/business_hours/weekly/3",
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"first_response_seconds": -60},
        {"resolution_seconds": 0},
        {"next_response_seconds": 31 * 86400},
    ],
)
async def test_a_duration_out_of_bounds_is_refused(http, admin, change):
    found = problem(
        await http.put(URL, json={**OFFICE, **change}, headers=admin), 422, "validation_failed"
    )
    assert found["errors"][0]["pointer"] == f"/{next(iter(change))}"


async def test_a_policy_without_a_target_is_refused(http, admin):
    problem(
        await http.put(URL, json={"timezone": "Europe/Paris"}, headers=admin),
        422,
        "sla_target_required",
    )


async def test_the_brand_decides_who_reads_and_changes_it(
    http, tenant, member, issue_api_key, as_key
):
    limited = as_key((await member(tenant, "agent", brand_roles={"brand-2": "agent"})).key)
    problem(await http.put(URL, json=OFFICE, headers=limited), 403, "brand_not_allowed")
    problem(await http.get(URL, headers=limited), 403, "brand_not_allowed")
    reader = as_key((await issue_api_key(tenant, scopes=("interactions:read",))).key)
    problem(await http.put(URL, json=OFFICE, headers=reader), 403, "forbidden")
    assert (await http.get(URL, headers=reader)).status_code == 404
    admin = as_key((await member(tenant, "admin")).key)
    unknown = "/v1/brands/brand-9/sla-policy"
    problem(await http.put(unknown, json=OFFICE, headers=admin), 422, "unknown_brand")


async def test_conversations_past_their_due_time_are_overdue(http, admin, tenant, receive):
    saved = await http.put(URL, json={"first_response_seconds": 600}, headers=admin)
    assert saved.status_code == 200
    now = datetime.now(UTC)
    late = await receive(
        tenant, "anyone there?", thread_external_id="p-late", created_at=now - timedelta(hours=1)
    )
    await receive(tenant, "just asked", thread_external_id="p-fresh", created_at=now)
    await receive(
        tenant,
        "no policy",
        brand_id="brand-2",
        thread_external_id="p-other",
        created_at=now - timedelta(hours=1),
    )

    overdue = await http.get("/v1/conversations", params={"overdue": "true"}, headers=admin)
    assert overdue.status_code == 200, overdue.text
    [item] = overdue.json()["items"]
    assert item["thread_external_id"] == "p-late"
    assert item["sla"]["overdue"] is True
    due = datetime.fromisoformat(item["sla"]["first_response_due_at"])
    assert due == late.created_at + timedelta(minutes=10)
    assert item["sla"]["next_response_due_at"] is None
    on_time = await http.get("/v1/conversations", params={"overdue": "false"}, headers=admin)
    assert {i["thread_external_id"] for i in on_time.json()["items"]} == {"p-fresh", "p-other"}
    counts = await http.get("/v1/conversations/counts", params={"overdue": "true"}, headers=admin)
    assert counts.json() == {"open": 1, "pending": 0, "snoozed": 0, "resolved": 0}

    resolved = await http.patch(
        f"/v1/conversations/{item['id']}", json={"status": "resolved"}, headers=admin
    )
    assert resolved.json()["sla"] == {
        "first_response_due_at": None,
        "next_response_due_at": None,
        "resolution_due_at": None,
        "overdue": False,
    }
    again = await http.get("/v1/conversations", params={"overdue": "true"}, headers=admin)
    assert again.json()["items"] == []
