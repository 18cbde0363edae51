"""The metrics poller against a fake public AppView speaking app.bsky.feed.getAuthorFeed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.contracts.common import Network

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RIVAL = "did:plc:rivalrivalrival"


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def item(
    n: int,
    *,
    age: timedelta,
    actor: str = RIVAL,
    likes: int = 3,
    replies: int = 1,
    reposts: int = 2,
    quotes: int = 1,
) -> dict[str, Any]:
    """A feed item: one of `actor`'s posts, indexed `age` ago."""
    at = iso(NOW - age)
    return {
        "post": {
            "uri": f"at://{actor}/app.bsky.feed.post/3k{n:06d}",
            "cid": f"bafy{n}",
            "author": {"did": actor, "handle": "rival.bsky.social"},
            "record": {
                "$type": "app.bsky.feed.post",
                "text": f"post {n} #launch",
                "createdAt": at,
            },
            "indexedAt": at,
            "likeCount": likes,
            "replyCount": replies,
            "repostCount": reposts,
            "quoteCount": quotes,
        }
    }


def repost(n: int, *, age: timedelta) -> dict[str, Any]:
    """Someone else's post the actor reposted."""
    reposted = item(n, age=age, actor="did:plc:someoneelse")
    reposted["reason"] = {
        "$type": "app.bsky.feed.defs#reasonRepost",
        "by": {"did": RIVAL, "handle": "rival.bsky.social"},
        "indexedAt": iso(NOW - age),
    }
    return reposted


@dataclass
class FakeAppView:
    """A public AppView's getAuthorFeed, with switchable failures; pages by an index cursor."""

    feeds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fail_with: int | None = None
    error: str = "InternalServerError"
    malformed: bool = False
    remaining: int = 2999
    reset: int = int((NOW + timedelta(minutes=5)).timestamp())
    calls: list[dict[str, str]] = field(default_factory=list)

    def queries(self, actor: str = RIVAL) -> list[dict[str, str]]:
        return [c for c in self.calls if c["actor"] == actor]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/xrpc/app.bsky.feed.getAuthorFeed")
        async def author_feed(request: Request) -> Response:
            query = dict(request.query_params)
            self.calls.append(query)
            headers = {"ratelimit-limit": "3000", "ratelimit-reset": str(self.reset)}
            if self.fail_with is not None:
                body = {"error": self.error, "message": "nope"}
                return JSONResponse(body, self.fail_with, headers=headers)
            if self.malformed:
                return Response("upstream gone", media_type="application/json")
            feed = self.feeds.get(query["actor"])
            if feed is None:
                body = {"error": "InvalidRequest", "message": "Profile not found"}
                return JSONResponse(body, 400, headers=headers)
            headers["ratelimit-remaining"] = str(self.remaining)
            start = int(query.get("cursor", "0"))
            limit = int(query.get("limit", "50"))
            page = feed[start : start + limit]
            answer: dict[str, Any] = {"feed": page}
            if start + limit < len(feed):
                answer["cursor"] = str(start + limit)
            return JSONResponse(answer, headers=headers)

        return app


@pytest.fixture
def appview() -> FakeAppView:
    return FakeAppView()


@pytest.fixture
async def rival(track):
    return await track(Network.bluesky, RIVAL, handle="rival.bsky.social", label="Rival")


async def test_a_competitors_own_recent_posts_are_observed_with_reposts_and_quotes_as_shares(
    appview, rival, poller_for, observed, poll_state
):
    appview.feeds[RIVAL] = [
        item(1, age=timedelta(minutes=30), likes=12, replies=5, reposts=4, quotes=2),
        repost(2, age=timedelta(hours=1)),
        item(3, age=timedelta(days=2)),
        item(4, age=timedelta(days=9)),
    ]
    poller = poller_for(appview.app())

    outcome = await poller.poll_account(rival)

    events = {event.post_external_id: (key, event) for key, event in await observed()}
    assert outcome.outcome == "observed"
    assert set(events) == {
        f"at://{RIVAL}/app.bsky.feed.post/3k000001",
        f"at://{RIVAL}/app.bsky.feed.post/3k000003",
    }
    key, first = events[f"at://{RIVAL}/app.bsky.feed.post/3k000001"]
    assert key == first.post_external_id
    assert (first.likes, first.comments, first.shares) == (12, 5, 6)
    assert first.text == "post 1 #launch"
    assert first.owner == "competitor"
    assert first.competitor_id == str(rival.id)
    assert first.account_handle == "rival.bsky.social"
    assert first.post_created_at == NOW - timedelta(minutes=30)
    [query] = appview.queries()
    assert query["filter"] == "posts_no_replies"
    state = await poll_state(rival)
    assert (state.failures, state.last_error, state.polled_at) == (0, None, NOW)


async def test_a_read_follows_the_cursor_until_it_passes_the_window(
    appview, rival, poller_for, observed
):
    appview.feeds[RIVAL] = [item(n, age=timedelta(hours=n)) for n in range(1, 121)]
    appview.feeds[RIVAL].append(item(999, age=timedelta(days=8)))
    poller = poller_for(appview.app())

    outcome = await poller.poll_account(rival)

    assert outcome.posts == 120
    assert len(await observed()) == 120
    assert [q.get("cursor") for q in appview.queries()] == [None, "50", "100"]


async def test_a_creation_time_ahead_of_indexing_is_bounded_by_it(
    appview, rival, poller_for, observed
):
    skewed = item(1, age=timedelta(hours=1))
    skewed["post"]["record"]["createdAt"] = iso(NOW + timedelta(hours=3))
    appview.feeds[RIVAL] = [skewed]
    poller = poller_for(appview.app())

    await poller.poll_account(rival)

    [(_, event)] = await observed()
    assert event.post_created_at == NOW - timedelta(hours=1)


async def test_a_rate_limit_rests_the_account_until_the_epoch_reset(
    appview, rival, poller_for, observed, poll_state
):
    appview.fail_with = 429
    appview.error = "RateLimitExceeded"
    appview.reset = int((NOW + timedelta(minutes=20)).timestamp())
    poller = poller_for(appview.app())

    outcome = await poller.poll_account(rival)

    state = await poll_state(rival)
    assert outcome.outcome == "rate_limited"
    assert await observed() == []
    assert state.next_at == NOW + timedelta(minutes=20)
    assert state.last_error == "rate_limited"


async def test_a_bad_gateway_backs_off(appview, rival, poller_for, observed, poll_state):
    appview.fail_with = 502
    poller = poller_for(appview.app())

    outcome = await poller.poll_account(rival)

    state = await poll_state(rival)
    assert outcome.outcome == "failed"
    assert await observed() == []
    assert (state.failures, state.last_error) == (1, "http_502")
    assert state.next_at == NOW + timedelta(seconds=900)


async def test_a_malformed_answer_stores_nothing_and_backs_off(
    appview, rival, poller_for, observed, poll_state
):
    appview.malformed = True
    poller = poller_for(appview.app())

    outcome = await poller.poll_account(rival)

    assert outcome.outcome == "malformed"
    assert await observed() == []
    assert (await poll_state(rival)).last_error == "malformed"


async def test_malformed_feed_items_are_skipped_and_the_rest_observed(
    appview, rival, poller_for, observed
):
    good = item(1, age=timedelta(hours=1))
    no_record = item(2, age=timedelta(hours=2))
    del no_record["post"]["record"]
    bad_count = item(3, age=timedelta(hours=3))
    bad_count["post"]["likeCount"] = "many"
    appview.feeds[RIVAL] = [good, no_record, bad_count]
    poller = poller_for(appview.app())

    outcome = await poller.poll_account(rival)

    assert (outcome.posts, outcome.malformed) == (1, 2)
    assert [e.post_external_id for _, e in await observed()] == [good["post"]["uri"]]


async def test_an_unknown_actor_is_recorded_as_not_found(appview, track, poller_for, poll_state):
    ghost = await track(Network.bluesky, "did:plc:ghost")
    poller = poller_for(appview.app())

    outcome = await poller.poll_account(ghost)

    assert outcome.outcome == "gone"
    assert (await poll_state(ghost)).last_error.startswith("not_found")


async def test_own_bluesky_accounts_are_read_from_the_public_appview_without_credentials(
    appview, connect, poller_for, observed
):
    own = await connect(Network.bluesky, "did:plc:brand")
    appview.feeds[own.external_account_id] = [
        item(1, age=timedelta(hours=1), actor=own.external_account_id, likes=9)
    ]
    poller = poller_for(appview.app())

    outcomes = await poller.poll_due()

    assert outcomes[own.id].outcome == "observed"
    [(_, event)] = await observed()
    assert (event.owner, event.competitor_id, event.likes) == ("own", None, 9)
