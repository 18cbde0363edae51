"""Brand publishing settings over HTTP: pause on alert, brand.configured, the paused state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from beacon_shared.contracts.analytics import AlertKind, AlertRaised
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope, decode
from publisher.brands.handlers import alert_raised
from publisher.config import Settings
from publisher.db import outbox
from publisher.main import create_app

pytestmark = pytest.mark.integration

BRAND = "brand-calm"


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, unique):
    tenant = unique("tenant")
    key = await issue_api_key(tenant)
    settings = settings_for(Settings, credentials_key=Fernet.generate_key().decode())
    async with api_client(create_app(settings), key=key.key) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
        yield http


async def configured_events(engine, tenant_id: str) -> list[Envelope]:
    async with create_sessionmaker(engine)() as session:
        values = (await session.execute(select(outbox.c.value).order_by(outbox.c.id))).scalars()
        return [
            env
            for env in map(decode, values)
            if env.tenantid == tenant_id and env.type == "publisher.brand.configured"
        ]


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
        "pause_on_alert": False,
        "paused_by_alert": False,
        "open_alerts": [],
    }


async def test_saving_publishes_brand_configured_with_the_whole_settings(client, engine):
    first = await client.put(
        f"/v1/brands/{BRAND}/publishing-settings",
        json={"timezone": "Europe/Paris", "pause_on_alert": True},
    )
    second = await client.put(
        f"/v1/brands/{BRAND}/publishing-settings", json={"timezone": "Europe/Paris"}
    )

    assert first.status_code == 200
    assert first.json()["pause_on_alert"] is True
    assert second.json()["pause_on_alert"] is False
    events = await configured_events(engine, client.tenant)
    assert [e.data["pause_on_alert"] for e in events] == [True, False]
    assert all(e.subject == BRAND and e.data["brand_id"] == BRAND for e in events)
    assert events[0].data["timezone"] == "Europe/Paris"
    assert events[0].data["approval_required"] is False
    assert events[0].data["configured_at"] < events[1].data["configured_at"]


async def test_an_open_alert_shows_as_a_pause_only_with_pause_on_alert(client, engine):
    alert_id = await raise_alert(engine, client.tenant, BRAND)

    unpaused = (await client.get(f"/v1/brands/{BRAND}/publishing-settings")).json()
    await client.put(f"/v1/brands/{BRAND}/publishing-settings", json={"pause_on_alert": True})
    paused = (await client.get(f"/v1/brands/{BRAND}/publishing-settings")).json()

    assert unpaused["paused_by_alert"] is False
    assert [a["alert_id"] for a in unpaused["open_alerts"]] == [str(alert_id)]
    assert paused["paused_by_alert"] is True
    assert paused["open_alerts"][0]["kind"] == "mention_volume"


async def test_the_paused_state_is_read_only(client):
    response = await client.put(
        f"/v1/brands/{BRAND}/publishing-settings", json={"paused_by_alert": False}
    )
    assert response.status_code == 422


@pytest.mark.parametrize("value", [0, 1, "yes", "true"])
async def test_a_setting_is_a_json_boolean(client, value):
    response = await client.put(
        f"/v1/brands/{BRAND}/publishing-settings", json={"approval_required": value}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/approval_required"
