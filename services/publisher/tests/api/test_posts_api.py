"""The posts API: scheduling, reading, listing, cancelling, idempotency, bad input and tenancy."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import PostScheduled
from beacon_shared.contracts.workspace import AccountKind
from beacon_shared.events import decode
from publisher.authoring.models import post
from publisher.config import Settings
from publisher.db import outbox
from publisher.delivery.models import post_target
from publisher.main import create_app

pytestmark = pytest.mark.integration

SCOPES = ("posts:write", "posts:read", "accounts:write", "accounts:read")


def in_(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def body(accounts: list[str], **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "text": "Launch day!",
        "link": "https://example.com/launch",
        "scheduled_at": in_(hours=1),
        "targets": [{"account_id": a} for a in accounts],
        "brand_id": "brand-1",
    }
    values.update(overrides)
    return values


async def connect(http, **fields: object) -> str:
    """Connect a sandbox account of the client's tenant; its id."""
    response = await http.post(
        "/v1/publishing-accounts",
        json={"network": "sandbox", "external_account_id": uuid.uuid4().hex, **fields},
    )
    assert response.status_code == 201, response.text
    account_id: str = response.json()["id"]
    return account_id


@pytest.fixture
def replica(client, connect_replica):
    """`await replica(kind)`: an account connected in the workspace, kept as the client's
    tenant's; its id."""

    async def connect(kind: AccountKind) -> str:
        return str(await connect_replica(client.tenant, kind))

    return connect


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, register_brands, unique):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1", "brand-a", "brand-b")
    key = await issue_api_key(tenant, scopes=SCOPES)
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
        http.accounts = [await connect(http), await connect(http)]  # type: ignore[attr-defined]
        yield http


async def staged(engine, post_id: str) -> list[PostScheduled]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.value, outbox.c.topic)
            .where(outbox.c.key == post_id)
            .order_by(outbox.c.id)
        )
        return [decode(r.value).payload(PostScheduled) for r in rows if r.topic == "post.scheduled"]


async def test_a_post_is_scheduled_with_its_targets_and_its_event_staged(client, engine):
    response = await client.post("/v1/posts", json=body(client.accounts))

    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "scheduled"
    assert created["link"] == "https://example.com/launch"
    assert {(t["account_id"], t["network"], t["status"]) for t in created["targets"]} == {
        (client.accounts[0], "sandbox", "scheduled"),
        (client.accounts[1], "sandbox", "scheduled"),
    }
    (event,) = await staged(engine, created["id"])
    assert event.change == "scheduled"
    assert str(event.post_id) == created["id"]
    assert {str(t.target_id) for t in event.targets} == {t["id"] for t in created["targets"]}
    assert {t.account_id for t in event.targets} == set(client.accounts)


async def test_a_target_may_repeat_its_accounts_network(client):
    targets = [{"account_id": a, "network": "sandbox"} for a in client.accounts]

    response = await client.post("/v1/posts", json=body(client.accounts, targets=targets))

    assert response.status_code == 201
    assert {t["network"] for t in response.json()["targets"]} == {"sandbox"}


async def test_a_post_reads_back_as_created(client):
    created = (await client.post("/v1/posts", json=body(client.accounts))).json()

    response = await client.get(f"/v1/posts/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


async def test_an_unknown_post_is_a_404_problem(client):
    response = await client.get(f"/v1/posts/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["code"] == "post_not_found"


class TestIdempotencyKey:
    async def test_the_same_key_returns_the_same_post_without_a_second_one(self, client, engine):
        headers, request = {"Idempotency-Key": "launch-1"}, body(client.accounts)
        first = await client.post("/v1/posts", json=request, headers=headers)
        again = await client.post("/v1/posts", json=request, headers=headers)

        assert first.status_code == 201
        assert again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        async with engine.connect() as conn:
            stored = await conn.scalar(
                select(func.count()).where(post.c.tenant_id == client.tenant)
            )
        assert stored == 1
        assert len(await staged(engine, first.json()["id"])) == 1

    async def test_concurrent_requests_with_one_key_create_one_post(self, client):
        headers, request = {"Idempotency-Key": "launch-race"}, body(client.accounts)
        responses = await asyncio.gather(
            *(client.post("/v1/posts", json=request, headers=headers) for _ in range(3))
        )

        assert sorted(r.status_code for r in responses) == [200, 200, 201]
        assert len({r.json()["id"] for r in responses}) == 1

    async def test_the_same_key_with_a_different_body_is_refused(self, client):
        headers, request = {"Idempotency-Key": "launch-2"}, body(client.accounts)
        await client.post("/v1/posts", json=request, headers=headers)

        response = await client.post(
            "/v1/posts", json={**request, "text": "Other"}, headers=headers
        )

        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"

    async def test_another_tenant_using_the_same_key_gets_its_own_post(
        self, client, settings_for, api_client, issue_api_key, register_brands, unique
    ):
        headers = {"Idempotency-Key": "shared-key"}
        mine = await client.post("/v1/posts", json=body(client.accounts), headers=headers)
        other_key_tenant = unique("other")
        await register_brands(other_key_tenant, "brand-1")
        other_key = await issue_api_key(other_key_tenant)
        async with api_client(create_app(settings_for(Settings)), key=other_key.key) as other:
            theirs = await other.post(
                "/v1/posts", json=body([await connect(other)]), headers=headers
            )

        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert mine.json()["id"] != theirs.json()["id"]


class TestBadInput:
    async def test_a_time_in_the_past_is_a_422_problem(self, client, engine):
        response = await client.post(
            "/v1/posts", json=body(client.accounts, scheduled_at=in_(minutes=-5))
        )

        problem = response.json()
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["code"] == "scheduled_in_past"
        assert problem["errors"][0]["pointer"] == "/scheduled_at"
        async with engine.connect() as conn:
            stored = await conn.scalar(
                select(func.count()).where(post.c.tenant_id == client.tenant)
            )
        assert stored == 0

    async def test_a_network_without_connector_is_a_422_problem_saying_so(
        self, settings_for, api_client, issue_api_key, register_brands, unique, connect_replica
    ):
        key_tenant = unique("tenant")
        await register_brands(key_tenant, "brand-1")
        key = await issue_api_key(key_tenant)
        app = create_app(settings_for(Settings))
        async with api_client(app, key=key.key) as http:
            # A deployment running only some of the connectors.
            app.state.networks = frozenset({Network.sandbox})
            page = str(await connect_replica(key_tenant, AccountKind.facebook_page))
            response = await http.post("/v1/posts", json=body([page]))

        problem = response.json()
        assert response.status_code == 422
        assert problem["code"] == "no_connector"
        assert "no connector for facebook" in problem["detail"]
        assert problem["errors"][0]["pointer"] == "/targets/0/network"

    async def test_a_network_beacon_does_not_know_is_a_422_problem(self, client):
        targets = [{"account_id": client.accounts[0], "network": "myspace"}]
        response = await client.post("/v1/posts", json=body(client.accounts, targets=targets))
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/targets/0/network"

    async def test_an_account_the_tenant_does_not_have_is_a_422_pointing_at_its_target(
        self, client, settings_for, api_client, issue_api_key, register_brands, unique
    ):
        other_key_tenant = unique("other")
        await register_brands(other_key_tenant, "brand-1")
        other_key = await issue_api_key(other_key_tenant)
        async with api_client(create_app(settings_for(Settings)), key=other_key.key) as other:
            theirs = await connect(other)
        unknown = str(uuid.uuid4())
        targets = [
            {"account_id": client.accounts[0]},
            {"account_id": unknown},
            {"account_id": theirs},
        ]

        response = await client.post("/v1/posts", json=body(client.accounts, targets=targets))

        problem = response.json()
        assert response.status_code == 422
        assert problem["code"] == "unknown_account"
        assert [e["pointer"] for e in problem["errors"]] == [
            "/targets/1/account_id",
            "/targets/2/account_id",
        ]
        assert unknown in problem["detail"]
        assert theirs in problem["detail"]

    async def test_a_network_other_than_the_accounts_is_a_422_problem(self, client):
        targets = [{"account_id": client.accounts[0], "network": "x"}]

        response = await client.post("/v1/posts", json=body(client.accounts, targets=targets))

        problem = response.json()
        assert response.status_code == 422
        assert problem["code"] == "account_network_mismatch"
        assert problem["errors"][0]["pointer"] == "/targets/0/network"
        assert "sandbox" in problem["detail"]

    async def test_a_variant_over_its_networks_limit_is_a_422_pointing_at_the_variant(
        self, client, engine, replica
    ):
        x = await replica(AccountKind.x_user)
        request = body(
            [client.accounts[0], x],
            text="Short enough everywhere.",
            variants={"x": {"text": "a" * 300}},
        )

        response = await client.post("/v1/posts", json=request)

        problem = response.json()
        assert response.status_code == 422
        assert problem["code"] == "content_rejected"
        assert [(e["pointer"], e["type"]) for e in problem["errors"]] == [
            ("/variants/x/text", "text_too_long")
        ]
        async with engine.connect() as conn:
            stored = await conn.scalar(
                select(func.count()).where(post.c.tenant_id == client.tenant)
            )
        assert stored == 0

    async def test_a_variant_within_its_limit_lets_a_long_text_through_elsewhere(
        self, client, replica
    ):
        x = await replica(AccountKind.x_user)
        request = body(
            [client.accounts[0], x], text="b" * 300, variants={"x": {"text": "Short for X."}}
        )

        response = await client.post("/v1/posts", json=request)

        assert response.status_code == 201
        assert response.json()["variants"]["x"]["text"] == "Short for X."

    async def test_an_instagram_target_without_media_is_a_422_problem(self, client, replica):
        instagram = await replica(AccountKind.instagram_business)

        response = await client.post(
            "/v1/posts", json=body([client.accounts[0], instagram], link=None)
        )

        problem = response.json()
        assert response.status_code == 422
        assert [(e["pointer"], e["type"]) for e in problem["errors"]] == [
            ("/media", "media_required")
        ]
        assert problem["errors"][0]["message"].startswith("instagram: ")

    async def test_an_instagram_target_with_media_is_accepted(self, client, replica):
        instagram = await replica(AccountKind.instagram_business)
        media = [{"url": "https://cdn.example.com/launch.jpg", "alt_text": "The launch"}]

        response = await client.post("/v1/posts", json=body([instagram], media=media))

        assert response.status_code == 201
        assert response.json()["media"] == [
            {"url": "https://cdn.example.com/launch.jpg", "alt_text": "The launch", "kind": None}
        ]

    async def test_a_naive_time_is_a_422_problem(self, client):
        response = await client.post(
            "/v1/posts", json=body(client.accounts, scheduled_at="2030-01-01T10:00:00")
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_failed"

    async def test_malformed_json_is_a_400_problem(self, client):
        response = await client.post(
            "/v1/posts", content=b'{"text": ', headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["code"] == "malformed_json"


class TestAuth:
    async def test_no_key_is_a_401_problem(self, settings_for, api_client):
        async with api_client(create_app(settings_for(Settings))) as anonymous:
            responses = [
                await anonymous.post("/v1/posts", json=body([str(uuid.uuid4())])),
                await anonymous.get("/v1/posts"),
                await anonymous.get(f"/v1/posts/{uuid.uuid4()}"),
                await anonymous.post(f"/v1/posts/{uuid.uuid4()}/cancel"),
            ]
        assert {r.status_code for r in responses} == {401}
        assert {r.json()["code"] for r in responses} == {"unauthorized"}

    async def test_a_read_only_key_cannot_schedule(
        self, client, settings_for, api_client, issue_api_key
    ):
        key = await issue_api_key(client.tenant, scopes=("posts:read",))
        async with api_client(create_app(settings_for(Settings)), key=key.key) as reader:
            response = await reader.post("/v1/posts", json=body(client.accounts))
        assert response.status_code == 403

    async def test_another_tenants_post_is_invisible_and_uncancellable(
        self, client, settings_for, api_client, issue_api_key, register_brands, unique
    ):
        created = (await client.post("/v1/posts", json=body(client.accounts))).json()
        other_key_tenant = unique("other")
        await register_brands(other_key_tenant, "brand-1")
        other_key = await issue_api_key(other_key_tenant)
        async with api_client(create_app(settings_for(Settings)), key=other_key.key) as other:
            read = await other.get(f"/v1/posts/{created['id']}")
            cancelled = await other.post(f"/v1/posts/{created['id']}/cancel")
            listed = (await other.get("/v1/posts")).json()

        assert (read.status_code, cancelled.status_code) == (404, 404)
        assert created["id"] not in {p["id"] for p in listed["items"]}
        assert (await client.get(f"/v1/posts/{created['id']}")).json()["status"] == "scheduled"


class TestList:
    async def test_pages_walk_every_post_newest_first(self, client):
        ids = [
            (await client.post("/v1/posts", json=body(client.accounts))).json()["id"]
            for _ in range(5)
        ]

        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/posts", params=params)).json()
            assert len(page["items"]) <= 2
            seen += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break

        assert seen == list(reversed(ids))

    async def test_filters_by_status_and_scheduled_time(self, client):
        def create(**overrides: object) -> object:
            return client.post("/v1/posts", json=body(client.accounts, **overrides))

        soon = (await create(scheduled_at=in_(hours=1))).json()
        later = (await create(scheduled_at=in_(hours=5))).json()
        gone = (await create(scheduled_at=in_(hours=3))).json()
        await client.post(f"/v1/posts/{gone['id']}/cancel")

        def ids(**params: object) -> object:
            return client.get("/v1/posts", params=params)

        window = (await ids(**{"from": in_(hours=2), "to": in_(hours=6)})).json()
        scheduled = (await ids(status="scheduled")).json()
        cancelled = (await ids(status="cancelled")).json()

        assert [p["id"] for p in window["items"]] == [gone["id"], later["id"]]
        assert {p["id"] for p in scheduled["items"]} == {soon["id"], later["id"]}
        assert [p["id"] for p in cancelled["items"]] == [gone["id"]]

    async def test_filters_by_account_network_and_brand(self, client, replica):
        sandbox, _ = client.accounts
        x = await replica(AccountKind.x_user)

        async def create(accounts: list[str], brand: str) -> str:
            response = await client.post("/v1/posts", json=body(accounts, brand_id=brand))
            assert response.status_code == 201, response.text
            post_id: str = response.json()["id"]
            return post_id

        only_sandbox = await create([sandbox], "brand-a")
        only_x = await create([x], "brand-b")
        both = await create([sandbox, x], "brand-a")

        async def ids(**params: object) -> list[str]:
            response = await client.get("/v1/posts", params=params)
            assert response.status_code == 200, response.text
            return [p["id"] for p in response.json()["items"]]

        assert await ids(account_id=sandbox) == [both, only_sandbox]
        assert await ids(account_id=x) == [both, only_x]
        assert await ids(network="x") == [both, only_x]
        assert await ids(network="sandbox") == [both, only_sandbox]
        assert await ids(brand_id="brand-b") == [only_x]
        assert await ids(brand_id="brand-a", network="x") == [both]
        assert await ids(account_id=str(uuid.uuid4())) == []

    async def test_a_filtered_list_pages_with_its_cursor(self, client):
        sandbox, other = client.accounts
        mine = [
            (await client.post("/v1/posts", json=body([sandbox]))).json()["id"] for _ in range(3)
        ]
        await client.post("/v1/posts", json=body([other]))

        first = (await client.get("/v1/posts", params={"account_id": sandbox, "limit": 2})).json()
        rest = (
            await client.get(
                "/v1/posts",
                params={"account_id": sandbox, "limit": 2, "cursor": first["next_cursor"]},
            )
        ).json()

        assert [p["id"] for p in first["items"] + rest["items"]] == list(reversed(mine))
        assert rest["next_cursor"] is None

    async def test_a_forged_cursor_is_a_400_problem(self, client):
        response = await client.get("/v1/posts", params={"cursor": "not-a-cursor"})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_cursor"

    async def test_a_limit_over_200_is_a_422_problem(self, client):
        response = await client.get("/v1/posts", params={"limit": 201})
        assert response.status_code == 422


class TestCancel:
    async def test_a_scheduled_post_is_cancelled_with_its_targets_and_an_event(
        self, client, engine
    ):
        created = (await client.post("/v1/posts", json=body(client.accounts))).json()

        response = await client.post(f"/v1/posts/{created['id']}/cancel")
        again = await client.post(f"/v1/posts/{created['id']}/cancel")

        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert {t["status"] for t in response.json()["targets"]} == {"cancelled"}
        assert again.status_code == 200
        changes = [e.change for e in await staged(engine, created["id"])]
        assert changes == ["scheduled", "cancelled"]

    async def test_a_post_already_publishing_cannot_be_cancelled(self, client, engine):
        created = (await client.post("/v1/posts", json=body(client.accounts))).json()
        async with engine.begin() as conn:
            await conn.execute(
                update(post_target)
                .where(post_target.c.id == created["targets"][0]["id"])
                .values(status="publishing", attempts=1)
            )

        response = await client.post(f"/v1/posts/{created['id']}/cancel")

        assert response.status_code == 409
        assert response.json()["code"] == "post_not_cancellable"
        assert [e.change for e in await staged(engine, created["id"])] == ["scheduled"]


class TestBrands:
    async def test_an_unregistered_brand_is_a_422_and_nothing_is_stored(self, client):
        response = await client.post("/v1/posts", json=body(client.accounts, brand_id="ghost"))
        listed = (await client.get("/v1/posts")).json()["items"]

        assert response.status_code == 422
        assert response.json()["code"] == "unknown_brand"
        assert listed == []

    async def test_a_key_limited_to_a_brand_sees_and_changes_nothing_of_the_others(
        self, client, settings_for, api_client, issue_api_key, replica
    ):
        theirs = await client.post("/v1/posts", json=body(client.accounts, brand_id="brand-b"))
        assert theirs.status_code == 201, theirs.text
        theirs_id = theirs.json()["id"]
        key = await issue_api_key(
            client.tenant, scopes=("posts:read", "posts:write"), brand_ids=("brand-a",)
        )
        async with api_client(create_app(settings_for(Settings)), key=key.key) as limited:
            mine = await limited.post("/v1/posts", json=body(client.accounts, brand_id="brand-a"))
            elsewhere = await limited.post(
                "/v1/posts", json=body(client.accounts, brand_id="brand-b")
            )
            no_brand = await limited.post("/v1/posts", json=body(client.accounts, brand_id=None))
            listed = (await limited.get("/v1/posts")).json()["items"]
            filtered = await limited.get("/v1/posts", params={"brand_id": "brand-b"})
            read = await limited.get(f"/v1/posts/{theirs_id}")
            cancelled = await limited.post(f"/v1/posts/{theirs_id}/cancel")
            webhooks = await limited.get("/v1/webhook-endpoints")

        assert mine.status_code == 201, mine.text
        assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "brand_not_allowed")
        assert no_brand.status_code == 403
        assert [p["id"] for p in listed] == [mine.json()["id"]]
        assert (filtered.status_code, filtered.json()["code"]) == (403, "brand_not_allowed")
        assert (read.status_code, cancelled.status_code) == (404, 404)
        assert webhooks.status_code == 403
        assert (await client.get(f"/v1/posts/{theirs_id}")).json()["status"] == "scheduled"
