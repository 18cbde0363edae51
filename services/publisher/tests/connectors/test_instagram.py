"""The Instagram connector against a fake Graph API speaking the content publishing formats."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import CredentialsRefused, OutcomeUnknown, Refused, RetryLater
from beacon_shared.testing.fake_networks import Clock, Faults, NoNetwork
from publisher.connectors.base import Account, MediaFile, PublishContent
from publisher.connectors.instagram import InstagramConnector, PublishOutcomeUnknown
from publisher.connectors.rate_limits import RateLimitBook

HOST = "graph.test"
BASE = f"https://{HOST}"
VERSION = "v23.0"
TOKEN = "ig-token"
IG_USER = "17841400000000001"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

Answer = tuple[int, dict[str, Any], dict[str, str]]


def graph_error(code: int, message: str, *, subcode: int | None = None) -> dict:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


EXPIRED = graph_error(190, "Error validating access token: Session has expired.", subcode=463)


@dataclass
class FakeInstagram:
    """An Instagram user's containers, publishing quota, media and comments.

    Each new container answers `statuses` to successive status checks (the last repeats);
    `answers[name]` go first, by edge name or "status" for container and media reads."""

    token: str = TOKEN
    quota_usage: int = 0
    quota_total: int = 100
    statuses: list[str] = field(default_factory=lambda: ["FINISHED"])
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    published: list[dict[str, str]] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        def refusal(name: str, request: Request) -> Response | None:
            self.calls.append(f"{request.method} {name}")
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return JSONResponse(EXPIRED, status_code=400)
            if self.answers.get(name):
                status, body, headers = self.answers[name].pop(0)
                return JSONResponse(body, status_code=status, headers=headers)
            return None

        @app.get(f"/{VERSION}/{{node}}/content_publishing_limit")
        async def quota(node: str, request: Request) -> Response:
            if (refused := refusal("content_publishing_limit", request)) is not None:
                return refused
            config = {"quota_total": self.quota_total, "quota_duration": 86400}
            return JSONResponse({"data": [{"quota_usage": self.quota_usage, "config": config}]})

        @app.get(f"/{VERSION}/{{node}}/media")
        async def listing(node: str, request: Request) -> Response:
            if (refused := refusal("media", request)) is not None:
                return refused
            since = datetime.fromtimestamp(int(request.query_params["since"]), UTC)
            kept = [
                m
                for m in self.media
                if "bad" in m or datetime.fromisoformat(m["timestamp"]) >= since
            ]
            return JSONResponse({"data": kept})

        @app.get(f"/{VERSION}/{{node}}")
        async def read(node: str, request: Request) -> Response:
            if (refused := refusal("status", request)) is not None:
                return refused
            if node in self.containers:
                container = self.containers[node]
                statuses = container["statuses"]
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                body = {"id": node, "status_code": status}
                if status == "ERROR":
                    body["status"] = "Error: 2207026"
                return JSONResponse(body)
            return JSONResponse({"id": node, "permalink": f"https://www.instagram.com/p/{node}/"})

        @app.post(f"/{VERSION}/{{node}}/{{edge}}")
        async def create(node: str, edge: str, request: Request) -> Response:
            if (refused := refusal(edge, request)) is not None:
                return refused
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            if edge == "media":
                container_id = f"c{len(self.containers) + 1}"
                self.containers[container_id] = {"form": form, "statuses": list(self.statuses)}
                return JSONResponse({"id": container_id})
            if edge == "media_publish":
                container = self.containers[form["creation_id"]]
                container["statuses"] = ["PUBLISHED"]
                media_id = f"m{len(self.published) + 1}"
                self.published.append({"id": media_id, "container": form["creation_id"]})
                return JSONResponse({"id": media_id})
            self.comments.append((node, form["message"]))
            return JSONResponse({"id": f"{node}-comment"})

        return app


@dataclass
class Env:
    graph: FakeInstagram
    faults: Faults
    clock: Clock
    limits: RateLimitBook
    sleeps: list[float]
    http: httpx.AsyncClient

    def connector(self, **options: Any) -> InstagramConnector:
        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        return InstagramConnector(
            self.http, self.limits, base_url=BASE, clock=self.clock, sleep=sleep, **options
        )


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    graph = FakeInstagram()
    faults = Faults(graph.app())
    async with httpx.AsyncClient(
        transport=NoNetwork(), mounts={f"all://{HOST}": faults}, timeout=5
    ) as http:
        yield Env(graph, faults, Clock(NOW), RateLimitBook(), [], http)


def ig_account(token: str = TOKEN) -> Account:
    return Account(
        id=uuid.uuid4(),
        tenant_id="tenant-1",
        network=Network.instagram,
        external_account_id=IG_USER,
        handle="acme",
        instance_url=None,
        credentials={"access_token": token},
    )


def image(n: int, alt: str | None = None) -> MediaFile:
    return MediaFile(
        url=f"https://cdn.example/{n}.jpg", content_type="image/jpeg", data=b"j", alt_text=alt
    )


def video(n: int) -> MediaFile:
    return MediaFile(url=f"https://cdn.example/{n}.mp4", content_type="video/mp4", data=b"v")


PHOTO = PublishContent(text="Sunrise", media=[image(1)])


class TestPublishing:
    async def test_an_image_is_checked_against_the_quota_contained_and_published(self, env):
        content = PublishContent(
            text="Sunrise", link="https://acme.example/s", media=[image(1, alt="A sunrise")]
        )

        result = await env.connector().publish(ig_account(), content, "k1")

        assert env.graph.calls == [
            "GET content_publishing_limit",
            "POST media",
            "GET status",
            "POST media_publish",
            "GET status",
        ]
        form = env.graph.containers["c1"]["form"]
        assert form == {
            "image_url": "https://cdn.example/1.jpg",
            "caption": "Sunrise\n\nhttps://acme.example/s",
            "alt_text": "A sunrise",
        }
        assert env.graph.published == [{"id": "m1", "container": "c1"}]
        assert result.external_id == "m1"
        assert result.url == "https://www.instagram.com/p/m1/"
        assert env.sleeps == []

    async def test_a_video_is_published_as_a_reel_once_processing_finishes(self, env):
        env.graph.statuses = ["IN_PROGRESS", "IN_PROGRESS", "FINISHED"]
        connector = env.connector(status_poll_interval=timedelta(seconds=7))

        result = await connector.publish(
            ig_account(), PublishContent(text="Clip", media=[video(1)]), "k1"
        )

        form = env.graph.containers["c1"]["form"]
        assert form == {
            "media_type": "REELS",
            "video_url": "https://cdn.example/1.mp4",
            "caption": "Clip",
        }
        assert env.sleeps == [7.0, 7.0]
        assert result.external_id == "m1"

    async def test_several_items_become_a_carousel_of_ready_children(self, env):
        content = PublishContent(text="Album", media=[image(1), video(2), image(3)])

        result = await env.connector().publish(ig_account(), content, "k1")

        children = [env.graph.containers[c]["form"] for c in ("c1", "c2", "c3")]
        assert children == [
            {"image_url": "https://cdn.example/1.jpg", "is_carousel_item": "true"},
            {
                "media_type": "VIDEO",
                "video_url": "https://cdn.example/2.mp4",
                "is_carousel_item": "true",
            },
            {"image_url": "https://cdn.example/3.jpg", "is_carousel_item": "true"},
        ]
        assert env.graph.containers["c4"]["form"] == {
            "media_type": "CAROUSEL",
            "children": "c1,c2,c3",
            "caption": "Album",
        }
        # The video child is checked before the carousel is made; then the carousel itself.
        assert env.graph.calls[1:7] == [
            "POST media",
            "POST media",
            "GET status",
            "POST media",
            "POST media",
            "GET status",
        ]
        assert env.graph.published == [{"id": "m1", "container": "c4"}]
        assert result.external_id == "m1"

    async def test_a_post_without_media_is_refused_before_any_request(self, env):
        with pytest.raises(Refused, match="needs at least one image or video"):
            await env.connector().publish(ig_account(), PublishContent(text="Just words"), "k1")

        assert env.graph.calls == []

    async def test_media_that_is_neither_image_nor_video_is_refused(self, env):
        pdf = MediaFile(url="https://cdn.example/a.pdf", content_type="application/pdf", data=b"")

        with pytest.raises(Refused, match="application/pdf"):
            await env.connector().publish(ig_account(), PublishContent(text="x", media=[pdf]), "k")

        assert env.graph.calls == []

    async def test_a_missing_permalink_does_not_fail_the_published_post(self, env):
        env.graph.answers["status"] = [(200, {"id": "c1", "status_code": "FINISHED"}, {})]
        env.graph.answers["status"].append((500, graph_error(2, "Service unavailable"), {}))

        result = await env.connector().publish(ig_account(), PHOTO, "k1")

        assert (result.external_id, result.url) == ("m1", None)


class TestQuota:
    async def test_a_spent_quota_publishes_nothing_and_waits_an_hour_between_checks(self, env):
        env.graph.quota_usage = 100
        account = ig_account()
        connector = env.connector()

        with pytest.raises(RetryLater) as spent:
            await connector.publish(account, PHOTO, "k1")
        env.clock.advance(30 * 60)
        with pytest.raises(RetryLater) as early:
            await connector.publish(account, PHOTO, "k1")
        calls_while_spent = list(env.graph.calls)
        env.clock.advance(30 * 60)
        env.graph.quota_usage = 99
        result = await connector.publish(account, PHOTO, "k1")

        assert spent.value.kind == "rate_limited"
        assert spent.value.after == NOW + timedelta(hours=1)
        assert "100 of 100" in spent.value.reason
        assert early.value.after == NOW + timedelta(hours=1)
        assert calls_while_spent == ["GET content_publishing_limit"]
        assert result.external_id == "m1"
        assert len(env.graph.containers) == 1

    async def test_the_publishing_limit_error_is_a_rate_limit(self, env):
        env.graph.answers["media_publish"] = [
            (
                400,
                graph_error(9, "Application request limit reached", subcode=2207042),
                {"Retry-After": "600"},
            )
        ]

        with pytest.raises(RetryLater) as refused:
            await env.connector().publish(ig_account(), PHOTO, "k1")

        assert refused.value.kind == "rate_limited"
        assert refused.value.after == NOW + timedelta(minutes=10)

    async def test_a_throttled_account_is_not_called_until_access_returns(self, env):
        usage = {
            IG_USER: [
                {"type": "instagram", "call_count": 100, "estimated_time_to_regain_access": 5}
            ]
        }
        env.graph.answers["content_publishing_limit"] = [
            (
                400,
                graph_error(80002, "There have been too many calls to this Instagram account."),
                {"X-Business-Use-Case-Usage": json.dumps(usage)},
            )
        ]
        account = ig_account()
        connector = env.connector()

        with pytest.raises(RetryLater) as first:
            await connector.publish(account, PHOTO, "k1")
        with pytest.raises(RetryLater):
            await connector.publish(account, PHOTO, "k1")

        assert first.value.after == NOW + timedelta(minutes=5)
        assert env.graph.calls == ["GET content_publishing_limit"]


class TestContainers:
    @pytest.mark.parametrize("status", ["ERROR", "EXPIRED"])
    async def test_a_failed_container_is_refused_and_never_published(self, env, status):
        env.graph.statuses = ["IN_PROGRESS", status]

        with pytest.raises(Refused, match=status):
            await env.connector().publish(ig_account(), PHOTO, "k1")

        assert env.graph.published == []

    async def test_an_error_carries_instagrams_status_detail(self, env):
        env.graph.statuses = ["ERROR"]

        with pytest.raises(Refused, match="2207026"):
            await env.connector().publish(ig_account(), PHOTO, "k1")

    async def test_processing_that_outlasts_the_polls_is_retried_later(self, env):
        env.graph.statuses = ["IN_PROGRESS"]

        with pytest.raises(RetryLater, match="still processing") as refused:
            await env.connector(status_polls=3).publish(ig_account(), PHOTO, "k1")

        assert refused.value.kind == "server_error"
        assert env.graph.calls.count("GET status") == 3
        assert env.sleeps == [10.0, 10.0]
        assert env.graph.published == []

    async def test_a_lost_answer_to_a_container_is_retried(self, env):
        env.faults.script = ["ok", "lost"]

        with pytest.raises(RetryLater) as refused:
            await env.connector().publish(ig_account(), PHOTO, "k1")

        assert refused.value.kind == "connection"
        assert env.graph.published == []

    async def test_a_server_error_creating_a_container_is_retried(self, env):
        env.graph.answers["media"] = [(502, {}, {})]

        with pytest.raises(RetryLater):
            await env.connector().publish(ig_account(), PHOTO, "k1")


class TestPublishStep:
    async def test_a_lost_publish_answer_is_unknown_and_the_container_tells(self, env):
        env.faults.script = ["ok", "ok", "ok", "lost"]
        account = ig_account()
        connector = env.connector()

        with pytest.raises(PublishOutcomeUnknown) as unknown:
            await connector.publish(account, PHOTO, "k1")

        assert unknown.value.container_id == "c1"
        assert "ReadTimeout" in unknown.value.reason
        assert await connector.container_published(account, "c1") is True

    async def test_an_unpublished_container_says_so(self, env):
        env.graph.containers["c9"] = {"form": {}, "statuses": ["FINISHED"]}

        assert await env.connector().container_published(ig_account(), "c9") is False

    async def test_a_504_on_publish_leaves_the_outcome_unknown(self, env):
        env.graph.answers["media_publish"] = [(504, {}, {})]

        with pytest.raises(OutcomeUnknown, match="instagram answered 504"):
            await env.connector().publish(ig_account(), PHOTO, "k1")

    async def test_a_publish_answer_without_an_id_leaves_the_outcome_unknown(self, env):
        env.graph.answers["media_publish"] = [(200, {}, {})]

        with pytest.raises(PublishOutcomeUnknown, match="without an id") as unknown:
            await env.connector().publish(ig_account(), PHOTO, "k1")

        assert unknown.value.container_id == "c1"

    async def test_an_expired_token_asks_for_reconnection(self, env):
        with pytest.raises(CredentialsRefused):
            await env.connector().publish(ig_account(token="expired"), PHOTO, "k1")

    async def test_a_refused_connection_is_retried(self, env):
        env.faults.script = ["refused"]

        with pytest.raises(RetryLater) as refused:
            await env.connector().publish(ig_account(), PHOTO, "k1")

        assert refused.value.kind == "connection"
        assert env.graph.calls == []


class TestFirstComment:
    async def test_the_first_comment_goes_under_the_published_media(self, env):
        content = PublishContent(text="x", media=[image(1)], first_comment="#sunrise #sky")

        result = await env.connector().publish(ig_account(), content, "k1")

        assert env.graph.comments == [("m1", "#sunrise #sky")]
        assert (result.first_comment_id, result.first_comment_error) == ("m1-comment", None)

    async def test_a_failed_first_comment_leaves_the_post_published(self, env):
        env.faults.script = ["ok"] * 5 + ["lost"]
        content = PublishContent(text="x", media=[image(1)], first_comment="#sunrise")

        result = await env.connector().publish(ig_account(), content, "k1")

        assert result.external_id == "m1"
        assert result.first_comment_id is None
        assert "ReadTimeout" in result.first_comment_error


class TestRecentPosts:
    async def test_media_since_a_time_are_listed_newest_first(self, env):
        env.graph.media = [
            {
                "id": "m3",
                "caption": "Newest",
                "timestamp": "2026-11-24T11:30:00+0000",
                "permalink": "https://www.instagram.com/p/AbC/",
            },
            {"id": "m9", "bad": True, "timestamp": "not a time"},
            {"id": "m2", "timestamp": "2026-11-24T10:00:00+0000"},
            {"id": "m1", "caption": "Old", "timestamp": "2026-11-20T10:00:00+0000"},
        ]

        posts = await env.connector().recent_posts(ig_account(), NOW - timedelta(hours=2))

        assert [(p.external_id, p.text, p.url) for p in posts] == [
            ("m3", "Newest", "https://www.instagram.com/p/AbC/"),
            ("m2", "", None),
        ]
        assert posts[1].created_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
