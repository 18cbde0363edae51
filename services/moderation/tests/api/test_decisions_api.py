"""The decisions API: tenant-scoped reads, filters and cursor pagination."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from moderation.comments.models import comment
from moderation.config import Settings
from moderation.decisions.models import decision
from moderation.main import create_app

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 12, tzinfo=UTC)


async def store_decision(engine, tenant, *, minutes, action="allow", brand_id="brand-1"):
    decided_at = T0 + timedelta(minutes=minutes)
    stored = {
        "tenant_id": tenant,
        "interaction_id": uuid.uuid4(),
        "brand_id": brand_id,
        "network": "instagram",
        "kind": "comment",
        "external_id": f"c-{uuid.uuid4().hex[:8]}",
        "thread_external_id": "post-1",
        "author_id": "u-1",
        "author_handle": "alice",
        "text": "hello",
        "language": "en",
        "created_at": decided_at,
        "received_at": decided_at,
    }
    row = {
        "id": uuid.uuid4(),
        "tenant_id": tenant,
        "interaction_id": stored["interaction_id"],
        "brand_id": brand_id,
        "action": action,
        "decided_by": "rule:default.allow",
        "reasons": [],
        "scores": {},
        "decided_at": decided_at,
    }
    async with engine.begin() as conn:
        # The decision references the comment moderation stored.
        await conn.execute(insert(comment).values(stored))
        await conn.execute(insert(decision).values(row))
    return str(row["id"])


SEED = [  # (minutes after T0, action, brand); two share minute 3 so ids break the tie
    (0, "allow", "brand-1"),
    (1, "hide", "brand-1"),
    (2, "flag", "brand-2"),
    (3, "allow", "brand-2"),
    (3, "hide", "brand-1"),
    (5, "allow", "brand-1"),
]


@pytest.fixture
async def seeded(engine, unique):
    """The SEED decisions of one tenant: (tenant, ids in SEED order, ids newest first)."""
    tenant = unique("tenant")
    ids = [
        await store_decision(engine, tenant, minutes=m, action=a, brand_id=b) for m, a, b in SEED
    ]
    order = sorted(range(len(SEED)), key=lambda i: (SEED[i][0], uuid.UUID(ids[i])), reverse=True)
    return tenant, ids, [ids[i] for i in order]


@pytest.fixture
async def client(seeded, settings_for, api_client, issue_api_key, register_brands):
    tenant, _, _ = seeded
    await register_brands(tenant, "brand-1", "brand-2")
    key = await issue_api_key(tenant, scopes=("moderation:read",))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        yield http


async def test_the_list_holds_the_tenant_s_decisions_newest_first(client, seeded, engine, unique):
    _, _, ids = seeded
    await store_decision(engine, unique("other"), minutes=10)
    response = await client.get("/v1/decisions")
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == ids
    assert body["next_cursor"] is None


async def test_pages_follow_the_cursor_without_gaps_or_repeats(client, seeded):
    _, _, ids = seeded
    seen: list[str] = []
    pages = 0
    params: dict[str, str | int] = {"limit": 2}
    while True:
        body = (await client.get("/v1/decisions", params=params)).json()
        pages += 1
        seen.extend(item["id"] for item in body["items"])
        if body["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": body["next_cursor"]}
    assert seen == ids
    assert pages == 3


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "hide"}, {1, 4}),
        ({"brand_id": "brand-2"}, {2, 3}),
        ({"since": "2026-11-24T12:03:00Z"}, {3, 4, 5}),
        ({"until": "2026-11-24T12:02:00Z"}, {0, 1}),
        (
            {"action": "allow", "since": "2026-11-24T12:01:00Z", "until": "2026-11-24T12:05:00Z"},
            {3},
        ),
    ],
)
async def test_filters_narrow_the_list(client, seeded, params, expected):
    _, ids, newest_first = seeded
    wanted = {ids[i] for i in expected}
    body = (await client.get("/v1/decisions", params=params)).json()
    assert [item["id"] for item in body["items"]] == [i for i in newest_first if i in wanted]


async def test_one_decision_is_readable_by_its_tenant(client, seeded):
    _, _, ids = seeded
    response = await client.get(f"/v1/decisions/{ids[0]}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == ids[0]
    assert body["author_handle"] == "alice"
    assert body["decided_by"] == "rule:default.allow"


async def test_another_tenant_s_decision_is_not_found(client, engine, unique):
    theirs = await store_decision(engine, unique("other"), minutes=1)
    response = await client.get(f"/v1/decisions/{theirs}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "decision_not_found"


async def test_an_unknown_id_is_not_found(client):
    response = await client.get(f"/v1/decisions/{uuid.uuid4()}")
    assert response.status_code == 404


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJ4IiwgInkiXQ"])
async def test_a_bad_cursor_is_a_400_problem(client, cursor):
    response = await client.get("/v1/decisions", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": 201}, "validation_failed"),
        ({"limit": 0}, "validation_failed"),
        ({"action": "banish"}, "validation_failed"),
        ({"since": "yesterday"}, "validation_failed"),
        ({"since": "2026-11-24T12:00:00"}, "validation_failed"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "validation_failed"),
        ({"until": "9999-12-31T23:59:59-01:00"}, "validation_failed"),
    ],
)
async def test_bad_query_parameters_are_a_422_problem(client, params, code):
    response = await client.get("/v1/decisions", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


# Fixed ids: every test worker must collect the same test names.
@pytest.mark.parametrize(
    "path", ["/v1/decisions", "/v1/decisions/36d9e6e6-c5af-489b-b56a-a8c62bf399a1"]
)
async def test_a_request_without_a_key_is_refused(settings_for, api_client, path):
    async with api_client(create_app(settings_for(Settings))) as anonymous:
        response = await anonymous.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_a_key_without_the_read_scope_is_forbidden(
    settings_for, api_client, issue_api_key, unique
):
    key = await issue_api_key(unique("tenant"), scopes=("interactions:read",))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        response = await http.get("/v1/decisions")
    assert response.status_code == 403
