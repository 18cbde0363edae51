"""The filters a frontend's views need: team, sentiment and "waiting for us"; teams themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from beacon_shared.contracts.moderation import ModerationAction

pytestmark = pytest.mark.integration


@pytest.fixture
async def ann(tenant, member):
    return await member(tenant, "agent")


async def previews(http, key, as_key, **params):
    page = await http.get("/v1/conversations", params=params, headers=as_key(key))
    assert page.status_code == 200, page.text
    return sorted(item["preview"] for item in page.json()["items"])


async def ids(http, key, as_key):
    page = (await http.get("/v1/conversations", headers=as_key(key))).json()
    return {item["preview"]: item["id"] for item in page["items"]}


class TestSentiment:
    async def test_a_conversation_takes_the_sentiment_of_its_latest_message_that_has_one(
        self, http, tenant, ann, receive, moderate, as_key
    ):
        now = datetime.now(UTC)
        angry = await receive(
            tenant, "worst service ever", thread_external_id="p-1", created_at=now
        )
        happy = await receive(tenant, "love it", thread_external_id="p-2")
        await moderate(tenant, angry, sentiment="negative")
        # An event sent before the label existed is cut from its score.
        await moderate(tenant, happy, sentiment=None, scores={"sentiment": 0.8})
        assert await previews(http, ann.key, as_key, sentiment="negative") == ["worst service ever"]
        assert await previews(http, ann.key, as_key, sentiment="positive") == ["love it"]

        older = await receive(
            tenant, "all fine now", thread_external_id="p-1", created_at=now - timedelta(hours=1)
        )
        await moderate(tenant, older, sentiment="positive")
        assert await previews(http, ann.key, as_key, sentiment="negative") == ["worst service ever"]
        later = await receive(
            tenant, "sorted, thank you", thread_external_id="p-1", created_at=now + timedelta(1)
        )
        await moderate(tenant, later, sentiment="positive")
        assert await previews(http, ann.key, as_key, sentiment="negative") == []
        # A person's revision carries no sentiment and keeps the classifier's.
        await moderate(tenant, later, ModerationAction.hide, sentiment=None, language=None)
        assert await previews(http, ann.key, as_key, sentiment="positive") == [
            "love it",
            "sorted, thank you",
        ]

    async def test_counts_keep_to_a_sentiment(self, http, tenant, ann, receive, moderate, as_key):
        for n, sentiment in enumerate(("negative", "negative", "neutral")):
            comment = await receive(tenant, f"c{n}", thread_external_id=f"p-{n}")
            await moderate(tenant, comment, sentiment=sentiment)
        counts = await http.get(
            "/v1/conversations/counts", params={"sentiment": "negative"}, headers=as_key(ann.key)
        )
        assert counts.json() == {"open": 2, "pending": 0, "snoozed": 0, "resolved": 0}


class TestIntent:
    async def test_a_conversation_takes_the_intents_of_its_latest_judged_message(
        self, http, tenant, ann, receive, moderate, as_key
    ):
        now = datetime.now(UTC)
        asking = await receive(tenant, "how much is it?", thread_external_id="p-1", created_at=now)
        await moderate(tenant, asking, intents=["question", "purchase_intent"])
        angry = await receive(tenant, "still broken", thread_external_id="p-2", created_at=now)
        await moderate(tenant, angry, intents=["complaint"])
        await receive(tenant, "not judged yet", thread_external_id="p-3")
        assert await previews(http, ann.key, as_key, intent="question") == ["how much is it?"]
        assert await previews(http, ann.key, as_key, intent="purchase_intent") == [
            "how much is it?"
        ]
        assert await previews(http, ann.key, as_key, intent="complaint") == ["still broken"]
        counts = await http.get(
            "/v1/conversations/counts", params={"intent": "complaint"}, headers=as_key(ann.key)
        )
        assert counts.json()["open"] == 1

        thanks = await receive(
            tenant, "thanks, got it", thread_external_id="p-2", created_at=now + timedelta(1)
        )
        await moderate(tenant, thanks, intents=["praise"])
        assert await previews(http, ann.key, as_key, intent="complaint") == []
        # A person's revision says nothing of intents and keeps the classifier's.
        await moderate(tenant, thanks, ModerationAction.hide, intents=None, language=None)
        assert await previews(http, ann.key, as_key, intent="praise") == ["thanks, got it"]
        listed = (await http.get("/v1/conversations", headers=as_key(ann.key))).json()["items"]
        assert {c["preview"]: c["intents"] for c in listed} == {
            "how much is it?": ["question", "purchase_intent"],
            "thanks, got it": ["praise"],
            "not judged yet": [],
        }


class TestWaiting:
    async def test_a_conversation_waits_from_its_first_unanswered_message_until_resolved(
        self, http, tenant, ann, receive, as_key
    ):
        now = datetime.now(UTC)
        await receive(tenant, "first", thread_external_id="p-1", created_at=now - timedelta(2))
        await receive(tenant, "again", thread_external_id="p-1", created_at=now - timedelta(1))
        await receive(tenant, "other", thread_external_id="p-2")
        item = (await http.get("/v1/conversations", headers=as_key(ann.key))).json()["items"]
        waiting = {i["preview"]: i["waiting_since"] for i in item}
        assert datetime.fromisoformat(waiting["again"]) == now - timedelta(2)
        assert await previews(http, ann.key, as_key, waiting="true") == ["again", "other"]

        by_preview = await ids(http, ann.key, as_key)
        resolved = await http.patch(
            f"/v1/conversations/{by_preview['other']}",
            json={"status": "resolved"},
            headers=as_key(ann.key),
        )
        assert resolved.json()["waiting_since"] is None
        assert await previews(http, ann.key, as_key, waiting="true") == ["again"]
        assert await previews(http, ann.key, as_key, waiting="false") == ["other"]

        await receive(tenant, "hello?", thread_external_id="p-2", created_at=now)
        assert await previews(http, ann.key, as_key, waiting="true", status="open") == [
            "again",
            "hello?",
        ]


class TestTeams:
    async def test_a_conversation_given_to_a_team_is_listed_under_it(
        self, http, tenant, ann, receive, as_key
    ):
        await receive(tenant, "billing question", thread_external_id="p-1")
        await receive(tenant, "other", thread_external_id="p-2")
        created = await http.post("/v1/teams", json={"name": " Billing "}, headers=as_key(ann.key))
        assert created.status_code == 201, created.text
        team = created.json()
        assert (team["name"], team["created_by"]) == ("Billing", f"user:{ann.user_id}")
        by_preview = await ids(http, ann.key, as_key)
        url = f"/v1/conversations/{by_preview['billing question']}"
        given = await http.patch(url, json={"team_id": team["id"]}, headers=as_key(ann.key))
        assert given.json()["team_id"] == team["id"]
        assert await previews(http, ann.key, as_key, team_id=team["id"]) == ["billing question"]
        taken_back = await http.patch(url, json={"team_id": None}, headers=as_key(ann.key))
        assert taken_back.json()["team_id"] is None

    async def test_teams_page_oldest_first(self, http, tenant, ann, as_key):
        for name in ("one", "two", "three"):
            await http.post("/v1/teams", json={"name": name}, headers=as_key(ann.key))
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await http.get("/v1/teams", params=params, headers=as_key(ann.key))).json()
            seen += [team["name"] for team in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                break
        assert seen == ["one", "two", "three"]

    async def test_bad_teams_are_problems(self, http, tenant, ann, member, receive, unique, as_key):
        await receive(tenant, "hello")
        first = await http.post("/v1/teams", json={"name": "care"}, headers=as_key(ann.key))
        again = await http.post("/v1/teams", json={"name": "care"}, headers=as_key(ann.key))
        assert (again.status_code, again.json()["code"]) == (409, "team_exists")
        limited = await member(tenant, "agent", brand_roles={"brand-1": "agent"})
        refused = await http.post("/v1/teams", json={"name": "mine"}, headers=as_key(limited.key))
        assert (refused.status_code, refused.json()["code"]) == (403, "brand_not_allowed")

        elsewhere = await member(unique("tenant"), "owner")
        theirs = await http.post("/v1/teams", json={"name": "x"}, headers=as_key(elsewhere.key))
        by_preview = await ids(http, ann.key, as_key)
        url = f"/v1/conversations/{by_preview['hello']}"
        for team_id in (theirs.json()["id"], "00000000-0000-0000-0000-000000000001"):
            answer = await http.patch(url, json={"team_id": team_id}, headers=as_key(ann.key))
            assert (answer.status_code, answer.json()["code"]) == (422, "unknown_team")
        theirs_listed = (await http.get("/v1/teams", headers=as_key(elsewhere.key))).json()
        assert [t["name"] for t in theirs_listed["items"]] == ["x"]
        ours_listed = (await http.get("/v1/teams", headers=as_key(ann.key))).json()
        assert [t["id"] for t in ours_listed["items"]] == [first.json()["id"]]


@pytest.mark.parametrize(
    "params",
    [{"sentiment": "angry"}, {"waiting": "maybe"}, {"team_id": "billing"}, {"intent": "rant"}],
    ids=["sentiment", "waiting", "team", "intent"],
)
async def test_a_filter_of_the_wrong_kind_is_a_422_problem(http, tenant, ann, as_key, params):
    answer = await http.get("/v1/conversations", params=params, headers=as_key(ann.key))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["pointer"] == f"/query/{next(iter(params))}"
