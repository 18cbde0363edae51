"""A brand's moderation mode over HTTP: heightened while a bad-buzz alert is open."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from beacon_shared.contracts.analytics import AlertKind, AlertRaised
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from moderation.alerts.handlers import alert_raised
from moderation.config import Settings
from moderation.main import create_app

pytestmark = pytest.mark.integration

RAISED_AT = datetime(2026, 11, 24, 10, 7, tzinfo=UTC)


@pytest.fixture
async def client(unique, settings_for, api_client, issue_api_key, register_brands):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1")
    key = await issue_api_key(tenant, scopes=("moderation:read",))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
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
        window_start=RAISED_AT,
        window_end=RAISED_AT,
        raised_at=RAISED_AT,
    )
    envelope = Envelope.build(
        payload, tenant_id=tenant_id, subject=brand_id, source="/beacon/analytics"
    )
    async with create_sessionmaker(engine)() as session, session.begin():
        await alert_raised(session, envelope)
    return alert_id


async def test_a_brand_without_alerts_is_moderated_normally(client):
    response = await client.get("/v1/brands/brand-1/moderation-mode")
    assert response.status_code == 200
    assert response.json()["heightened"] is False
    assert response.json()["open_alerts"] == []


async def test_an_open_alert_heightens_the_brand_and_is_listed(client, engine):
    alert_id = await raise_alert(engine, client.tenant, "brand-1")

    body = (await client.get("/v1/brands/brand-1/moderation-mode")).json()

    assert body["brand_id"] == "brand-1"
    assert body["heightened"] is True
    assert body["open_alerts"] == [
        {"alert_id": str(alert_id), "kind": "mention_volume", "since": "2026-11-24T10:07:00Z"}
    ]
    assert "flagged for review" in body["adjustment"]


async def test_another_tenant_s_alert_does_not_show(client, engine, unique):
    await raise_alert(engine, unique("other"), "brand-1")
    body = (await client.get("/v1/brands/brand-1/moderation-mode")).json()
    assert body["heightened"] is False
