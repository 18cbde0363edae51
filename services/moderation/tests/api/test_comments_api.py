"""Stored comments: readable with their classification and actions; hidden, deleted or answered."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from beacon_shared.contracts.moderation import ActionRequested, ModerationAction
from beacon_shared.events import Envelope
from moderation.config import Settings
from moderation.db import outbox
from moderation.main import create_app
from moderation.rules import Verdict

pytestmark = pytest.mark.integration

HIDE = Verdict(ModerationAction.hide, "default.spam", reasons=["spam:smm_panel"])
ALLOW = Verdict(ModerationAction.allow, "default.allow")


@pytest.fixture
async def tenant(unique):
    return unique("tenant")


@pytest.fixture
async def key(tenant, issue_api_key):
    return await issue_api_key(tenant, scopes=("moderation:read", "moderation:write"))


@pytest.fixture
async def client(key, settings_for, api_client):
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        yield http


async def requested(engine, tenant):
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.value).where(outbox.c.value.contains(tenant.encode()))
        )
    events = [Envelope.model_validate_json(row.value) for row in rows]
    return [e.payload(ActionRequested) for e in events if e.type == ActionRequested.event_type]


async def test_a_hidden_spam_comment_shows_its_requested_hide(client, moderate, tenant, engine):
    received = await moderate(tenant, HIDE, "Best smm panel", account_id="acct-1")
    (request,) = await requested(engine, tenant)
    assert (request.action.value, request.requested_by) == ("hide", "rule:default.spam")
    assert request.comment_created_at == received.created_at

    response = await client.get(f"/v1/comments/{received.interaction_id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["text"], body["account_id"]) == ("Best smm panel", "acct-1")
    (action,) = body["actions"]
    assert (action["action"], action["status"], action["id"]) == (
        "hide",
        "requested",
        str(request.action_id),
    )


async def test_the_caller_replies_to_an_allowed_comment_and_is_recorded(
    client, key, moderate, tenant, engine
):
    received = await moderate(tenant, ALLOW, "Do you ship to Canada?")
    assert await requested(engine, tenant) == []
    response = await client.post(
        f"/v1/comments/{received.interaction_id}/actions",
        json={"action": "reply", "reply_text": "Yes, in 3 days!"},
    )
    assert response.status_code == 202
    actor = f"key:{key.id}"
    assert (response.json()["status"], response.json()["requested_by"]) == ("requested", actor)
    (request,) = await requested(engine, tenant)
    assert (request.action.value, request.reply_text, request.requested_by) == (
        "reply",
        "Yes, in 3 days!",
        actor,
    )
    audit = (await client.get("/v1/audit", params={"actor": actor})).json()["items"]
    assert [(e["event"], e["action"]) for e in audit] == [("action.requested", "reply")]


async def test_a_member_s_action_is_recorded_as_theirs(
    settings_for, api_client, member, moderate, tenant, engine
):
    ann = await member(tenant, "agent")
    received = await moderate(tenant, ALLOW)
    async with api_client(create_app(settings_for(Settings)), key=ann.key) as http:
        response = await http.post(
            f"/v1/comments/{received.interaction_id}/actions", json={"action": "hide"}
        )
    assert response.status_code == 202
    assert response.json()["requested_by"] == ann.actor
    (request,) = await requested(engine, tenant)
    assert request.requested_by == ann.actor


async def test_a_client_no_longer_names_who_acts(client, moderate, tenant, engine):
    received = await moderate(tenant, ALLOW)
    response = await client.post(
        f"/v1/comments/{received.interaction_id}/actions", json={"action": "hide", "actor": "ann"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/actor"
    assert await requested(engine, tenant) == []


@pytest.mark.parametrize(
    "body",
    [
        {"action": "reply"},
        {"action": "hide", "reply_text": "why"},
        {"action": "block"},
    ],
)
async def test_an_inconsistent_action_is_a_422(client, moderate, tenant, body):
    received = await moderate(tenant, ALLOW)
    response = await client.post(f"/v1/comments/{received.interaction_id}/actions", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_unknown_or_foreign_comment_is_not_found(client, moderate, unique):
    theirs = await moderate(unique("other"), ALLOW)
    for interaction_id in (theirs.interaction_id, uuid.uuid4()):
        assert (await client.get(f"/v1/comments/{interaction_id}")).status_code == 404
        response = await client.post(
            f"/v1/comments/{interaction_id}/actions", json={"action": "hide"}
        )
        assert response.status_code == 404
        assert response.json()["code"] == "comment_not_found"
