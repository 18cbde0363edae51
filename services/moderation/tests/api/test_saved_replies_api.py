"""Saved replies: CRUD per tenant and brand, variables checked when saved."""

from __future__ import annotations

import uuid

import pytest

from moderation.config import Settings
from moderation.main import create_app

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(unique, settings_for, api_client, issue_api_key, register_brands):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1", "brand-2")
    key = await issue_api_key(tenant, scopes=("moderation:read", "moderation:write"))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        yield http


async def test_a_reply_is_saved_listed_changed_and_deleted(client):
    created = await client.post(
        "/v1/saved-replies",
        json={"name": "thanks", "body": "Thanks {author_name}!", "brand_id": "brand-1"},
    )
    assert created.status_code == 201
    reply = created.json()
    await client.post("/v1/saved-replies", json={"name": "faq", "body": "See our FAQ."})
    await client.post("/v1/saved-replies", json={"name": "x", "body": "x", "brand_id": "brand-2"})

    listed = (await client.get("/v1/saved-replies", params={"brand_id": "brand-1"})).json()
    assert [item["name"] for item in listed["items"]] == ["faq", "thanks"]

    changed = await client.patch(
        f"/v1/saved-replies/{reply['id']}", json={"body": "Thank you {author_handle}"}
    )
    assert changed.status_code == 200
    assert changed.json()["body"] == "Thank you {author_handle}"
    assert changed.json()["name"] == "thanks"

    assert (await client.delete(f"/v1/saved-replies/{reply['id']}")).status_code == 204
    assert (await client.get(f"/v1/saved-replies/{reply['id']}")).status_code == 404


async def test_an_unknown_variable_is_a_422_naming_it(client):
    response = await client.post(
        "/v1/saved-replies", json={"name": "bad", "body": "Hi {first_name}"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "unknown_reply_variable"
    assert problem["errors"][0]["pointer"] == "/body"
    assert problem["errors"][0]["message"] == "first_name"


async def test_a_name_is_unique_per_brand(client):
    body = {"name": "thanks", "body": "Thanks!", "brand_id": "brand-1"}
    assert (await client.post("/v1/saved-replies", json=body)).status_code == 201
    again = await client.post("/v1/saved-replies", json=body)
    assert again.status_code == 409
    assert again.json()["code"] == "saved_reply_name_taken"
    other_brand = await client.post("/v1/saved-replies", json={**body, "brand_id": "brand-2"})
    assert other_brand.status_code == 201


async def test_another_tenant_s_reply_is_not_found(
    client, unique, settings_for, api_client, issue_api_key
):
    mine = (await client.post("/v1/saved-replies", json={"name": "a", "body": "b"})).json()
    key = await issue_api_key(unique("other"), scopes=("moderation:read", "moderation:write"))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as theirs:
        assert (await theirs.get(f"/v1/saved-replies/{mine['id']}")).status_code == 404
        assert (await theirs.delete(f"/v1/saved-replies/{mine['id']}")).status_code == 404
        assert (await theirs.get("/v1/saved-replies")).json()["items"] == []


async def test_writing_needs_the_write_scope(unique, settings_for, api_client, issue_api_key):
    key = await issue_api_key(unique("tenant"), scopes=("moderation:read",))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        response = await http.post("/v1/saved-replies", json={"name": "a", "body": "b"})
        assert response.status_code == 403
        assert (await http.get(f"/v1/saved-replies/{uuid.uuid4()}")).status_code == 404
