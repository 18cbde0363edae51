"""Resolving a conversation with comments waiting for review asks moderation to close them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from beacon_shared.contracts.inbox import ConversationResolved
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.events import Envelope
from inbox.db import outbox

pytestmark = pytest.mark.integration


@pytest.fixture
async def ann(tenant, member):
    return await member(tenant, "agent")


async def staged(engine, tenant):
    async with engine.connect() as conn:
        values = (await conn.scalars(select(outbox.c.value))).all()
    envelopes = [Envelope.model_validate_json(v) for v in values]
    return [
        e.payload(ConversationResolved)
        for e in envelopes
        if e.tenantid == tenant and e.type == ConversationResolved.event_type
    ]


async def conversation_of(http, key, as_key, preview):
    listed = (await http.get("/v1/conversations", headers=as_key(key))).json()["items"]
    (found,) = [c for c in listed if c["preview"] == preview]
    return found["id"]


async def test_resolving_names_the_comments_still_waiting(
    http, engine, tenant, ann, receive, moderate, as_key
):
    flagged = await receive(tenant, "you are useless", thread_external_id="p-1")
    await moderate(tenant, flagged, ModerationAction.flag)
    fine = await receive(tenant, "thanks", thread_external_id="p-1")
    await moderate(tenant, fine, ModerationAction.allow)
    quiet = await receive(tenant, "nothing to review", thread_external_id="p-2")
    await moderate(tenant, quiet, ModerationAction.allow)
    flagged_id = await conversation_of(http, ann.key, as_key, "thanks")
    quiet_id = await conversation_of(http, ann.key, as_key, "nothing to review")

    for conversation_id in (flagged_id, quiet_id):
        answer = await http.patch(
            f"/v1/conversations/{conversation_id}",
            json={"status": "resolved"},
            headers=as_key(ann.key),
        )
        assert answer.status_code == 200, answer.text

    (asked,) = await staged(engine, tenant)
    assert str(asked.conversation_id) == flagged_id
    assert asked.interaction_ids == [flagged.interaction_id]
    assert asked.resolved_by == f"user:{ann.user_id}"

    # Moderation's revision comes back and the conversation has nothing waiting any more.
    await moderate(tenant, flagged, ModerationAction.allow, decided_by=asked.resolved_by)
    detail = (await http.get(f"/v1/conversations/{flagged_id}", headers=as_key(ann.key))).json()
    assert detail["review_count"] == 0


async def test_a_bulk_resolution_asks_for_each_conversation_with_comments_waiting(
    http, engine, tenant, ann, receive, moderate, as_key
):
    ids = []
    for n in range(2):
        comment = await receive(tenant, f"rude {n}", thread_external_id=f"p-{n}")
        await moderate(tenant, comment, ModerationAction.escalate)
        ids.append(await conversation_of(http, ann.key, as_key, f"rude {n}"))
    answer = await http.post(
        "/v1/conversations/bulk",
        json={"conversation_ids": ids, "status": "resolved"},
        headers=as_key(ann.key),
    )
    assert answer.status_code == 200, answer.text
    assert sorted(str(e.conversation_id) for e in await staged(engine, tenant)) == sorted(ids)
