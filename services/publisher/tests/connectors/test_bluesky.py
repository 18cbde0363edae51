"""The Bluesky connector against a fake PDS speaking the documented XRPC methods: sessions,
records under caller-chosen keys, blobs, handle resolution, the author feed, rate-limit headers."""

from __future__ import annotations

import re
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
from publisher.connectors.bluesky import BlueskyConnector
from publisher.connectors.bluesky_records import find_facets, first_comment_key, record_key
from publisher.connectors.rate_limits import RateLimitBook

HOST = "pds.test"
SERVICE = f"https://{HOST}"
IDENTIFIER = "brand.example.com"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
DID = "did:plc:brand"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"

# A scripted answer, or None to answer as the PDS would.
Answer = tuple[int, dict[str, Any], dict[str, str]] | None


@dataclass
class FakePds:
    """One repository (the brand's) with sessions whose access tokens the test can expire, and
    answers scripted per method name (e.g. "createRecord")."""

    password: str = APP_PASSWORD
    handles: dict[str, str] = field(default_factory=lambda: {"alice.test": "did:plc:alice"})
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: list[tuple[str, bytes]] = field(default_factory=list)
    feed: list[dict[str, Any]] = field(default_factory=list)
    feed_queries: list[dict[str, str]] = field(default_factory=list)
    # "500" (today's PDS) or "400" (RecordAlreadyExists) when a record key is taken.
    conflict: str = "500"
    logins: int = 0
    refreshes: int = 0
    access: set[str] = field(default_factory=set)
    refresh: set[str] = field(default_factory=set)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    rate_headers: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def expire_sessions(self) -> None:
        self.access.clear()

    def app(self) -> FastAPI:
        app = FastAPI()

        def refusal(request: Request, method: str, *, authed: bool = True) -> Response | None:
            self.calls.append(method)
            scripted = self.answers.get(method)
            answer = scripted.pop(0) if scripted else None
            if answer is not None:
                status, body, headers = answer
                return JSONResponse(body, status_code=status, headers=headers)
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if authed and token not in self.access:
                return JSONResponse(
                    {"error": "ExpiredToken", "message": "Token has expired"}, status_code=400
                )
            return None

        def session() -> dict[str, Any]:
            number = self.logins + self.refreshes
            self.access.add(f"access-{number}")
            self.refresh.add(f"refresh-{number}")
            return {
                "accessJwt": f"access-{number}",
                "refreshJwt": f"refresh-{number}",
                "handle": IDENTIFIER,
                "did": DID,
            }

        @app.post("/xrpc/com.atproto.server.createSession")
        async def create_session(request: Request) -> Response:
            if (refused := refusal(request, "createSession", authed=False)) is not None:
                return refused
            body = await request.json()
            if body != {"identifier": IDENTIFIER, "password": self.password}:
                return JSONResponse(
                    {
                        "error": "AuthenticationRequired",
                        "message": "Invalid identifier or password",
                    },
                    status_code=401,
                )
            self.logins += 1
            return JSONResponse(session())

        @app.post("/xrpc/com.atproto.server.refreshSession")
        async def refresh_session(request: Request) -> Response:
            if (refused := refusal(request, "refreshSession", authed=False)) is not None:
                return refused
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if token not in self.refresh:
                return JSONResponse({"error": "ExpiredToken"}, status_code=400)
            self.refresh.discard(token)
            self.refreshes += 1
            return JSONResponse(session())

        @app.post("/xrpc/com.atproto.repo.createRecord")
        async def create_record(request: Request) -> Response:
            if (refused := refusal(request, "createRecord")) is not None:
                return refused
            body = await request.json()
            assert body["repo"] == DID
            rkey = body["rkey"]
            if not TID.match(rkey):
                return JSONResponse(
                    {"error": "InvalidRequest", "message": "Invalid record key"}, status_code=400
                )
            if rkey in self.records:
                if self.conflict == "400":
                    return JSONResponse(
                        {"error": "RecordAlreadyExists", "message": "Record already exists"},
                        status_code=400,
                    )
                return JSONResponse(
                    {"error": "InternalServerError", "message": "Internal Server Error"},
                    status_code=500,
                )
            uri = f"at://{DID}/{body['collection']}/{rkey}"
            stored = {"uri": uri, "cid": f"bafy{len(self.records)}", "value": body["record"]}
            self.records[rkey] = stored
            return JSONResponse(
                {"uri": uri, "cid": stored["cid"], "validationStatus": "valid"},
                headers=self.rate_headers,
            )

        @app.get("/xrpc/com.atproto.repo.getRecord")
        async def get_record(request: Request) -> Response:
            if (refused := refusal(request, "getRecord")) is not None:
                return refused
            stored = self.records.get(request.query_params["rkey"])
            if stored is None:
                return JSONResponse(
                    {"error": "RecordNotFound", "message": "Could not locate record"},
                    status_code=400,
                )
            return JSONResponse(stored)

        @app.post("/xrpc/com.atproto.repo.uploadBlob")
        async def upload_blob(request: Request) -> Response:
            if (refused := refusal(request, "uploadBlob")) is not None:
                return refused
            data = await request.body()
            content_type = request.headers["content-type"]
            self.blobs.append((content_type, data))
            return JSONResponse(
                {
                    "blob": {
                        "$type": "blob",
                        "ref": {"$link": f"bafkblob{len(self.blobs)}"},
                        "mimeType": content_type,
                        "size": len(data),
                    }
                }
            )

        @app.get("/xrpc/com.atproto.identity.resolveHandle")
        async def resolve_handle(request: Request) -> Response:
            if (refused := refusal(request, "resolveHandle")) is not None:
                return refused
            did = self.handles.get(request.query_params["handle"])
            if did is None:
                return JSONResponse(
                    {"error": "InvalidRequest", "message": "Unable to resolve handle"},
                    status_code=400,
                )
            return JSONResponse({"did": did})

        @app.get("/xrpc/app.bsky.feed.getAuthorFeed")
        async def author_feed(request: Request) -> Response:
            if (refused := refusal(request, "getAuthorFeed")) is not None:
                return refused
            query = dict(request.query_params)
            self.feed_queries.append(query)
            start = int(query.get("cursor", "0"))
            limit = int(query["limit"])
            page = self.feed[start : start + limit]
            body: dict[str, Any] = {"feed": page}
            if start + limit < len(self.feed):
                body["cursor"] = str(start + limit)
            return JSONResponse(body)

        return app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pds() -> FakePds:
    return FakePds()


@pytest.fixture
async def network(pds: FakePds) -> AsyncIterator[tuple[httpx.AsyncClient, Faults]]:
    faults = Faults(pds.app())
    client = httpx.AsyncClient(transport=NoNetwork(), mounts={f"all://{HOST}": faults}, timeout=5)
    yield client, faults
    await client.aclose()


@pytest.fixture
def faults(network) -> Faults:
    return network[1]


@pytest.fixture
def connector(network, clock) -> BlueskyConnector:
    return BlueskyConnector(network[0], RateLimitBook(), clock=clock)


def brand(*, password: str = APP_PASSWORD) -> Account:
    return Account(
        id=uuid.UUID("00000000-0000-0000-0000-0000000000b1"),
        tenant_id="tenant-1",
        network=Network.bluesky,
        external_account_id=DID,
        handle=IDENTIFIER,
        instance_url=SERVICE,
        credentials={"identifier": IDENTIFIER, "app_password": password},
    )


def tid_micros(tid: str) -> int:
    value = 0
    for char in tid:
        value = value * 32 + TID_ALPHABET.index(char)
    return value >> 10


def post_record(pds: FakePds, key: str) -> dict[str, Any]:
    return pds.records[record_key(key)]["value"]


def test_record_keys_are_valid_tids_derived_only_from_the_idempotency_key():
    keys = [record_key(f"target-{n}") for n in range(200)]

    assert all(TID.match(key) for key in keys)
    assert len(set(keys)) == 200
    assert record_key("target-7") == keys[7]
    earliest, latest = datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)
    for key in keys:
        written = datetime.fromtimestamp(tid_micros(key) / 1e6, UTC)
        assert earliest <= written < latest
    assert record_key(first_comment_key("target-7")) != keys[7]


async def test_a_post_is_a_record_under_the_derived_key_with_its_url(connector, pds, clock):
    result = await connector.publish(brand(), PublishContent(text="Launch day!"), "target-1")

    rkey = record_key("target-1")
    assert list(pds.records) == [rkey]
    record = pds.records[rkey]["value"]
    assert record == {
        "$type": "app.bsky.feed.post",
        "text": "Launch day!",
        "createdAt": clock.at.isoformat().replace("+00:00", "Z"),
    }
    assert result.external_id == f"at://{DID}/app.bsky.feed.post/{rkey}"
    assert result.url == f"https://bsky.app/profile/{DID}/post/{rkey}"
    assert pds.logins == 1


async def test_facets_sit_at_utf8_byte_offsets_after_emoji_and_accents(connector, pds):
    text = "Café 🎉 déjà vu with @alice.test and @nobody.test: https://example.com/a?b=1."

    await connector.publish(brand(), PublishContent(text=text), "target-1")

    record = post_record(pds, "target-1")
    encoded = text.encode()
    spans = [
        (
            encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(),
            f["features"],
        )
        for f in record["facets"]
    ]
    assert spans == [
        ("@alice.test", [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"}]),
        (
            "https://example.com/a?b=1",
            [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a?b=1"}],
        ),
    ]
    # Character offsets would be short by the extra bytes of é (1), 🎉 (3), é (1) and à (1).
    assert record["facets"][0]["index"]["byteStart"] == text.index("@alice") + 6


def test_facets_leave_a_mention_inside_a_link_and_closing_punctuation_out():
    text = "(see https://ex.com/@bob.test/x) and https://en.wiki.test/Foo_(bar)"

    facets = find_facets(text)

    encoded = text.encode()
    assert [encoded[f.byte_start : f.byte_end].decode() for f in facets] == [
        "https://ex.com/@bob.test/x",
        "https://en.wiki.test/Foo_(bar)",
    ]
    assert all(f.handle is None for f in facets)


async def test_a_link_without_media_is_appended_faceted_and_embedded_as_a_card(connector, pds):
    await connector.publish(
        brand(), PublishContent(text="New blog post", link="https://blog.example.com/p?utm=x"), "t"
    )

    record = post_record(pds, "t")
    assert record["text"] == "New blog post https://blog.example.com/p?utm=x"
    assert record["facets"][0]["features"][0]["uri"] == "https://blog.example.com/p?utm=x"
    assert record["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": "https://blog.example.com/p?utm=x",
            "title": "blog.example.com",
            "description": "",
        },
    }


async def test_images_are_uploaded_as_blobs_and_embedded_with_their_alt_text(connector, pds):
    media = [
        MediaFile("https://cdn.test/a.png", "image/png", b"png-bytes", alt_text="A red kite"),
        MediaFile("https://cdn.test/b.jpg", "image/jpeg", b"jpeg-bytes"),
    ]

    await connector.publish(
        brand(), PublishContent(text="Pictures", link="https://x.test", media=media), "t"
    )

    assert pds.blobs == [("image/png", b"png-bytes"), ("image/jpeg", b"jpeg-bytes")]
    embed = post_record(pds, "t")["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [(i["alt"], i["image"]["ref"]["$link"]) for i in embed["images"]] == [
        ("A red kite", "bafkblob1"),
        ("", "bafkblob2"),
    ]


async def test_a_video_is_refused_before_any_request(connector, pds):
    media = [MediaFile("https://cdn.test/v.mp4", "video/mp4", b"mp4")]

    with pytest.raises(Refused, match="images only"):
        await connector.publish(brand(), PublishContent(text="Clip", media=media), "t")

    assert pds.calls == []


@pytest.mark.parametrize("conflict", ["500", "400"])
async def test_a_repeat_resolves_to_the_record_already_there(connector, pds, conflict):
    pds.conflict = conflict

    first = await connector.publish(brand(), PublishContent(text="Once"), "target-1")
    again = await connector.publish(brand(), PublishContent(text="Once"), "target-1")

    assert again == first
    assert len(pds.records) == 1
    assert pds.calls.count("getRecord") == 1


async def test_a_lost_answer_is_an_unknown_outcome_and_the_resend_finds_the_record(
    connector, pds, faults
):
    faults.script = ["", "lost"]  # createSession, createRecord

    with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
        await connector.publish(brand(), PublishContent(text="Launch"), "target-1")
    resent = await connector.publish(brand(), PublishContent(text="Launch"), "target-1")

    assert len(pds.records) == 1
    assert resent.external_id == pds.records[record_key("target-1")]["uri"]


async def test_the_session_is_kept_and_refreshed_when_it_expires(connector, pds):
    await connector.publish(brand(), PublishContent(text="One"), "target-1")
    pds.expire_sessions()
    await connector.publish(brand(), PublishContent(text="Two"), "target-2")
    await connector.publish(brand(), PublishContent(text="Three"), "target-3")

    assert (pds.logins, pds.refreshes) == (1, 1)
    assert len(pds.records) == 3
    assert pds.calls.count("createRecord") == 4  # the expired one, sent again once


async def test_a_refused_refresh_logs_in_again(connector, pds):
    await connector.publish(brand(), PublishContent(text="One"), "target-1")
    pds.expire_sessions()
    pds.refresh.clear()

    await connector.publish(brand(), PublishContent(text="Two"), "target-2")

    assert (pds.logins, pds.refreshes) == (2, 0)
    assert len(pds.records) == 2


async def test_a_refused_app_password_is_credentials_refused(connector, pds):
    with pytest.raises(CredentialsRefused, match="AuthenticationRequired"):
        await connector.publish(brand(password="revoked"), PublishContent(text="Hi"), "t")

    assert pds.records == {}


async def test_a_token_revoked_for_good_is_credentials_refused(connector, pds):
    await connector.publish(brand(), PublishContent(text="One"), "target-1")
    pds.expire_sessions()
    pds.refresh.clear()
    pds.password = "changed"

    with pytest.raises(CredentialsRefused, match="reconnect the account"):
        await connector.publish(brand(), PublishContent(text="Two"), "target-2")


async def test_a_429_waits_for_the_reset_and_the_next_call_is_refused_without_a_request(
    connector, pds, clock
):
    reset = clock.at + timedelta(minutes=30)
    pds.answers["createRecord"] = [
        (
            429,
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            {"ratelimit-remaining": "0", "ratelimit-reset": str(int(reset.timestamp()))},
        )
    ]

    with pytest.raises(RetryLater) as limited:
        await connector.publish(brand(), PublishContent(text="Hi"), "target-1")
    calls = len(pds.calls)
    with pytest.raises(RetryLater) as refused:
        await connector.publish(brand(), PublishContent(text="Hi"), "target-1")
    clock.at = reset
    result = await connector.publish(brand(), PublishContent(text="Hi"), "target-1")

    assert (limited.value.kind, limited.value.after) == ("rate_limited", reset)
    assert (refused.value.kind, refused.value.after) == ("rate_limited", reset)
    assert len(pds.calls) == calls + 1
    assert result.external_id.endswith(record_key("target-1"))


async def test_a_spent_write_window_refuses_the_next_post_until_its_reset(connector, pds, clock):
    reset = clock.at + timedelta(hours=1)
    pds.rate_headers = {"ratelimit-remaining": "0", "ratelimit-reset": str(int(reset.timestamp()))}

    await connector.publish(brand(), PublishContent(text="One"), "target-1")
    with pytest.raises(RetryLater) as refused:
        await connector.publish(brand(), PublishContent(text="Two"), "target-2")

    assert refused.value.after == reset
    assert pds.calls.count("createRecord") == 1


@pytest.mark.parametrize(
    ("status", "raised"), [(500, RetryLater), (502, RetryLater), (504, OutcomeUnknown)]
)
async def test_server_errors_retry_later_except_a_gateway_timeout_on_the_record(
    connector, pds, status, raised
):
    pds.answers["createRecord"] = [(status, {"error": "UpstreamFailure"}, {})]

    with pytest.raises(raised, match=f"bluesky answered {status}: UpstreamFailure"):
        await connector.publish(brand(), PublishContent(text="Hi"), "target-1")

    assert pds.records == {}
    # A 500 may mean the key is taken: the record is looked for before retrying.
    assert pds.calls.count("getRecord") == (1 if status == 500 else 0)


async def test_a_refused_connection_retries_later(connector, pds, faults):
    faults.script = ["refused"]

    with pytest.raises(RetryLater) as raised:
        await connector.publish(brand(), PublishContent(text="Hi"), "target-1")

    assert raised.value.kind == "connection"
    assert pds.calls == []


async def test_a_success_without_the_records_uri_is_an_unknown_outcome(connector, pds):
    pds.answers["createRecord"] = [(200, {"validationStatus": "valid"}, {})]

    with pytest.raises(OutcomeUnknown, match="without its uri"):
        await connector.publish(brand(), PublishContent(text="Hi"), "target-1")


async def test_the_first_comment_is_a_reply_to_the_post_under_its_own_key(connector, pds):
    result = await connector.publish(
        brand(), PublishContent(text="Launch", first_comment="Thread @alice.test"), "target-1"
    )

    post = pds.records[record_key("target-1")]
    reply = pds.records[record_key(first_comment_key("target-1"))]
    strong_ref = {"uri": post["uri"], "cid": post["cid"]}
    assert reply["value"]["reply"] == {"root": strong_ref, "parent": strong_ref}
    assert reply["value"]["text"] == "Thread @alice.test"
    assert reply["value"]["facets"][0]["features"][0]["did"] == "did:plc:alice"
    assert (result.external_id, result.first_comment_id) == (post["uri"], reply["uri"])
    assert result.first_comment_error is None


async def test_a_failed_first_comment_keeps_the_post_and_reports_why(connector, pds):
    pds.answers["createRecord"] = [
        None,
        (400, {"error": "InvalidRequest", "message": "Record/text must not be longer"}, {}),
    ]

    result = await connector.publish(
        brand(), PublishContent(text="Launch", first_comment="Too long"), "target-1"
    )

    assert list(pds.records) == [record_key("target-1")]
    assert result.external_id == pds.records[record_key("target-1")]["uri"]
    assert result.first_comment_id is None
    assert result.first_comment_error == (
        "bluesky answered 400: InvalidRequest Record/text must not be longer"
    )


def feed_item(n: int, created_at: datetime, *, author: str = DID, **extra: Any) -> dict[str, Any]:
    uri = f"at://{author}/app.bsky.feed.post/3kpost{n:04d}"
    return {
        "post": {
            "uri": uri,
            "cid": f"bafy{n}",
            "author": {"did": author, "handle": "someone.test"},
            "record": {
                "$type": "app.bsky.feed.post",
                "text": f"Post {n}",
                "createdAt": created_at.isoformat().replace("+00:00", "Z"),
            },
            "indexedAt": created_at.isoformat().replace("+00:00", "Z"),
        },
        **extra,
    }


async def test_recent_posts_are_the_accounts_own_posts_since_then_newest_first(
    connector, pds, clock
):
    now = clock.at
    repost = {"reason": {"$type": "app.bsky.feed.defs#reasonRepost"}}
    pds.feed = [feed_item(n, now - timedelta(minutes=n)) for n in range(150) if n not in (3, 4)] + [
        feed_item(200, now - timedelta(days=2))
    ]
    pds.feed.insert(2, feed_item(3, now - timedelta(minutes=3), author="did:plc:other", **repost))
    pds.feed.insert(3, feed_item(4, now - timedelta(minutes=4), **repost))

    posts = await connector.recent_posts(brand(), now - timedelta(minutes=120))

    expected = [n for n in range(121) if n not in (3, 4)]
    assert [p.text for p in posts] == [f"Post {n}" for n in expected]
    assert posts[0].external_id == f"at://{DID}/app.bsky.feed.post/3kpost0000"
    assert posts[0].url == f"https://bsky.app/profile/{DID}/post/3kpost0000"
    assert posts[0].created_at == now
    first, second = pds.feed_queries
    assert first == {"actor": DID, "filter": "posts_no_replies", "limit": "100"}
    assert second["cursor"] == "100"
