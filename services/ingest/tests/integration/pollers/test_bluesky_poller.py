"""The Bluesky poller against a fake PDS speaking XRPC createSession and listNotifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from beacon_shared.contracts.common import Network

pytestmark = pytest.mark.integration

SERVICE = "https://pds.example"
IDENTIFIER = "brand.example.com"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
POST = "at://did:plc:brand/app.bsky.feed.post/3kbrandpost"


def notification(n: int, reason: str) -> dict[str, Any]:
    author = {
        "did": f"did:plc:fan{n}",
        "handle": f"fan{n}.bsky.social",
        "displayName": f"Fan {n}",
    }
    indexed = f"2026-11-24T10:{n % 60:02d}:00.000Z"
    collection = {
        "like": "app.bsky.feed.like",
        "repost": "app.bsky.feed.repost",
        "follow": "app.bsky.graph.follow",
    }.get(reason, "app.bsky.feed.post")
    record: dict[str, Any] = {"$type": collection, "createdAt": indexed}
    if reason in ("reply", "mention", "quote"):
        record["text"] = f"hey @brand.example.com number {n} 🎉"
    if reason == "reply":
        record["reply"] = {
            "root": {"uri": POST, "cid": "bafyroot"},
            "parent": {"uri": POST, "cid": "bafyroot"},
        }
    if reason in ("like", "repost"):
        record["subject"] = {"uri": POST, "cid": "bafyroot"}
    return {
        "uri": f"at://did:plc:fan{n}/{collection}/3k{n}",
        "cid": f"bafy{n}",
        "author": author,
        "reason": reason,
        **({"reasonSubject": POST} if reason in ("like", "repost", "quote") else {}),
        "record": record,
        "isRead": False,
        "indexedAt": indexed,
    }


@dataclass
class FakePds:
    """A PDS's session and notification endpoints, with switchable failures."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    page_size: int | None = None
    fail_with: int | None = None
    malformed: bool = False
    ratelimit_reset: str = "0"
    ratelimit_remaining: int = 2999
    sessions: int = 0
    refreshes: int = 0
    valid_jwt: str | None = None
    valid_refresh: str | None = None
    password: str = APP_PASSWORD
    listings: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/xrpc/com.atproto.server.createSession")
        async def create_session(request: Request) -> Response:
            body = await request.json()
            if body != {"identifier": IDENTIFIER, "password": self.password}:
                return JSONResponse(
                    {
                        "error": "AuthenticationRequired",
                        "message": "Invalid identifier or password",
                    },
                    status_code=401,
                )
            self.sessions += 1
            self.valid_jwt = f"jwt-{self.sessions}"
            self.valid_refresh = f"refresh-{self.sessions}"
            return self._session()

        @app.post("/xrpc/com.atproto.server.refreshSession")
        async def refresh_session(request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {self.valid_refresh}":
                return JSONResponse(
                    {"error": "ExpiredToken", "message": "Token has expired"}, status_code=400
                )
            self.refreshes += 1
            self.valid_jwt = f"jwt-refreshed-{self.refreshes}"
            self.valid_refresh = f"refresh-refreshed-{self.refreshes}"
            return self._session()

        @app.get("/xrpc/app.bsky.notification.listNotifications")
        async def list_notifications(request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {self.valid_jwt}":
                return JSONResponse(
                    {"error": "ExpiredToken", "message": "Token has expired"}, status_code=400
                )
            self.listings.append(dict(request.query_params))
            if self.fail_with == 429:
                return JSONResponse(
                    {"error": "RateLimitExceeded"},
                    status_code=429,
                    headers={"ratelimit-remaining": "0", "ratelimit-reset": self.ratelimit_reset},
                )
            if self.fail_with is not None:
                return JSONResponse({"error": "InternalServerError"}, status_code=self.fail_with)
            if self.malformed:
                return Response('{"notifications": [', media_type="application/json")
            newest_first = sorted(self.notifications, key=lambda n: n["indexedAt"], reverse=True)
            start = int(request.query_params.get("cursor", "0"))
            size = self.page_size or int(request.query_params.get("limit", "50"))
            page = newest_first[start : start + size]
            body: dict[str, Any] = {"notifications": page}
            if start + size < len(newest_first):
                body["cursor"] = str(start + size)
            headers = {
                "ratelimit-limit": "3000",
                "ratelimit-remaining": str(self.ratelimit_remaining),
                "ratelimit-reset": self.ratelimit_reset,
                "ratelimit-policy": "3000;w=300",
            }
            return JSONResponse(body, headers=headers)

        return app

    def _session(self) -> JSONResponse:
        return JSONResponse(
            {
                "did": "did:plc:brand",
                "handle": IDENTIFIER,
                "accessJwt": self.valid_jwt,
                "refreshJwt": self.valid_refresh,
            }
        )


@pytest.fixture
def pds() -> FakePds:
    return FakePds()


@pytest.fixture
async def polled(connect):
    return await connect(
        Network.bluesky,
        {"service": SERVICE, "identifier": IDENTIFIER, "app_password": APP_PASSWORD},
    )


async def test_first_poll_stores_each_notification_once_and_saves_the_cursor(
    pds, polled, runner_for, stored, account_state
):
    reasons = ["reply", "mention", "quote", "like", "repost", "follow"]
    pds.notifications = [notification(n, reason) for n, reason in enumerate(reasons, start=1)]
    runner = runner_for(pds.app())

    outcome = await runner.poll_account(polled)

    rows = {row.raw["reason"]: row for row in await stored(polled.tenant_id)}
    assert (outcome.outcome, outcome.stored) == ("stored", 6)
    assert {reason: row.kind for reason, row in rows.items()} == {
        "reply": "reply",
        "mention": "mention",
        "quote": "mention",
        "like": "reaction",
        "repost": "share",
        "follow": "follow",
    }
    reply = rows["reply"]
    assert reply.external_id == "at://did:plc:fan1/app.bsky.feed.post/3k1"
    assert reply.parent_external_id == POST
    assert reply.thread_external_id == POST
    assert reply.text == "hey @brand.example.com number 1 🎉"
    assert reply.author_id == "did:plc:fan1"
    assert reply.author_handle == "fan1.bsky.social"
    assert reply.author_name == "Fan 1"
    assert rows["like"].parent_external_id == POST
    assert (await account_state(polled)).poll_cursor == "2026-11-24T10:06:00.000Z"
    assert pds.sessions == 1


async def test_next_poll_pages_back_to_the_cursor_and_stores_only_new_ones(
    pds, polled, runner_for, stored, account_state, clock
):
    pds.page_size = 2
    pds.notifications = [notification(n, "like") for n in (1, 2)]
    runner = runner_for(pds.app())
    await runner.poll_account(polled)
    pds.notifications += [notification(n, "mention") for n in (3, 4, 5)]

    clock.advance(30)  # one interval: an account is polled at most once per interval
    second = await runner.poll_account(polled)
    clock.advance(30)
    third = await runner.poll_account(polled)

    assert [listing.get("cursor") for listing in pds.listings] == [None, None, "2", None]
    assert (second.stored, second.duplicates) == (3, 0)
    assert (third.stored, third.duplicates) == (0, 0)
    assert len(await stored(polled.tenant_id)) == 5
    assert (await account_state(polled)).poll_cursor == "2026-11-24T10:05:00.000Z"
    assert pds.sessions == 1


async def test_a_repeated_answer_stores_no_duplicates(
    pds, polled, runner_for, stored, sessionmaker, clock
):
    pds.notifications = [notification(1, "reply"), notification(2, "repost")]
    runner = runner_for(pds.app())
    await runner.poll_account(polled)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE ingest.connected_account SET poll_cursor = NULL WHERE id = :id"),
            {"id": polled.id},
        )
    clock.advance(30)  # one interval: an account is polled at most once per interval
    again = await runner.poll_account(polled)

    assert (again.stored, again.duplicates) == (0, 2)
    assert len(await stored(polled.tenant_id)) == 2


async def test_429_skips_the_account_until_ratelimit_reset(
    pds, polled, runner_for, clock, account_state
):
    pds.fail_with = 429
    pds.ratelimit_reset = str(int(clock.at.timestamp()) + 90)
    runner = runner_for(pds.app())

    limited = await runner.poll_account(polled)
    clock.advance(89)
    still = await runner.poll_account(polled)
    pds.fail_with = None
    clock.advance(2)
    resumed = await runner.poll_account(polled)

    assert limited.outcome == "rate_limited"
    assert still.outcome == "resting"
    assert resumed.outcome == "stored"
    assert len(pds.listings) == 2


async def test_server_errors_back_off_and_keep_the_cursor(
    pds, polled, runner_for, clock, account_state
):
    pds.notifications = [notification(1, "mention")]
    runner = runner_for(pds.app())
    await runner.poll_account(polled)
    pds.notifications.append(notification(2, "mention"))
    pds.fail_with = 500
    clock.advance(30)  # one interval: an account is polled at most once per interval
    failed = await runner.poll_account(polled)
    clock.advance(30)
    resting = await runner.poll_account(polled)

    assert failed.outcome == "failed"
    assert resting.outcome == "resting"
    assert (await account_state(polled)).poll_cursor == "2026-11-24T10:01:00.000Z"


async def test_malformed_json_is_counted_and_keeps_the_cursor(
    pds, polled, runner_for, account_state
):
    pds.malformed = True
    runner = runner_for(pds.app())

    outcome = await runner.poll_account(polled)

    assert (outcome.outcome, outcome.malformed) == ("malformed", 1)
    assert (await account_state(polled)).poll_cursor is None


async def test_an_expired_access_token_is_refreshed_without_a_new_login(
    pds, polled, runner_for, stored, clock
):
    pds.notifications = [notification(1, "mention")]
    runner = runner_for(pds.app())
    await runner.poll_account(polled)
    pds.valid_jwt = "rotated"  # the PDS no longer accepts the first access token
    pds.notifications.append(notification(2, "mention"))
    clock.advance(30)

    outcome = await runner.poll_account(polled)

    assert (outcome.outcome, outcome.stored) == ("stored", 1)
    assert (pds.sessions, pds.refreshes) == (1, 1)


async def test_a_refused_refresh_token_falls_back_to_one_new_login(
    pds, polled, runner_for, stored, clock
):
    pds.notifications = [notification(1, "mention")]
    runner = runner_for(pds.app())
    await runner.poll_account(polled)
    pds.valid_jwt = "rotated"
    pds.valid_refresh = "revoked"  # neither token the poller holds is accepted any more
    pds.notifications.append(notification(2, "mention"))
    clock.advance(30)

    outcome = await runner.poll_account(polled)

    assert (outcome.outcome, outcome.stored) == ("stored", 1)
    assert (pds.sessions, pds.refreshes) == (2, 0)


async def test_a_revoked_app_password_marks_an_own_account_needs_reauth(
    pds, connect, runner_for, account_state
):
    # Connected through ingest's API before the registry: no refresh to wait for.
    own = await connect(
        Network.bluesky,
        {"service": SERVICE, "identifier": IDENTIFIER, "app_password": APP_PASSWORD},
        legacy=True,
    )
    pds.password = "revoked"
    runner = runner_for(pds.app())

    outcome = await runner.poll_account(own)

    assert outcome.outcome == "needs_reauth"
    assert (await account_state(own)).status == "needs_reauth"


async def test_a_spent_quota_rests_the_account_until_ratelimit_reset(
    pds, polled, runner_for, clock
):
    pds.notifications = [notification(1, "mention")]
    pds.ratelimit_remaining = 0
    pds.ratelimit_reset = str(int(clock.at.timestamp()) + 60)
    runner = runner_for(pds.app())

    first = await runner.poll_account(polled)
    clock.advance(30)
    resting = await runner.poll_account(polled)
    clock.advance(31)
    resumed = await runner.poll_account(polled)

    assert (first.outcome, first.stored) == ("stored", 1)
    assert resting.outcome == "resting"
    assert resumed.outcome == "stored"
    assert len(pds.listings) == 2
