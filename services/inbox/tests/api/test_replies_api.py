"""Replies from the inbox and the brand's own messages in their threads: a reply is filed as
pending and staged for ingest's executor, then sent or failed from action.completed; a private
reply past Meta's window or on a network without a DM API is refused before anything is staged;
the brand's native replies join their thread once, marked as sent outside Beacon."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import (
    ActionCompleted,
    ActionOutcome,
    InteractionKind,
    OwnActivityRecorded,
)
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope, decode
from inbox.db import outbox
from inbox.replies.handlers import action_completed, own_activity_recorded

pytestmark = pytest.mark.integration

PERSON = "5566778899"


@pytest.fixture
async def ann(tenant, member):
    return await member(tenant, "agent")


@pytest.fixture
def deliver(engine):
    """Hand an event to the replies group's handler, committed."""

    async def run(tenant: str, payload: ActionCompleted | OwnActivityRecorded) -> None:
        handler = (
            action_completed if isinstance(payload, ActionCompleted) else own_activity_recorded
        )
        envelope = Envelope.build(
            payload, tenant_id=tenant, subject=str(uuid.uuid4()), source="/beacon/ingest"
        )
        async with create_sessionmaker(engine)() as session, session.begin():
            await handler(session, envelope)

    return run


async def staged_requests(engine, message_id: str) -> list[Envelope]:
    async with create_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(outbox.c.value).where(outbox.c.topic == "action.requested")
        )
        found = [decode(value) for (value,) in rows]
    return [e for e in found if e.data["action_id"] == message_id]


async def thread(http, key, as_key, conversation_id):
    response = await http.get(f"/v1/conversations/{conversation_id}", headers=as_key(key))
    return response.json()


async def conversation_of(http, key, as_key):
    page = (await http.get("/v1/conversations", headers=as_key(key))).json()
    (item,) = page["items"]
    return item["id"]


def completed(request, outcome=ActionOutcome.succeeded, **fields) -> ActionCompleted:
    values = {
        "action_id": uuid.UUID(request.data["action_id"]),
        "interaction_id": uuid.UUID(request.data["interaction_id"]),
        "brand_id": request.data["brand_id"],
        "network": request.data["network"],
        "external_id": request.data["external_id"],
        "action": "reply",
        "outcome": outcome,
        "attempts": 1,
        "requested_by": request.data["requested_by"],
        "comment_created_at": request.data["comment_created_at"],
        "completed_at": datetime.now(UTC),
        "reply_text": request.data["reply_text"],
        "kind": request.data["kind"],
    }
    values.update(fields)
    return ActionCompleted.model_validate(values)


async def test_a_private_reply_is_pending_then_sent_and_answers_the_wait(
    http, tenant, ann, receive, deliver, engine, as_key
):
    dm = await receive(
        tenant,
        "Is the shop open on Sunday?",
        network=Network.facebook,
        kind=InteractionKind.direct_message,
        thread_external_id=f"dm:page-1:{PERSON}",
        author=Author(network_id=PERSON),
    )
    conversation_id = await conversation_of(http, ann.key, as_key)
    headers = as_key(ann.key) | {"Idempotency-Key": "reply-1"}

    response = await http.post(
        f"/v1/conversations/{conversation_id}/replies",
        json={"text": "Yes, 10 to 18."},
        headers=headers,
    )
    again = await http.post(
        f"/v1/conversations/{conversation_id}/replies",
        json={"text": "Yes, 10 to 18."},
        headers=headers,
    )

    assert response.status_code == 202, response.text
    reply = response.json()
    assert (reply["direction"], reply["sent_via"], reply["delivery"]) == (
        "outbound",
        "beacon",
        "pending",
    )
    assert reply["sent_by"] == ann.actor
    assert again.json()["id"] == reply["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    [request] = await staged_requests(engine, reply["id"])
    assert request.type == "inbox.reply.requested"
    assert request.data["kind"] == "direct_message"
    assert request.data["recipient_external_id"] == PERSON
    assert request.data["interaction_id"] == str(dm.interaction_id)
    assert request.data["human_agent"] is False

    await deliver(tenant, completed(request, reply_external_id="m_sent"))

    found = await thread(http, ann.key, as_key, conversation_id)
    assert [(m["direction"], m["delivery"]) for m in found["messages"]] == [
        ("inbound", None),
        ("outbound", "sent"),
    ]
    assert found["messages"][1]["external_id"] == "m_sent"
    assert found["waiting_since"] is None
    assert found["preview"] == "Yes, 10 to 18."


async def test_a_failed_send_shows_its_reason(http, tenant, ann, receive, deliver, engine, as_key):
    await receive(tenant, "Where is my order?")
    conversation_id = await conversation_of(http, ann.key, as_key)
    response = await http.post(
        f"/v1/conversations/{conversation_id}/replies",
        json={"text": "Checking"},
        headers=as_key(ann.key),
    )
    [request] = await staged_requests(engine, response.json()["id"])
    assert request.data["kind"] == "comment"

    await deliver(
        tenant,
        completed(request, ActionOutcome.failed, error="instagram answered 400 (code 100): nope"),
    )

    found = await thread(http, ann.key, as_key, conversation_id)
    mine = found["messages"][-1]
    assert (mine["delivery"], mine["delivery_error"]) == (
        "failed",
        "instagram answered 400 (code 100): nope",
    )
    assert found["waiting_since"] is not None


async def test_a_private_reply_past_the_24_hour_window_is_refused_saying_when_it_closed(
    http, tenant, ann, receive, engine, as_key
):
    wrote = datetime.now(UTC) - timedelta(hours=30)
    await receive(
        tenant,
        "Hello?",
        network=Network.instagram,
        kind=InteractionKind.direct_message,
        thread_external_id=f"dm:ig-1:{PERSON}",
        author=Author(network_id=PERSON),
        created_at=wrote,
    )
    conversation_id = await conversation_of(http, ann.key, as_key)
    url = f"/v1/conversations/{conversation_id}/replies"

    refused = await http.post(url, json={"text": "Sorry"}, headers=as_key(ann.key))

    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "messaging_window_closed"
    closed = datetime.fromisoformat(problem["errors"][0]["closed_at"])
    assert abs(closed - (wrote + timedelta(hours=24))) < timedelta(seconds=1)
    assert "HUMAN_AGENT" in problem["detail"] or "Human Agent" in problem["detail"]
    assert len((await thread(http, ann.key, as_key, conversation_id))["messages"]) == 1

    put = await http.put(
        "/v1/messaging-settings/brand-1", json={"human_agent": True}, headers=as_key(ann.key)
    )
    assert put.json()["human_agent"] is True
    allowed = await http.post(url, json={"text": "Sorry"}, headers=as_key(ann.key))
    assert allowed.status_code == 202
    [request] = await staged_requests(engine, allowed.json()["id"])
    assert request.data["human_agent"] is True


async def test_a_private_reply_on_a_network_without_a_dm_api_is_refused(
    http, tenant, ann, receive, as_key
):
    await receive(
        tenant,
        "psst",
        network=Network.bluesky,
        kind=InteractionKind.direct_message,
        thread_external_id="dm:did:plc:brand:did:plc:person",
    )
    conversation_id = await conversation_of(http, ann.key, as_key)
    refused = await http.post(
        f"/v1/conversations/{conversation_id}/replies",
        json={"text": "Hi"},
        headers=as_key(ann.key),
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "private_reply_unsupported"
    assert "Bluesky" in refused.json()["detail"]


async def test_a_reply_to_a_conversation_the_caller_cannot_see_is_not_found(
    http, tenant, member, receive, as_key
):
    await receive(tenant, "brand two", brand_id="brand-2")
    everyone = await member(tenant, "agent")
    limited = await member(tenant, "agent", brand_roles={"brand-1": "agent"})
    conversation_id = await conversation_of(http, everyone.key, as_key)
    response = await http.post(
        f"/v1/conversations/{conversation_id}/replies",
        json={"text": "Hi"},
        headers=as_key(limited.key),
    )
    assert response.status_code == 404


async def test_the_brand_s_native_replies_join_their_thread_once_beside_beacon_s(
    http, tenant, ann, receive, deliver, engine, as_key
):
    comment = await receive(tenant, "Love it", thread_external_id="post-9")
    conversation_id = await conversation_of(http, ann.key, as_key)
    response = await http.post(
        f"/v1/conversations/{conversation_id}/replies",
        json={"text": "Thanks!"},
        headers=as_key(ann.key),
    )
    [request] = await staged_requests(engine, response.json()["id"])
    now = datetime.now(UTC)

    def own(external_id: str, text: str) -> OwnActivityRecorded:
        return OwnActivityRecorded(
            brand_id="brand-1",
            account_id="account-1",
            account_external_id="ig-1",
            network=Network.instagram,
            kind=InteractionKind.reply,
            external_id=external_id,
            parent_external_id=comment.external_id,
            thread_external_id="post-9",
            text=text,
            created_at=now,
            received_at=now,
        )

    # The network echoes Beacon's reply before its outcome comes, then a native one follows.
    await deliver(tenant, own("c-beacon", "Thanks!"))
    await deliver(tenant, completed(request, reply_external_id="c-beacon"))
    await deliver(tenant, own("c-native", "See you soon"))
    await deliver(tenant, own("c-native", "See you soon"))

    found = await thread(http, ann.key, as_key, conversation_id)
    assert [(m["text"], m["sent_via"], m["sent_by"]) for m in found["messages"]] == [
        ("Love it", None, None),
        ("Thanks!", "beacon", ann.actor),
        ("See you soon", "network", None),
    ]
    assert found["message_count"] == 3
