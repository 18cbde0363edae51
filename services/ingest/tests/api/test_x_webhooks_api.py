"""X Account Activity over HTTP: CRC, signatures, storage for the subscribed account, dedupe."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import insert, select
from structlog.testing import capture_logs

from beacon_shared.bounds import INT32_MAX
from ingest.accounts.models import connected_account
from ingest.config import Settings
from ingest.interactions.models import interaction
from ingest.main import create_app

pytestmark = pytest.mark.integration

SECRET = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
URL = "/v1/webhooks/x"


def rejected(reason: str) -> float:
    labels = {"network": "x", "reason": reason}
    return REGISTRY.get_sample_value("beacon_ingest_webhook_rejected_total", labels) or 0.0


def signed(payload: object, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    signature = "sha256=" + base64.b64encode(digest).decode()
    return body, {"content-type": "application/json", "x-twitter-webhooks-signature": signature}


def mention(me: str, tweet_id: str) -> dict[str, object]:
    return {
        "for_user_id": me,
        "tweet_create_events": [
            {
                "id_str": tweet_id,
                "created_at": "Wed Oct 10 20:19:24 +0000 2018",
                "text": f"@brand is the store open? #{tweet_id}",
                "user": {
                    "id_str": "11",
                    "screen_name": "alice",
                    "name": "Alice",
                    "followers_count": 7,
                },
            }
        ],
    }


@pytest.fixture
async def client(settings_for, api_client):
    async with api_client(create_app(settings_for(Settings, x_consumer_secret=SECRET))) as http:
        yield http


@pytest.fixture
async def account(engine, unique) -> tuple[str, str]:
    """A connected X account: (tenant, X user id)."""
    tenant, user_id = unique("tenant"), str(uuid.uuid4().int)[:18]
    async with engine.begin() as conn:
        await conn.execute(
            insert(connected_account).values(
                id=uuid.uuid4(), tenant_id=tenant, network="x", external_account_id=user_id
            )
        )
    return tenant, user_id


async def texts(engine, tenant: str) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(interaction.c.text).where(interaction.c.tenant_id == tenant)
        )
        return [row.text for row in rows]


async def test_the_crc_answer_is_the_signed_token(client):
    response = await client.get(URL, params={"crc_token": "9b4507b3-9040-4669-9ca3-6b94edb50553"})
    digest = hmac.new(SECRET.encode(), b"9b4507b3-9040-4669-9ca3-6b94edb50553", hashlib.sha256)
    assert response.status_code == 200
    assert response.json() == {
        "response_token": "sha256=" + base64.b64encode(digest.digest()).decode()
    }


async def test_a_signed_mention_is_stored_once(client, account, engine):
    tenant, me = account
    body, headers = signed(mention(me, "1001"))

    first = await client.post(URL, content=body, headers=headers)
    again = await client.post(URL, content=body, headers=headers)

    assert first.json() == {"stored": 1, "duplicates": 0, "own_activity": 0, "skipped": 0}
    assert again.json() == {"stored": 0, "duplicates": 1, "own_activity": 0, "skipped": 0}
    assert await texts(engine, tenant) == ["@brand is the store open? #1001"]


@pytest.mark.parametrize("forged", [True, False], ids=["forged", "missing"])
async def test_unsigned_or_forged_deliveries_are_401_and_store_nothing(
    client, account, engine, forged
):
    tenant, me = account
    body, headers = signed(mention(me, "1002"), secret="not-the-secret")
    if not forged:
        del headers["x-twitter-webhooks-signature"]
    reason = "bad_signature" if forged else "missing_signature"
    before = rejected(reason)

    response = await client.post(URL, content=body, headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert rejected(reason) == before + 1
    assert await texts(engine, tenant) == []


async def test_an_unreadable_signed_body_is_acknowledged_and_counted(client):
    before = rejected("malformed")
    body, headers = signed(b"{not json")
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 200
    assert rejected("malformed") == before + 1


async def test_deliveries_for_unknown_accounts_are_counted(client):
    before = rejected("unknown_account")
    body, headers = signed(mention("999999", "1003"))
    response = await client.post(URL, content=body, headers=headers)
    assert response.json() == {"stored": 0, "duplicates": 0, "own_activity": 0, "skipped": 1}
    assert rejected("unknown_account") == before + 1


async def test_without_a_consumer_secret_the_receiver_is_unavailable(settings_for, api_client):
    async with api_client(create_app(settings_for(Settings))) as http:
        response = await http.get(URL, params={"crc_token": "t"})
    assert response.status_code == 503


async def test_an_author_past_the_follower_column_is_clamped_and_its_neighbours_are_stored(
    client, account, engine
):
    tenant, me = account
    payload = mention(me, "2001")
    events = payload["tweet_create_events"]
    assert isinstance(events, list)
    huge = {
        **events[0],
        "id_str": "2002",
        "text": "huge",
        "user": {
            "id_str": "12",
            "screen_name": "bob",
            "followers_count": 2**40,
        },
    }
    payload["tweet_create_events"] = [events[0], huge]
    # A like from beyond any date Python can hold: left out, not the whole delivery.
    payload["favorite_events"] = [
        {
            "id": "like-1",
            "timestamp_ms": str(10**20),
            "favorited_status": {"id_str": "2001"},
            "user": {"id_str": "13", "screen_name": "carol"},
        }
    ]
    body, headers = signed(payload)

    with capture_logs() as logs:
        response = await client.post(URL, content=body, headers=headers)

    assert response.status_code == 200
    assert response.json() == {"stored": 2, "duplicates": 0, "own_activity": 0, "skipped": 1}
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(interaction.c.external_id, interaction.c.author_followers).where(
                interaction.c.tenant_id == tenant
            )
        )
        followers = dict(rows.tuples().all())
    assert followers == {"2001": 7, "2002": INT32_MAX}
    clamped = [entry for entry in logs if entry["event"] == "payload.value_clamped"]
    assert clamped[0]["field"] == "followers_count"
    assert clamped[0]["source"] == "x"


async def test_a_tweet_dated_in_the_future_is_stored_at_its_receipt(client, account, engine):
    # Ingest's one time rule (ingest.interactions.service.FUTURE_TOLERANCE), as for Meta's.
    tenant, me = account
    payload = mention(me, "1002")
    payload["tweet_create_events"][0]["created_at"] = "Fri Oct 10 20:19:24 +0000 2031"
    body, headers = signed(payload)

    response = await client.post(URL, content=body, headers=headers)

    assert response.json() == {"stored": 1, "duplicates": 0, "own_activity": 0, "skipped": 0}
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(interaction).where(interaction.c.tenant_id == tenant))
        ).one()
    assert row.created_at == row.received_at
    assert row.raw["created_at_clamped"] is True
