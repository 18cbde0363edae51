"""The organization's webhook subscriptions: the publisher's API shape on the inbox's tables,
managed with interactions:write on the whole organization."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from cryptography.fernet import Fernet

from inbox.config import Settings
from inbox.main import create_app

pytestmark = pytest.mark.integration


@pytest.fixture
async def hooks(settings_for, api_client) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(
        Settings, api_key_cache_seconds=0, credentials_key=Fernet.generate_key().decode()
    )
    async with api_client(create_app(settings)) as client:
        yield client


async def test_an_endpoint_subscribes_to_the_inbox_s_events(hooks, tenant, member, as_key):
    admin = await member(tenant, "admin")
    created = await hooks.post(
        "/v1/webhook-endpoints",
        json={
            "url": "https://hooks.example.com/inbox",
            "event_types": ["message.received", "conversation.assigned", "sla.breached"],
            "brand_ids": ["brand-1"],
        },
        headers=as_key(admin.key),
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    path = f"/v1/webhook-endpoints/{endpoint['id']}"

    listed = await hooks.get("/v1/webhook-endpoints", headers=as_key(admin.key))
    assert [e["id"] for e in listed.json()["items"]] == [endpoint["id"]]
    test = await hooks.post(f"{path}/test", headers=as_key(admin.key))
    assert (test.status_code, test.json()["event_type"]) == (202, "webhook.test")
    deliveries = await hooks.get(f"{path}/deliveries", headers=as_key(admin.key))
    assert [d["event_type"] for d in deliveries.json()["items"]] == ["webhook.test"]
    rotated = await hooks.post(f"{path}/rotate-secret", headers=as_key(admin.key))
    assert rotated.json()["secret"] != endpoint["secret"]
    assert (await hooks.delete(path, headers=as_key(admin.key))).status_code == 204


async def test_only_the_inbox_s_event_types_are_accepted(hooks, tenant, member, as_key):
    admin = await member(tenant, "admin")
    refused = await hooks.post(
        "/v1/webhook-endpoints",
        json={"url": "https://hooks.example.com/x", "event_types": ["post.published"]},
        headers=as_key(admin.key),
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "unknown_event_type")
    assert "message.received" in refused.json()["detail"]


async def test_who_may_read_and_manage_subscriptions(hooks, tenant, member, as_key):
    analyst = await member(tenant, "analyst")
    limited = await member(tenant, "agent", brand_roles={"brand-1": "manager"})
    body = {"url": "https://hooks.example.com/x"}
    read_only = await hooks.post("/v1/webhook-endpoints", json=body, headers=as_key(analyst.key))
    one_brand = await hooks.post("/v1/webhook-endpoints", json=body, headers=as_key(limited.key))
    assert read_only.status_code == 403
    assert one_brand.status_code == 403
    listed = await hooks.get("/v1/webhook-endpoints", headers=as_key(analyst.key))
    assert listed.status_code == 200
