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

    assert first.json() == {"stored": 1, "duplicates": 0, "skipped": 0}
    assert again.json() == {"stored": 0, "duplicates": 1, "skipped": 0}
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
    assert response.json() == {"stored": 0, "duplicates": 0, "skipped": 1}
    assert rejected("unknown_account") == before + 1


async def test_without_a_consumer_secret_the_receiver_is_unavailable(settings_for, api_client):
    async with api_client(create_app(settings_for(Settings))) as http:
        response = await http.get(URL, params={"crc_token": "t"})
    assert response.status_code == 503
