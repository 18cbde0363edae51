"""Bulk changes: assign, give to a team, label and resolve many conversations, all or none."""

from __future__ import annotations

import asyncio
import uuid

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
async def ann(tenant, member):
    return await member(tenant, "agent")


@pytest.fixture
async def filed(http, tenant, ann, receive, as_key):
    """Three conversations on brand-1 and one on brand-2, by preview; the first labelled."""
    for thread, brand in (("p-1", "brand-1"), ("p-2", "brand-1"), ("p-3", "brand-1")):
        await receive(tenant, thread, thread_external_id=thread, brand_id=brand)
    await receive(tenant, "p-b2", thread_external_id="p-b2", brand_id="brand-2")
    page = (await http.get("/v1/conversations", headers=as_key(ann.key))).json()
    found = {item["preview"]: item["id"] for item in page["items"]}
    await http.patch(
        f"/v1/conversations/{found['p-1']}", json={"labels": ["vip"]}, headers=as_key(ann.key)
    )
    return found


async def bulk(http, key, as_key, **body):
    return await http.post("/v1/conversations/bulk", json=body, headers=as_key(key))


async def state(http, key, as_key, conversation_id):
    return (await http.get(f"/v1/conversations/{conversation_id}", headers=as_key(key))).json()


async def test_many_are_assigned_labelled_and_resolved_at_once(
    http, tenant, ann, filed, member, as_key
):
    ben = await member(tenant, "agent")
    team = (await http.post("/v1/teams", json={"name": "care"}, headers=as_key(ann.key))).json()
    named = [filed["p-3"], filed["p-1"], filed["p-3"]]
    answer = await bulk(
        http,
        ann.key,
        as_key,
        conversation_ids=named,
        assignee=str(ben.user_id),
        team_id=team["id"],
        add_labels=["Refund", "late"],
        remove_labels=["vip"],
        status="resolved",
    )
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [item["id"] for item in items] == [filed["p-3"], filed["p-1"]]
    for item in items:
        assert item["assignee"] == str(ben.user_id)
        assert item["assigned_by"] == f"user:{ann.user_id}"
        assert item["team_id"] == team["id"]
        assert item["labels"] == ["late", "refund"]
        assert (item["status"], item["waiting_since"]) == ("resolved", None)
        assert item["resolved_at"] is not None
    untouched = await state(http, ann.key, as_key, filed["p-2"])
    assert (untouched["status"], untouched["assignee"]) == ("open", None)


async def test_labels_added_keep_those_a_conversation_had(http, ann, filed, as_key):
    answer = await bulk(
        http, ann.key, as_key, conversation_ids=[filed["p-1"], filed["p-2"]], add_labels=["bug"]
    )
    assert [item["labels"] for item in answer.json()["items"]] == [["bug", "vip"], ["bug"]]


async def test_one_conversation_out_of_reach_changes_none(http, tenant, ann, filed, member, as_key):
    limited = await member(tenant, "agent", brand_roles={"brand-1": "agent"})
    stranger_id = str(uuid.uuid4())
    for ids, key in (
        ([filed["p-1"], filed["p-b2"]], limited.key),
        ([filed["p-1"], stranger_id], ann.key),
    ):
        answer = await bulk(http, key, as_key, conversation_ids=ids, status="resolved")
        assert (answer.status_code, answer.json()["code"]) == (404, "conversation_not_found")
        assert ids[1] in answer.json()["detail"]
    assert (await state(http, ann.key, as_key, filed["p-1"]))["status"] == "open"

    reader = await member(tenant, "agent", brand_roles={"brand-1": "agent", "brand-2": "analyst"})
    answer = await bulk(
        http, reader.key, as_key, conversation_ids=[filed["p-1"], filed["p-b2"]], status="pending"
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "brand_not_allowed")
    assert (await state(http, ann.key, as_key, filed["p-1"]))["status"] == "open"


async def test_an_assignee_not_allowed_on_one_brand_changes_none(
    http, tenant, ann, filed, member, as_key
):
    brand_1_only = await member(tenant, "agent", brand_roles={"brand-1": "agent"})
    answer = await bulk(
        http,
        ann.key,
        as_key,
        conversation_ids=[filed["p-1"], filed["p-b2"]],
        assignee=str(brand_1_only.user_id),
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "assignee_not_allowed")
    assert "brand-2" in answer.json()["detail"]
    assert (await state(http, ann.key, as_key, filed["p-1"]))["assignee"] is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "nothing_to_change"),
        ({"add_labels": [f"l{n}" for n in range(20)]}, "too_many_labels"),
        ({"team_id": "00000000-0000-0000-0000-000000000001"}, "unknown_team"),
        ({"status": "snoozed"}, "snooze_until_required"),
        ({"status": "closed"}, "validation_failed"),
        ({"surprise": 1}, "validation_failed"),
    ],
    ids=["empty", "labels", "team", "snooze", "status", "unknown-field"],
)
async def test_a_bad_bulk_change_is_a_422_problem_and_changes_none(
    http, ann, filed, as_key, body, code
):
    answer = await bulk(
        http, ann.key, as_key, conversation_ids=[filed["p-2"], filed["p-1"]], **body
    )
    assert (answer.status_code, answer.json()["code"]) == (422, code), answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert (await state(http, ann.key, as_key, filed["p-1"]))["labels"] == ["vip"]


async def test_no_more_than_a_hundred_at_once(http, ann, filed, as_key):
    answer = await bulk(
        http,
        ann.key,
        as_key,
        conversation_ids=[str(uuid.uuid4()) for _ in range(101)],
        status="resolved",
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "validation_failed")
    assert answer.json()["errors"][0]["pointer"] == "/conversation_ids"


async def test_labels_added_by_two_bulk_changes_at_once_are_all_kept(http, ann, filed, as_key):
    both = [filed["p-2"], filed["p-3"]]
    answers = await asyncio.gather(
        *(
            bulk(http, ann.key, as_key, conversation_ids=list(ids), add_labels=[label])
            for ids, label in ((both, "one"), (both[::-1], "two"), (both, "three"))
        )
    )
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    for conversation_id in both:
        labels = (await state(http, ann.key, as_key, conversation_id))["labels"]
        assert labels == ["one", "three", "two"]
