"""The alerts API: listing with filters and cursor, one alert, closing by a person, auth."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from analytics.alerts.models import alert
from analytics.config import Settings
from analytics.db import outbox
from analytics.main import create_app
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import decode

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)


@pytest.fixture
async def seed_alerts(engine):
    """Commit alerts: `await seed_alerts(tenant, [(brand, kind, status, raised_at), ...])`."""

    async def add(tenant_id: str, rows: list[tuple[str, str, str, datetime]]) -> list[uuid.UUID]:
        ids = [uuid.uuid4() for _ in rows]
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                insert(alert),
                [
                    {
                        "id": id_,
                        "tenant_id": tenant_id,
                        "brand_id": brand,
                        "kind": kind,
                        "status": status,
                        "value": 40.0,
                        "baseline": 3.0,
                        "score": 21.4,
                        "window_start": raised_at - timedelta(minutes=7),
                        "window_end": raised_at - timedelta(minutes=2),
                        "raised_at": raised_at,
                        "resolved_at": raised_at + timedelta(hours=1)
                        if status == "resolved"
                        else None,
                        "resolved_by": "baseline" if status == "resolved" else None,
                    }
                    for id_, (brand, kind, status, raised_at) in zip(ids, rows, strict=True)
                ],
            )
        return ids

    return add


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, register_brands, unique, seed_alerts):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-a", "brand-b")
    key = await issue_api_key(tenant, scopes=("analytics:read", "analytics:write"))
    ids = await seed_alerts(
        tenant,
        [
            ("brand-a", "mention_volume", "resolved", T0),
            ("brand-a", "negative_sentiment", "open", T0 + timedelta(hours=1)),
            ("brand-b", "mention_volume", "open", T0 + timedelta(hours=2)),
        ],
    )
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
        http.ids = ids  # type: ignore[attr-defined]
        http.key_id = key.id  # type: ignore[attr-defined]
        yield http


def ids_of(body: dict[str, object]) -> list[str]:
    return [item["id"] for item in body["items"]]  # type: ignore[attr-defined,index]


class TestList:
    async def test_every_alert_newest_first(self, client):
        response = await client.get("/v1/alerts")
        assert response.status_code == 200
        a, b, c = (str(i) for i in client.ids)
        assert ids_of(response.json()) == [c, b, a]
        assert response.json()["next_cursor"] is None

    async def test_open_ones_of_one_brand(self, client):
        response = await client.get("/v1/alerts", params={"status": "open", "brand_id": "brand-a"})
        (only,) = response.json()["items"]
        assert only["id"] == str(client.ids[1])
        assert only["kind"] == "negative_sentiment"
        assert only["resolved_by"] is None

    async def test_resolved_ones(self, client):
        response = await client.get("/v1/alerts", params={"status": "resolved"})
        assert ids_of(response.json()) == [str(client.ids[0])]

    async def test_pages_follow_the_cursor(self, client):
        first = (await client.get("/v1/alerts", params={"limit": 2})).json()
        second = (
            await client.get("/v1/alerts", params={"limit": 2, "cursor": first["next_cursor"]})
        ).json()
        assert ids_of(first) + ids_of(second) == [str(i) for i in reversed(client.ids)]
        assert second["next_cursor"] is None

    async def test_an_unregistered_brand_is_refused(self, client):
        response = await client.get("/v1/alerts", params={"brand_id": "brand-z"})
        assert response.status_code == 422
        assert response.json()["code"] == "unknown_brand"

    async def test_an_unknown_status_is_a_validation_problem(self, client):
        response = await client.get("/v1/alerts", params={"status": "closed"})
        assert response.status_code == 422


class TestOne:
    async def test_get_an_alert(self, client):
        response = await client.get(f"/v1/alerts/{client.ids[2]}")
        assert response.status_code == 200
        assert response.json()["brand_id"] == "brand-b"
        assert response.json()["status"] == "open"

    async def test_another_tenant_s_alert_is_not_found(self, client, seed_alerts, unique):
        (theirs,) = await seed_alerts(unique("other"), [("brand-a", "mention_volume", "open", T0)])
        response = await client.get(f"/v1/alerts/{theirs}")
        assert response.status_code == 404
        assert response.json()["code"] == "alert_not_found"


class TestResolve:
    async def test_the_caller_closes_an_open_alert_and_is_recorded(self, client, engine):
        alert_id = client.ids[2]
        response = await client.post(f"/v1/alerts/{alert_id}/resolve")

        assert response.status_code == 200
        assert response.json()["status"] == "resolved"
        assert response.json()["resolved_by"] == f"key:{client.key_id}"
        async with create_sessionmaker(engine)() as session:
            values = (await session.execute(select(outbox.c.value))).scalars().all()
        (event,) = [
            env
            for env in map(decode, values)
            if env.type == "analytics.alert.resolved" and env.data["alert_id"] == str(alert_id)
        ]
        assert event.tenantid == client.tenant
        assert event.data["resolved_by"] == f"key:{client.key_id}"

    async def test_closing_a_resolved_alert_is_a_conflict(self, client):
        response = await client.post(
            f"/v1/alerts/{client.ids[0]}/resolve",
        )
        assert response.status_code == 409
        assert response.json()["code"] == "alert_already_resolved"

    async def test_closing_needs_the_write_scope(self, settings_for, api_client, issue_api_key):
        key = await issue_api_key("some-tenant", scopes=("analytics:read",))
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            response = await http.post(
                f"/v1/alerts/{uuid.uuid4()}/resolve",
            )
        assert response.status_code == 403

    async def test_closing_an_unknown_alert_is_not_found(self, client):
        response = await client.post(
            f"/v1/alerts/{uuid.uuid4()}/resolve",
        )
        assert response.status_code == 404


class TestLimitedToBrands:
    """A key limited to brand-a sees and changes nothing of brand-b."""

    @pytest.fixture
    async def limited(self, client, settings_for, api_client, issue_api_key):
        key = await issue_api_key(
            client.tenant, scopes=("analytics:read", "analytics:write"), brand_ids=("brand-a",)
        )
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            http.ids = client.ids  # type: ignore[attr-defined]
            yield http

    async def test_the_list_holds_only_its_brands(self, limited):
        response = await limited.get("/v1/alerts")
        assert response.status_code == 200
        assert ids_of(response.json()) == [str(limited.ids[1]), str(limited.ids[0])]
        assert {item["brand_id"] for item in response.json()["items"]} == {"brand-a"}

    async def test_naming_another_brand_is_forbidden(self, limited):
        response = await limited.get("/v1/alerts", params={"brand_id": "brand-b"})
        assert response.status_code == 403
        assert response.json()["code"] == "brand_not_allowed"

    async def test_another_brand_s_alert_is_not_found(self, limited):
        assert (await limited.get(f"/v1/alerts/{limited.ids[2]}")).status_code == 404
        response = await limited.post(f"/v1/alerts/{limited.ids[2]}/resolve")
        assert response.status_code == 404
        assert (await limited.get(f"/v1/alerts/{limited.ids[1]}")).status_code == 200
