"""The publishing accounts API: connecting sandbox accounts (network accounts are the
workspace's), credentials, reconnecting, disconnecting, queues."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, update

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.workspace import AccountKind
from beacon_shared.db import create_sessionmaker
from publisher.accounts import repository
from publisher.accounts.models import account
from publisher.config import Settings, account_box
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


def sandbox(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "network": "sandbox",
        "external_account_id": "109876",
        "handle": "@beacon",
        "brand_id": "brand-1",
        "credentials": {"access_token": TOKEN},
    }
    values.update(overrides)
    return values


@pytest.fixture
def replica(client, connect_replica):
    """`await replica(kind)`: a workspace account kept as the client's tenant's; its id."""

    async def connect(kind: AccountKind) -> str:
        return str(await connect_replica(client.tenant, kind))

    return connect


async def stored(engine, account_id: str):
    async with engine.connect() as conn:
        return (
            await conn.execute(select(account).where(account.c.id == uuid.UUID(account_id)))
        ).one()


async def own_account(engine, settings: Settings, tenant_id: str, *, network: str) -> str:
    """A network account the publisher connected itself before the registry, as its table
    holds it (committed); its id."""
    now = datetime.now(UTC)
    async with create_sessionmaker(engine)() as session, session.begin():
        row = await repository.insert_account(
            session,
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "brand_id": "brand-1",
                "network": network,
                "external_account_id": uuid.uuid4().hex,
                "status": "active",
                "credentials_encrypted": account_box(settings).encrypt({"access_token": TOKEN}),
                "created_at": now,
                "updated_at": now,
            },
        )
    assert row is not None
    return str(row.id)


class TestConnect:
    async def test_an_account_is_connected_with_its_credentials_sealed_and_never_shown(
        self, client, engine, settings
    ):
        response = await client.post("/v1/publishing-accounts", json=sandbox())

        assert response.status_code == 201
        created = response.json()
        assert (created["network"], created["source"]) == ("sandbox", "publisher")
        assert (created["status"], created["status_reason"]) == ("active", None)
        assert created["has_credentials"] is True
        assert "credentials" not in created
        assert TOKEN not in response.text
        read = await client.get(f"/v1/publishing-accounts/{created['id']}")
        assert read.json() == created
        assert TOKEN not in read.text
        row = await stored(engine, created["id"])
        assert TOKEN.encode() not in row.credentials_encrypted
        assert account_box(settings).decrypt(row.credentials_encrypted) == {"access_token": TOKEN}

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
            response = await http.post("/v1/publishing-accounts", json=sandbox())
        assert response.status_code == 409
        assert response.json()["code"] == "credentials_key_missing"

    async def test_the_same_account_twice_is_a_409(self, client, other_tenant):
        first = await client.post("/v1/publishing-accounts", json=sandbox())
        again = await client.post("/v1/publishing-accounts", json=sandbox(handle="@other"))
        theirs = await other_tenant.post("/v1/publishing-accounts", json=sandbox())

        assert first.status_code == 201
        assert again.status_code == 409
        assert again.json()["code"] == "account_already_connected"
        assert theirs.status_code == 201

    @pytest.mark.parametrize("network", [n.value for n in Network if n is not Network.sandbox])
    async def test_a_network_account_is_refused_for_the_workspace_and_nothing_is_kept(
        self, client, engine, network
    ):
        response = await client.post("/v1/publishing-accounts", json=sandbox(network=network))

        problem = response.json()
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["code"] == "connect_in_workspace"
        assert "POST /v1/brands/{brand_id}/connections" in problem["detail"]
        assert problem["errors"][0]["pointer"] == "/network"
        assert TOKEN not in response.text
        async with engine.connect() as conn:
            kept = await conn.scalar(
                select(func.count()).where(account.c.tenant_id == client.tenant)
            )
        assert kept == 0

    @pytest.mark.parametrize("field", ["instance_url", "max_characters"])
    async def test_network_settings_are_not_taken(self, client, field):
        response = await client.post(
            "/v1/publishing-accounts", json=sandbox(**{field: "https://social.example"})
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == f"/{field}"

    async def test_a_key_without_the_accounts_scope_cannot_connect(
        self, settings, api_client, issue_api_key, register_brands, unique
    ):
        key_tenant = unique("tenant")
        await register_brands(key_tenant, "brand-1")
        key = await issue_api_key(key_tenant, scopes=("posts:write", "posts:read"))
        async with api_client(create_app(settings), key=key.key) as http:
            response = await http.post("/v1/publishing-accounts", json=sandbox())
        assert response.status_code == 403


class TestChange:
    async def test_new_credentials_bring_an_account_needing_reauth_back(
        self, client, engine, settings
    ):
        created = (await client.post("/v1/publishing-accounts", json=sandbox())).json()
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
        assert account_box(settings).decrypt(row.credentials_encrypted) == {
            "access_token": "fresh-token"
        }

    async def test_a_paused_account_stays_paused_when_its_credentials_change(self, client):
        created = (await client.post("/v1/publishing-accounts", json=sandbox())).json()
        url = f"/v1/publishing-accounts/{created['id']}"

        paused = await client.patch(url, json={"status": "paused", "display_name": "Beacon"})
        renewed = await client.patch(url, json={"credentials": {"access_token": "t2"}})

        assert (paused.json()["status"], paused.json()["display_name"]) == ("paused", "Beacon")
        assert renewed.json()["status"] == "paused"

    async def test_new_credentials_of_an_own_network_account_are_refused_for_the_workspace(
        self, client, engine, settings
    ):
        legacy = await own_account(engine, settings, client.tenant, network="x")
        url = f"/v1/publishing-accounts/{legacy}"

        refused = await client.patch(url, json={"credentials": {"access_token": "fresh-token"}})
        paused = await client.patch(url, json={"status": "paused", "handle": "@acme"})

        problem = refused.json()
        assert refused.status_code == 422
        assert problem["code"] == "connect_in_workspace"
        assert "POST /v1/brands/{brand_id}/connections" in problem["detail"]
        assert problem["errors"][0]["pointer"] == "/credentials"
        assert "fresh-token" not in refused.text
        assert account_box(settings).decrypt((await stored(engine, legacy)).credentials_encrypted)
        assert (paused.status_code, paused.json()["status"]) == (200, "paused")
        assert paused.json()["handle"] == "@acme"

    async def test_a_workspace_mastodon_account_takes_its_post_length_here(self, client, replica):
        mastodon = await replica(AccountKind.mastodon)
        own = (await client.post("/v1/publishing-accounts", json=sandbox())).json()["id"]

        longer = await client.patch(
            f"/v1/publishing-accounts/{mastodon}", json={"max_characters": 1000}
        )
        boolean = await client.patch(
            f"/v1/publishing-accounts/{mastodon}", json={"max_characters": True}
        )
        elsewhere = await client.patch(
            f"/v1/publishing-accounts/{own}", json={"max_characters": 1000}
        )

        assert (longer.status_code, longer.json()["max_characters"]) == (200, 1000)
        assert boolean.status_code == 422
        assert boolean.json()["errors"][0]["pointer"] == "/max_characters"
        assert (elsewhere.status_code, elsewhere.json()["code"]) == (422, "mastodon_only")

    async def test_a_disconnected_account_is_gone(self, client):
        created = (await client.post("/v1/publishing-accounts", json=sandbox())).json()
        url = f"/v1/publishing-accounts/{created['id']}"

        deleted = await client.delete(url)
        read = await client.get(url)
        again = await client.delete(url)

        assert deleted.status_code == 204
        assert (read.status_code, read.json()["code"]) == (404, "account_not_found")
        assert again.status_code == 404

    async def test_another_tenants_account_is_invisible_and_untouchable(self, client, other_tenant):
        created = (await client.post("/v1/publishing-accounts", json=sandbox())).json()
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
    async def test_filters_by_network_and_status_and_pages_newest_first(self, client, replica):
        ids = [
            (
                await client.post(
                    "/v1/publishing-accounts",
                    json={"network": "sandbox", "external_account_id": f"s-{n}"},
                )
            ).json()["id"]
            for n in range(3)
        ]
        x = await replica(AccountKind.x_user)
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
        created = (await client.post("/v1/publishing-accounts", json=sandbox())).json()
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
        created = (await client.post("/v1/publishing-accounts", json=sandbox())).json()
        url = f"/v1/publishing-accounts/{created['id']}/slots"

        await client.put(url, json={"slots": [{"weekday": 2, "local_time": "10:00"}]})
        await client.put(url, json={"slots": [{"weekday": 5, "local_time": "12:00"}]})

        assert (await client.get(url)).json()["slots"] == [{"weekday": 5, "local_time": "12:00:00"}]

    async def test_an_account_without_a_brand_reads_its_slots_in_utc(self, client):
        created = (await client.post("/v1/publishing-accounts", json=sandbox(brand_id=None))).json()

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
        created = (await client.post("/v1/publishing-accounts", json=sandbox())).json()

        response = await client.put(
            f"/v1/publishing-accounts/{created['id']}/slots", json={"slots": [slot]}
        )

        assert response.status_code == 422
