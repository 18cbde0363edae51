"""Conversations as work items over REST: lists, counts, one thread, and changing them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction

pytestmark = pytest.mark.integration


@pytest.fixture
async def ann(tenant, member):
    """A community manager of every brand."""
    return await member(tenant, "agent")


async def only_conversation(http, key, as_key, **params):
    page = (await http.get("/v1/conversations", params=params, headers=as_key(key))).json()
    (item,) = page["items"]
    return item


class TestList:
    async def test_pages_follow_the_latest_activity_without_repeats(
        self, http, tenant, ann, receive, as_key
    ):
        now = datetime.now(UTC)
        for n in range(5):
            await receive(
                tenant,
                f"post {n}",
                thread_external_id=f"post-{n}",
                created_at=now - timedelta(minutes=n),
            )
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (
                await http.get("/v1/conversations", params=params, headers=as_key(ann.key))
            ).json()
            seen += [item["preview"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [f"post {n}" for n in range(5)]

    async def test_filters_keep_to_what_they_name(self, http, tenant, ann, member, receive, as_key):
        await receive(tenant, "a comment", thread_external_id="p-comment")
        await receive(
            tenant,
            "a private message",
            kind=InteractionKind.direct_message,
            thread_external_id="dm-1",
        )
        await receive(tenant, "on facebook", network=Network.facebook, thread_external_id="p-fb")
        await receive(tenant, "on brand 2", brand_id="brand-2", thread_external_id="p-b2")
        await receive(tenant, "you are useless", thread_external_id="p-flag")
        ben = await member(tenant, "agent")

        async def previews(**params):
            page = await http.get("/v1/conversations", params=params, headers=as_key(ann.key))
            assert page.status_code == 200, page.text
            return sorted(item["preview"] for item in page.json()["items"])

        by_preview = {
            item["preview"]: item["id"]
            for item in (await http.get("/v1/conversations", headers=as_key(ann.key))).json()[
                "items"
            ]
        }

        async def change(preview, body, key=ann.key):
            answer = await http.patch(
                f"/v1/conversations/{by_preview[preview]}", json=body, headers=as_key(key)
            )
            assert answer.status_code == 200, answer.text

        await change(
            "a comment",
            {"assignee": str(ann.user_id), "labels": ["Refund", "vip"], "priority": "high"},
        )
        await change("on facebook", {"assignee": str(ben.user_id), "status": "pending"})
        assert await previews(assignee="me") == ["a comment"]
        assert await previews(assignee=str(ben.user_id)) == ["on facebook"]
        assert await previews(assignee="unassigned") == [
            "a private message",
            "on brand 2",
            "you are useless",
        ]
        assert await previews(label="refund") == ["a comment"]
        assert await previews(priority="high") == ["a comment"]
        assert await previews(status="pending") == ["on facebook"]
        assert await previews(network="facebook") == ["on facebook"]
        assert await previews(kind="direct_message") == ["a private message"]
        assert await previews(brand_id="brand-2") == ["on brand 2"]

    async def test_review_lists_conversations_waiting_for_a_person(
        self, http, tenant, ann, receive, moderate, as_key
    ):
        flagged = await receive(tenant, "you are useless", thread_external_id="p-flag")
        fine = await receive(tenant, "love it", thread_external_id="p-fine")
        await moderate(tenant, flagged, ModerationAction.flag)
        await moderate(tenant, fine, ModerationAction.allow)
        item = await only_conversation(http, ann.key, as_key, kind="review")
        assert (item["preview"], item["review_count"]) == ("you are useless", 1)

    async def test_counts_name_every_status(self, http, tenant, ann, receive, as_key):
        await receive(tenant, "one", thread_external_id="p-1")
        await receive(tenant, "two", thread_external_id="p-2")
        page = (await http.get("/v1/conversations", headers=as_key(ann.key))).json()
        first = page["items"][0]["id"]
        await http.patch(
            f"/v1/conversations/{first}", json={"status": "resolved"}, headers=as_key(ann.key)
        )
        counts = await http.get("/v1/conversations/counts", headers=as_key(ann.key))
        assert counts.json() == {"open": 1, "pending": 0, "snoozed": 0, "resolved": 1}
        resolved = await http.get(
            "/v1/conversations/counts", params={"brand_id": "brand-2"}, headers=as_key(ann.key)
        )
        assert resolved.json() == {"open": 0, "pending": 0, "snoozed": 0, "resolved": 0}

    async def test_a_cursor_not_handed_out_is_a_400_problem(self, http, tenant, ann, as_key):
        answer = await http.get(
            "/v1/conversations", params={"cursor": "forged"}, headers=as_key(ann.key)
        )
        assert answer.status_code == 400
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "invalid_cursor"


class TestThread:
    async def test_a_conversation_shows_its_messages_in_order_their_decisions_and_notes(
        self, http, tenant, ann, receive, moderate, as_key
    ):
        now = datetime.now(UTC)
        first = await receive(tenant, "Where is my parcel?", created_at=now - timedelta(minutes=3))
        await receive(tenant, "Hello??", created_at=now - timedelta(minutes=1))
        await moderate(tenant, first, ModerationAction.flag)
        item = await only_conversation(http, ann.key, as_key)
        note = await http.post(
            f"/v1/conversations/{item['id']}/notes",
            json={"text": "Parcel stuck at customs, asked logistics."},
            headers=as_key(ann.key),
        )
        assert note.status_code == 201
        assert note.json()["author"] == f"user:{ann.user_id}"

        thread = (await http.get(f"/v1/conversations/{item['id']}", headers=as_key(ann.key))).json()
        assert [m["text"] for m in thread["messages"]] == ["Where is my parcel?", "Hello??"]
        assert thread["messages"][0]["moderation"]["action"] == "flag"
        assert thread["messages"][0]["language"] == "en"
        assert thread["messages"][1]["moderation"] is None
        assert [n["text"] for n in thread["notes"]] == ["Parcel stuck at customs, asked logistics."]
        assert thread["review_count"] == 1

    async def test_an_unknown_conversation_is_a_404_problem(self, http, tenant, ann, as_key):
        answer = await http.get(
            "/v1/conversations/00000000-0000-0000-0000-000000000000", headers=as_key(ann.key)
        )
        assert answer.status_code == 404
        assert answer.json()["code"] == "conversation_not_found"


class TestChanges:
    async def test_a_snooze_until_a_future_time_then_back_to_open(
        self, http, tenant, ann, receive, as_key
    ):
        await receive(tenant, "call me tomorrow")
        item = await only_conversation(http, ann.key, as_key)
        until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        snoozed = await http.patch(
            f"/v1/conversations/{item['id']}",
            json={"status": "snoozed", "snoozed_until": until},
            headers=as_key(ann.key),
        )
        assert snoozed.status_code == 200, snoozed.text
        assert snoozed.json()["status"] == "snoozed"
        assert datetime.fromisoformat(snoozed.json()["snoozed_until"]) == datetime.fromisoformat(
            until
        )
        opened = await http.patch(
            f"/v1/conversations/{item['id']}", json={"status": "open"}, headers=as_key(ann.key)
        )
        assert (opened.json()["status"], opened.json()["snoozed_until"]) == ("open", None)

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"status": "snoozed", "snoozed_until": "past"}, "snooze_in_past"),
            ({"status": "snoozed"}, "snooze_until_required"),
            ({"status": "open", "snoozed_until": "future"}, "snooze_until_required"),
        ],
    )
    async def test_a_snooze_that_does_not_end_in_the_future_is_a_422_problem(
        self, http, tenant, ann, receive, as_key, body, code
    ):
        await receive(tenant, "call me")
        item = await only_conversation(http, ann.key, as_key)
        times = {
            "past": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "future": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        }
        if "snoozed_until" in body:
            body = body | {"snoozed_until": times[body["snoozed_until"]]}
        answer = await http.patch(
            f"/v1/conversations/{item['id']}", json=body, headers=as_key(ann.key)
        )
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == code
        after = await only_conversation(http, ann.key, as_key)
        assert after["status"] == "open"

    async def test_resolving_records_when(self, http, tenant, ann, receive, as_key):
        await receive(tenant, "thanks, all good")
        item = await only_conversation(http, ann.key, as_key)
        before = datetime.now(UTC)
        resolved = (
            await http.patch(
                f"/v1/conversations/{item['id']}",
                json={"status": "resolved"},
                headers=as_key(ann.key),
            )
        ).json()
        assert resolved["status"] == "resolved"
        assert datetime.fromisoformat(resolved["resolved_at"]) >= before

    async def test_labels_are_replaced_lowercased_once_each_and_priority_cleared(
        self, http, tenant, ann, receive, as_key
    ):
        await receive(tenant, "refund please")
        item = await only_conversation(http, ann.key, as_key)
        url = f"/v1/conversations/{item['id']}"
        changed = await http.patch(
            url,
            json={"labels": ["Refund", "refund", "VIP"], "priority": "urgent"},
            headers=as_key(ann.key),
        )
        assert (changed.json()["labels"], changed.json()["priority"]) == (
            ["refund", "vip"],
            "urgent",
        )
        cleared = await http.patch(
            url, json={"labels": [], "priority": None}, headers=as_key(ann.key)
        )
        assert (cleared.json()["labels"], cleared.json()["priority"]) == ([], None)
        bad = await http.patch(url, json={"labels": ["two words"]}, headers=as_key(ann.key))
        assert bad.status_code == 422

    async def test_a_conversation_is_assigned_to_a_member_allowed_on_its_brand(
        self, http, tenant, ann, member, receive, as_key
    ):
        await receive(tenant, "help", brand_id="brand-2")
        elsewhere = await member(tenant, "agent", brand_roles={"brand-1": "agent"})
        reader = await member(tenant, "analyst")
        there = await member(tenant, "agent", brand_roles={"brand-2": "agent"})
        item = await only_conversation(http, ann.key, as_key)
        url = f"/v1/conversations/{item['id']}"
        for refused in (elsewhere.user_id, reader.user_id, "00000000-0000-0000-0000-000000000001"):
            answer = await http.patch(url, json={"assignee": str(refused)}, headers=as_key(ann.key))
            assert answer.status_code == 422, refused
            assert answer.json()["code"] == "assignee_not_allowed"
        assigned = await http.patch(
            url, json={"assignee": str(there.user_id)}, headers=as_key(ann.key)
        )
        assert assigned.status_code == 200
        assert (assigned.json()["assignee"], assigned.json()["assigned_by"]) == (
            str(there.user_id),
            f"user:{ann.user_id}",
        )
        released = await http.patch(url, json={"assignee": None}, headers=as_key(ann.key))
        assert released.json()["assignee"] is None

    async def test_an_empty_change_changes_nothing(self, http, tenant, ann, receive, as_key):
        await receive(tenant, "hello")
        item = await only_conversation(http, ann.key, as_key)
        same = await http.patch(f"/v1/conversations/{item['id']}", json={}, headers=as_key(ann.key))
        assert same.json() == item
