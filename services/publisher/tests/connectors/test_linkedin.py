"""The LinkedIn connector against a fake REST API speaking the Posts and Images formats."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import CredentialsRefused, OutcomeUnknown, Refused, RetryLater
from beacon_shared.testing.fake_networks import Clock, Faults, NoNetwork
from publisher.connectors.base import Account, MediaFile, PublishContent
from publisher.connectors.linkedin import LinkedInConnector, little_text, plain_text
from publisher.connectors.rate_limits import RateLimitBook

HOST = "linkedin.test"
BASE = f"https://{HOST}"
TOKEN = "li-token"
AUTHOR = "urn:li:organization:123"
VERSION = "202607"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

Answer = tuple[int, dict[str, Any], dict[str, str]]

REVOKED = {
    "status": 401,
    "serviceErrorCode": 65601,
    "code": "REVOKED_ACCESS_TOKEN",
    "message": "The token used in the request has been revoked by the user",
}


@dataclass
class FakeLinkedIn:
    """Posts, images and comments of the versioned REST API; `answers[name]` go first."""

    token: str = TOKEN
    version: str = VERSION
    initialized: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[tuple[str, str, bytes]] = field(default_factory=list)  # (image, type, bytes)
    posts: list[dict[str, Any]] = field(default_factory=list)
    comments: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    elements: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    finder_queries: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        def refusal(name: str, request: Request, *, rest: bool = True) -> Response | None:
            self.calls.append(name)
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return JSONResponse(REVOKED, status_code=401)
            if rest and (
                request.headers.get("linkedin-version") != self.version
                or request.headers.get("x-restli-protocol-version") != "2.0.0"
            ):
                return JSONResponse({"status": 426, "message": "bad version"}, status_code=426)
            if self.answers.get(name):
                status, body, headers = self.answers[name].pop(0)
                return JSONResponse(body, status_code=status, headers=headers)
            return None

        @app.post("/rest/images")
        async def initialize(request: Request) -> Response:
            if (refused := refusal("images", request)) is not None:
                return refused
            assert request.query_params["action"] == "initializeUpload"
            self.initialized.append(await request.json())
            n = len(self.initialized)
            return JSONResponse(
                {
                    "value": {
                        "uploadUrlExpiresAt": 1764000000000,
                        "uploadUrl": f"{BASE}/dms-uploads/{n}?ca=vector_feedshare",
                        "image": f"urn:li:image:C{n}",
                    }
                }
            )

        @app.put("/dms-uploads/{n}")
        async def upload(n: str, request: Request) -> Response:
            if (refused := refusal("upload", request, rest=False)) is not None:
                return refused
            kind = request.headers.get("content-type", "")
            self.uploads.append((f"urn:li:image:C{n}", kind, await request.body()))
            return Response(status_code=201)

        @app.post("/rest/posts")
        async def create_post(request: Request) -> Response:
            if (refused := refusal("posts", request)) is not None:
                return refused
            urn = f"urn:li:share:{7000 + len(self.posts) + 1}"
            self.posts.append({"id": urn, **(await request.json())})
            return Response(status_code=201, headers={"x-restli-id": urn})

        @app.post("/rest/socialActions/{urn}/comments")
        async def comment(urn: str, request: Request) -> Response:
            if (refused := refusal("comments", request)) is not None:
                return refused
            self.comments.append((urn, await request.json()))
            comment_urn = f"urn:li:comment:({urn},{len(self.comments)})"
            return JSONResponse({"$URN": comment_urn, "id": str(len(self.comments))}, 201)

        @app.get("/rest/posts")
        async def finder(request: Request) -> Response:
            if (refused := refusal("list", request)) is not None:
                return refused
            query = dict(request.query_params)
            self.finder_queries.append({**query, "method": request.headers["x-restli-method"]})
            start, count = int(query["start"]), int(query["count"])
            page = self.elements[start : start + count]
            return JSONResponse({"elements": page, "paging": {"start": start, "count": count}})

        return app


@dataclass
class Env:
    linkedin: FakeLinkedIn
    faults: Faults
    clock: Clock
    limits: RateLimitBook
    connector: LinkedInConnector


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    linkedin = FakeLinkedIn()
    faults = Faults(linkedin.app())
    clock = Clock(NOW)
    limits = RateLimitBook()
    async with httpx.AsyncClient(
        transport=NoNetwork(), mounts={f"all://{HOST}": faults}, timeout=5
    ) as http:
        connector = LinkedInConnector(http, limits, base_url=BASE, version=VERSION, clock=clock)
        yield Env(linkedin, faults, clock, limits, connector)


def member(token: str = TOKEN) -> Account:
    return Account(
        id=uuid.uuid4(),
        tenant_id="tenant-1",
        network=Network.linkedin,
        external_account_id=AUTHOR,
        handle=None,
        instance_url=None,
        credentials={"access_token": token},
    )


def image(n: int, alt: str | None = None) -> MediaFile:
    return MediaFile(
        url=f"https://cdn.example/{n}.png",
        content_type="image/png",
        data=b"png%d" % n,
        alt_text=alt,
    )


class TestLittleText:
    def test_every_reserved_character_is_escaped(self):
        assert little_text(r"a(b)c[d]e{f}g<h>i@j|k~l_m*n\o") == (
            r"a\(b\)c\[d\]e\{f\}g\<h\>i\@j\|k\~l\_m\*n\\o"
        )

    def test_hashtags_stay_hashtags_and_a_lone_hash_is_escaped(self):
        assert little_text("#launch day, room # 4, C# and #2026") == (
            r"#launch day, room \# 4, C\# and #2026"
        )

    def test_plain_text_is_left_alone(self):
        text = "Hello, world! It's 50% off: https://acme.example/sale?x=1&y=2"
        assert little_text(text) == text

    @pytest.mark.parametrize(
        "text", ["(a) [b] {c} <d> @e |f| ~g~ _h_ *i* \\j #k C#", "\\#not a tag", "\\\\", ""]
    )
    def test_escaping_round_trips(self, text):
        assert plain_text(little_text(text)) == text


class TestPublishing:
    async def test_text_is_posted_with_the_documented_body_and_headers(self, env):
        result = await env.connector.publish(
            member(), PublishContent(text="Hiring (remote) #jobs"), "k1"
        )

        [post] = env.linkedin.posts
        assert post == {
            "id": "urn:li:share:7001",
            "author": AUTHOR,
            "commentary": r"Hiring \(remote\) #jobs",
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        assert result.external_id == "urn:li:share:7001"
        assert result.url == "https://www.linkedin.com/feed/update/urn:li:share:7001/"

    async def test_a_link_becomes_an_article(self, env):
        content = PublishContent(text="Our report", link="https://www.acme.example/r?utm_source=li")

        await env.connector.publish(member(), content, "k1")

        [post] = env.linkedin.posts
        assert post["content"] == {
            "article": {
                "source": "https://www.acme.example/r?utm_source=li",
                "title": "acme.example",
            }
        }
        assert post["commentary"] == "Our report"

    async def test_an_image_is_uploaded_for_the_author_then_posted(self, env):
        content = PublishContent(
            text="Team", link="https://acme.example/t", media=[image(1, alt="The team")]
        )

        await env.connector.publish(member(), content, "k1")

        assert env.linkedin.initialized == [{"initializeUploadRequest": {"owner": AUTHOR}}]
        assert env.linkedin.uploads == [("urn:li:image:C1", "image/png", b"png1")]
        [post] = env.linkedin.posts
        assert post["content"] == {"media": {"id": "urn:li:image:C1", "altText": "The team"}}
        assert post["commentary"] == "Team\n\nhttps://acme.example/t"
        assert env.linkedin.calls == ["images", "upload", "posts"]

    async def test_several_images_become_a_multi_image_post(self, env):
        content = PublishContent(text="Gallery", media=[image(1), image(2, alt="Two")])

        await env.connector.publish(member(), content, "k1")

        [post] = env.linkedin.posts
        assert post["content"] == {
            "multiImage": {
                "images": [{"id": "urn:li:image:C1"}, {"id": "urn:li:image:C2", "altText": "Two"}]
            }
        }
        assert [u[0] for u in env.linkedin.uploads] == ["urn:li:image:C1", "urn:li:image:C2"]

    async def test_a_video_is_refused_before_any_request(self, env):
        clip = MediaFile(url="https://cdn.example/v.mp4", content_type="video/mp4", data=b"v")

        with pytest.raises(Refused, match="video/mp4"):
            await env.connector.publish(member(), PublishContent(text="x", media=[clip]), "k1")

        assert env.linkedin.calls == []

    async def test_the_version_header_is_a_constructor_option(self, env):
        env.linkedin.version = "202611"
        async with httpx.AsyncClient(
            transport=NoNetwork(), mounts={f"all://{HOST}": env.faults}
        ) as http:
            connector = LinkedInConnector(http, env.limits, base_url=BASE, version="202611")
            result = await connector.publish(member(), PublishContent(text="x"), "k1")

        assert result.external_id == "urn:li:share:7001"

    def test_a_version_not_in_linkedins_format_is_rejected(self, env):
        with pytest.raises(ValueError, match="YYYYMM"):
            LinkedInConnector(httpx.AsyncClient(), RateLimitBook(), version="v2")


class TestFirstComment:
    async def test_the_first_comment_goes_under_the_post_as_the_author(self, env):
        content = PublishContent(text="Launch", first_comment="Details: https://acme.example")

        result = await env.connector.publish(member(), content, "k1")

        assert env.linkedin.comments == [
            (
                "urn:li:share:7001",
                {
                    "actor": AUTHOR,
                    "object": "urn:li:share:7001",
                    "message": {"text": "Details: https://acme.example"},
                },
            )
        ]
        assert result.first_comment_id == "urn:li:comment:(urn:li:share:7001,1)"
        assert result.first_comment_error is None

    async def test_a_failed_first_comment_leaves_the_post_published(self, env):
        env.linkedin.answers["comments"] = [
            (403, {"status": 403, "message": "Not enough permissions"}, {})
        ]
        content = PublishContent(text="Launch", first_comment="More soon")

        result = await env.connector.publish(member(), content, "k1")

        assert result.external_id == "urn:li:share:7001"
        assert result.first_comment_id is None
        assert result.first_comment_error == "linkedin answered 403: Not enough permissions"


class TestRateLimits:
    async def test_a_429_holds_the_account_back_an_hour_without_calling(self, env):
        env.linkedin.answers["posts"] = [(429, {"status": 429, "message": "Too many requests"}, {})]
        account = member()

        with pytest.raises(RetryLater) as limited:
            await env.connector.publish(account, PublishContent(text="x"), "k1")
        env.clock.advance(59 * 60)
        with pytest.raises(RetryLater) as early:
            await env.connector.publish(account, PublishContent(text="x"), "k1")
        calls_while_blocked = list(env.linkedin.calls)
        env.clock.advance(60)
        result = await env.connector.publish(account, PublishContent(text="x"), "k1")

        assert limited.value.kind == "rate_limited"
        assert limited.value.after == NOW + timedelta(hours=1)
        assert "Too many requests" in limited.value.reason
        assert early.value.after == NOW + timedelta(hours=1)
        assert calls_while_blocked == ["posts"]
        assert result.external_id == "urn:li:share:7001"

    async def test_near_midnight_utc_a_429_waits_only_for_the_daily_reset(self, env):
        env.clock.at = datetime(2026, 11, 24, 23, 40, tzinfo=UTC)
        env.linkedin.answers["posts"] = [(429, {}, {})]

        with pytest.raises(RetryLater) as limited:
            await env.connector.publish(member(), PublishContent(text="x"), "k1")

        assert limited.value.after == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)

    async def test_a_retry_after_header_is_honoured(self, env):
        env.linkedin.answers["images"] = [(429, {}, {"Retry-After": "120"})]

        with pytest.raises(RetryLater) as limited:
            await env.connector.publish(member(), PublishContent(text="x", media=[image(1)]), "k")

        assert limited.value.after == NOW + timedelta(minutes=2)


class TestFailures:
    async def test_a_revoked_token_asks_for_reconnection(self, env):
        with pytest.raises(CredentialsRefused, match="reconnect the account"):
            await env.connector.publish(member(token="revoked"), PublishContent(text="x"), "k1")

    @pytest.mark.parametrize("status", [500, 502, 503])
    async def test_server_errors_are_retried(self, env, status):
        env.linkedin.answers["posts"] = [(status, {"message": "Internal Server Error"}, {})]

        with pytest.raises(RetryLater) as refused:
            await env.connector.publish(member(), PublishContent(text="x"), "k1")

        assert refused.value.kind == "server_error"
        assert env.linkedin.posts == []

    async def test_a_504_on_the_post_leaves_its_outcome_unknown(self, env):
        env.linkedin.answers["posts"] = [(504, {}, {})]

        with pytest.raises(OutcomeUnknown, match="linkedin answered 504"):
            await env.connector.publish(member(), PublishContent(text="x"), "k1")

    async def test_a_504_on_an_image_upload_is_retried(self, env):
        env.linkedin.answers["images"] = [(504, {}, {})]

        with pytest.raises(RetryLater):
            await env.connector.publish(member(), PublishContent(text="x", media=[image(1)]), "k")

    async def test_a_post_whose_answer_is_lost_has_an_unknown_outcome(self, env):
        env.faults.script = ["lost"]

        with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
            await env.connector.publish(member(), PublishContent(text="x"), "k1")

        assert len(env.linkedin.posts) == 1

    async def test_a_lost_answer_to_the_image_bytes_is_retried(self, env):
        env.faults.script = ["ok", "lost"]

        with pytest.raises(RetryLater) as refused:
            await env.connector.publish(member(), PublishContent(text="x", media=[image(1)]), "k")

        assert refused.value.kind == "connection"
        assert env.linkedin.posts == []

    async def test_a_refused_connection_is_retried_and_sends_nothing(self, env):
        env.faults.script = ["refused"]

        with pytest.raises(RetryLater) as refused:
            await env.connector.publish(member(), PublishContent(text="x"), "k1")

        assert refused.value.kind == "connection"
        assert env.linkedin.calls == []

    async def test_a_created_answer_without_the_post_id_leaves_the_outcome_unknown(self, env):
        env.linkedin.answers["posts"] = [(201, {}, {})]

        with pytest.raises(OutcomeUnknown, match="x-restli-id"):
            await env.connector.publish(member(), PublishContent(text="x"), "k1")

    async def test_an_upload_answer_without_its_url_is_retried(self, env):
        env.linkedin.answers["images"] = [(200, {"value": {"image": "urn:li:image:C1"}}, {})]

        with pytest.raises(RetryLater, match="uploadUrl"):
            await env.connector.publish(member(), PublishContent(text="x", media=[image(1)]), "k")

        assert env.linkedin.calls == ["images"]

    async def test_a_validation_error_is_refused_with_linkedins_message(self, env):
        env.linkedin.answers["posts"] = [
            (422, {"status": 422, "message": "ERROR :: /commentary :: is too long"}, {})
        ]

        with pytest.raises(Refused, match="commentary :: is too long"):
            await env.connector.publish(member(), PublishContent(text="x"), "k1")


class TestRecentPosts:
    async def test_posts_since_a_time_are_listed_newest_first_in_plain_text(self, env):
        def at(hours_ago: float) -> int:
            return int((NOW - timedelta(hours=hours_ago)).timestamp() * 1000)

        env.linkedin.elements = [
            {"id": f"urn:li:share:{n}", "commentary": f"Post {n} \\(draft\\)", "createdAt": at(n)}
            for n in range(1, 51)
        ] + [{"id": "urn:li:share:x"}, {"id": "urn:li:share:99", "createdAt": at(99)}]

        posts = await env.connector.recent_posts(member(), NOW - timedelta(hours=2.5))

        assert [(p.external_id, p.text) for p in posts] == [
            ("urn:li:share:1", "Post 1 (draft)"),
            ("urn:li:share:2", "Post 2 (draft)"),
        ]
        assert posts[0].created_at == NOW - timedelta(hours=1)
        assert posts[0].url == "https://www.linkedin.com/feed/update/urn:li:share:1/"
        assert env.linkedin.finder_queries == [
            {
                "q": "author",
                "author": AUTHOR,
                "count": "50",
                "start": "0",
                "sortBy": "CREATED",
                "method": "FINDER",
            }
        ]

    async def test_a_full_page_of_recent_posts_is_followed_by_the_next(self, env):
        recent = int((NOW - timedelta(minutes=5)).timestamp() * 1000)
        env.linkedin.elements = [
            {"id": f"urn:li:share:{n}", "commentary": "", "createdAt": recent - n}
            for n in range(60)
        ]

        posts = await env.connector.recent_posts(member(), NOW - timedelta(hours=1))

        assert len(posts) == 60
        assert [q["start"] for q in env.linkedin.finder_queries] == ["0", "50"]
