"""Brand publishing settings: the workspace's, kept from brand.configured (newest first, a
deleted brand's posts cancelled), read over HTTP with the paused state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from beacon_shared.contracts.analytics import AlertKind, AlertRaised
from beacon_shared.contracts.publisher import PostScheduled
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope, decode
from publisher.brands.handlers import alert_raised
from publisher.config import Settings
from publisher.db import outbox
from publisher.main import create_app

pytestmark = pytest.mark.integration

BRAND = "brand-calm"


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, register_brands, unique):
    tenant = unique("tenant")
    await register_brands(tenant, BRAND)
    key = await issue_api_key(tenant)
    settings = settings_for(Settings, credentials_key=Fernet.generate_key().decode())
    async with api_client(create_app(settings), key=key.key) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
        yield http


async def raise_alert(engine, tenant_id: str, brand_id: str) -> uuid.UUID:
    alert_id = uuid.uuid4()
    payload = AlertRaised(
        alert_id=alert_id,
        brand_id=brand_id,
        kind=AlertKind.mention_volume,
        value=50,
        baseline=4,
        score=15.5,
        window_start=datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
        window_end=datetime(2026, 11, 24, 10, 5, tzinfo=UTC),
        raised_at=datetime(2026, 11, 24, 10, 7, tzinfo=UTC),
    )
    envelope = Envelope.build(
        payload, tenant_id=tenant_id, subject=brand_id, source="/beacon/analytics"
    )
    async with create_sessionmaker(engine)() as session, session.begin():
        await alert_raised(session, envelope)
    return alert_id


async def test_a_brand_never_configured_has_the_defaults_and_no_pause(client):
    response = await client.get(f"/v1/brands/{BRAND}/publishing-settings")
    assert response.status_code == 200
    assert response.json() == {
        "timezone": "UTC",
        "approval_required": False,
        "self_approval_allowed": False,
        "pause_on_alert": False,
        "paused_by_alert": False,
        "open_alerts": [],
    }


async def test_an_unregistered_brand_is_a_422(client):
    response = await client.get("/v1/brands/nobody-registered-me/publishing-settings")

    assert response.status_code == 422
    assert response.json()["code"] == "unknown_brand"


async def test_the_workspaces_newest_settings_are_kept_whatever_order_they_arrive_in(
    client, configure_brand
):
    newer = await configure_brand(
        client.tenant, BRAND, timezone="Europe/Paris", pause_on_alert=True
    )
    await configure_brand(
        client.tenant,
        BRAND,
        timezone="Asia/Tokyo",
        configured_at=newer.configured_at - timedelta(seconds=1),
    )

    kept = (await client.get(f"/v1/brands/{BRAND}/publishing-settings")).json()

    assert (kept["timezone"], kept["pause_on_alert"]) == ("Europe/Paris", True)


async def test_settings_are_changed_in_the_workspace_not_here(client):
    response = await client.put(
        f"/v1/brands/{BRAND}/publishing-settings", json={"timezone": "Europe/Paris"}
    )
    assert response.status_code == 405


async def test_a_deleted_brands_posts_not_yet_out_are_cancelled(client, configure_brand, engine):
    account = await client.post(
        "/v1/publishing-accounts",
        json={"network": "sandbox", "external_account_id": uuid.uuid4().hex},
    )
    scheduled = await client.post(
        "/v1/posts",
        json={
            "text": "Soon",
            "targets": [{"account_id": account.json()["id"]}],
            "brand_id": BRAND,
            "scheduled_at": (datetime.now(UTC) + timedelta(hours=3)).isoformat(),
        },
    )
    assert scheduled.status_code == 201, scheduled.text

    await configure_brand(client.tenant, BRAND, deleted=True)

    after = (await client.get(f"/v1/posts/{scheduled.json()['id']}")).json()
    assert after["status"] == "cancelled"
    async with engine.connect() as conn:
        changes = [
            decode(v).payload(PostScheduled).change
            for v in (
                await conn.execute(
                    select(outbox.c.value)
                    .where(
                        outbox.c.key == scheduled.json()["id"], outbox.c.topic == "post.scheduled"
                    )
                    .order_by(outbox.c.id)
                )
            ).scalars()
        ]
    assert changes == ["scheduled", "cancelled"]


async def test_an_open_alert_shows_as_a_pause_only_with_pause_on_alert(
    client, engine, configure_brand
):
    alert_id = await raise_alert(engine, client.tenant, BRAND)

    unpaused = (await client.get(f"/v1/brands/{BRAND}/publishing-settings")).json()
    await configure_brand(client.tenant, BRAND, pause_on_alert=True)
    paused = (await client.get(f"/v1/brands/{BRAND}/publishing-settings")).json()

    assert unpaused["paused_by_alert"] is False
    assert [a["alert_id"] for a in unpaused["open_alerts"]] == [str(alert_id)]
    assert paused["paused_by_alert"] is True
    assert paused["open_alerts"][0]["kind"] == "mention_volume"
