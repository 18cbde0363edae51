"""Contacts over REST: one per author per brand, their history, labels, notes and merging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction

pytestmark = pytest.mark.integration

ALICE = Author(network_id="u-1", handle="alice", display_name="Alice")


@pytest.fixture
async def ann(tenant, member):
    """A community manager of every brand."""
    return await member(tenant, "agent")


async def contacts(http, key, as_key, **params):
    page = await http.get("/v1/contacts", params=params, headers=as_key(key))
    assert page.status_code == 200, page.text
    return page.json()["items"]


async def contact_of(http, key, as_key, conversation_preview):
    listed = (await http.get("/v1/conversations", headers=as_key(key))).json()["items"]
    (found,) = [c for c in listed if c["preview"] == conversation_preview]
    return found["contact"]["id"]


async def test_an_author_is_one_contact_per_brand_and_network(http, tenant, ann, receive, as_key):
    now = datetime.now(UTC)
    await receive(tenant, "first", author=ALICE, created_at=now - timedelta(hours=2))
    await receive(
        tenant,
        "again, in a private message",
        author=Author(network_id="u-1", handle="alice_new", display_name="Alice B."),
        kind=InteractionKind.direct_message,
        thread_external_id="dm-1",
        created_at=now - timedelta(hours=1),
    )
    # The same id on another network, and the same author on another brand, are other people.
    await receive(tenant, "on facebook", author=ALICE, network=Network.facebook, created_at=now)
    await receive(tenant, "on brand 2", author=ALICE, brand_id="brand-2", created_at=now)

    listed = await contacts(http, ann.key, as_key, brand_id="brand-1")
    assert [(c["handle"], c["message_count"]) for c in listed] == [("alice", 1), ("alice_new", 2)]
    alice = listed[1]
    assert alice["display_name"] == "Alice B."  # as the latest message named her
    assert alice["first_contact_at"] < alice["last_contact_at"]
    assert len(await contacts(http, ann.key, as_key)) == 3

    both = await http.get(
        "/v1/conversations", params={"contact_id": alice["id"]}, headers=as_key(ann.key)
    )
    assert sorted(c["preview"] for c in both.json()["items"]) == [
        "again, in a private message",
        "first",
    ]
    assert {c["contact"]["id"] for c in both.json()["items"]} == {alice["id"]}


async def test_a_profile_has_its_history_sentiment_labels_and_notes(
    http, tenant, ann, receive, moderate, as_key
):
    now = datetime.now(UTC)
    written = []
    for n, sentiment in enumerate(("negative", "negative", "positive")):
        comment = await receive(
            tenant,
            f"message {n}",
            author=ALICE,
            thread_external_id=f"post-{n}",
            created_at=now - timedelta(days=2 - n // 2, minutes=10 - n),
        )
        await moderate(tenant, comment, ModerationAction.allow, sentiment=sentiment)
        written.append(comment)
    await receive(tenant, "not judged yet", author=ALICE, created_at=now)
    (alice,) = await contacts(http, ann.key, as_key)

    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = await http.get(
            f"/v1/contacts/{alice['id']}/messages", params=params, headers=as_key(ann.key)
        )
        assert page.status_code == 200, page.text
        seen += [(m["text"], m["sentiment"]) for m in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [
        ("not judged yet", None),
        ("message 2", "positive"),
        ("message 1", "negative"),
        ("message 0", "negative"),
    ]

    changed = await http.patch(
        f"/v1/contacts/{alice['id']}", json={"labels": ["VIP", "refund"]}, headers=as_key(ann.key)
    )
    assert changed.json()["labels"] == ["refund", "vip"]
    note = await http.post(
        f"/v1/contacts/{alice['id']}/notes", json={"text": "Prefers DMs"}, headers=as_key(ann.key)
    )
    assert note.status_code == 201, note.text
    assert [c["id"] for c in await contacts(http, ann.key, as_key, label="vip")] == [alice["id"]]
    assert await contacts(http, ann.key, as_key, label="other") == []

    profile = (await http.get(f"/v1/contacts/{alice['id']}", headers=as_key(ann.key))).json()
    assert [(i["network"], i["network_id"]) for i in profile["identities"]] == [
        ("instagram", "u-1")
    ]
    assert [n["text"] for n in profile["notes"]] == ["Prefers DMs"]
    by_day = {d["day"]: d for d in profile["sentiment"]}
    two_days_ago = (written[0].created_at.astimezone(UTC)).date().isoformat()
    assert by_day[two_days_ago]["negative"] == 2
    assert sum(d["positive"] for d in profile["sentiment"]) == 1
    assert sum(d["unknown"] for d in profile["sentiment"]) == 1


async def test_two_contacts_merged_are_one(http, tenant, ann, receive, as_key):
    await receive(tenant, "from instagram", author=ALICE, thread_external_id="p-ig")
    await receive(
        tenant,
        "from facebook",
        author=Author(network_id="fb-9", handle="alice.fb"),
        network=Network.facebook,
        thread_external_id="p-fb",
    )
    into = await contact_of(http, ann.key, as_key, "from instagram")
    other = await contact_of(http, ann.key, as_key, "from facebook")
    await http.patch(f"/v1/contacts/{other}", json={"labels": ["vip"]}, headers=as_key(ann.key))
    await http.post(f"/v1/contacts/{other}/notes", json={"text": "n"}, headers=as_key(ann.key))

    merged = await http.post(
        f"/v1/contacts/{into}/merge", json={"contact_id": other}, headers=as_key(ann.key)
    )
    assert merged.status_code == 200, merged.text
    assert (merged.json()["message_count"], merged.json()["labels"]) == (2, ["vip"])

    gone = await http.get(f"/v1/contacts/{other}", headers=as_key(ann.key))
    assert (gone.status_code, gone.json()["code"]) == (404, "contact_merged")
    assert into in gone.json()["detail"]
    assert [c["id"] for c in await contacts(http, ann.key, as_key)] == [into]
    profile = (await http.get(f"/v1/contacts/{into}", headers=as_key(ann.key))).json()
    assert sorted(i["network"] for i in profile["identities"]) == ["facebook", "instagram"]
    assert [n["text"] for n in profile["notes"]] == ["n"]
    history = await http.get(f"/v1/contacts/{into}/messages", headers=as_key(ann.key))
    assert sorted(m["network"] for m in history.json()["items"]) == ["facebook", "instagram"]
    conversations = await http.get(
        "/v1/conversations", params={"contact_id": into}, headers=as_key(ann.key)
    )
    assert len(conversations.json()["items"]) == 2

    # What the merged identity writes next joins the contact it was merged into.
    await receive(
        tenant,
        "again from facebook",
        author=Author(network_id="fb-9", handle="alice.fb"),
        network=Network.facebook,
        thread_external_id="p-fb-2",
    )
    assert await contact_of(http, ann.key, as_key, "again from facebook") == into
    (only,) = await contacts(http, ann.key, as_key)
    assert only["message_count"] == 3


async def test_what_cannot_merge_is_a_clear_problem(http, tenant, ann, member, receive, as_key):
    await receive(tenant, "brand 1", author=ALICE, thread_external_id="p-1")
    await receive(tenant, "brand 2", author=ALICE, brand_id="brand-2", thread_external_id="p-2")
    one = await contact_of(http, ann.key, as_key, "brand 1")
    two = await contact_of(http, ann.key, as_key, "brand 2")

    async def merge(into, other, key=ann.key):
        return await http.post(
            f"/v1/contacts/{into}/merge", json={"contact_id": other}, headers=as_key(key)
        )

    answer = await merge(one, two)
    assert (answer.status_code, answer.json()["code"]) == (422, "contacts_of_other_brands")
    answer = await merge(one, one)
    assert (answer.status_code, answer.json()["code"]) == (422, "merge_with_itself")
    answer = await merge(one, "00000000-0000-4000-8000-000000000000")
    assert (answer.status_code, answer.json()["code"]) == (404, "contact_not_found")
    analyst = await member(tenant, "analyst")
    answer = await merge(one, two, analyst.key)
    assert answer.status_code == 403
    # Nothing moved.
    assert {c["message_count"] for c in await contacts(http, ann.key, as_key)} == {1}


async def test_a_member_limited_to_a_brand_sees_only_its_contacts(
    http, tenant, member, receive, as_key
):
    await receive(tenant, "brand 1", author=ALICE, thread_external_id="p-1")
    await receive(tenant, "brand 2", author=ALICE, brand_id="brand-2", thread_external_id="p-2")
    everyone = await member(tenant, "agent")
    limited = await member(tenant, "agent", brand_roles={"brand-1": "agent"})
    hidden = await contact_of(http, everyone.key, as_key, "brand 2")

    assert [c["brand_id"] for c in await contacts(http, limited.key, as_key)] == ["brand-1"]
    for answer in (
        await http.get(f"/v1/contacts/{hidden}", headers=as_key(limited.key)),
        await http.get(f"/v1/contacts/{hidden}/messages", headers=as_key(limited.key)),
        await http.patch(
            f"/v1/contacts/{hidden}", json={"labels": ["x"]}, headers=as_key(limited.key)
        ),
    ):
        assert (answer.status_code, answer.json()["code"]) == (404, "contact_not_found")
    named = await http.get(
        "/v1/contacts", params={"brand_id": "brand-2"}, headers=as_key(limited.key)
    )
    assert (named.status_code, named.json()["code"]) == (403, "brand_not_allowed")
