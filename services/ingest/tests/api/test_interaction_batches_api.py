"""Batches, idempotency keys and bad input of the generic interactions API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update

from beacon_shared.db import create_sessionmaker
from ingest.config import Settings
from ingest.db import outbox
from ingest.interactions import keys
from ingest.interactions.models import idempotency_key, interaction
from ingest.main import create_app

pytestmark = pytest.mark.integration


def item(external_id: str, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": "comment",
        "external_id": external_id,
        "thread_external_id": "post-1",
        "author": {"network_id": "u-1"},
        "text": "hello",
        "created_at": "2026-11-24T10:00:00Z",
    }
    body.update(overrides)
    return body


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, unique):
    tenant = unique("tenant")
    key = await issue_api_key(tenant)
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
        yield http


async def stored_count(engine, tenant: str) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(func.count())
                .select_from(interaction)
                .where(interaction.c.tenant_id == tenant)
            )
        ).scalar_one()


async def test_a_batch_of_1000_is_accepted_in_one_request(client, engine):
    items = [item(f"c-{n}") for n in range(1000)]

    response = await client.post("/v1/interactions/batch", json={"items": items})

    assert response.status_code == 202
    results = response.json()["items"]
    assert [r["external_id"] for r in results] == [f"c-{n}" for n in range(1000)]
    assert not any(r["duplicate"] for r in results)
    assert await stored_count(engine, client.tenant) == 1000


async def test_a_batch_of_1001_is_a_422_and_stores_nothing(client, engine):
    items = [item(f"c-{n}") for n in range(1001)]

    response = await client.post("/v1/interactions/batch", json={"items": items})

    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/items"]
    assert await stored_count(engine, client.tenant) == 0


async def test_an_empty_batch_is_a_422(client):
    response = await client.post("/v1/interactions/batch", json={"items": []})
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/items"]


async def test_a_repeat_within_a_batch_is_stored_and_emitted_once(client, engine):
    response = await client.post(
        "/v1/interactions/batch", json={"items": [item("a"), item("b"), item("a", text="again")]}
    )

    first, second, repeat = response.json()["items"]
    assert response.status_code == 202
    assert (first["duplicate"], second["duplicate"], repeat["duplicate"]) == (False, False, True)
    assert repeat["id"] == first["id"]
    assert await stored_count(engine, client.tenant) == 2
    async with engine.connect() as conn:
        staged = (
            await conn.execute(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.value.contains(client.tenant.encode()))
            )
        ).scalar_one()
    assert staged == 2


async def test_a_batch_resubmitted_reports_every_item_as_a_duplicate_of_the_first(client):
    batch = {"items": [item("a"), item("b")]}
    first = (await client.post("/v1/interactions/batch", json=batch)).json()["items"]
    again = (await client.post("/v1/interactions/batch", json=batch)).json()["items"]

    assert [r["id"] for r in again] == [r["id"] for r in first]
    assert all(r["duplicate"] for r in again)


async def test_invalid_items_are_pointed_at_and_nothing_of_the_batch_is_stored(client, engine):
    items = [item("ok-0"), item("bad-1", created_at="2026-11-24T10:00:00"), item("ok-2")]
    items.append({k: v for k, v in item("bad-3").items() if k != "author"})

    response = await client.post("/v1/interactions/batch", json={"items": items})

    assert response.status_code == 422
    assert {e["pointer"] for e in response.json()["errors"]} == {
        "/items/1/created_at",
        "/items/3/author",
    }
    assert await stored_count(engine, client.tenant) == 0


def ids_of(body: dict[str, object]) -> list[object]:
    results = body.get("items", [body])
    assert isinstance(results, list)
    return [r["id"] for r in results]


@pytest.mark.parametrize("path", ["/v1/interactions", "/v1/interactions/batch"])
async def test_a_retry_with_the_same_key_gets_the_first_answer_again(client, engine, path):
    body = item("c-1") if path == "/v1/interactions" else {"items": [item("c-1")]}
    headers = {"Idempotency-Key": "order-42/retry ok"}

    first = await client.post(path, json=body, headers=headers)
    retry = await client.post(path, json=body, headers=headers)

    assert (first.status_code, retry.status_code) == (202, 202)
    assert first.headers["Idempotency-Key"] == "order-42/retry ok"
    assert retry.headers["Idempotency-Key"] == "order-42/retry ok"
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["Idempotent-Replayed"] == "true"
    # The replay is the first answer, `duplicate: false` included, not a fresh "duplicate".
    assert retry.json() == first.json()
    assert await stored_count(engine, client.tenant) == 1


async def test_a_retry_without_a_key_is_reported_as_a_duplicate_of_the_same_id(client, engine):
    first = await client.post("/v1/interactions", json=item("c-1"))
    retry = await client.post("/v1/interactions", json=item("c-1"))

    assert (first.json()["duplicate"], retry.json()["duplicate"]) == (False, True)
    assert retry.json()["id"] == first.json()["id"]
    assert await stored_count(engine, client.tenant) == 1


async def test_reusing_a_key_for_another_body_is_a_422_and_stores_nothing_more(client, engine):
    headers = {"Idempotency-Key": "k-1"}
    await client.post("/v1/interactions", json=item("c-1"), headers=headers)

    reused = await client.post("/v1/interactions", json=item("c-2"), headers=headers)

    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert await stored_count(engine, client.tenant) == 1


async def test_the_same_key_is_independent_across_routes_and_tenants(
    client, engine, api_client, settings_for, issue_api_key, unique
):
    headers = {"Idempotency-Key": "shared-key"}
    single = await client.post("/v1/interactions", json=item("c-1"), headers=headers)
    batch = await client.post(
        "/v1/interactions/batch", json={"items": [item("c-1")]}, headers=headers
    )
    other_tenant = unique("tenant")
    key = await issue_api_key(other_tenant)
    async with api_client(create_app(settings_for(Settings)), key=key.key) as other:
        elsewhere = await other.post("/v1/interactions", json=item("c-1"), headers=headers)

    assert single.status_code == 202
    assert batch.status_code == 422  # same tenant and key, another route: another request
    assert elsewhere.status_code == 202
    assert elsewhere.json()["duplicate"] is False
    assert "Idempotent-Replayed" not in elsewhere.headers


async def test_a_key_older_than_a_day_is_forgotten_and_can_be_used_again(client, engine):
    headers = {"Idempotency-Key": "k-old"}
    await client.post("/v1/interactions", json=item("c-1"), headers=headers)
    async with engine.begin() as conn:
        await conn.execute(
            update(idempotency_key)
            .where(idempotency_key.c.tenant_id == client.tenant)
            .values(created_at=func.now() - text("interval '25 hours'"))
        )

    again = await client.post("/v1/interactions", json=item("c-2"), headers=headers)
    replay = await client.post("/v1/interactions", json=item("c-2"), headers=headers)

    assert again.status_code == 202
    assert "Idempotent-Replayed" not in again.headers
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == again.json()


async def test_prune_forgets_only_expired_keys(client, engine):
    await client.post("/v1/interactions", json=item("c-1"), headers={"Idempotency-Key": "old"})
    await client.post("/v1/interactions", json=item("c-2"), headers={"Idempotency-Key": "new"})
    async with engine.begin() as conn:
        await conn.execute(
            update(idempotency_key)
            .where(idempotency_key.c.tenant_id == client.tenant, idempotency_key.c.key == "old")
            .values(created_at=func.now() - text("interval '25 hours'"))
        )

    assert await keys.prune(create_sessionmaker(engine)) >= 1

    async with engine.connect() as conn:
        left = (
            (
                await conn.execute(
                    select(idempotency_key.c.key).where(
                        idempotency_key.c.tenant_id == client.tenant
                    )
                )
            )
            .scalars()
            .all()
        )
    assert left == ["new"]


async def test_no_idempotency_key_means_no_echo(client):
    response = await client.post("/v1/interactions", json=item("c-1"))
    assert "Idempotency-Key" not in response.headers


@pytest.mark.parametrize("key", ["k" * 256, "tab\there", "del\x7f"])
@pytest.mark.parametrize("path", ["/v1/interactions", "/v1/interactions/batch"])
async def test_an_invalid_idempotency_key_is_a_422_and_stores_nothing(client, engine, path, key):
    body = item("c-1") if path == "/v1/interactions" else {"items": [item("c-1")]}

    response = await client.post(path, json=body, headers={"Idempotency-Key": key})

    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/header/Idempotency-Key"]
    assert await stored_count(engine, client.tenant) == 0


async def test_emoji_and_right_to_left_text_round_trip_intact(client):
    text = "مرحبا بكم 👋🏽 שלום עולם 🇫🇷 👨‍👩‍👧 ‏mixed‎ عربي"
    body = item("c-1", text=text, author={"network_id": "u-1", "display_name": "سارة 🌙"})

    created = (await client.post("/v1/interactions", json=body)).json()
    fetched = (await client.get(f"/v1/interactions/{created['id']}")).json()

    assert fetched["text"] == text
    assert fetched["author"]["display_name"] == "سارة 🌙"


async def test_control_characters_are_stripped_but_tab_and_newlines_kept(client):
    body = item("c-1", text="be\x07ll\x1b[31m red\x7f\tand\r\nlines\x0b\x0c\x08")

    created = (await client.post("/v1/interactions", json=body)).json()
    fetched = (await client.get(f"/v1/interactions/{created['id']}")).json()

    assert fetched["text"] == "bell[31m red\x7f\tand\r\nlines"


async def test_a_100k_character_text_is_accepted_and_one_more_is_a_422(client, engine):
    longest = await client.post("/v1/interactions", json=item("c-1", text="é" * 100_000))
    too_long = await client.post("/v1/interactions", json=item("c-2", text="é" * 100_001))

    assert longest.status_code == 202
    fetched = (await client.get(f"/v1/interactions/{longest.json()['id']}")).json()
    assert len(fetched["text"]) == 100_000
    assert too_long.status_code == 422
    assert [e["pointer"] for e in too_long.json()["errors"]] == ["/text"]
    assert await stored_count(engine, client.tenant) == 1


async def test_a_created_at_far_in_the_future_is_clamped_to_receipt(client, engine):
    future = datetime.now(UTC) + timedelta(days=3)
    soon = datetime.now(UTC) + timedelta(minutes=2)

    far = await client.post("/v1/interactions", json=item("far", created_at=future.isoformat()))
    near = await client.post("/v1/interactions", json=item("near", created_at=soon.isoformat()))

    clamped = (await client.get(f"/v1/interactions/{far.json()['id']}")).json()
    kept = (await client.get(f"/v1/interactions/{near.json()['id']}")).json()
    assert clamped["created_at"] == clamped["received_at"]
    assert datetime.fromisoformat(kept["created_at"]) == soon
    async with engine.connect() as conn:
        raws = dict(
            (
                await conn.execute(
                    select(interaction.c.external_id, interaction.c.raw).where(
                        interaction.c.tenant_id == client.tenant
                    )
                )
            ).all()
        )
    assert raws["far"]["created_at_clamped"] is True
    assert datetime.fromisoformat(raws["far"]["created_at"]) == future
    assert "created_at_clamped" not in raws["near"]
