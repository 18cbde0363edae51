"""The publishing accounts API: connecting, credentials, reconnecting, disconnecting, queues."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from publisher.accounts.models import account
from publisher.config import Settings, credential_box
from publisher.main import create_app

pytestmark = pytest.mark.integration

TOKEN = "tok-3f9a1c-very-secret"


@pytest.fixture
def settings(settings_for) -> Settings:
    built: Settings = settings_for(Settings, credentials_key=Fernet.generate_key().decode())
    return built


@pytest.fixture
async def client(settings, api_client, issue_api_key, register_brands, unique):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1")
    key = await issue_api_key(tenant)
    async with api_client(create_app(settings), key=key.key) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
        yield http


@pytest.fixture
async def other_tenant(settings, api_client, issue_api_key, register_brands, unique):
    key_tenant = unique("other")
    await register_brands(key_tenant, "brand-1")
    key = await issue_api_key(key_tenant)
    async with api_client(create_app(settings), key=key.key) as http:
        yield http


def mastodon(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "network": "mastodon",
        "external_account_id": "109876",
        "handle": "@beacon@social.example",
        "instance_url": "https://social.example/",
        "brand_id": "brand-1",
        "credentials": {"access_token": TOKEN},
    }
    values.update(overrides)
    return values


async def stored(engine, account_id: str):
    async with engine.connect() as conn:
        return (
            await conn.execute(select(account).where(account.c.id == uuid.UUID(account_id)))
        ).one()


class TestConnect:
    async def test_an_account_is_connected_with_its_credentials_sealed_and_never_shown(
        self, client, engine, settings
    ):
        response = await client.post("/v1/publishing-accounts", json=mastodon())

        assert response.status_code == 201
        created = response.json()
        assert created["network"] == "mastodon"
        assert created["instance_url"] == "https://social.example"
        assert (created["status"], created["status_reason"]) == ("active", None)
        assert created["has_credentials"] is True
        assert "credentials" not in created
        assert TOKEN not in response.text
        read = await client.get(f"/v1/publishing-accounts/{created['id']}")
        assert read.json() == created
        assert TOKEN not in read.text
        row = await stored(engine, created["id"])
        assert TOKEN.encode() not in row.credentials_encrypted
        assert credential_box(settings).decrypt(row.credentials_encrypted) == {
            "access_token": TOKEN
        }

    async def test_an_account_without_credentials_says_so(self, client):
        response = await client.post(
            "/v1/publishing-accounts", json={"network": "sandbox", "external_account_id": "s-1"}
        )
        assert response.status_code == 201
        assert response.json()["has_credentials"] is False

    async def test_credentials_without_a_key_to_seal_them_are_a_409(
        self, settings_for, api_client, issue_api_key, register_brands, unique
    ):
        key_tenant = unique("tenant")
        await register_brands(key_tenant, "brand-1")
        key = await issue_api_key(key_tenant)
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            response = await http.post("/v1/publishing-accounts", json=mastodon())
        assert response.status_code == 409
        assert response.json()["code"] == "credentials_key_missing"

    async def test_the_same_network_account_twice_is_a_409(self, client, other_tenant):
        first = await client.post("/v1/publishing-accounts", json=mastodon())
        again = await client.post("/v1/publishing-accounts", json=mastodon(handle="@other"))
        elsewhere = await client.post(
            "/v1/publishing-accounts",
            json={"network": "x", "external_account_id": "109876"},
        )
        theirs = await other_tenant.post("/v1/publishing-accounts", json=mastodon())

        assert first.status_code == 201
        assert again.status_code == 409
        assert again.json()["code"] == "account_already_connected"
        assert (elsewhere.status_code, theirs.status_code) == (201, 201)

    async def test_a_mastodon_account_needs_its_instance(self, client):
        response = await client.post("/v1/publishing-accounts", json=mastodon(instance_url=None))
        problem = response.json()
        assert response.status_code == 422
        assert problem["code"] == "validation_failed"
        assert "instance_url" in str(problem["errors"])

    @pytest.mark.parametrize(
        "fields",
        [
            {"network": "x", "instance_url": "https://x.example"},
            {"network": "x", "max_characters": 1000},
        ],
    )
    async def test_mastodon_only_fields_are_refused_elsewhere(self, client, fields):
        response = await client.post(
            "/v1/publishing-accounts", json={"external_account_id": "1", **fields}
        )
        assert response.status_code == 422

    @pytest.mark.parametrize("value", [True, "500"], ids=["boolean", "string"])
    async def test_max_characters_is_a_json_integer(self, client, value):
        response = await client.post("/v1/publishing-accounts", json=mastodon(max_characters=value))
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/max_characters"

    async def test_a_key_without_the_accounts_scope_cannot_connect(
        self, settings, api_client, issue_api_key, register_brands, unique
    ):
        key_tenant = unique("tenant")
        await register_brands(key_tenant, "brand-1")
        key = await issue_api_key(key_tenant, scopes=("posts:write", "posts:read"))
        async with api_client(create_app(settings), key=key.key) as http:
            response = await http.post("/v1/publishing-accounts", json=mastodon())
        assert response.status_code == 403


class TestChange:
    async def test_new_credentials_bring_an_account_needing_reauth_back(
        self, client, engine, settings
    ):
        created = (await client.post("/v1/publishing-accounts", json=mastodon())).json()
        async with engine.begin() as conn:
            await conn.execute(
                update(account)
                .where(account.c.id == uuid.UUID(created["id"]))
                .values(status="needs_reauth", status_reason="token revoked")
            )
        flagged = (await client.get(f"/v1/publishing-accounts/{created['id']}")).json()

        response = await client.patch(
            f"/v1/publishing-accounts/{created['id']}",
            json={"credentials": {"access_token": "fresh-token"}},
        )

        assert (flagged["status"], flagged["status_reason"]) == ("needs_reauth", "token revoked")
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["status_reason"]) == ("active", None)
        assert "fresh-token" not in response.text
        row = await stored(engine, created["id"])
        assert credential_box(settings).decrypt(row.credentials_encrypted) == {
            "access_token": "fresh-token"
        }

    async def test_a_paused_account_stays_paused_when_its_credentials_change(self, client):
        created = (await client.post("/v1/publishing-accounts", json=mastodon())).json()
        url = f"/v1/publishing-accounts/{created['id']}"

        paused = await client.patch(url, json={"status": "paused", "display_name": "Beacon"})
        renewed = await client.patch(url, json={"credentials": {"access_token": "t2"}})

        assert (paused.json()["status"], paused.json()["display_name"]) == ("paused", "Beacon")
        assert renewed.json()["status"] == "paused"

    async def test_a_disconnected_account_is_gone(self, client):
        created = (await client.post("/v1/publishing-accounts", json=mastodon())).json()
        url = f"/v1/publishing-accounts/{created['id']}"

        deleted = await client.delete(url)
        read = await client.get(url)
        again = await client.delete(url)

        assert deleted.status_code == 204
        assert (read.status_code, read.json()["code"]) == (404, "account_not_found")
        assert again.status_code == 404

    async def test_another_tenants_account_is_invisible_and_untouchable(self, client, other_tenant):
        created = (await client.post("/v1/publishing-accounts", json=mastodon())).json()
        url = f"/v1/publishing-accounts/{created['id']}"

        responses = [
            await other_tenant.get(url),
            await other_tenant.patch(url, json={"handle": "@mine"}),
            await other_tenant.delete(url),
            await other_tenant.get(f"{url}/slots"),
            await other_tenant.put(f"{url}/slots", json={"slots": []}),
        ]
        listed = (await other_tenant.get("/v1/publishing-accounts")).json()

        assert {r.status_code for r in responses} == {404}
        assert created["id"] not in {a["id"] for a in listed["items"]}
        assert (await client.get(url)).json() == created


class TestList:
    async def test_filters_by_network_and_status_and_pages_newest_first(self, client, engine):
        ids = [
            (
                await client.post(
                    "/v1/publishing-accounts",
                    json={"network": "sandbox", "external_account_id": f"s-{n}"},
                )
            ).json()["id"]
            for n in range(3)
        ]
        x = (
            await client.post(
                "/v1/publishing-accounts", json={"network": "x", "external_account_id": "x-1"}
            )
        ).json()["id"]
        await client.patch(f"/v1/publishing-accounts/{ids[0]}", json={"status": "paused"})

        first = (
            await client.get("/v1/publishing-accounts", params={"network": "sandbox", "limit": 2})
        ).json()
        rest = (
            await client.get(
                "/v1/publishing-accounts",
                params={"network": "sandbox", "limit": 2, "cursor": first["next_cursor"]},
            )
        ).json()
        paused = (await client.get("/v1/publishing-accounts", params={"status": "paused"})).json()
        on_x = (await client.get("/v1/publishing-accounts", params={"network": "x"})).json()

        assert [a["id"] for a in first["items"] + rest["items"]] == list(reversed(ids))
        assert rest["next_cursor"] is None
        assert [a["id"] for a in paused["items"]] == [ids[0]]
        assert [a["id"] for a in on_x["items"]] == [x]


class TestSlots:
    async def test_slots_are_kept_in_order_once_and_read_in_the_brands_time_zone(
        self, client, configure_brand
    ):
        await configure_brand(client.tenant, "brand-1", timezone="Europe/Paris")
        created = (await client.post("/v1/publishing-accounts", json=mastodon())).json()
        url = f"/v1/publishing-accounts/{created['id']}/slots"
        slots = [
            {"weekday": 3, "local_time": "17:30"},
            {"weekday": 1, "local_time": "09:00"},
            {"weekday": 3, "local_time": "08:15"},
            {"weekday": 1, "local_time": "09:00"},
        ]

        put = await client.put(url, json={"slots": slots})
        read = await client.get(url)

        expected = {
            "timezone": "Europe/Paris",
            "slots": [
                {"weekday": 1, "local_time": "09:00:00"},
                {"weekday": 3, "local_time": "08:15:00"},
                {"weekday": 3, "local_time": "17:30:00"},
            ],
        }
        assert put.status_code == 200
        assert put.json() == expected
        assert read.json() == expected

    async def test_a_new_queue_replaces_the_old_one(self, client):
        created = (await client.post("/v1/publishing-accounts", json=mastodon())).json()
        url = f"/v1/publishing-accounts/{created['id']}/slots"

        await client.put(url, json={"slots": [{"weekday": 2, "local_time": "10:00"}]})
        await client.put(url, json={"slots": [{"weekday": 5, "local_time": "12:00"}]})

        assert (await client.get(url)).json()["slots"] == [{"weekday": 5, "local_time": "12:00:00"}]

    async def test_an_account_without_a_brand_reads_its_slots_in_utc(self, client):
        created = (
            await client.post("/v1/publishing-accounts", json=mastodon(brand_id=None))
        ).json()

        read = await client.get(f"/v1/publishing-accounts/{created['id']}/slots")

        assert read.json() == {"timezone": "UTC", "slots": []}

    @pytest.mark.parametrize(
        "slot",
        [
            {"weekday": 0, "local_time": "09:00"},
            {"weekday": 8, "local_time": "09:00"},
            {"weekday": 1, "local_time": "09:00:30"},
            {"weekday": 1, "local_time": "25:00"},
        ],
    )
    async def test_a_slot_outside_the_week_or_not_on_the_minute_is_refused(self, client, slot):
        created = (await client.post("/v1/publishing-accounts", json=mastodon())).json()

        response = await client.put(
            f"/v1/publishing-accounts/{created['id']}/slots", json={"slots": [slot]}
        )

        assert response.status_code == 422
