"""The Facebook Page connector against a fake Graph API speaking its documented formats."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import (
    CredentialsRefused,
    NotFound,
    OutcomeUnknown,
    Refused,
    RetryLater,
)
from beacon_shared.testing.fake_networks import Clock, Faults, NoNetwork
from publisher.connectors.base import Account, MediaFile, PublishContent
from publisher.connectors.facebook import FacebookPageConnector
from publisher.connectors.rate_limits import RateLimitBook

HOST = "graph.test"
BASE = f"https://{HOST}"
VERSION = "v23.0"
TOKEN = "page-token"
PAGE = "1001"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

Answer = tuple[int, dict[str, Any], dict[str, str]]


def graph_error(code: int, message: str, *, subcode: int | None = None, **extra: Any) -> dict:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Ab1"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": {**error, **extra}}


EXPIRED = graph_error(190, "Error validating access token: Session has expired.", subcode=463)


@dataclass
class FakePage:
    """A Page's /feed, /photos, /comments and /posts edges; `answers[edge]` go first."""

    token: str = TOKEN
    posts: list[dict[str, Any]] = field(default_factory=list)
    unpublished: list[dict[str, str]] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # sent with every answer
    calls: list[str] = field(default_factory=list)
    page_size: int = 2
    next_base: str = f"{BASE}/{VERSION}"

    def app(self) -> FastAPI:
        app = FastAPI()

        def refusal(edge: str, request: Request) -> Response | None:
            self.calls.append(f"{request.method} {edge}")
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return JSONResponse(EXPIRED, status_code=400)
            if self.answers.get(edge):
                status, body, headers = self.answers[edge].pop(0)
                return JSONResponse(body, status_code=status, headers=headers)
            return None

        def answer(body: dict[str, Any]) -> Response:
            return JSONResponse(body, headers=self.headers)

        @app.post(f"/{VERSION}/{{node}}/{{edge}}")
        async def create(node: str, edge: str, request: Request) -> Response:
            if (refused := refusal(edge, request)) is not None:
                return refused
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            if edge == "comments":
                self.comments.append((node, form["message"]))
                return answer({"id": f"{node}_c{len(self.comments)}"})
            if edge == "photos" and form.get("published") == "false":
                self.unpublished.append(form)
                return answer({"id": f"photo-{len(self.unpublished)}"})
            post_id = f"{node}_{len(self.posts) + 1}"
            self.posts.append({"id": post_id, "edge": edge, **form})
            if edge == "photos":
                return answer({"id": f"photo-of-{post_id}", "post_id": post_id})
            return answer({"id": post_id})

        @app.get(f"/{VERSION}/{{node}}/posts")
        async def listing(node: str, request: Request) -> Response:
            if (refused := refusal("posts", request)) is not None:
                return refused
            query = request.query_params
            since = datetime.fromtimestamp(int(query["since"]), UTC)
            after = int(query.get("after", "0"))
            kept = [
                p
                for p in self.posts
                if "bad" in p or datetime.fromisoformat(p["created_time"]) >= since
            ]
            page = kept[after : after + self.page_size]
            body: dict[str, Any] = {"data": page}
            if after + self.page_size < len(kept):
                following = {**query, "after": str(after + self.page_size)}
                body["paging"] = {"next": f"{self.next_base}/{node}/posts?{urlencode(following)}"}
            return answer(body)

        return app


@dataclass
class Env:
    graph: FakePage
    faults: Faults
    clock: Clock
    limits: RateLimitBook
    connector: FacebookPageConnector


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    graph = FakePage()
    faults = Faults(graph.app())
    clock = Clock(NOW)
    limits = RateLimitBook()
    async with httpx.AsyncClient(
        transport=NoNetwork(), mounts={f"all://{HOST}": faults}, timeout=5
    ) as http:
        connector = FacebookPageConnector(http, limits, base_url=BASE, clock=clock)
        yield Env(graph, faults, clock, limits, connector)


def page(token: str = TOKEN, external_id: str = PAGE) -> Account:
    return Account(
        id=uuid.uuid4(),
        tenant_id="tenant-1",
        network=Network.facebook,
        external_account_id=external_id,
        handle="acme",
        instance_url=None,
        credentials={"page_access_token": token},
    )


def image(n: int, alt: str | None = None) -> MediaFile:
    return MediaFile(
        url=f"https://cdn.example/{n}.jpg", content_type="image/jpeg", data=b"jpg", alt_text=alt
    )


class TestPublishing:
    async def test_text_goes_to_the_feed_and_the_post_id_comes_back(self, env):
        result = await env.connector.publish(page(), PublishContent(text="Launch day!"), "k1")

        assert result.external_id == f"{PAGE}_1"
        assert result.url == f"https://www.facebook.com/{PAGE}_1"
        assert result.first_comment_id is None
        assert result.first_comment_error is None
        [post] = env.graph.posts
        assert (post["edge"], post["message"]) == ("feed", "Launch day!")
        assert "link" not in post

    async def test_a_link_is_sent_as_the_feed_link(self, env):
        content = PublishContent(text="Read this", link="https://acme.example/?utm_source=fb")

        await env.connector.publish(page(), content, "k1")

        [post] = env.graph.posts
        assert (post["message"], post["link"]) == (
            "Read this",
            "https://acme.example/?utm_source=fb",
        )

    async def test_one_image_is_published_through_photos_under_its_post_id(self, env):
        content = PublishContent(text="Look", media=[image(1, alt="A red kite")])

        result = await env.connector.publish(page(), content, "k1")

        [post] = env.graph.posts
        assert post["edge"] == "photos"
        assert (post["url"], post["message"]) == ("https://cdn.example/1.jpg", "Look")
        assert post["alt_text_custom"] == "A red kite"
        assert result.external_id == f"{PAGE}_1"  # the post's id, not the photo's
        assert env.graph.unpublished == []

    async def test_several_images_are_uploaded_unpublished_then_attached_to_one_post(self, env):
        content = PublishContent(
            text="Album", link="https://acme.example/a", media=[image(1), image(2)]
        )

        result = await env.connector.publish(page(), content, "k1")

        assert [u["url"] for u in env.graph.unpublished] == [
            "https://cdn.example/1.jpg",
            "https://cdn.example/2.jpg",
        ]
        assert all(u["published"] == "false" for u in env.graph.unpublished)
        [post] = env.graph.posts
        assert post["edge"] == "feed"
        assert json.loads(post["attached_media[0]"]) == {"media_fbid": "photo-1"}
        assert json.loads(post["attached_media[1]"]) == {"media_fbid": "photo-2"}
        assert post["message"] == "Album\n\nhttps://acme.example/a"
        assert result.external_id == f"{PAGE}_1"

    async def test_a_video_is_refused_before_any_request(self, env):
        video = MediaFile(url="https://cdn.example/v.mp4", content_type="video/mp4", data=b"v")

        with pytest.raises(Refused, match="videos"):
            await env.connector.publish(page(), PublishContent(text="x", media=[video]), "k1")

        assert env.graph.calls == []

    async def test_missing_credentials_are_refused_before_any_request(self, env):
        account = Account(
            id=uuid.uuid4(),
            tenant_id="t",
            network=Network.facebook,
            external_account_id=PAGE,
            handle=None,
            instance_url=None,
            credentials={},
        )

        with pytest.raises(Refused, match="page_access_token"):
            await env.connector.publish(account, PublishContent(text="x"), "k1")

        assert env.graph.calls == []


class TestFirstComment:
    async def test_the_first_comment_goes_under_the_new_post(self, env):
        content = PublishContent(text="Launch", first_comment="Link in bio")

        result = await env.connector.publish(page(), content, "k1")

        assert env.graph.comments == [(f"{PAGE}_1", "Link in bio")]
        assert result.first_comment_id == f"{PAGE}_1_c1"
        assert result.first_comment_error is None

    async def test_a_failed_first_comment_leaves_the_post_published(self, env):
        env.graph.answers["comments"] = [(403, graph_error(200, "Permissions error"), {})]
        content = PublishContent(text="Launch", first_comment="Link in bio")

        result = await env.connector.publish(page(), content, "k1")

        assert result.external_id == f"{PAGE}_1"
        assert result.first_comment_id is None
        assert "code 200" in result.first_comment_error
        assert "Permissions error" in result.first_comment_error
        assert len(env.graph.posts) == 1


class TestRateLimits:
    async def test_a_throttled_page_waits_the_time_graph_gives_without_calling_again(self, env):
        usage = {PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 2}]}
        env.graph.answers["feed"] = [
            (
                400,
                graph_error(80001, "There have been too many calls to this Page account."),
                {"X-Business-Use-Case-Usage": json.dumps(usage)},
            )
        ]
        account = page()

        with pytest.raises(RetryLater) as first:
            await env.connector.publish(account, PublishContent(text="x"), "k1")
        env.clock.advance(60)
        with pytest.raises(RetryLater) as early:
            await env.connector.publish(account, PublishContent(text="x"), "k1")
        calls_while_blocked = len(env.graph.calls)
        env.clock.advance(61)
        result = await env.connector.publish(account, PublishContent(text="x"), "k1")

        assert first.value.kind == "rate_limited"
        assert first.value.after == NOW + timedelta(minutes=2)
        assert "code 80001" in first.value.reason
        assert early.value.after == NOW + timedelta(minutes=2)
        assert "nothing was sent" in early.value.reason
        assert calls_while_blocked == 1
        assert result.external_id == f"{PAGE}_1"

    async def test_an_app_at_its_limit_holds_back_every_page_until_the_default_wait(self, env):
        env.graph.headers = {
            "X-App-Usage": json.dumps({"call_count": 100, "total_time": 20, "total_cputime": 9})
        }

        await env.connector.publish(page(), PublishContent(text="x"), "k1")
        with pytest.raises(RetryLater) as other_page:
            await env.connector.publish(page(external_id="2002"), PublishContent(text="y"), "k2")

        assert other_page.value.after == NOW + timedelta(minutes=15)
        assert len(env.graph.calls) == 1

    async def test_usage_below_the_limit_blocks_nothing(self, env):
        env.graph.headers = {
            "X-App-Usage": json.dumps({"call_count": 99, "total_time": 20, "total_cputime": 9}),
            "X-Business-Use-Case-Usage": json.dumps(
                {PAGE: [{"type": "pages", "call_count": 40, "estimated_time_to_regain_access": 0}]}
            ),
        }
        account = page()

        await env.connector.publish(account, PublishContent(text="x"), "k1")
        await env.connector.publish(account, PublishContent(text="y"), "k2")

        assert len(env.graph.posts) == 2

    async def test_an_app_throttle_without_usage_headers_waits_the_default(self, env):
        env.graph.answers["feed"] = [(400, graph_error(4, "Application request limit reached"), {})]

        with pytest.raises(RetryLater) as refused:
            await env.connector.publish(page(), PublishContent(text="x"), "k1")
        with pytest.raises(RetryLater):
            await env.connector.publish(page(external_id="2002"), PublishContent(text="y"), "k2")

        assert refused.value.after == NOW + timedelta(minutes=15)
        assert len(env.graph.calls) == 1


class TestFailures:
    async def test_an_expired_token_asks_for_reconnection(self, env):
        with pytest.raises(CredentialsRefused, match="reconnect the account"):
            await env.connector.publish(page(token="expired"), PublishContent(text="x"), "k1")

        assert env.graph.posts == []

    @pytest.mark.parametrize(
        ("status", "body"),
        [
            (500, graph_error(2, "Service temporarily unavailable", is_transient=True)),
            (500, graph_error(1, "An unknown error occurred")),
            (503, {}),
        ],
    )
    async def test_server_errors_are_retried(self, env, status, body):
        env.graph.answers["feed"] = [(status, body, {})]

        with pytest.raises(RetryLater) as refused:
            await env.connector.publish(page(), PublishContent(text="x"), "k1")

        assert refused.value.kind == "server_error"
        assert refused.value.reason.startswith(f"facebook answered {status}")

    async def test_a_504_on_the_post_leaves_its_outcome_unknown(self, env):
        env.graph.answers["feed"] = [(504, {}, {})]

        with pytest.raises(OutcomeUnknown, match="facebook answered 504"):
            await env.connector.publish(page(), PublishContent(text="x"), "k1")

    async def test_a_504_on_an_unpublished_upload_is_retried(self, env):
        env.graph.answers["photos"] = [(504, {}, {})]
        content = PublishContent(text="x", media=[image(1), image(2)])

        with pytest.raises(RetryLater):
            await env.connector.publish(page(), content, "k1")

        assert env.graph.posts == []

    async def test_a_post_whose_answer_is_lost_has_an_unknown_outcome(self, env):
        env.faults.script = ["lost"]

        with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
            await env.connector.publish(page(), PublishContent(text="x"), "k1")

        assert len(env.graph.posts) == 1  # Graph published it; the answer never came

    async def test_a_lost_answer_to_an_unpublished_upload_is_retried(self, env):
        env.faults.script = ["lost"]
        content = PublishContent(text="x", media=[image(1), image(2)])

        with pytest.raises(RetryLater) as refused:
            await env.connector.publish(page(), content, "k1")

        assert refused.value.kind == "connection"
        assert env.graph.posts == []

    async def test_a_refused_connection_is_retried_and_sends_nothing(self, env):
        env.faults.script = ["refused"]

        with pytest.raises(RetryLater) as refused:
            await env.connector.publish(page(), PublishContent(text="x"), "k1")

        assert refused.value.kind == "connection"
        assert env.graph.calls == []

    async def test_a_success_without_an_id_leaves_the_outcome_unknown(self, env):
        env.graph.answers["feed"] = [(200, {"success": True}, {})]

        with pytest.raises(OutcomeUnknown, match="without an id"):
            await env.connector.publish(page(), PublishContent(text="x"), "k1")

    @pytest.mark.parametrize(
        ("code", "message", "expected"),
        [
            (200, "Permissions error", "lacks a permission"),
            (10, "Application does not have permission for this action", "lacks a permission"),
            (100, "Invalid parameter", "Invalid parameter"),
            (368, "The action attempted has been deemed abusive", "deemed abusive"),
        ],
    )
    async def test_permission_validation_and_policy_errors_are_refused(
        self, env, code, message, expected
    ):
        env.graph.answers["feed"] = [(400, graph_error(code, message), {})]

        with pytest.raises(Refused) as refused:
            await env.connector.publish(page(), PublishContent(text="x"), "k1")

        assert not isinstance(refused.value, NotFound)
        assert f"code {code}" in refused.value.reason
        assert expected in refused.value.reason


class TestRecentPosts:
    async def test_posts_since_a_time_are_listed_newest_first_across_pages(self, env):
        env.graph.posts = [
            {
                "id": f"{PAGE}_5",
                "message": "Newest",
                "created_time": "2026-11-24T11:00:00+0000",
                "permalink_url": "https://www.facebook.com/acme/posts/5",
            },
            {"id": f"{PAGE}_4", "created_time": "2026-11-24T10:00:00+0000"},  # photo, no message
            {"id": f"{PAGE}_3", "message": "broken", "bad": True, "created_time": "yesterday"},
            {
                "id": f"{PAGE}_2",
                "message": "Oldest kept",
                "created_time": "2026-11-24T09:00:00+0000",
            },
            {"id": f"{PAGE}_1", "message": "Too old", "created_time": "2026-11-23T09:00:00+0000"},
        ]

        posts = await env.connector.recent_posts(page(), NOW - timedelta(hours=3))

        assert [(p.external_id, p.text) for p in posts] == [
            (f"{PAGE}_5", "Newest"),
            (f"{PAGE}_4", ""),
            (f"{PAGE}_2", "Oldest kept"),
        ]
        assert posts[0].created_at == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
        assert posts[0].url == "https://www.facebook.com/acme/posts/5"
        assert posts[1].url is None
        assert env.graph.calls == ["GET posts", "GET posts"]

    async def test_a_next_page_elsewhere_is_not_followed(self, env):
        env.graph.next_base = "https://elsewhere.test/v23.0"
        env.graph.posts = [
            {"id": f"{PAGE}_{n}", "message": str(n), "created_time": "2026-11-24T11:00:00+0000"}
            for n in range(3)
        ]

        posts = await env.connector.recent_posts(page(), NOW - timedelta(hours=3))

        assert len(posts) == 2  # the first page; NoNetwork would fail a request elsewhere

    async def test_an_expired_token_fails_the_listing(self, env):
        with pytest.raises(CredentialsRefused):
            await env.connector.recent_posts(page(token="old"), NOW - timedelta(hours=3))
