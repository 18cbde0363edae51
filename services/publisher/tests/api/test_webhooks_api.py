"""The webhooks API: endpoints, secrets, delivery logs, tests, redeliveries, tenancy and scopes."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import delete, func, select, update

from beacon_shared.crypto import SecretBox
from beacon_shared.db import create_sessionmaker
from beacon_shared.testing.egress import LOCAL_EGRESS_SETTINGS
from beacon_shared.webhooks.secret_store import unseal
from publisher.config import Settings
from publisher.main import create_app
from publisher.webhooks import service
from publisher.webhooks.models import webhook_attempt, webhook_delivery, webhook_endpoint

pytestmark = pytest.mark.integration

KEY = Fernet.generate_key().decode()
URL = "https://hooks.agency.example/beacon"
BOTH = ("webhooks:read", "webhooks:write")


@pytest.fixture
async def make_client(settings_for, api_client, issue_api_key, unique, engine):
    """`async with make_client(scopes=..., **settings) as http`: a tenant's client; every
    tenant's endpoints are deleted afterwards."""
    tenants: list[str] = []

    @contextlib.asynccontextmanager
    async def make(*, tenant: str | None = None, scopes=BOTH, **settings):
        tenant = tenant or unique("tenant")
        tenants.append(tenant)
        key = await issue_api_key(tenant, scopes=scopes)
        values = {"credentials_key": KEY, **settings}
        async with api_client(create_app(settings_for(Settings, **values)), key=key.key) as http:
            http.tenant = tenant
            yield http

    yield make
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            delete(webhook_endpoint).where(webhook_endpoint.c.tenant_id.in_(tenants))
        )


@pytest.fixture
async def client(make_client):
    async with make_client() as http:
        yield http


async def create(client, **overrides):
    response = await client.post("/v1/webhook-endpoints", json={"url": URL, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


async def stored_endpoint(engine, endpoint_id):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(webhook_endpoint).where(webhook_endpoint.c.id == uuid.UUID(endpoint_id))
            )
        ).one()


async def set_delivery(engine, delivery_id, **values):
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(webhook_delivery)
            .where(webhook_delivery.c.id == uuid.UUID(delivery_id))
            .values(**values)
        )


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["code"]) == (status, code)
    return problem


class TestCreate:
    async def test_the_secret_is_shown_once_and_stored_sealed(self, client, engine):
        created = await create(
            client,
            description="Agency dashboard",
            event_types=["post.published", "post.failed"],
            brand_ids=["brand-1"],
        )

        shown = await client.get(f"/v1/webhook-endpoints/{created['id']}")
        listed = await client.get("/v1/webhook-endpoints")
        row = await stored_endpoint(engine, created["id"])

        assert created["secret"].startswith("whsec_")
        assert created["url"] == URL
        assert created["event_types"] == ["post.published", "post.failed"]
        assert created["brand_ids"] == ["brand-1"]
        assert (created["enabled"], created["disabled_reason"]) == (True, None)
        assert shown.status_code == 200
        assert "secret" not in shown.json()
        assert shown.json() == {k: v for k, v in created.items() if k != "secret"}
        assert [item.get("secret") for item in listed.json()["items"]] == [None]
        assert created["secret"].encode() not in row.secret_encrypted
        box = SecretBox(SecretStr(KEY), setting="PUBLISHER_CREDENTIALS_KEY")
        assert unseal(box, row.secret_encrypted).current == created["secret"]

    async def test_without_a_credentials_key_no_endpoint_is_stored(self, make_client):
        async with make_client(credentials_key=None) as client:
            response = await client.post("/v1/webhook-endpoints", json={"url": URL})
            listed = await client.get("/v1/webhook-endpoints")

        assert_problem(response, 409, "credentials_key_missing")
        assert listed.json()["items"] == []

    @pytest.mark.parametrize(
        "url",
        [
            "http://hooks.agency.example/beacon",
            "https://localhost:8443/beacon",
            "https://10.0.0.7/beacon",
            "https://169.254.169.254/latest/meta-data",
            "not a url",
        ],
    )
    async def test_an_unusable_url_is_a_422_problem(self, client, url):
        response = await client.post("/v1/webhook-endpoints", json={"url": url})

        problem = assert_problem(response, 422, "invalid_webhook_url")
        assert problem["errors"][0]["pointer"] == "/url"

    async def test_local_http_is_accepted_where_private_addresses_are_allowed(self, make_client):
        async with make_client(**LOCAL_EGRESS_SETTINGS) as client:
            created = await create(client, url="http://127.0.0.1:8080/hooks")
        assert created["url"] == "http://127.0.0.1:8080/hooks"

    async def test_an_unknown_event_type_is_a_422_problem_listing_the_known_ones(self, client):
        response = await client.post(
            "/v1/webhook-endpoints",
            json={"url": URL, "event_types": ["post.published", "post.exploded"]},
        )

        problem = assert_problem(response, 422, "unknown_event_type")
        assert problem["errors"][0]["pointer"] == "/event_types/1"
        assert "account.needs_reauth" in problem["detail"]

    async def test_an_unexpected_field_is_a_422_problem(self, client):
        response = await client.post("/v1/webhook-endpoints", json={"url": URL, "secret": "x"})
        assert_problem(response, 422, "validation_failed")


class TestReadAndChange:
    async def test_the_list_pages_newest_first(self, client):
        ids = [(await create(client, description=f"n{i}"))["id"] for i in range(3)]

        first = (await client.get("/v1/webhook-endpoints", params={"limit": 2})).json()
        second = (
            await client.get(
                "/v1/webhook-endpoints", params={"limit": 2, "cursor": first["next_cursor"]}
            )
        ).json()

        assert [e["id"] for e in first["items"] + second["items"]] == ids[::-1]
        assert first["next_cursor"] is not None
        assert second["next_cursor"] is None

    async def test_a_forged_cursor_is_a_400_problem(self, client):
        response = await client.get("/v1/webhook-endpoints", params={"cursor": "nonsense"})
        assert_problem(response, 400, "invalid_cursor")

    async def test_a_patch_changes_only_what_it_sets(self, client):
        created = await create(client, description="old", brand_ids=["brand-1"])

        response = await client.patch(
            f"/v1/webhook-endpoints/{created['id']}",
            json={
                "url": "https://other.agency.example/hook",
                "event_types": ["post.failed"],
                "description": None,
            },
        )

        changed = response.json()
        assert response.status_code == 200
        assert changed["url"] == "https://other.agency.example/hook"
        assert changed["event_types"] == ["post.failed"]
        assert changed["description"] is None
        assert changed["brand_ids"] == ["brand-1"]
        assert changed["updated_at"] > created["updated_at"]

    async def test_disabling_records_a_reason_and_enabling_clears_it(self, client):
        created = await create(client)
        path = f"/v1/webhook-endpoints/{created['id']}"

        disabled = (await client.patch(path, json={"enabled": False})).json()
        enabled = (await client.patch(path, json={"enabled": True})).json()

        assert (disabled["enabled"], disabled["disabled_reason"]) == (
            False,
            "disabled through the API",
        )
        assert (enabled["enabled"], enabled["disabled_reason"]) == (True, None)

    async def test_a_patch_is_validated_like_a_create(self, client):
        created = await create(client)
        path = f"/v1/webhook-endpoints/{created['id']}"

        bad_url = await client.patch(path, json={"url": "https://127.0.0.1/hook"})
        bad_type = await client.patch(path, json={"event_types": ["post.nope"]})

        assert_problem(bad_url, 422, "invalid_webhook_url")
        assert_problem(bad_type, 422, "unknown_event_type")
        assert (await client.get(path)).json() == {
            k: v for k, v in created.items() if k != "secret"
        }

    async def test_a_deleted_endpoint_is_gone_with_its_deliveries(self, client, engine):
        created = await create(client)
        await client.post(f"/v1/webhook-endpoints/{created['id']}/test")

        response = await client.delete(f"/v1/webhook-endpoints/{created['id']}")
        again = await client.get(f"/v1/webhook-endpoints/{created['id']}")

        assert response.status_code == 204
        assert_problem(again, 404, "webhook_endpoint_not_found")
        async with engine.connect() as conn:
            left = await conn.scalar(
                select(func.count()).where(
                    webhook_delivery.c.endpoint_id == uuid.UUID(created["id"])
                )
            )
        assert left == 0

    async def test_a_rotation_shows_a_new_secret_and_keeps_the_old_one_a_day(self, client, engine):
        created = await create(client)

        response = await client.post(f"/v1/webhook-endpoints/{created['id']}/rotate-secret")

        rotated = response.json()
        row = await stored_endpoint(engine, created["id"])
        secrets = unseal(
            SecretBox(SecretStr(KEY), setting="PUBLISHER_CREDENTIALS_KEY"), row.secret_encrypted
        )
        assert response.status_code == 200
        assert rotated["secret"].startswith("whsec_")
        assert rotated["secret"] != created["secret"]
        assert (secrets.current, secrets.previous) == (rotated["secret"], created["secret"])
        until = datetime.fromisoformat(rotated["previous_valid_until"])
        assert timedelta(hours=23) < until - datetime.now(UTC) <= timedelta(hours=24)


class TestDeliveries:
    async def test_a_test_webhook_is_queued_and_shows_in_the_log(self, client):
        created = await create(client, event_types=["post.published"])
        path = f"/v1/webhook-endpoints/{created['id']}"

        response = await client.post(f"{path}/test")
        log = (await client.get(f"{path}/deliveries")).json()
        detail = (await client.get(f"/v1/webhook-deliveries/{response.json()['id']}")).json()

        queued = response.json()
        assert response.status_code == 202
        assert (queued["event_type"], queued["status"], queued["attempts"]) == (
            "webhook.test",
            "pending",
            0,
        )
        assert [d["id"] for d in log["items"]] == [queued["id"]]
        assert detail["payload"]["type"] == "webhook.test"
        assert detail["payload"]["data"]["endpoint_id"] == created["id"]
        assert detail["attempt_log"] == []

    async def test_the_log_filters_by_status_and_type_and_pages(self, client, engine):
        created = await create(client)
        endpoint_path = f"/v1/webhook-endpoints/{created['id']}"
        async with create_sessionmaker(engine)() as session, session.begin():
            for n in range(3):
                await service.notify(
                    session,
                    tenant_id=client.tenant,
                    event_type="post.published",
                    data={"n": n},
                    brand_id=None,
                )
        test = (await client.post(f"{endpoint_path}/test")).json()
        await set_delivery(engine, test["id"], status="failed", next_attempt_at=None)

        def types(response):
            return [d["event_type"] for d in response.json()["items"]]

        published = await client.get(
            f"{endpoint_path}/deliveries", params={"event_type": "post.published"}
        )
        failed = await client.get(f"{endpoint_path}/deliveries", params={"status": "failed"})
        page = (await client.get(f"{endpoint_path}/deliveries", params={"limit": 3})).json()
        rest = (
            await client.get(
                f"{endpoint_path}/deliveries", params={"limit": 3, "cursor": page["next_cursor"]}
            )
        ).json()
        bad_status = await client.get(f"{endpoint_path}/deliveries", params={"status": "lost"})

        assert types(published) == ["post.published"] * 3
        assert [d["id"] for d in failed.json()["items"]] == [test["id"]]
        assert len(page["items"]) == 3
        assert len(rest["items"]) == 1
        assert rest["next_cursor"] is None
        every = [d["id"] for d in page["items"] + rest["items"]]
        assert len(set(every)) == 4
        assert every[0] == test["id"]  # the newest
        assert_problem(bad_status, 422, "validation_failed")

    async def test_a_delivery_shows_its_attempts(self, client, engine):
        created = await create(client)
        queued = (await client.post(f"/v1/webhook-endpoints/{created['id']}/test")).json()
        at = datetime.now(UTC)
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                webhook_attempt.insert().values(
                    delivery_id=uuid.UUID(queued["id"]),
                    attempt=1,
                    at=at,
                    outcome="retry",
                    status_code=503,
                    duration_ms=120,
                    response_excerpt="try later",
                )
            )

        detail = (await client.get(f"/v1/webhook-deliveries/{queued['id']}")).json()

        assert detail["attempt_log"] == [
            {
                "attempt": 1,
                "at": at.isoformat().replace("+00:00", "Z"),
                "outcome": "retry",
                "status_code": 503,
                "error": None,
                "duration_ms": 120,
                "response_excerpt": "try later",
            }
        ]

    async def test_a_failed_delivery_can_be_redelivered_now(self, client, engine):
        created = await create(client)
        queued = (await client.post(f"/v1/webhook-endpoints/{created['id']}/test")).json()
        await set_delivery(engine, queued["id"], status="failed", attempts=8, next_attempt_at=None)

        response = await client.post(f"/v1/webhook-deliveries/{queued['id']}/redeliver")

        again = response.json()
        assert response.status_code == 202
        assert (again["id"], again["status"], again["attempts"]) == (queued["id"], "pending", 8)
        assert datetime.fromisoformat(again["next_attempt_at"]) <= datetime.now(UTC)

    async def test_a_delivery_under_way_is_not_redelivered(self, client, engine):
        created = await create(client)
        queued = (await client.post(f"/v1/webhook-endpoints/{created['id']}/test")).json()
        await set_delivery(engine, queued["id"], status="delivering")

        response = await client.post(f"/v1/webhook-deliveries/{queued['id']}/redeliver")

        assert_problem(response, 409, "webhook_delivery_in_progress")

    async def test_nothing_is_sent_to_a_disabled_endpoint(self, client):
        created = await create(client)
        path = f"/v1/webhook-endpoints/{created['id']}"
        queued = (await client.post(f"{path}/test")).json()
        await client.patch(path, json={"enabled": False})

        test = await client.post(f"{path}/test")
        redeliver = await client.post(f"/v1/webhook-deliveries/{queued['id']}/redeliver")

        assert_problem(test, 409, "webhook_endpoint_disabled")
        assert_problem(redeliver, 409, "webhook_endpoint_disabled")


class TestTenancy:
    async def test_another_tenants_endpoints_and_deliveries_are_404s(self, client, make_client):
        mine = await create(client)
        delivery = (await client.post(f"/v1/webhook-endpoints/{mine['id']}/test")).json()
        endpoint_path = f"/v1/webhook-endpoints/{mine['id']}"
        delivery_path = f"/v1/webhook-deliveries/{delivery['id']}"

        async with make_client() as other:
            await create(other, description="theirs")
            responses = {
                "get": await other.get(endpoint_path),
                "patch": await other.patch(endpoint_path, json={"enabled": False}),
                "delete": await other.delete(endpoint_path),
                "rotate": await other.post(f"{endpoint_path}/rotate-secret"),
                "test": await other.post(f"{endpoint_path}/test"),
                "log": await other.get(f"{endpoint_path}/deliveries"),
                "delivery": await other.get(delivery_path),
                "redeliver": await other.post(f"{delivery_path}/redeliver"),
            }
            theirs = (await other.get("/v1/webhook-endpoints")).json()["items"]

        for name, response in responses.items():
            expected = "webhook_delivery_not_found" if "deliver" in name else None
            assert_problem(response, 404, expected or "webhook_endpoint_not_found")
        assert [e["description"] for e in theirs] == ["theirs"]
        still = (await client.get(endpoint_path)).json()
        assert (still["enabled"], still["url"]) == (True, URL)
        log = (await client.get(f"{endpoint_path}/deliveries")).json()["items"]
        assert [d["id"] for d in log] == [delivery["id"]]

    async def test_a_read_only_key_cannot_change_anything(self, make_client):
        async with make_client(scopes=("webhooks:read",)) as reader:
            listed = await reader.get("/v1/webhook-endpoints")
            refused = await reader.post("/v1/webhook-endpoints", json={"url": URL})
        async with make_client(scopes=("posts:read",)) as outsider:
            hidden = await outsider.get("/v1/webhook-endpoints")

        assert listed.status_code == 200
        assert_problem(refused, 403, "forbidden")
        assert_problem(hidden, 403, "forbidden")
