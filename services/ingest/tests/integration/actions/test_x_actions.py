"""X actions against a fake API v2 speaking its documented formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction

pytestmark = pytest.mark.integration

TOKEN = "x-user-token"
HOST = "x.test"


@dataclass
class FakeX:
    """PUT /2/tweets/:id/hidden, POST /2/tweets and POST
    /2/dm_conversations/with/:participant_id/messages, answering errors from `answers` first."""

    hidden: list[tuple[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (participant, body)
    answers: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    calls: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        def refusal(request: Request) -> Response | None:
            self.calls += 1
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return JSONResponse(
                    {
                        "title": "Unauthorized",
                        "type": "about:blank",
                        "status": 401,
                        "detail": "Unauthorized",
                    },
                    status_code=401,
                )
            if self.answers:
                status, body, headers = self.answers.pop(0)
                return JSONResponse(body, status_code=status, headers=headers)
            return None

        @app.put("/2/tweets/{tweet_id}/hidden")
        async def hide(tweet_id: str, request: Request) -> Response:
            if (refused := refusal(request)) is not None:
                return refused
            body = await request.json()
            self.hidden.append((tweet_id, body))
            return JSONResponse({"data": {"hidden": body["hidden"]}})

        @app.post("/2/tweets")
        async def create(request: Request) -> Response:
            if (refused := refusal(request)) is not None:
                return refused
            body = await request.json()
            self.posts.append(body)
            post_id = f"19{len(self.posts):04d}"
            return JSONResponse({"data": {"id": post_id, "text": body["text"]}}, status_code=201)

        @app.post("/2/dm_conversations/with/{participant_id}/messages")
        async def message(participant_id: str, request: Request) -> Response:
            if (refused := refusal(request)) is not None:
                return refused
            body = await request.json()
            self.messages.append((participant_id, body))
            return JSONResponse(
                {
                    "data": {
                        "dm_conversation_id": f"{participant_id}-42",
                        "dm_event_id": f"15{len(self.messages):04d}",
                    }
                },
                status_code=201,
            )

        return app


@pytest.fixture
def x() -> FakeX:
    return FakeX()


@pytest.fixture
async def brand(connect):
    return await connect(Network.x, {"access_token": TOKEN})


@pytest.fixture
def on_x(make_request, brand):
    def build(action: NetworkAction, external_id: str, **extra: Any):
        return make_request(
            network=Network.x, action=action, external_id=external_id, account_id=brand.id, **extra
        )

    return build


async def test_a_reply_is_hidden_and_answered_with_api_v2(
    x, on_x, request_action, executor_for, stored
):
    hide = on_x(NetworkAction.hide, "1860000000000000001")
    reply = on_x(NetworkAction.reply, "1860000000000000002", reply_text="We'll DM you")
    await request_action(hide, reply)
    executor, _ = executor_for({HOST: x.app()})

    await executor.run_due()

    assert x.hidden == [("1860000000000000001", {"hidden": True})]
    assert x.posts == [
        {"text": "We'll DM you", "reply": {"in_reply_to_tweet_id": "1860000000000000002"}}
    ]
    assert (await stored(hide.action_id)).status == "succeeded"
    row = await stored(reply.action_id)
    assert (row.status, row.reply_external_id) == ("succeeded", "190001")


async def test_a_429_waits_for_the_rate_limit_reset_then_succeeds(
    x, on_x, request_action, executor_for, stored, clock, outcomes
):
    reset = int(clock.at.timestamp()) + 900
    x.answers = [
        (
            429,
            {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
            {
                "x-rate-limit-limit": "50",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(reset),
            },
        )
    ]
    request = on_x(NetworkAction.hide, "1860000000000000001")
    await request_action(request)
    executor, _ = executor_for({HOST: x.app()})

    await executor.run_due()
    row = await stored(request.action_id)
    clock.advance(600)
    early = await executor.run_due()
    clock.at = row.next_attempt_at
    then = await executor.run_due()

    assert row.next_attempt_at == datetime.fromtimestamp(reset, UTC)
    assert row.last_error == "x answered 429: Too Many Requests"
    assert outcomes(early, request.action_id) == []
    assert outcomes(then, request.action_id) == ["succeeded"]
    assert x.calls == 2


async def test_deleting_someone_elses_post_is_unsupported_without_a_call(
    x, on_x, request_action, executor_for, stored, completed_events
):
    request = on_x(NetworkAction.delete, "1860000000000000001")
    await request_action(request)
    executor, _ = executor_for({HOST: x.app()})

    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("unsupported", 0)
    assert "only its own posts" in row.last_error
    assert x.calls == 0
    [(_, event)] = await completed_events(request.action_id)
    assert (event.data["outcome"], event.data["error"]) == ("unsupported", row.last_error)


async def test_an_own_account_s_revoked_token_fails_without_retrying(
    x, connect, make_request, request_action, executor_for, stored, clock
):
    # Connected through ingest's API before the registry: no refresh to wait for.
    account = await connect(Network.x, {"access_token": "revoked"}, legacy=True)
    request = make_request(
        network=Network.x,
        action=NetworkAction.reply,
        external_id="1",
        account_id=account.id,
        reply_text="hi",
    )
    await request_action(request)
    executor, _ = executor_for({HOST: x.app()})

    await executor.run_due()
    clock.advance(3600)
    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("x answered 401")
    assert "reconnect the account" in row.last_error
    assert x.calls == 1


async def test_hiding_a_reply_outside_the_brands_conversation_fails_with_xs_reason(
    x, on_x, request_action, executor_for, stored
):
    detail = "You are not permitted to hide replies to this Tweet."
    x.answers = [(403, {"title": "Forbidden", "detail": detail, "status": 403}, {})]
    request = on_x(NetworkAction.hide, "1860000000000000001")
    await request_action(request)
    executor, _ = executor_for({HOST: x.app()})

    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "failed"
    assert row.last_error == f"x answered 403: {detail}"
