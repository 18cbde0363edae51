"""The Mastodon connector against a fake instance speaking the documented REST API: statuses
(deduped by Idempotency-Key), media (processed in the background), rate-limit headers, errors."""

from __future__ import annotations

import html
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import CredentialsRefused, OutcomeUnknown, Refused, RetryLater
from beacon_shared.testing.fake_networks import Clock, Faults, NoNetwork, form_parts
from publisher.connectors.base import Account, MediaFile, PublishContent
from publisher.connectors.mastodon import MastodonConnector, first_comment_key, status_text
from publisher.connectors.rate_limits import RateLimitBook

HOST = "mastodon.test"
BASE_URL = f"https://{HOST}"
TOKEN = "mastodon-token"
ACCOUNT_ID = "109000001"

# A scripted answer, or None to answer as the instance would.
Answer = tuple[int, dict[str, Any], dict[str, str]] | None


@dataclass
class FakeInstance:
    """Statuses deduped by Idempotency-Key as Mastodon does, media that take `processing_checks`
    checks to process, and answers scripted per route ("statuses", "media", "media_status",
    "timeline")."""

    statuses: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: list[str | None] = field(default_factory=list)
    forms: list[dict[str, list[str]]] = field(default_factory=list)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    processing_checks: int = 0
    polls: int = 0
    timeline: list[dict[str, Any]] = field(default_factory=list)
    timeline_queries: list[dict[str, str]] = field(default_factory=list)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    rate_headers: dict[str, str] = field(default_factory=dict)
    requests: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        def refusal(request: Request, route: str) -> Response | None:
            self.requests += 1
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return JSONResponse({"error": "The access token is invalid"}, status_code=401)
            scripted = self.answers.get(route)
            answer = scripted.pop(0) if scripted else None
            if answer is None:
                return None
            status, body, headers = answer
            return JSONResponse(body, status_code=status, headers=headers)

        @app.post("/api/v2/media")
        async def upload(request: Request) -> Response:
            if (refused := refusal(request, "media")) is not None:
                return refused
            parts = form_parts(await request.body(), request.headers["content-type"])
            name, content_type, data = parts["file"]
            media_id = str(len(self.media) + 700)
            description = parts["description"][2].decode() if "description" in parts else None
            processing = self.processing_checks > 0
            self.media[media_id] = {
                "id": media_id,
                "type": "image",
                "url": None if processing else f"{BASE_URL}/media/{media_id}.png",
                "description": description,
                "file_name": name,
                "content_type": content_type,
                "data": data,
                "checks_left": self.processing_checks,
            }
            return JSONResponse(self._media_json(media_id), status_code=202 if processing else 200)

        @app.get("/api/v1/media/{media_id}")
        async def media_status(media_id: str, request: Request) -> Response:
            if (refused := refusal(request, "media_status")) is not None:
                return refused
            self.polls += 1
            item = self.media[media_id]
            if item["checks_left"] > 1:
                item["checks_left"] -= 1
                return JSONResponse(self._media_json(media_id), status_code=206)
            item["url"] = f"{BASE_URL}/media/{media_id}.png"
            return JSONResponse(self._media_json(media_id))

        @app.post("/api/v1/statuses")
        async def post_status(request: Request) -> Response:
            if (refused := refusal(request, "statuses")) is not None:
                return refused
            key = request.headers.get("idempotency-key")
            self.keys.append(key)
            if key in self.by_key:
                return JSONResponse(self.by_key[key], headers=self.rate_headers)
            form = parse_qs((await request.body()).decode())
            self.forms.append(form)
            media_ids = form.get("media_ids[]", [])
            if any(self.media[m]["url"] is None for m in media_ids):
                return JSONResponse(
                    {"error": "Cannot attach files that have not finished processing"},
                    status_code=422,
                )
            status_id = f"1133{len(self.statuses):04d}"
            status = {
                "id": status_id,
                "created_at": "2026-11-24T10:00:00.000Z",
                "in_reply_to_id": form.get("in_reply_to_id", [None])[0],
                "url": f"{BASE_URL}/@brand/{status_id}",
                "uri": f"{BASE_URL}/users/brand/statuses/{status_id}",
                "content": f"<p>{html.escape(form['status'][0])}</p>",
                "media_attachments": [self._media_json(m) for m in media_ids],
            }
            self.statuses.append(status)
            if key is not None:
                self.by_key[key] = status
            return JSONResponse(status, headers=self.rate_headers)

        @app.get("/api/v1/accounts/{account_id}/statuses")
        async def account_statuses(account_id: str, request: Request) -> Response:
            if (refused := refusal(request, "timeline")) is not None:
                return refused
            query = dict(request.query_params)
            self.timeline_queries.append(query)
            page = [s for s in self.timeline if account_id == ACCOUNT_ID]
            if "max_id" in query:
                page = [s for s in page if int(s["id"]) < int(query["max_id"])]
            return JSONResponse(page[: int(query.get("limit", "20"))])

        return app

    def _media_json(self, media_id: str) -> dict[str, Any]:
        item = self.media[media_id]
        return {k: item[k] for k in ("id", "type", "url", "description")}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def instance() -> FakeInstance:
    return FakeInstance()


@pytest.fixture
async def network(instance: FakeInstance) -> AsyncIterator[tuple[httpx.AsyncClient, Faults]]:
    faults = Faults(instance.app())
    client = httpx.AsyncClient(transport=NoNetwork(), mounts={f"all://{HOST}": faults}, timeout=5)
    yield client, faults
    await client.aclose()


@pytest.fixture
def book() -> RateLimitBook:
    return RateLimitBook()


@pytest.fixture
def connector(network, book, clock) -> MastodonConnector:
    client, _ = network
    return MastodonConnector(
        client, book, media_poll_interval=0, media_poll_attempts=3, clock=clock
    )


@pytest.fixture
def faults(network) -> Faults:
    return network[1]


def brand(*, token: str = TOKEN, instance_url: str | None = BASE_URL) -> Account:
    return Account(
        id=uuid.UUID("00000000-0000-0000-0000-00000000000a"),
        tenant_id="tenant-1",
        network=Network.mastodon,
        external_account_id=ACCOUNT_ID,
        handle="brand@mastodon.test",
        instance_url=instance_url,
        credentials={"access_token": token},
    )


def image(name: str, alt: str | None = None) -> MediaFile:
    return MediaFile(
        url=f"https://cdn.example.com/launch/{name}",
        content_type="image/png",
        data=b"\x89PNG" + name.encode(),
        alt_text=alt,
    )


async def test_a_status_carries_the_text_with_its_link_and_the_idempotency_key(connector, instance):
    result = await connector.publish(
        brand(), PublishContent(text="Launch day!", link="https://example.com/l?utm=1"), "key-1"
    )

    assert instance.keys == ["key-1"]
    assert instance.forms[0]["status"] == ["Launch day! https://example.com/l?utm=1"]
    assert result.external_id == "11330000"
    assert result.url == f"{BASE_URL}/@brand/11330000"
    assert result.first_comment_id is None
    assert result.first_comment_error is None


async def test_a_link_already_in_the_text_is_not_added_again(connector, instance):
    await connector.publish(
        brand(),
        PublishContent(text="Read https://example.com/a now", link="https://example.com/a"),
        "key-1",
    )

    assert instance.forms[0]["status"] == ["Read https://example.com/a now"]


async def test_media_are_uploaded_with_their_alt_text_then_attached_to_the_status(
    connector, instance
):
    content = PublishContent(
        text="Two pictures", media=[image("one.png", "A red kite"), image("two.png")]
    )

    await connector.publish(brand(), content, "key-1")

    uploaded = list(instance.media.values())
    assert [(m["file_name"], m["description"], m["data"]) for m in uploaded] == [
        ("one.png", "A red kite", b"\x89PNGone.png"),
        ("two.png", None, b"\x89PNGtwo.png"),
    ]
    assert instance.forms[0]["media_ids[]"] == [m["id"] for m in uploaded]
    assert [a["id"] for a in instance.statuses[0]["media_attachments"]] == ["700", "701"]


async def test_media_still_processing_are_checked_until_they_have_a_url(connector, instance):
    instance.processing_checks = 3

    result = await connector.publish(
        brand(), PublishContent(text="Video", media=[image("clip.png")]), "key-1"
    )

    assert instance.polls == 3
    assert result.external_id == "11330000"
    assert instance.forms[0]["media_ids[]"] == ["700"]


async def test_media_that_never_finish_processing_retry_later_and_post_nothing(connector, instance):
    instance.processing_checks = 10

    with pytest.raises(RetryLater, match="still processing media 700") as raised:
        await connector.publish(brand(), PublishContent(text="Video", media=[image("a.png")]), "k")

    assert raised.value.kind == "server_error"
    assert instance.polls == 3
    assert instance.statuses == []


async def test_a_resend_under_the_same_key_returns_the_first_status(connector, instance):
    content = PublishContent(text="Once only")

    first = await connector.publish(brand(), content, "key-1")
    again = await connector.publish(brand(), content, "key-1")

    assert again.external_id == first.external_id
    assert len(instance.statuses) == 1
    assert instance.keys == ["key-1", "key-1"]


async def test_a_lost_answer_is_an_unknown_outcome_and_its_resend_finds_the_status(
    connector, instance, faults
):
    faults.script = ["lost"]

    with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
        await connector.publish(brand(), PublishContent(text="Launch"), "key-1")
    resent = await connector.publish(brand(), PublishContent(text="Launch"), "key-1")

    assert len(instance.statuses) == 1
    assert resent.external_id == instance.statuses[0]["id"]


async def test_a_429_waits_for_the_reset_and_the_next_call_is_refused_without_a_request(
    connector, instance, clock
):
    reset = clock.at + timedelta(minutes=5)
    instance.answers["statuses"] = [
        (
            429,
            {"error": "Too many requests"},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset.isoformat()},
        )
    ]

    with pytest.raises(RetryLater) as limited:
        await connector.publish(brand(), PublishContent(text="Launch"), "key-1")
    sent = instance.requests
    with pytest.raises(RetryLater) as refused:
        await connector.publish(brand(), PublishContent(text="Launch"), "key-1")
    clock.at = reset
    result = await connector.publish(brand(), PublishContent(text="Launch"), "key-1")

    assert (limited.value.kind, limited.value.after) == ("rate_limited", reset)
    assert limited.value.reason == "mastodon answered 429: Too many requests"
    assert (refused.value.kind, refused.value.after) == ("rate_limited", reset)
    assert instance.requests == sent + 1
    assert result.external_id == "11330000"


async def test_a_spent_window_on_a_success_refuses_the_next_status_until_its_reset(
    connector, instance, clock
):
    reset = clock.at + timedelta(minutes=2)
    instance.rate_headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset.isoformat()}

    await connector.publish(brand(), PublishContent(text="First"), "key-1")
    with pytest.raises(RetryLater) as refused:
        await connector.publish(brand(), PublishContent(text="Second"), "key-2")

    assert refused.value.after == reset
    assert instance.keys == ["key-1"]


async def test_a_revoked_token_is_credentials_refused(connector, instance):
    with pytest.raises(CredentialsRefused, match="reconnect the account"):
        await connector.publish(brand(token="revoked"), PublishContent(text="Hi"), "key-1")

    assert instance.statuses == []


@pytest.mark.parametrize(
    ("status", "raised"),
    [(500, RetryLater), (502, RetryLater), (503, RetryLater), (504, OutcomeUnknown)],
)
async def test_server_errors_retry_later_except_a_gateway_timeout_on_the_status(
    connector, instance, status, raised
):
    instance.answers["statuses"] = [(status, {"error": "upstream trouble"}, {})]

    with pytest.raises(raised, match=f"mastodon answered {status}: upstream trouble"):
        await connector.publish(brand(), PublishContent(text="Hi"), "key-1")


async def test_a_gateway_timeout_on_a_media_upload_retries_later(connector, instance):
    instance.answers["media"] = [(504, {"error": "Gateway Timeout"}, {})]

    with pytest.raises(RetryLater):
        await connector.publish(brand(), PublishContent(text="Hi", media=[image("a.png")]), "k")

    assert instance.statuses == []


async def test_a_refused_connection_retries_later_with_nothing_sent(connector, instance, faults):
    faults.script = ["refused"]

    with pytest.raises(RetryLater) as raised:
        await connector.publish(brand(), PublishContent(text="Hi"), "key-1")

    assert raised.value.kind == "connection"
    assert instance.requests == 0


async def test_a_success_without_an_id_is_an_unknown_outcome(connector, instance):
    instance.answers["statuses"] = [(200, {"content": "<p>Hi</p>"}, {})]

    with pytest.raises(OutcomeUnknown, match="without its id"):
        await connector.publish(brand(), PublishContent(text="Hi"), "key-1")


async def test_a_validation_refusal_is_refused_with_the_instances_reason(connector, instance):
    instance.answers["statuses"] = [
        (422, {"error": "Validation failed: Text character limit of 500 exceeded"}, {})
    ]

    with pytest.raises(Refused, match="character limit of 500 exceeded"):
        await connector.publish(brand(), PublishContent(text="Hi"), "key-1")


async def test_an_account_without_an_instance_is_refused_before_any_request(connector, instance):
    with pytest.raises(Refused, match="no instance URL"):
        await connector.publish(brand(instance_url=None), PublishContent(text="Hi"), "key-1")

    assert instance.requests == 0


async def test_the_first_comment_is_a_reply_under_its_own_derived_key(connector, instance):
    result = await connector.publish(
        brand(), PublishContent(text="Launch", first_comment="Details in the thread"), "key-1"
    )

    post, reply = instance.statuses
    assert reply["in_reply_to_id"] == post["id"]
    assert reply["content"] == "<p>Details in the thread</p>"
    assert instance.keys == ["key-1", first_comment_key("key-1")]
    assert first_comment_key("key-1") != "key-1"
    assert (result.external_id, result.first_comment_id) == (post["id"], reply["id"])
    assert result.first_comment_error is None


async def test_a_failed_first_comment_keeps_the_post_and_reports_why(connector, instance):
    # The status goes out as usual, then the reply is refused.
    instance.answers["statuses"] = [None, (422, {"error": "Validation failed"}, {})]

    result = await connector.publish(
        brand(), PublishContent(text="Launch", first_comment="More"), "key-1"
    )

    assert len(instance.statuses) == 1
    assert result.external_id == instance.statuses[0]["id"]
    assert result.first_comment_id is None
    assert result.first_comment_error == "mastodon answered 422: Validation failed"


def timeline_status(n: int, created_at: datetime, content: str) -> dict[str, Any]:
    return {
        "id": str(110_000 + n),
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "content": content,
        "url": f"{BASE_URL}/@brand/{110_000 + n}",
        "uri": f"{BASE_URL}/users/brand/statuses/{110_000 + n}",
        "in_reply_to_id": None,
        "reblog": None,
    }


async def test_recent_posts_are_the_statuses_since_then_as_plain_text_newest_first(
    connector, instance, clock
):
    newest = clock.at
    # 45 statuses a minute apart, newest first as the API lists them: two pages of 40.
    instance.timeline = [
        timeline_status(100 - n, newest - timedelta(minutes=n), f"<p>Post {100 - n}</p>")
        for n in range(45)
    ]
    instance.timeline[0]["content"] = (
        '<p>Launch &amp; more<br>see <a href="https://example.com/a/long/path" rel="nofollow">'
        '<span class="invisible">https://</span><span class="ellipsis">example.com/a/lo</span>'
        '<span class="invisible">ng/path</span></a></p><p>Thanks</p>'
    )

    posts = await connector.recent_posts(brand(), newest - timedelta(minutes=42))

    assert [p.external_id for p in posts] == [str(110_100 - n) for n in range(43)]
    assert posts[0].text == "Launch & more\nsee https://example.com/a/long/path\n\nThanks"
    assert posts[1].text == "Post 99"
    assert posts[0].created_at == newest
    assert posts[0].url == f"{BASE_URL}/@brand/110100"
    first, second = instance.timeline_queries
    assert first == {"exclude_replies": "true", "exclude_reblogs": "true", "limit": "40"}
    assert second["max_id"] == str(110_100 - 39)


async def test_recent_posts_stop_at_the_first_page_reaching_past_since(connector, instance, clock):
    instance.timeline = [
        timeline_status(n, clock.at - timedelta(hours=n), f"<p>{n}</p>") for n in range(50)
    ]

    posts = await connector.recent_posts(brand(), clock.at - timedelta(hours=2))

    assert [p.text for p in posts] == ["0", "1", "2"]
    assert len(instance.timeline_queries) == 1


def test_status_html_becomes_plain_text():
    assert status_text("<p>a &lt;b&gt;</p><p>c<br />d</p>") == "a <b>\n\nc\nd"
    assert (
        status_text(
            '<p><span class="h-card"><a href="https://m.test/@ann" class="u-url mention">'
            "@<span>ann</span></a></span> hi</p>"
        )
        == "@ann hi"
    )
