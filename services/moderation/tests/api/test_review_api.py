"""The review queue: flagged comments wait for a person who claims, assigns and resolves them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from beacon_shared.contracts.moderation import ActionRequested, CommentModerated, ModerationAction
from beacon_shared.events import Envelope
from moderation.config import Settings
from moderation.db import outbox
from moderation.learning.models import brand_label
from moderation.main import create_app
from moderation.rules import Verdict

pytestmark = pytest.mark.integration


FLAG = Verdict(ModerationAction.flag, "brand.toxic", reasons=["toxic"], scores={"toxicity": 0.8})
ESCALATE = Verdict(ModerationAction.escalate, "brand.legal", labels=["legal"])


@pytest.fixture
async def tenant(unique, register_brands):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1", "brand-2")
    return tenant


@pytest.fixture
async def ann(tenant, member):
    """A community manager of every brand; the client acts as her."""
    return await member(tenant, "agent")


@pytest.fixture
async def ben(tenant, member):
    return await member(tenant, "agent")


@pytest.fixture
async def client(ann, settings_for, api_client):
    async with api_client(create_app(settings_for(Settings)), key=ann.key) as http:
        yield http


@pytest.fixture
async def ben_client(ben, settings_for, api_client):
    async with api_client(create_app(settings_for(Settings)), key=ben.key) as http:
        yield http


@pytest.fixture
async def key_client(tenant, settings_for, api_client, issue_api_key):
    """An organization API key: no person behind it."""
    key = await issue_api_key(tenant, scopes=("moderation:read", "moderation:write"))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        http.actor = f"key:{key.id}"  # type: ignore[attr-defined]
        yield http


async def queue(client, **params):
    response = await client.get("/v1/review-items", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def staged(engine, tenant, event_type):
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.value).where(outbox.c.value.contains(tenant.encode()))
            )
        ).all()
    events = [Envelope.model_validate_json(row.value) for row in rows]
    return [event for event in events if event.type == event_type]


async def test_flagged_and_escalated_comments_wait_in_order_allowed_ones_do_not(
    client, moderate, tenant
):
    first = await moderate(tenant, FLAG)
    await moderate(tenant, Verdict(ModerationAction.allow, "default.allow"), "Love it")
    second = await moderate(tenant, ESCALATE, "I will sue you")

    body = await queue(client)
    assert [item["interaction_id"] for item in body["items"]] == [
        str(first.interaction_id),
        str(second.interaction_id),
    ]
    assert [(item["reason"], item["priority"]) for item in body["items"]] == [
        ("flag", 0),
        ("escalate", 10),
    ]
    assert body["items"][1]["labels"] == ["legal"]
    escalated = await queue(client, min_priority=10)
    assert [item["reason"] for item in escalated["items"]] == ["escalate"]
    by_label = await queue(client, label="legal")
    assert len(by_label["items"]) == 1


async def test_one_item_comes_with_its_comment_and_scores(client, moderate, tenant):
    await moderate(
        tenant, FLAG, author={"network_id": "u-9", "handle": "bob", "follower_count": 12}
    )
    (item,) = (await queue(client))["items"]
    response = await client.get(f"/v1/review-items/{item['id']}")
    assert response.status_code == 200
    comment = response.json()["comment"]
    assert comment["text"] == "You people are useless"
    assert (comment["author_handle"], comment["author_followers"]) == ("bob", 12)


async def test_pages_follow_the_cursor(client, moderate, tenant):
    for _ in range(5):
        await moderate(tenant, FLAG)
    all_ids = [item["id"] for item in (await queue(client))["items"]]
    seen: list[str] = []
    params: dict[str, object] = {"limit": 2}
    while True:
        body = await queue(client, **params)
        seen.extend(item["id"] for item in body["items"])
        if body["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": body["next_cursor"]}
    assert seen == all_ids
    assert len(seen) == 5


async def test_a_claimed_item_is_not_claimed_or_resolved_by_someone_else(
    client, ben_client, ann, ben, moderate, tenant
):
    await moderate(tenant, FLAG)
    (item,) = (await queue(client))["items"]
    url = f"/v1/review-items/{item['id']}"

    claimed = await client.post(f"{url}/claim")
    assert claimed.status_code == 200
    assert (
        claimed.json()["status"],
        claimed.json()["assignee"],
        claimed.json()["assigned_by"],
    ) == (
        "claimed",
        str(ann.user_id),
        ann.actor,
    )
    assert (await client.post(f"{url}/claim")).status_code == 200

    taken = await ben_client.post(f"{url}/claim")
    assert taken.status_code == 409
    assert taken.json()["code"] == "review_item_claimed"
    resolve = {"resolution": "approve"}
    assert (await ben_client.post(f"{url}/resolve", json=resolve)).status_code == 409

    assigned = await client.post(f"{url}/assign", json={"assignee": str(ben.user_id)})
    assert assigned.status_code == 200
    assert (assigned.json()["assignee"], assigned.json()["assigned_by"]) == (
        str(ben.user_id),
        ann.actor,
    )
    assert (await queue(client, assignee=str(ben.user_id)))["items"][0]["id"] == item["id"]
    assert [i["id"] for i in (await queue(ben_client, assignee="me"))["items"]] == [item["id"]]
    assert (await queue(client, assignee="me"))["items"] == []
    released = await ben_client.post(f"{url}/release")
    assert (released.json()["status"], released.json()["assignee"]) == ("open", None)
    assert released.json()["assigned_by"] == ben.actor


async def test_the_audit_names_who_claimed_assigned_and_released(
    client, ann, ben, moderate, tenant
):
    received = await moderate(tenant, FLAG)
    (item,) = (await queue(client))["items"]
    url = f"/v1/review-items/{item['id']}"
    await client.post(f"{url}/claim")
    await client.post(f"{url}/assign", json={"assignee": str(ben.user_id)})
    await client.post(f"{url}/release")
    audit = await client.get("/v1/audit", params={"interaction_id": str(received.interaction_id)})
    events = [
        (e["event"], e["actor"], e["detail"].get("assignee"))
        for e in reversed(audit.json()["items"])
    ]
    assert events == [
        ("decision", "rule:brand.toxic", None),
        ("review.claimed", ann.actor, None),
        ("review.assigned", ann.actor, str(ben.user_id)),
        ("review.released", ann.actor, None),
    ]


async def test_an_item_is_assigned_only_to_a_member_who_may_moderate_its_brand(
    client, member, moderate, tenant, unique
):
    await moderate(tenant, FLAG, brand_id="brand-1")
    (item,) = (await queue(client))["items"]
    url = f"/v1/review-items/{item['id']}/assign"
    elsewhere = await member(tenant, "agent", {"brand-2": "agent"})
    reader = await member(tenant, "analyst")
    outsider = await member(unique("other"), "agent")
    here = await member(tenant, "agent", {"brand-1": "agent", "brand-2": "analyst"})

    for someone in (elsewhere.user_id, reader.user_id, outsider.user_id, uuid.uuid4()):
        refused = await client.post(url, json={"assignee": str(someone)})
        assert refused.status_code == 422, someone
        assert refused.json()["code"] == "assignee_not_allowed"
    assert (await client.get(f"/v1/review-items/{item['id']}")).json()["assignee"] is None

    accepted = await client.post(url, json={"assignee": str(here.user_id)})
    assert accepted.status_code == 200
    assert accepted.json()["assignee"] == str(here.user_id)


async def test_an_assignee_is_a_user_id_and_the_caller_is_not_named(client, moderate, tenant):
    await moderate(tenant, FLAG)
    (item,) = (await queue(client))["items"]
    url = f"/v1/review-items/{item['id']}"
    for path, body in (
        ("assign", {"assignee": "ben"}),
        ("assign", {"assignee": str(uuid.uuid4()), "by": "ann"}),
        ("resolve", {"resolution": "approve", "reviewer": "ann"}),
    ):
        response = await client.post(f"{url}/{path}", json=body)
        assert response.status_code == 422, (path, body)
    assert (await queue(client))["items"][0]["status"] == "open"


async def test_an_api_key_has_no_items_of_its_own_but_assigns_and_resolves(
    key_client, ann, moderate, tenant
):
    await moderate(tenant, FLAG)
    await moderate(tenant, FLAG)
    first, second = (await queue(key_client))["items"]

    claim = await key_client.post(f"/v1/review-items/{first['id']}/claim")
    assert claim.status_code == 403
    assert claim.json()["code"] == "person_required"
    mine = await key_client.get("/v1/review-items", params={"assignee": "me"})
    assert mine.status_code == 403
    assert mine.json()["code"] == "person_required"

    assigned = await key_client.post(
        f"/v1/review-items/{first['id']}/assign", json={"assignee": str(ann.user_id)}
    )
    assert (assigned.json()["assignee"], assigned.json()["assigned_by"]) == (
        str(ann.user_id),
        key_client.actor,
    )
    held = await key_client.post(
        f"/v1/review-items/{first['id']}/resolve", json={"resolution": "hide"}
    )
    assert held.status_code == 409
    resolved = await key_client.post(
        f"/v1/review-items/{second['id']}/resolve", json={"resolution": "hide"}
    )
    assert (resolved.json()["status"], resolved.json()["resolved_by"]) == (
        "resolved",
        key_client.actor,
    )


async def test_approving_overrides_the_rule_and_sends_the_decision_again(
    client, ann, moderate, tenant, engine
):
    received = await moderate(tenant, FLAG)
    (item,) = (await queue(client))["items"]
    response = await client.post(
        f"/v1/review-items/{item['id']}/resolve",
        json={"resolution": "approve", "note": "banter"},
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["resolved_by"]) == ("resolved", ann.actor)
    assert (await queue(client))["items"] == []

    decision = (await client.get(f"/v1/decisions/{item['decision_id']}")).json()
    assert (decision["action"], decision["decided_by"]) == ("allow", ann.actor)
    moderated = [
        e.payload(CommentModerated)
        for e in await staged(engine, tenant, CommentModerated.event_type)
    ]
    assert [(m.action, m.decided_by) for m in moderated] == [
        (ModerationAction.flag, "rule:brand.toxic"),
        (ModerationAction.allow, ann.actor),
    ]
    assert {m.decision_id for m in moderated} == {uuid.UUID(item["decision_id"])}
    assert (moderated[0].replaces_action, moderated[1].replaces_action) == (
        None,
        ModerationAction.flag,
    )
    assert moderated[1].replaces_decided_at == moderated[0].decided_at
    assert await staged(engine, tenant, ActionRequested.event_type) == []

    again = await client.post(f"/v1/review-items/{item['id']}/resolve", json={"resolution": "hide"})
    assert again.status_code == 409
    assert again.json()["code"] == "review_item_resolved"
    for path, body in (("assign", {"assignee": str(ann.user_id)}), ("release", None)):
        late = await client.post(f"/v1/review-items/{item['id']}/{path}", json=body)
        assert (late.status_code, late.json()["code"]) == (409, "review_item_resolved")
    audit = await client.get("/v1/audit", params={"interaction_id": str(received.interaction_id)})
    events = [(e["event"], e["actor"]) for e in reversed(audit.json()["items"])]
    assert events == [("decision", "rule:brand.toxic"), ("review.resolved", ann.actor)]


async def test_hiding_asks_ingest_to_hide_it_on_the_network(client, ann, moderate, tenant, engine):
    received = await moderate(tenant, FLAG, account_id="acct-1")
    (item,) = (await queue(client))["items"]
    await client.post(f"/v1/review-items/{item['id']}/resolve", json={"resolution": "hide"})
    (event,) = await staged(engine, tenant, ActionRequested.event_type)
    requested = event.payload(ActionRequested)
    assert (requested.action.value, requested.requested_by) == ("hide", ann.actor)
    assert (requested.external_id, requested.account_id) == (received.external_id, "acct-1")
    assert requested.author_handle == received.author.handle == "alice"
    assert requested.decision_id == uuid.UUID(item["decision_id"])


async def test_a_reply_uses_a_saved_reply_filled_in_for_the_author(
    client, moderate, tenant, engine
):
    await moderate(
        tenant, FLAG, author={"network_id": "u-2", "handle": "cleo", "display_name": "Cleo"}
    )
    saved = await client.post(
        "/v1/saved-replies", json={"name": "sorry", "body": "Sorry {author_name}, DM us please."}
    )
    (item,) = (await queue(client))["items"]
    missing = await client.post(
        f"/v1/review-items/{item['id']}/resolve", json={"resolution": "reply"}
    )
    assert missing.status_code == 422
    assert missing.json()["code"] == "reply_missing"

    response = await client.post(
        f"/v1/review-items/{item['id']}/resolve",
        json={"resolution": "reply", "saved_reply_id": saved.json()["id"]},
    )
    assert response.status_code == 200
    (event,) = await staged(engine, tenant, ActionRequested.event_type)
    assert event.payload(ActionRequested).reply_text == "Sorry Cleo, DM us please."


async def test_another_tenant_s_item_is_not_found(client, moderate, unique):
    await moderate(unique("other"), FLAG)
    assert (await queue(client))["items"] == []
    response = await client.get(f"/v1/review-items/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["code"] == "review_item_not_found"


async def test_each_resolution_becomes_a_label_for_the_brand_s_model(
    client, ann, moderate, tenant, engine
):
    kept = await moderate(tenant, FLAG, "You lot are hopeless but I still love the product")
    removed = await moderate(tenant, FLAG, "Buy followers at my store, link in bio")
    items = {item["interaction_id"]: item["id"] for item in (await queue(client))["items"]}
    for received, resolution in ((kept, "approve"), (removed, "delete")):
        await client.post(
            f"/v1/review-items/{items[str(received.interaction_id)]}/resolve",
            json={"resolution": resolution},
        )
    async with engine.connect() as conn:
        labels = (
            await conn.execute(
                select(brand_label.c.text, brand_label.c.label, brand_label.c.labelled_by).where(
                    brand_label.c.tenant_id == tenant
                )
            )
        ).all()
    assert sorted(labels) == sorted(
        [
            (kept.text, "keep", ann.actor),
            (removed.text, "remove", ann.actor),
        ]
    )


# ["0001-01-01T00:00:00+01:00", "00000000-…"]: an instant Python cannot convert to UTC.
YEAR_ZERO_CURSOR = (
    "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzAxOjAwIiwiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIl0"
)


@pytest.mark.parametrize(
    ("params", "kind"),
    [
        ({"min_priority": str(2**31)}, "less_than_equal"),
        ({"min_priority": str(-(2**31) - 1)}, "greater_than_equal"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "timestamp_out_of_range"),
        (
            {"cursor": YEAR_ZERO_CURSOR},
            "invalid_cursor",
        ),
    ],
    ids=["priority-past-int4", "priority-below-int4", "since-year-0-in-utc", "cursor-year-0"],
)
async def test_values_the_queue_cannot_hold_are_problems_not_server_errors(client, params, kind):
    response = await client.get("/v1/review-items", params=params)

    assert response.status_code == (400 if kind == "invalid_cursor" else 422)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["type"] == kind
