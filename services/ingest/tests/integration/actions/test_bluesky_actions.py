"""Bluesky actions against a fake PDS speaking createSession, getPosts and createRecord."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction

pytestmark = pytest.mark.integration

HOST = "pds.test"
SERVICE = f"https://{HOST}"
IDENTIFIER = "brand.example.com"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
BRAND_DID = "did:plc:brand"
ROOT = {"uri": "at://did:plc:brand/app.bsky.feed.post/3kroot", "cid": "bafyroot"}
TOP_LEVEL = {"uri": "at://did:plc:fan1/app.bsky.feed.post/3kfan1", "cid": "bafyfan1"}
NESTED = {"uri": "at://did:plc:fan2/app.bsky.feed.post/3kfan2", "cid": "bafyfan2"}


def post_view(ref: dict[str, str], *, parent: dict[str, str] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "text": "hey",
        "createdAt": "2026-11-24T10:00:00.000Z",
    }
    if parent is not None:
        record["reply"] = {"root": ROOT, "parent": parent}
    return {
        **ref,
        "author": {"did": ref["uri"].split("/")[2], "handle": "fan.bsky.social"},
        "record": record,
        "indexedAt": "2026-11-24T10:00:00.000Z",
    }


@dataclass
class FakePds:
    """A PDS with sessions, the AppView's getPosts proxied, and the brand's repository."""

    posts: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            ROOT["uri"]: post_view(ROOT),
            TOP_LEVEL["uri"]: post_view(TOP_LEVEL, parent=ROOT),
            NESTED["uri"]: post_view(NESTED, parent=TOP_LEVEL),
        }
    )
    password: str = APP_PASSWORD
    created: list[dict[str, Any]] = field(default_factory=list)
    sessions: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        def authorised(request: Request) -> bool:
            return request.headers.get("authorization") == f"Bearer jwt-{self.sessions}"

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
            return JSONResponse(
                {
                    "accessJwt": f"jwt-{self.sessions}",
                    "refreshJwt": f"refresh-{self.sessions}",
                    "handle": IDENTIFIER,
                    "did": BRAND_DID,
                }
            )

        @app.get("/xrpc/app.bsky.feed.getPosts")
        async def get_posts(request: Request) -> Response:
            if not authorised(request):
                return JSONResponse({"error": "ExpiredToken"}, status_code=400)
            uris = request.query_params.getlist("uris")
            return JSONResponse({"posts": [self.posts[u] for u in uris if u in self.posts]})

        @app.post("/xrpc/com.atproto.repo.createRecord")
        async def create_record(request: Request) -> Response:
            if not authorised(request):
                return JSONResponse({"error": "ExpiredToken"}, status_code=400)
            body = await request.json()
            self.created.append(body)
            rkey = f"3kreply{len(self.created)}"
            return JSONResponse(
                {"uri": f"at://{body['repo']}/{body['collection']}/{rkey}", "cid": "bafyreply"}
            )

        return app


@pytest.fixture
def pds() -> FakePds:
    return FakePds()


@pytest.fixture
async def brand(connect):
    return await connect(
        Network.bluesky,
        {"service": SERVICE, "identifier": IDENTIFIER, "app_password": APP_PASSWORD},
        external_account_id=BRAND_DID,
    )


@pytest.fixture
def on_bluesky(make_request, brand):
    def build(action: NetworkAction, external_id: str, **extra: Any):
        return make_request(
            network=Network.bluesky,
            action=action,
            external_id=external_id,
            account_id=brand.id,
            thread_external_id=ROOT["uri"],
            **extra,
        )

    return build


@pytest.mark.parametrize(
    ("comment", "parent"),
    [(TOP_LEVEL, TOP_LEVEL), (NESTED, NESTED)],
    ids=["reply-to-a-reply-of-the-root", "reply-deeper-in-the-thread"],
)
async def test_a_reply_is_a_post_with_strong_refs_to_the_threads_root_and_the_comment(
    pds, on_bluesky, request_action, executor_for, stored, clock, comment, parent
):
    request = on_bluesky(NetworkAction.reply, comment["uri"], reply_text="Thanks for asking!")
    await request_action(request)
    executor, _ = executor_for({HOST: pds.app()})

    await executor.run_due()

    [created] = pds.created
    assert created["repo"] == BRAND_DID
    assert created["collection"] == "app.bsky.feed.post"
    record = created["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["text"] == "Thanks for asking!"
    assert record["reply"] == {"root": ROOT, "parent": parent}
    assert record["createdAt"] == clock.at.isoformat().replace("+00:00", "Z")
    row = await stored(request.action_id)
    assert (row.status, row.reply_external_id) == (
        "succeeded",
        f"at://{BRAND_DID}/app.bsky.feed.post/3kreply1",
    )


async def test_a_reply_to_a_top_level_post_uses_it_as_root_and_parent(
    pds, on_bluesky, request_action, executor_for
):
    request = on_bluesky(NetworkAction.reply, ROOT["uri"], reply_text="Hi")
    await request_action(request)
    executor, _ = executor_for({HOST: pds.app()})

    await executor.run_due()

    assert pds.created[0]["record"]["reply"] == {"root": ROOT, "parent": ROOT}


async def test_a_reply_to_a_post_that_is_gone_fails(
    pds, on_bluesky, request_action, executor_for, stored
):
    request = on_bluesky(
        NetworkAction.reply, "at://did:plc:fan9/app.bsky.feed.post/3kgone", reply_text="Hi"
    )
    await request_action(request)
    executor, _ = executor_for({HOST: pds.app()})

    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "failed"
    assert row.last_error.startswith("bluesky has no such post")
    assert pds.created == []


async def test_a_reply_whose_create_record_answer_is_lost_is_not_sent_again(
    pds, on_bluesky, request_action, executor_for, stored, clock
):
    request = on_bluesky(NetworkAction.reply, TOP_LEVEL["uri"], reply_text="Hi")
    await request_action(request)
    executor, networks = executor_for({HOST: pds.app()})
    networks.faults[HOST].script = ["", "", "lost"]  # createSession, getPosts, createRecord

    await executor.run_due()
    clock.advance(3600)
    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "failed"
    assert row.last_error.startswith("outcome unknown: ReadTimeout")
    assert len(pds.created) == 1


async def test_a_revoked_app_password_fails_an_own_account_s_action(
    pds, connect, make_request, request_action, executor_for, stored
):
    # Connected through ingest's API before the registry: no refresh to wait for.
    own = await connect(
        Network.bluesky,
        {"service": SERVICE, "identifier": IDENTIFIER, "app_password": APP_PASSWORD},
        external_account_id=BRAND_DID,
        legacy=True,
    )
    pds.password = "changed"
    request = make_request(
        network=Network.bluesky,
        action=NetworkAction.reply,
        external_id=TOP_LEVEL["uri"],
        account_id=own.id,
        thread_external_id=ROOT["uri"],
        reply_text="Hi",
    )
    await request_action(request)
    executor, _ = executor_for({HOST: pds.app()})

    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "failed"
    assert "reconnect the account" in row.last_error


async def test_hiding_or_deleting_a_post_is_unsupported(
    pds, on_bluesky, request_action, executor_for, stored
):
    hide = on_bluesky(NetworkAction.hide, TOP_LEVEL["uri"])
    delete = on_bluesky(NetworkAction.delete, TOP_LEVEL["uri"])
    await request_action(hide, delete)
    executor, _ = executor_for({HOST: pds.app()})

    await executor.run_due()

    assert (await stored(hide.action_id)).status == "unsupported"
    deleted = await stored(delete.action_id)
    assert deleted.status == "unsupported"
    assert "only the author can delete" in deleted.last_error
    assert pds.sessions == 0
