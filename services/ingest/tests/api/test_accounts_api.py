"""The connected accounts API: CRUD of sandbox accounts (network accounts are connected in the
workspace), the registry's accounts as shown here, paging, tenant isolation, and credentials kept
secret."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import func, insert, select

from beacon_shared.contracts.common import Network
from ingest.accounts.crypto import credential_box
from ingest.accounts.models import connected_account
from ingest.config import Settings
from ingest.main import create_app

pytestmark = pytest.mark.integration

KEY = Fernet.generate_key().decode()


def account(external_id: str | None = None, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "network": "sandbox",
        "external_account_id": external_id or f"sandbox-{uuid.uuid4().hex}",
        "handle": "acme",
        "display_name": "Acme",
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_client(settings_for, api_client, issue_api_key, register_brands, unique):
    """A client for a fresh tenant whose brands b-1 and b-2 are registered (or for `tenant`),
    its key limited to `brand_ids` when given: `async with make_client(scopes=...) as http`."""
    import contextlib

    @contextlib.asynccontextmanager
    async def make(
        credentials_key: str | None = KEY,
        scopes: tuple[str, ...] = ("*",),
        tenant: str | None = None,
        brand_ids: tuple[str, ...] | None = None,
    ):
        tenant = tenant or unique("tenant")
        await register_brands(tenant, "b-1", "b-2")
        issued = await issue_api_key(tenant, scopes=scopes, brand_ids=brand_ids)
        app = create_app(settings_for(Settings, credentials_key=credentials_key))
        async with api_client(app, key=issued.key) as http:
            http.tenant = tenant  # type: ignore[attr-defined]
            yield http

    return make


@pytest.fixture
async def client(make_client):
    async with make_client() as http:
        yield http


async def test_an_account_is_connected_and_read_back_without_its_credentials(client):
    secret = f"token-{uuid.uuid4().hex}"
    created = await client.post(
        "/v1/accounts", json=account(brand_id="b-1", credentials={"access_token": secret})
    )
    fetched = await client.get(f"/v1/accounts/{created.json()['id']}")

    assert created.status_code == 201
    body = created.json()
    assert body["has_credentials"] is True
    assert body["status"] == "active"
    assert body["brand_id"] == "b-1"
    assert "credentials" not in body
    assert "credentials_encrypted" not in body
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert secret not in created.text + fetched.text


async def test_an_account_without_credentials_says_so(client):
    created = await client.post("/v1/accounts", json=account())
    assert created.status_code == 201
    assert created.json()["has_credentials"] is False


async def test_connecting_an_account_twice_is_a_409_for_any_tenant_naming_none(client, make_client):
    body = account()
    await client.post("/v1/accounts", json=body)
    again = await client.post("/v1/accounts", json=body)
    async with make_client() as other:
        theirs = await other.post("/v1/accounts", json=body)

    for response in (again, theirs):
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "account_already_connected"
        assert client.tenant not in response.text


async def test_the_same_external_id_on_another_network_is_another_account(client, connect_replica):
    replica = await connect_replica(client.tenant, Network.x, external_id="same-id")
    sandbox = await client.post("/v1/accounts", json=account("same-id"))
    await client.delete(f"/v1/accounts/{sandbox.json()['id']}")
    assert sandbox.status_code == 201
    assert (await client.get(f"/v1/accounts/{replica}")).json()["external_account_id"] == "same-id"


@pytest.mark.parametrize("network", [n.value for n in Network if n is not Network.sandbox])
async def test_a_network_account_is_refused_for_the_workspace_and_nothing_is_kept(
    client, engine, network
):
    token = f"token-{uuid.uuid4().hex}"
    body = account(network=network, brand_id="b-1", credentials={"access_token": token})

    response = await client.post("/v1/accounts", json=body)

    problem = response.json()
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "connect_in_workspace"
    assert "POST /v1/brands/{brand_id}/connections" in problem["detail"]
    assert problem["errors"][0]["pointer"] == "/network"
    assert token not in response.text
    async with engine.connect() as conn:
        kept = await conn.scalar(
            select(func.count()).where(connected_account.c.tenant_id == client.tenant)
        )
    assert kept == 0


async def test_an_own_network_account_s_credentials_change_in_the_workspace_alone(client, engine):
    # A Mastodon account connected here before the registry, as ingest's table holds it.
    legacy = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(connected_account).values(
                id=legacy,
                tenant_id=client.tenant,
                brand_id="b-1",
                network="mastodon",
                external_account_id=uuid.uuid4().hex,
                handle="acme",
                credentials_encrypted=credential_box(SecretStr(KEY)).encrypt(
                    {"base_url": "https://mastodon.example", "access_token": "old"}
                ),
            )
        )
    path = f"/v1/accounts/{legacy}"

    replaced = await client.patch(path, json={"credentials": {"access_token": "new-token"}})
    removed = await client.patch(path, json={"credentials": None})
    paused = await client.patch(path, json={"status": "paused", "handle": "acme2"})

    for refused in (replaced, removed):
        assert refused.status_code == 422
        assert refused.json()["code"] == "connect_in_workspace"
        assert "POST /v1/brands/{brand_id}/connections" in refused.json()["detail"]
    assert "new-token" not in replaced.text
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    assert (paused.json()["handle"], paused.json()["has_credentials"]) == ("acme2", True)


async def test_another_tenants_account_is_a_404_everywhere(client, make_client):
    created = (await client.post("/v1/accounts", json=account())).json()
    path = f"/v1/accounts/{created['id']}"
    async with make_client() as other:
        responses = [
            await other.get(path),
            await other.patch(path, json={"display_name": "Mine now"}),
            await other.delete(path),
        ]
        listed = (await other.get("/v1/accounts")).json()

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert {r.json()["code"] for r in responses} == {"account_not_found"}
    assert listed["items"] == []
    still = await client.get(path)
    assert still.json()["display_name"] == "Acme"


async def test_the_list_pages_newest_first_through_every_account(client):
    ids = [(await client.post("/v1/accounts", json=account())).json()["id"] for _ in range(5)]

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/accounts", params=params)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(ids))
    assert pages == 3


async def test_the_list_filters_by_network_brand_and_status(client, connect_replica):
    wanted = await connect_replica(client.tenant, Network.x, brand_id="b-1")
    paused = await connect_replica(client.tenant, Network.x, brand_id="b-2")
    await connect_replica(client.tenant, Network.x, brand_id="b-1")
    for account_id in (wanted, paused):
        await client.patch(f"/v1/accounts/{account_id}", json={"status": "paused"})
    await client.post("/v1/accounts", json=account(brand_id="b-1"))

    def ids(response):
        return [item["id"] for item in response.json()["items"]]

    everything = await client.get("/v1/accounts")
    by_network = await client.get("/v1/accounts", params={"network": "x"})
    by_brand = await client.get("/v1/accounts", params={"brand_id": "b-1"})
    all_three = await client.get(
        "/v1/accounts", params={"network": "x", "brand_id": "b-1", "status": "paused"}
    )

    assert len(ids(everything)) == 4
    assert len(ids(by_network)) == 3
    assert len(ids(by_brand)) == 3
    assert ids(all_three) == [str(wanted)]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"cursor": "not-a-cursor"}, 400, "invalid_cursor"),
        ({"limit": 201}, 422, "validation_failed"),
        ({"network": "myspace"}, 422, "validation_failed"),
        ({"status": "asleep"}, 422, "validation_failed"),
    ],
)
async def test_bad_list_parameters_are_a_problem(client, params, status, code):
    response = await client.get("/v1/accounts", params=params)
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_a_patch_changes_only_the_fields_it_sends_and_null_clears(client):
    created = (await client.post("/v1/accounts", json=account(brand_id="b-1"))).json()
    path = f"/v1/accounts/{created['id']}"

    renamed = await client.patch(path, json={"display_name": "Acme Inc", "brand_id": None})
    empty = await client.patch(path, json={})

    assert renamed.status_code == 200
    body = renamed.json()
    assert body["display_name"] == "Acme Inc"
    assert body["brand_id"] is None
    assert body["handle"] == "acme"
    assert body["updated_at"] > created["updated_at"]
    assert empty.json() == body


async def test_new_credentials_revive_a_needs_reauth_account_and_null_removes_them(client):
    created = (await client.post("/v1/accounts", json=account(status="needs_reauth"))).json()
    path = f"/v1/accounts/{created['id']}"

    renewed = await client.patch(path, json={"credentials": {"access_token": "fresh"}})
    paused = await client.patch(
        path, json={"credentials": {"access_token": "fresher"}, "status": "paused"}
    )
    removed = await client.patch(path, json={"credentials": None})

    assert (renewed.json()["status"], renewed.json()["has_credentials"]) == ("active", True)
    assert (paused.json()["status"], paused.json()["has_credentials"]) == ("paused", True)
    assert (removed.json()["status"], removed.json()["has_credentials"]) == ("paused", False)


@pytest.mark.parametrize(
    "patch",
    [
        {"status": None},
        {"status": "gone"},
        {"network": "x"},
        {"credentials": {}},
        {"credentials": {"token": 42}},
        {"handle": "h" * 257},
    ],
)
async def test_an_invalid_patch_is_a_422_problem(client, patch):
    created = (await client.post("/v1/accounts", json=account())).json()
    response = await client.patch(f"/v1/accounts/{created['id']}", json=patch)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_a_disconnected_account_is_gone_and_can_be_connected_again(client, make_client):
    body = account()
    created = (await client.post("/v1/accounts", json=body)).json()
    path = f"/v1/accounts/{created['id']}"

    deleted = await client.delete(path)
    deleted_again = await client.delete(path)
    fetched = await client.get(path)
    async with make_client() as other:
        reconnected = await other.post("/v1/accounts", json=body)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert deleted_again.status_code == 404
    assert fetched.status_code == 404
    assert reconnected.status_code == 201


async def test_without_a_key_credentials_are_refused_and_accounts_without_them_connect(
    make_client,
):
    body = account()
    async with make_client(credentials_key=None) as client:
        refused = await client.post(
            "/v1/accounts", json={**body, "credentials": {"access_token": "t"}}
        )
        connected = await client.post("/v1/accounts", json=body)
        patched = await client.patch(
            f"/v1/accounts/{connected.json()['id']}",
            json={"credentials": {"access_token": "t"}},
        )

    assert refused.status_code == 409
    assert refused.json()["code"] == "credentials_key_missing"
    assert "NETWORK_CREDENTIALS_KEYS" in refused.json()["detail"]
    # The refused request stored nothing, or this would be account_already_connected.
    assert connected.status_code == 201
    assert connected.json()["has_credentials"] is False
    assert patched.status_code == 409
    assert patched.json()["code"] == "credentials_key_missing"


async def test_a_read_only_key_reads_but_cannot_write(make_client):
    async with make_client(scopes=("interactions:read",)) as reader:
        listed = await reader.get("/v1/accounts")
        created = await reader.post("/v1/accounts", json=account())
    assert listed.status_code == 200
    assert created.status_code == 403
    assert created.json()["code"] == "forbidden"


async def test_unknown_fields_and_blank_ids_are_a_422_problem(client):
    response = await client.post(
        "/v1/accounts", json=account(external_account_id="", tenant_id="someone-else")
    )
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/external_account_id", "/tenant_id"}


async def test_credentials_never_reach_the_logs(
    settings_for, api_client, issue_api_key, unique, capfd
):
    secret = f"token-{uuid.uuid4().hex}"
    key = await issue_api_key(unique("tenant"))
    app = create_app(
        settings_for(Settings, credentials_key=KEY, log_requests=True, log_level="DEBUG")
    )
    async with api_client(app, key=key.key) as http:
        created = await http.post("/v1/accounts", json=account(credentials={"token": secret}))
        await http.patch(
            f"/v1/accounts/{created.json()['id']}", json={"credentials": {"token": secret}}
        )
        await http.post("/v1/accounts", json=account(credentials={"token": secret, "x": 1}))

    logged = "".join(capfd.readouterr())
    assert "account.connected" in logged
    assert "account.updated" in logged
    assert secret not in logged


async def test_an_unregistered_brand_is_refused(client):
    created = await client.post("/v1/accounts", json=account(brand_id="b-9"))
    listed = await client.get("/v1/accounts", params={"brand_id": "b-9"})
    kept = (await client.post("/v1/accounts", json=account(brand_id="b-1"))).json()
    moved = await client.patch(f"/v1/accounts/{kept['id']}", json={"brand_id": "b-9"})

    for response in (created, listed, moved):
        assert response.status_code == 422
        assert response.json()["code"] == "unknown_brand"
    assert (await client.get(f"/v1/accounts/{kept['id']}")).json()["brand_id"] == "b-1"


async def test_a_key_limited_to_a_brand_sees_and_changes_nothing_of_the_others(client, make_client):
    mine = (await client.post("/v1/accounts", json=account(brand_id="b-1"))).json()
    theirs = (await client.post("/v1/accounts", json=account(brand_id="b-2"))).json()
    nobody_s = (await client.post("/v1/accounts", json=account())).json()

    async with make_client(tenant=client.tenant, brand_ids=("b-1",)) as limited:
        listed = (await limited.get("/v1/accounts")).json()["items"]
        named = await limited.get("/v1/accounts", params={"brand_id": "b-2"})
        hidden = [
            await limited.get(f"/v1/accounts/{theirs['id']}"),
            await limited.patch(f"/v1/accounts/{theirs['id']}", json={"handle": "x"}),
            await limited.delete(f"/v1/accounts/{nobody_s['id']}"),
        ]
        forbidden = [
            named,
            await limited.post("/v1/accounts", json=account(brand_id="b-2")),
            await limited.post("/v1/accounts", json=account()),
            await limited.patch(f"/v1/accounts/{mine['id']}", json={"brand_id": "b-2"}),
            await limited.patch(f"/v1/accounts/{mine['id']}", json={"brand_id": None}),
        ]
        renamed = await limited.patch(f"/v1/accounts/{mine['id']}", json={"handle": "mine"})

    assert [item["id"] for item in listed] == [mine["id"]]
    assert [r.status_code for r in hidden] == [404, 404, 404]
    assert [r.status_code for r in forbidden] == [403] * 5
    assert {r.json()["code"] for r in forbidden} == {"brand_not_allowed"}
    assert renamed.status_code == 200
    assert (await client.get(f"/v1/accounts/{theirs['id']}")).json()["handle"] == "acme"
    assert (await client.get(f"/v1/accounts/{nobody_s['id']}")).status_code == 200
    assert (await client.get(f"/v1/accounts/{mine['id']}")).json()["brand_id"] == "b-1"


async def test_an_account_connected_in_the_workspace_takes_only_its_status_here(
    client, connect_replica
):
    account_id = await connect_replica(client.tenant, Network.facebook, brand_id="b-1")

    renamed = await client.patch(
        f"/v1/accounts/{account_id}", json={"handle": "other", "credentials": {"t": "x"}}
    )
    paused = await client.patch(f"/v1/accounts/{account_id}", json={"status": "paused"})
    deleted = await client.delete(f"/v1/accounts/{account_id}")
    disconnected = await client.patch(f"/v1/accounts/{account_id}", json={"status": "disconnected"})

    assert renamed.status_code == 409
    assert renamed.json()["code"] == "account_managed_in_workspace"
    assert "credentials, handle" in renamed.json()["detail"]
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    assert deleted.status_code == 409
    assert deleted.json()["code"] == "account_managed_in_workspace"
    # Only the registry disconnects.
    assert disconnected.status_code == 422
    fetched = await client.get(f"/v1/accounts/{account_id}")
    assert (fetched.json()["handle"], fetched.json()["status"]) == ("acme", "paused")
