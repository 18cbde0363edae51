"""Meta webhooks over HTTP: handshake, signatures, storage per tenant, dedupe and bad input."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from beacon_shared.contracts.common import Network
from beacon_shared.events import decode
from ingest.accounts.models import connected_account
from ingest.config import Settings
from ingest.db import outbox
from ingest.interactions.models import interaction
from ingest.main import create_app

pytestmark = pytest.mark.integration

SECRET = "9c2e4a6b8d0f1e3a5c7b9d1f3e5a7c9b"
VERIFY_TOKEN = "meatyhamhock"
URL = "/v1/webhooks/meta"
CREATED = 1763985600


def rejected(reason: str) -> float:
    labels = {"network": "meta", "reason": reason}
    return REGISTRY.get_sample_value("beacon_ingest_webhook_rejected_total", labels) or 0.0


def signed(payload: object, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


async def deliver(client, payload: object):
    body, headers = signed(payload)
    return await client.post(URL, content=body, headers=headers)


def feed(page: str, item: str, verb: str = "add", **value: object) -> dict[str, object]:
    return {
        "field": "feed",
        "value": {
            "from": {"id": "3141592653", "name": "Ada Lovelace"},
            "post_id": f"{page}_777",
            "created_time": CREATED,
            "item": item,
            "verb": verb,
            **value,
        },
    }


@pytest.fixture
async def connect(engine, unique, connect_replica) -> Callable[..., object]:
    """A fresh Page (or Instagram account) connected in the workspace and kept by ingest for a
    tenant, paused here with `status="paused"`; its external id and row id."""

    async def make(
        tenant: str, network: str = "facebook", *, brand_id: str = "brand-1", status: str = "active"
    ) -> tuple[str, str]:
        external_id = unique(network)
        account_id = await connect_replica(
            tenant, Network(network), brand_id=brand_id, external_id=external_id
        )
        async with engine.begin() as conn:
            await conn.execute(
                update(connected_account)
                .where(connected_account.c.id == account_id)
                .values(status=status)
            )
        return external_id, str(account_id)

    return make


@pytest.fixture
async def client(settings_for, api_client):
    settings = settings_for(Settings, meta_app_secret=SECRET, meta_verify_token=VERIFY_TOKEN)
    async with api_client(create_app(settings)) as http:
        yield http


async def stored(engine, tenant: str) -> list:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(interaction)
            .where(interaction.c.tenant_id == tenant)
            .order_by(interaction.c.external_id)
        )
        return rows.all()


async def staged(engine, tenant: str) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.topic, outbox.c.key)
            .where(outbox.c.value.contains(tenant.encode()))
            .order_by(outbox.c.topic, outbox.c.key)
        )
        return [(row.topic, row.key) for row in rows]


class TestHandshake:
    async def test_the_challenge_is_echoed_as_text_for_our_token(self, client):
        response = await client.get(
            URL,
            params={
                "hub.mode": "subscribe",
                "hub.challenge": "1158201444",
                "hub.verify_token": VERIFY_TOKEN,
            },
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text == "1158201444"

    @pytest.mark.parametrize(
        "params",
        [
            {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "guess"},
            {"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN},
            {"hub.challenge": "1"},
        ],
    )
    async def test_a_wrong_token_or_mode_is_forbidden(self, client, params):
        response = await client.get(URL, params=params)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "verification_failed"


async def test_without_configuration_both_ends_answer_503(settings_for, api_client):
    async with api_client(create_app(settings_for(Settings))) as http:
        handshake = await http.get(
            URL, params={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        )
        body, headers = signed({"object": "page", "entry": []})
        delivery = await http.post(URL, content=body, headers=headers)
    assert handshake.status_code == 503
    assert delivery.status_code == 503
    assert delivery.json()["code"] == "webhook_not_configured"


async def test_a_delivery_is_stored_per_change_and_tenant_and_a_retry_adds_nothing(
    client, connect, engine, unique
):
    acme, globex = unique("tenant"), unique("tenant")
    acme_page, acme_account = await connect(acme, brand_id="brand-acme")
    globex_page, _ = await connect(globex)
    delivery = {
        "object": "page",
        "entry": [
            {
                "id": acme_page,
                "time": CREATED,
                "changes": [
                    feed(acme_page, "comment", comment_id="777_1", message="Where to buy?"),
                    feed(acme_page, "comment", comment_id="777_2", parent_id="777_1"),
                    feed(acme_page, "reaction", reaction_type="love"),
                    feed(acme_page, "share", share_id="999", message="Look"),
                ],
            },
            {
                "id": globex_page,
                "time": CREATED,
                "changes": [feed(globex_page, "comment", comment_id="777_3", message="Hi")],
            },
        ],
    }
    body, headers = signed(delivery)

    first = await client.post(URL, content=body, headers=headers)
    staged_once = await staged(engine, acme)
    again = await client.post(URL, content=body, headers=headers)

    assert first.status_code == 200
    assert first.json() == {"stored": 5, "duplicates": 0, "own_activity": 0, "skipped": 0}
    assert again.status_code == 200
    assert again.json() == {"stored": 0, "duplicates": 5, "own_activity": 0, "skipped": 0}
    rows = await stored(engine, acme)
    assert [(row.kind, row.external_id) for row in rows] == [
        ("comment", "777_1"),
        ("reply", "777_2"),
        ("share", "999"),
        ("reaction", f"reaction:{acme_page}_777:3141592653"),
    ]
    assert {(row.brand_id, row.account_id, row.network) for row in rows} == {
        ("brand-acme", acme_account, "facebook")
    }
    assert rows[0].raw["value"]["message"] == "Where to buy?"
    post = f"{acme_page}_777"
    assert staged_once == [
        ("comment.received", post),
        ("comment.received", post),
        ("engagement.recorded", post),
        ("engagement.recorded", post),
    ]
    assert await staged(engine, acme) == staged_once
    assert [row.external_id for row in await stored(engine, globex)] == ["777_3"]


async def test_instagram_comments_mentions_and_messages_are_stored(client, connect, engine, unique):
    tenant = unique("tenant")
    ig, _ = await connect(tenant, "instagram")
    delivery = {
        "object": "instagram",
        "entry": [
            {
                "id": ig,
                "time": CREATED,
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": "17865799348089039",
                            "from": {"id": "232323232", "username": "ada.codes"},
                            "text": "Blue please 💙",
                            "media": {"id": "17887498072083520", "media_product_type": "FEED"},
                        },
                    },
                    {"field": "mentions", "value": {"media_id": "1791", "comment_id": "1792"}},
                ],
                "messaging": [
                    {
                        "sender": {"id": "5566778899"},
                        "recipient": {"id": ig},
                        "timestamp": CREATED * 1000,
                        "message": {"mid": "aWdfZAG1faXRlbToxOklH", "text": "DM here"},
                    }
                ],
            }
        ],
    }
    body, headers = signed(delivery)

    response = await client.post(URL, content=body, headers=headers)

    assert response.json() == {"stored": 3, "duplicates": 0, "own_activity": 0, "skipped": 0}
    kinds = {row.external_id: (row.network, row.kind) for row in await stored(engine, tenant)}
    assert kinds == {
        "17865799348089039": ("instagram", "comment"),
        "1792": ("instagram", "mention"),
        "aWdfZAG1faXRlbToxOklH": ("instagram", "direct_message"),
    }
    assert [topic for topic, _ in await staged(engine, tenant)] == ["comment.received"] * 3


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, "bad_signature"),
        ({}, "missing_signature"),
    ],
)
async def test_forged_or_unsigned_deliveries_are_refused_and_counted(
    client, connect, engine, unique, headers, reason
):
    tenant = unique("tenant")
    page, _ = await connect(tenant)
    body = json.dumps(
        {
            "object": "page",
            "entry": [{"id": page, "changes": [feed(page, "comment", comment_id="1")]}],
        }
    ).encode()
    before = rejected(reason)

    response = await client.post(
        URL, content=body, headers={"Content-Type": "application/json", **headers}
    )

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert rejected(reason) == before + 1
    assert await stored(engine, tenant) == []


async def test_a_delivery_signed_with_another_secret_is_refused(client, connect, engine, unique):
    tenant = unique("tenant")
    page, _ = await connect(tenant)
    body, headers = signed(
        {
            "object": "page",
            "entry": [{"id": page, "changes": [feed(page, "comment", comment_id="1")]}],
        },
        secret="not-the-app-secret",
    )
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 401
    assert await stored(engine, tenant) == []


async def test_signed_invalid_json_is_acknowledged_and_counted(client):
    body, headers = signed(b'{"object": "page", "entry": [')
    before = rejected("malformed")

    response = await client.post(URL, content=body, headers=headers)

    assert response.status_code == 200
    assert response.json() == {"stored": 0, "duplicates": 0, "own_activity": 0, "skipped": 1}
    assert rejected("malformed") == before + 1


async def test_changes_for_unknown_or_paused_accounts_are_skipped_and_counted(
    client, connect, engine, unique
):
    tenant = unique("tenant")
    paused, _ = await connect(tenant, status="paused")
    nobody = unique("page")
    delivery = {
        "object": "page",
        "entry": [
            {"id": nobody, "changes": [feed(nobody, "comment", comment_id="n1")]},
            {"id": paused, "changes": [feed(paused, "comment", comment_id="p1")]},
        ],
    }
    unknown_before, paused_before = rejected("unknown_account"), rejected("account_paused")

    response = await deliver(client, delivery)

    assert response.status_code == 200
    assert response.json() == {"stored": 0, "duplicates": 0, "own_activity": 0, "skipped": 2}
    assert rejected("unknown_account") == unknown_before + 1
    assert rejected("account_paused") == paused_before + 1
    assert await stored(engine, tenant) == []


async def test_valid_changes_survive_unsupported_and_broken_ones(client, connect, engine, unique):
    tenant = unique("tenant")
    page, _ = await connect(tenant)
    delivery = {
        "object": "page",
        "entry": [
            {
                "id": page,
                "changes": [
                    feed(page, "comment", "edited", comment_id="e1"),
                    feed(page, "comment", "remove", comment_id="r1"),
                    feed(page, "status", post_id=f"{page}_8"),
                    feed(page, "comment", comment_id="ok", message="نعم 👍 " + "x" * 5000),
                    feed(page, "comment"),  # no comment_id
                    {"field": "ratings", "value": {"review_text": "Great"}},
                ],
            }
        ],
    }
    unsupported_before = rejected("unsupported")

    response = await deliver(client, delivery)

    assert response.json() == {"stored": 1, "duplicates": 0, "own_activity": 0, "skipped": 5}
    assert rejected("unsupported") == unsupported_before + 4
    (row,) = await stored(engine, tenant)
    assert row.external_id == "ok"
    assert row.text.startswith("نعم 👍 ")


async def test_a_nul_character_in_a_signed_delivery_is_removed_not_refused(
    client, connect, engine, unique
):
    tenant = unique("tenant")
    page, _ = await connect(tenant)
    change = feed(page, "comment", comment_id=f"{page}_777_9", message="Hi\u0000 there")
    payload = {"object": "page", "entry": [{"id": page, "time": CREATED, "changes": [change]}]}

    response = await deliver(client, payload)

    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 1
    (row,) = await stored(engine, tenant)
    assert row.text == "Hi there"


async def test_a_comment_dated_in_the_future_is_stored_at_its_receipt_once(
    client, connect, engine, unique
):
    # Ingest's one time rule, for webhooks as for the API: more than five minutes ahead is a
    # source clock's error; a few seconds ahead is taken as sent. Nothing downstream clamps again.
    tenant = unique("tenant")
    page, _ = await connect(tenant)
    now = int(datetime.now(UTC).timestamp())
    skewed, near = now + 5 * 3600, now + 30
    delivery = {
        "object": "page",
        "entry": [
            {
                "id": page,
                "time": now,
                "changes": [
                    feed(page, "comment", comment_id="777_far", created_time=skewed),
                    feed(page, "comment", comment_id="777_near", created_time=near),
                    feed(page, "comment", comment_id="777_absurd", created_time=10**20),
                ],
            }
        ],
    }
    body, headers = signed(delivery)

    response = await client.post(URL, content=body, headers=headers)

    assert response.json() == {"stored": 3, "duplicates": 0, "own_activity": 0, "skipped": 0}
    rows = {row.external_id: row for row in await stored(engine, tenant)}
    for clamped in ("777_far", "777_absurd"):
        assert rows[clamped].created_at == rows[clamped].received_at
        assert rows[clamped].raw["created_at_clamped"] is True
    assert rows["777_far"].raw["value"]["created_time"] == skewed
    assert rows["777_near"].created_at == datetime.fromtimestamp(near, UTC)
    assert "created_at_clamped" not in rows["777_near"].raw


async def test_the_page_s_own_reply_and_message_echo_are_recorded_not_stored_as_interactions(
    client, connect, engine, unique
):
    tenant = unique("tenant")
    page, account = await connect(tenant, brand_id="brand-acme")
    own_reply = feed(page, "comment", comment_id="777_9", parent_id="777_1", message="Sent!")
    own_reply["value"]["from"] = {"id": page, "name": "Acme"}  # type: ignore[index]
    echo = {
        "sender": {"id": page},
        "recipient": {"id": "5566778899"},
        "timestamp": CREATED * 1000,
        "message": {"mid": "m_echo", "text": "Open on Sunday", "is_echo": True, "app_id": 1517},
    }
    delivery = {
        "object": "page",
        "entry": [{"id": page, "time": CREATED, "changes": [own_reply], "messaging": [echo]}],
    }

    response = await deliver(client, delivery)

    assert response.json() == {"stored": 0, "duplicates": 0, "own_activity": 2, "skipped": 0}
    assert await stored(engine, tenant) == []
    async with engine.connect() as conn:
        values = (
            await conn.execute(
                select(outbox.c.key, outbox.c.value)
                .where(outbox.c.topic == "own.activity.recorded")
                .where(outbox.c.value.contains(tenant.encode()))
                .order_by(outbox.c.id)
            )
        ).all()
    events = [(key, decode(value)) for key, value in values]
    assert [(key, e.type, e.data["kind"], e.data["external_id"]) for key, e in events] == [
        (f"{page}_777", "ingest.own_activity.recorded", "reply", "777_9"),
        (f"dm:{page}:5566778899", "ingest.own_activity.recorded", "direct_message", "m_echo"),
    ]
    reply, message = (e.data for _, e in events)
    assert (reply["brand_id"], reply["account_id"], reply["text"]) == (
        "brand-acme",
        account,
        "Sent!",
    )
    assert (message["recipient_external_id"], message["app_id"]) == ("5566778899", "1517")
