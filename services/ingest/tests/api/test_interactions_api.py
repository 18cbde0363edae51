"""The generic interactions endpoint: auth, dedupe, bad input, and the staged event."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ingest.config import Settings
from ingest.db import outbox
from ingest.interactions.models import interaction
from ingest.main import create_app

pytestmark = pytest.mark.integration


def comment(external_id: str = "c-1", **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": "comment",
        "external_id": external_id,
        "thread_external_id": "post-1",
        "author": {"network_id": "u-1", "handle": "alice"},
        "text": "Where can I buy this?",
        "created_at": "2026-11-24T10:00:00Z",
    }
    body.update(overrides)
    return body


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, unique):
    tenant = unique("tenant")
    key = await issue_api_key(tenant)
    app = create_app(settings_for(Settings))
    async with api_client(app, key=key.key) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
        yield http


async def test_a_comment_is_stored_once_and_staged_once(client, engine):
    first = await client.post("/v1/interactions", json=comment())
    again = await client.post("/v1/interactions", json=comment())

    assert first.status_code == 202
    assert first.json()["duplicate"] is False
    assert again.status_code == 202
    assert again.json() == {**first.json(), "duplicate": True}
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                select(interaction.c.id).where(interaction.c.tenant_id == client.tenant)
            )
        ).all()
        staged = (
            await conn.execute(
                select(outbox.c.topic, outbox.c.key)
                .where(outbox.c.event_id.isnot(None))
                .where(outbox.c.value.contains(client.tenant.encode()))
            )
        ).all()
    assert len(stored) == 1
    assert [(row.topic, row.key) for row in staged] == [("comment.received", "post-1")]


async def test_a_reaction_is_staged_as_engagement(client, engine):
    response = await client.post("/v1/interactions", json=comment("r-1", kind="reaction", text=""))
    assert response.status_code == 202
    async with engine.connect() as conn:
        topics = (
            (
                await conn.execute(
                    select(outbox.c.topic).where(outbox.c.value.contains(client.tenant.encode()))
                )
            )
            .scalars()
            .all()
        )
    assert topics == ["engagement.recorded"]


async def test_the_stored_interaction_is_readable_by_its_tenant_only(
    client, settings_for, api_client, issue_api_key, unique
):
    created = (await client.post("/v1/interactions", json=comment())).json()
    mine = await client.get(f"/v1/interactions/{created['id']}")
    other_key = await issue_api_key(unique("other"))
    async with api_client(create_app(settings_for(Settings)), key=other_key.key) as other:
        theirs = await other.get(f"/v1/interactions/{created['id']}")

    assert mine.status_code == 200
    assert mine.json()["author"]["handle"] == "alice"
    assert theirs.status_code == 404
    assert theirs.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer bk_not-a-real-key"}, 401, "unauthorized"),
        ({"X-API-Key": "nope"}, 401, "unauthorized"),
    ],
)
async def test_missing_or_wrong_keys_are_refused(settings_for, api_client, headers, status, code):
    async with api_client(create_app(settings_for(Settings))) as anonymous:
        response = await anonymous.post("/v1/interactions", json=comment(), headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_a_key_without_the_scope_is_forbidden(
    settings_for, api_client, issue_api_key, unique
):
    key = await issue_api_key(unique("t"), scopes=("interactions:read",))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as reader:
        response = await reader.post("/v1/interactions", json=comment())
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


async def test_malformed_json_is_a_400_problem(client):
    response = await client.post(
        "/v1/interactions",
        content=b'{"kind": "comment",',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"


async def test_wrong_types_are_a_422_problem_with_pointers(client):
    response = await client.post("/v1/interactions", json=comment(kind="shout", created_at="soon"))
    body = response.json()
    assert response.status_code == 422
    assert body["code"] == "validation_failed"
    assert {e["pointer"] for e in body["errors"]} == {"/kind", "/created_at"}


async def test_oversized_bodies_are_a_413_problem_and_write_nothing(client, engine):
    response = await client.post("/v1/interactions", json=comment(text="x" * 2_000_000))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    async with engine.connect() as conn:
        count = (
            await conn.execute(
                select(interaction.c.id).where(interaction.c.tenant_id == client.tenant)
            )
        ).all()
    assert count == []


async def test_a_nul_character_is_a_422_problem_and_writes_nothing(client, engine):
    response = await client.post("/v1/interactions", json=comment(text="hi\x00there"))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_character"
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                select(interaction.c.id).where(interaction.c.tenant_id == client.tenant)
            )
        ).all()
    assert stored == []


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("follower_count", 2**31, "less_than_equal"),  # the column is int4
        ("follower_count", True, "int_type"),  # a JSON integer, never true read as 1
    ],
)
async def test_an_author_count_the_column_cannot_hold_is_a_422_problem(client, field, value, kind):
    body = comment(author={"network_id": "u-1", field: value})

    response = await client.post("/v1/interactions", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["pointer"] == f"/author/{field}"
    assert response.json()["errors"][0]["type"] == kind


@pytest.mark.parametrize(
    "created_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1700000000"]
)
async def test_a_created_at_storage_cannot_hold_is_a_422_problem(client, created_at):
    response = await client.post("/v1/interactions", json=comment(created_at=created_at))

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/created_at"
