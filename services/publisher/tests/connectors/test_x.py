"""The X connector against a fake API v2 speaking its documented formats: media upload (with
processing and alt text), posts, replies, the user timeline, rate-limit headers, errors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import CredentialsRefused, OutcomeUnknown, Refused, RetryLater
from beacon_shared.testing.fake_networks import Clock, Faults, NoNetwork, form_parts
from publisher.connectors.base import Account, MediaFile, PublishContent
from publisher.connectors.rate_limits import RateLimitBook
from publisher.connectors.x import XConnector

HOST = "x.test"
BASE_URL = f"https://{HOST}"
TOKEN = "x-user-token"
USER_ID = "2244994945"

# A scripted answer, or None to answer as X would.
Answer = tuple[int, dict[str, Any], dict[str, str]] | None


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "type": "about:blank", "status": status, "detail": detail}


@dataclass
class FakeX:
    """Posts, media (GIFs take `processing_checks` status checks) and a timeline; answers
    scripted per route ("tweets", "upload", "metadata", "timeline")."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    processing_checks: int = 2
    status_checks: int = 0
    timeline: list[dict[str, Any]] = field(default_factory=list)
    timeline_queries: list[dict[str, str]] = field(default_factory=list)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    post_headers: dict[str, str] = field(default_factory=dict)
    requests: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        def refusal(request: Request, route: str) -> Response | None:
            self.requests += 1
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return JSONResponse(problem(401, "Unauthorized", "Unauthorized"), status_code=401)
            scripted = self.answers.get(route)
            answer = scripted.pop(0) if scripted else None
            if answer is None:
                return None
            status, body, headers = answer
            return JSONResponse(body, status_code=status, headers=headers)

        def media_json(media_id: str) -> dict[str, Any]:
            item = self.media[media_id]
            data: dict[str, Any] = {"id": media_id, "media_key": f"3_{media_id}"}
            if item["checks_left"] > 0:
                data["processing_info"] = {"state": "in_progress", "check_after_secs": 0}
            elif item["category"] == "tweet_gif":
                data["processing_info"] = {"state": "succeeded", "progress_percent": 100}
            return data

        @app.post("/2/media/upload")
        async def upload(request: Request) -> Response:
            if (refused := refusal(request, "upload")) is not None:
                return refused
            parts = form_parts(await request.body(), request.headers["content-type"])
            category = parts["media_category"][2].decode()
            media_id = str(1_880_000 + len(self.media))
            self.media[media_id] = {
                "name": parts["media"][0],
                "type": parts["media"][1],
                "data": parts["media"][2],
                "category": category,
                "checks_left": self.processing_checks if category == "tweet_gif" else 0,
            }
            return JSONResponse({"data": media_json(media_id)})

        @app.get("/2/media/upload")
        async def upload_status(request: Request) -> Response:
            if (refused := refusal(request, "upload_status")) is not None:
                return refused
            assert request.query_params["command"] == "STATUS"
            self.status_checks += 1
            media_id = request.query_params["media_id"]
            self.media[media_id]["checks_left"] -= 1
            return JSONResponse({"data": media_json(media_id)})

        @app.post("/2/media/metadata")
        async def metadata(request: Request) -> Response:
            if (refused := refusal(request, "metadata")) is not None:
                return refused
            body = await request.json()
            self.metadata.append(body)
            return JSONResponse({"data": {"id": body["id"], "associated_metadata": True}})

        @app.post("/2/tweets")
        async def create(request: Request) -> Response:
            if (refused := refusal(request, "tweets")) is not None:
                return refused
            body = await request.json()
            for media_id in body.get("media", {}).get("media_ids", []):
                if self.media[media_id]["checks_left"] > 0:
                    return JSONResponse(
                        problem(400, "Invalid Request", "Your media IDs are invalid."),
                        status_code=400,
                    )
            self.posts.append(body)
            post_id = f"19{len(self.posts):05d}"
            return JSONResponse(
                {
                    "data": {
                        "id": post_id,
                        "text": body["text"],
                        "edit_history_tweet_ids": [post_id],
                    }
                },
                status_code=201,
                headers=self.post_headers,
            )

        @app.get("/2/users/{user_id}/tweets")
        async def timeline(user_id: str, request: Request) -> Response:
            if (refused := refusal(request, "timeline")) is not None:
                return refused
            query = dict(request.query_params)
            self.timeline_queries.append(query)
            start = datetime.fromisoformat(query["start_time"].replace("Z", "+00:00"))
            matching = [
                t
                for t in self.timeline
                if user_id == USER_ID
                and datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")) >= start
            ]
            offset = int(query.get("pagination_token", "0"))
            size = int(query["max_results"])
            page = matching[offset : offset + size]
            meta: dict[str, Any] = {"result_count": len(page)}
            if page:
                meta |= {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
            if offset + size < len(matching):
                meta["next_token"] = str(offset + size)
            body: dict[str, Any] = {"meta": meta}
            if page:
                body["data"] = page
            return JSONResponse(body)

        return app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def x() -> FakeX:
    return FakeX()


@pytest.fixture
async def network(x: FakeX) -> AsyncIterator[tuple[httpx.AsyncClient, Faults]]:
    faults = Faults(x.app())
    client = httpx.AsyncClient(transport=NoNetwork(), mounts={f"all://{HOST}": faults}, timeout=5)
    yield client, faults
    await client.aclose()


@pytest.fixture
def faults(network) -> Faults:
    return network[1]


@pytest.fixture
def connector(network, clock) -> XConnector:
    return XConnector(network[0], RateLimitBook(), base_url=BASE_URL, app_id="app-1", clock=clock)


def brand(*, token: str = TOKEN, number: int = 1) -> Account:
    return Account(
        id=uuid.UUID(int=0xC0 + number),
        tenant_id="tenant-1",
        network=Network.x,
        external_account_id=USER_ID,
        handle="brand",
        instance_url=None,
        credentials={"access_token": token},
    )


def epoch(when: datetime) -> str:
    return str(int(when.timestamp()))


async def test_a_post_carries_the_text_with_its_link(connector, x):
    result = await connector.publish(
        brand(), PublishContent(text="Launch day!", link="https://example.com/?utm=x"), "k"
    )

    assert x.posts == [{"text": "Launch day! https://example.com/?utm=x"}]
    assert result.external_id == "1900001"
    assert result.url == "https://x.com/i/web/status/1900001"
    assert (result.first_comment_id, result.first_comment_error) == (None, None)


async def test_images_are_uploaded_with_alt_text_then_attached(connector, x):
    media = [
        MediaFile("https://cdn.test/launch/a.png", "image/png", b"png", alt_text="A red kite"),
        MediaFile("https://cdn.test/launch/b.gif", "image/gif", b"gif"),
    ]

    await connector.publish(brand(), PublishContent(text="Pictures", media=media), "k")

    assert [(m["name"], m["type"], m["data"], m["category"]) for m in x.media.values()] == [
        ("a.png", "image/png", b"png", "tweet_image"),
        ("b.gif", "image/gif", b"gif", "tweet_gif"),
    ]
    # The GIF was checked until processed, and only the image had alt text to set.
    assert x.status_checks == 2
    assert x.metadata == [{"id": "1880000", "metadata": {"alt_text": {"text": "A red kite"}}}]
    assert x.posts == [{"text": "Pictures", "media": {"media_ids": ["1880000", "1880001"]}}]


async def test_media_still_processing_after_the_checks_retry_later_and_post_nothing(
    network, clock, x
):
    connector = XConnector(
        network[0], RateLimitBook(), base_url=BASE_URL, media_poll_attempts=1, clock=clock
    )
    media = [MediaFile("https://cdn.test/b.gif", "image/gif", b"gif")]

    with pytest.raises(RetryLater, match="still processing media 1880000"):
        await connector.publish(brand(), PublishContent(text="GIF", media=media), "k")

    assert x.posts == []


async def test_media_x_could_not_process_is_refused(connector, x):
    x.answers["upload"] = [
        (200, {"data": {"id": "1880000", "processing_info": {"state": "failed"}}}, {})
    ]
    media = [MediaFile("https://cdn.test/b.gif", "image/gif", b"gif")]

    with pytest.raises(Refused, match=r"could not process media b\.gif"):
        await connector.publish(brand(), PublishContent(text="GIF", media=media), "k")

    assert x.posts == []


async def test_a_video_is_refused_before_any_request(connector, x):
    media = [MediaFile("https://cdn.test/v.mp4", "video/mp4", b"mp4")]

    with pytest.raises(Refused, match="videos are not supported"):
        await connector.publish(brand(), PublishContent(text="Clip", media=media), "k")

    assert x.requests == 0


async def test_a_429_waits_for_the_reset_and_the_next_call_is_refused_without_a_request(
    connector, x, clock
):
    reset = clock.at + timedelta(minutes=15)
    x.answers["tweets"] = [
        (
            429,
            problem(429, "Too Many Requests", "Too Many Requests"),
            {"x-rate-limit-remaining": "0", "x-rate-limit-reset": epoch(reset)},
        )
    ]

    with pytest.raises(RetryLater) as limited:
        await connector.publish(brand(), PublishContent(text="Hi"), "k")
    sent = x.requests
    with pytest.raises(RetryLater) as refused:
        await connector.publish(brand(), PublishContent(text="Hi"), "k")
    clock.at = reset
    await connector.publish(brand(), PublishContent(text="Hi"), "k")

    assert (limited.value.kind, limited.value.after) == ("rate_limited", reset)
    assert limited.value.reason == "x answered 429: Too Many Requests"
    assert refused.value.after == reset
    assert x.requests == sent + 1
    assert len(x.posts) == 1


@pytest.mark.parametrize(
    ("headers", "wait"),
    [({"retry-after": "90"}, timedelta(seconds=90)), ({}, timedelta(minutes=1))],
    ids=["retry-after", "nothing-said"],
)
async def test_a_429_without_window_headers_waits_retry_after_or_a_minute(
    connector, x, clock, headers, wait
):
    x.answers["tweets"] = [(429, problem(429, "Too Many Requests", "Too Many Requests"), headers)]

    with pytest.raises(RetryLater) as limited:
        await connector.publish(brand(), PublishContent(text="Hi"), "k")
    with pytest.raises(RetryLater) as refused:
        await connector.publish(brand(), PublishContent(text="Hi"), "k")

    assert limited.value.after == refused.value.after == clock.at + wait
    assert x.requests == 1


async def test_a_spent_24_hour_user_window_waits_for_its_own_reset(connector, x, clock):
    window_reset = clock.at + timedelta(minutes=15)
    day_reset = clock.at + timedelta(hours=20)
    x.answers["tweets"] = [
        (
            429,
            problem(429, "Too Many Requests", "Too Many Requests"),
            {
                "x-rate-limit-remaining": "50",
                "x-rate-limit-reset": epoch(window_reset),
                "x-user-limit-24hour-remaining": "0",
                "x-user-limit-24hour-reset": epoch(day_reset),
            },
        )
    ]

    with pytest.raises(RetryLater) as limited:
        await connector.publish(brand(), PublishContent(text="Hi"), "k")
    clock.at = window_reset
    with pytest.raises(RetryLater) as refused:
        await connector.publish(brand(), PublishContent(text="Hi"), "k")

    assert limited.value.after == day_reset
    assert refused.value.after == day_reset
    assert x.requests == 1


async def test_a_spent_app_window_refuses_every_account_of_the_app(connector, x, clock):
    day_reset = clock.at + timedelta(hours=3)
    x.post_headers = {
        "x-app-limit-24hour-remaining": "0",
        "x-app-limit-24hour-reset": epoch(day_reset),
    }

    await connector.publish(brand(number=1), PublishContent(text="Last of the day"), "k1")
    with pytest.raises(RetryLater) as refused:
        await connector.publish(brand(number=2), PublishContent(text="Another brand"), "k2")

    assert refused.value.after == day_reset
    assert len(x.posts) == 1


async def test_an_expired_or_revoked_token_is_credentials_refused(connector, x):
    with pytest.raises(CredentialsRefused, match="reconnect the account"):
        await connector.publish(brand(token="expired"), PublishContent(text="Hi"), "k")

    assert x.posts == []


@pytest.mark.parametrize(
    ("status", "raised"), [(500, RetryLater), (503, RetryLater), (504, OutcomeUnknown)]
)
async def test_server_errors_retry_later_except_a_gateway_timeout_on_the_post(
    connector, x, status, raised
):
    x.answers["tweets"] = [(status, problem(status, "Server Error", "Upstream trouble"), {})]

    with pytest.raises(raised, match=f"x answered {status}: Upstream trouble"):
        await connector.publish(brand(), PublishContent(text="Hi"), "k")


async def test_a_lost_answer_is_an_unknown_outcome(connector, x, faults):
    faults.script = ["lost"]

    with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
        await connector.publish(brand(), PublishContent(text="Hi"), "k")

    assert len(x.posts) == 1


async def test_a_lost_answer_to_a_media_upload_retries_later(connector, x, faults):
    faults.script = ["lost"]
    media = [MediaFile("https://cdn.test/a.png", "image/png", b"png")]

    with pytest.raises(RetryLater, match="ReadTimeout") as raised:
        await connector.publish(brand(), PublishContent(text="Hi", media=media), "k")

    assert raised.value.kind == "connection"
    assert x.posts == []


async def test_a_refused_connection_retries_later(connector, x, faults):
    faults.script = ["refused"]

    with pytest.raises(RetryLater) as raised:
        await connector.publish(brand(), PublishContent(text="Hi"), "k")

    assert raised.value.kind == "connection"
    assert x.requests == 0


async def test_a_success_without_an_id_is_an_unknown_outcome(connector, x):
    x.answers["tweets"] = [(201, {"data": {"text": "Hi"}}, {})]

    with pytest.raises(OutcomeUnknown, match="without its id"):
        await connector.publish(brand(), PublishContent(text="Hi"), "k")


async def test_duplicate_content_is_refused_with_that_reason(connector, x):
    x.answers["tweets"] = [
        (
            403,
            problem(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            ),
            {},
        )
    ]

    with pytest.raises(Refused, match=r"duplicate of a recent post: .*duplicate content"):
        await connector.publish(brand(), PublishContent(text="Hi"), "k")


async def test_another_403_is_refused_as_x_said(connector, x):
    x.answers["tweets"] = [
        (403, problem(403, "Forbidden", "You are not permitted to perform this action."), {})
    ]

    with pytest.raises(Refused, match="x answered 403: You are not permitted") as raised:
        await connector.publish(brand(), PublishContent(text="Hi"), "k")

    assert "duplicate" not in raised.value.reason


async def test_the_first_comment_is_a_reply_to_the_post(connector, x):
    result = await connector.publish(
        brand(), PublishContent(text="Launch", first_comment="Details below"), "k"
    )

    assert x.posts == [
        {"text": "Launch"},
        {"text": "Details below", "reply": {"in_reply_to_tweet_id": "1900001"}},
    ]
    assert (result.external_id, result.first_comment_id) == ("1900001", "1900002")


async def test_a_failed_first_comment_keeps_the_post_and_reports_why(connector, x):
    x.answers["tweets"] = [
        None,
        (403, problem(403, "Forbidden", "Reply to this conversation is not allowed"), {}),
    ]

    result = await connector.publish(
        brand(), PublishContent(text="Launch", first_comment="More"), "k"
    )

    assert result.external_id == "1900001"
    assert result.first_comment_id is None
    assert result.first_comment_error == (
        "x answered 403: Reply to this conversation is not allowed"
    )


async def test_recent_posts_are_the_posts_since_then_newest_first(connector, x, clock):
    now = clock.at
    x.timeline = [
        {
            "id": str(1_900_500 - n),
            "text": f"Post {n}",
            "created_at": (now - timedelta(minutes=n)).isoformat().replace("+00:00", ".000Z"),
            "edit_history_tweet_ids": [str(1_900_500 - n)],
        }
        for n in range(130)
    ]
    since = now - timedelta(minutes=119, seconds=30)

    posts = await connector.recent_posts(brand(), since)

    assert [p.text for p in posts] == [f"Post {n}" for n in range(120)]
    assert posts[0].external_id == "1900500"
    assert posts[0].url == "https://x.com/i/web/status/1900500"
    assert posts[0].created_at == now
    first, second = x.timeline_queries
    assert first == {
        "start_time": "2026-11-24T08:00:30Z",
        "tweet.fields": "created_at",
        "exclude": "replies,retweets",
        "max_results": "100",
    }
    assert second["pagination_token"] == "100"


async def test_recent_posts_of_a_quiet_account_are_empty(connector, x, clock):
    assert await connector.recent_posts(brand(), clock.at - timedelta(days=1)) == []
