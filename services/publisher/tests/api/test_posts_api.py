"""The posts API: scheduling, reading, listing, cancelling, idempotency, bad input and tenancy."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from beacon_shared.contracts.publisher import PostScheduled
from beacon_shared.events import decode
from publisher.config import Settings
from publisher.db import outbox
from publisher.main import create_app
from publisher.posts.models import post, post_target

pytestmark = pytest.mark.integration


def in_(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def body(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "text": "Launch day!",
        "link": "https://example.com/launch",
        "scheduled_at": in_(hours=1),
        "targets": [
            {"account_id": "acct-1", "network": "sandbox"},
            {"account_id": "acct-2", "network": "sandbox"},
        ],
        "brand_id": "brand-1",
        "campaign_id": "spring",
    }
    values.update(overrides)
    return values


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, unique):
    tenant = unique("tenant")
    key = await issue_api_key(tenant, scopes=("posts:write", "posts:read"))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
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
    response = await client.post("/v1/posts", json=body())

    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "scheduled"
    assert created["link"] == "https://example.com/launch"
    assert {(t["account_id"], t["status"]) for t in created["targets"]} == {
        ("acct-1", "scheduled"),
        ("acct-2", "scheduled"),
    }
    (event,) = await staged(engine, created["id"])
    assert event.change == "scheduled"
    assert str(event.post_id) == created["id"]
    assert {str(t.target_id) for t in event.targets} == {t["id"] for t in created["targets"]}


async def test_a_post_reads_back_as_created(client):
    created = (await client.post("/v1/posts", json=body())).json()

    response = await client.get(f"/v1/posts/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


async def test_an_unknown_post_is_a_404_problem(client):
    response = await client.get(f"/v1/posts/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["code"] == "post_not_found"


class TestIdempotencyKey:
    async def test_the_same_key_returns_the_same_post_without_a_second_one(self, client, engine):
        headers, request = {"Idempotency-Key": "launch-1"}, body()
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
        headers, request = {"Idempotency-Key": "launch-race"}, body()
        responses = await asyncio.gather(
            *(client.post("/v1/posts", json=request, headers=headers) for _ in range(3))
        )

        assert sorted(r.status_code for r in responses) == [200, 200, 201]
        assert len({r.json()["id"] for r in responses}) == 1

    async def test_the_same_key_with_a_different_body_is_refused(self, client):
        headers, request = {"Idempotency-Key": "launch-2"}, body()
        await client.post("/v1/posts", json=request, headers=headers)

        response = await client.post(
            "/v1/posts", json={**request, "text": "Other"}, headers=headers
        )

        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"

    async def test_another_tenant_using_the_same_key_gets_its_own_post(
        self, client, settings_for, api_client, issue_api_key, unique
    ):
        headers = {"Idempotency-Key": "shared-key"}
        mine = await client.post("/v1/posts", json=body(), headers=headers)
        other_key = await issue_api_key(unique("other"))
        async with api_client(create_app(settings_for(Settings)), key=other_key.key) as other:
            theirs = await other.post("/v1/posts", json=body(), headers=headers)

        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert mine.json()["id"] != theirs.json()["id"]


class TestBadInput:
    async def test_a_time_in_the_past_is_a_422_problem(self, client, engine):
        response = await client.post("/v1/posts", json=body(scheduled_at=in_(minutes=-5)))

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

    async def test_a_network_without_connector_is_a_422_problem_saying_so(self, client):
        targets = [{"account_id": "page-1", "network": "facebook"}]
        response = await client.post("/v1/posts", json=body(targets=targets))

        problem = response.json()
        assert response.status_code == 422
        assert problem["code"] == "no_connector"
        assert "no connector for facebook" in problem["detail"]
        assert problem["errors"][0]["pointer"] == "/targets/0/network"

    async def test_a_network_beacon_does_not_know_is_a_422_problem(self, client):
        targets = [{"account_id": "a", "network": "myspace"}]
        response = await client.post("/v1/posts", json=body(targets=targets))
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/targets/0/network"

    async def test_a_naive_time_is_a_422_problem(self, client):
        response = await client.post("/v1/posts", json=body(scheduled_at="2030-01-01T10:00:00"))
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
                await anonymous.post("/v1/posts", json=body()),
                await anonymous.get("/v1/posts"),
                await anonymous.get(f"/v1/posts/{uuid.uuid4()}"),
                await anonymous.post(f"/v1/posts/{uuid.uuid4()}/cancel"),
            ]
        assert {r.status_code for r in responses} == {401}
        assert {r.json()["code"] for r in responses} == {"unauthorized"}

    async def test_a_read_only_key_cannot_schedule(
        self, settings_for, api_client, issue_api_key, unique
    ):
        key = await issue_api_key(unique("t"), scopes=("posts:read",))
        async with api_client(create_app(settings_for(Settings)), key=key.key) as reader:
            response = await reader.post("/v1/posts", json=body())
        assert response.status_code == 403

    async def test_another_tenants_post_is_invisible_and_uncancellable(
        self, client, settings_for, api_client, issue_api_key, unique
    ):
        created = (await client.post("/v1/posts", json=body())).json()
        other_key = await issue_api_key(unique("other"))
        async with api_client(create_app(settings_for(Settings)), key=other_key.key) as other:
            read = await other.get(f"/v1/posts/{created['id']}")
            cancelled = await other.post(f"/v1/posts/{created['id']}/cancel")
            listed = (await other.get("/v1/posts")).json()

        assert (read.status_code, cancelled.status_code) == (404, 404)
        assert created["id"] not in {p["id"] for p in listed["items"]}
        assert (await client.get(f"/v1/posts/{created['id']}")).json()["status"] == "scheduled"


class TestList:
    async def test_pages_walk_every_post_newest_first(self, client):
        ids = [(await client.post("/v1/posts", json=body())).json()["id"] for _ in range(5)]

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
        soon = (await client.post("/v1/posts", json=body(scheduled_at=in_(hours=1)))).json()
        later = (await client.post("/v1/posts", json=body(scheduled_at=in_(hours=5)))).json()
        gone = (await client.post("/v1/posts", json=body(scheduled_at=in_(hours=3)))).json()
        await client.post(f"/v1/posts/{gone['id']}/cancel")

        def ids(**params: object) -> object:
            return client.get("/v1/posts", params=params)

        window = (await ids(**{"from": in_(hours=2), "to": in_(hours=6)})).json()
        scheduled = (await ids(status="scheduled")).json()
        cancelled = (await ids(status="cancelled")).json()

        assert [p["id"] for p in window["items"]] == [gone["id"], later["id"]]
        assert {p["id"] for p in scheduled["items"]} == {soon["id"], later["id"]}
        assert [p["id"] for p in cancelled["items"]] == [gone["id"]]

    async def test_a_forged_cursor_is_a_422_problem(self, client):
        response = await client.get("/v1/posts", params={"cursor": "not-a-cursor"})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_cursor"

    async def test_a_limit_over_200_is_a_422_problem(self, client):
        response = await client.get("/v1/posts", params={"limit": 201})
        assert response.status_code == 422


class TestCancel:
    async def test_a_scheduled_post_is_cancelled_with_its_targets_and_an_event(
        self, client, engine
    ):
        created = (await client.post("/v1/posts", json=body())).json()

        response = await client.post(f"/v1/posts/{created['id']}/cancel")
        again = await client.post(f"/v1/posts/{created['id']}/cancel")

        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert {t["status"] for t in response.json()["targets"]} == {"cancelled"}
        assert again.status_code == 200
        changes = [e.change for e in await staged(engine, created["id"])]
        assert changes == ["scheduled", "cancelled"]

    async def test_a_post_already_publishing_cannot_be_cancelled(self, client, engine):
        created = (await client.post("/v1/posts", json=body())).json()
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
