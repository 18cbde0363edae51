"""Facebook and Instagram actions against a fake Graph API speaking its documented formats."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select, update

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.events import decode
from ingest.accounts.crypto import credential_box
from ingest.accounts.models import connected_account
from ingest.actions.executor import RetryPolicy
from ingest.db import outbox
from services.ingest.tests.integration.actions.conftest import KEY

pytestmark = pytest.mark.integration

TOKEN = "page-token"
HOST = "graph.test"
VERSION = "v23.0"


def graph_error(code: int, message: str, *, subcode: int | None = None, **extra: Any) -> dict:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Ab1"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": {**error, **extra}}


EXPIRED = graph_error(190, "Error validating access token: Session has expired.", subcode=463)
MISSING = graph_error(
    100,
    "Unsupported post request. Object with ID 'c-9' does not exist, cannot be loaded due to "
    "missing permissions, or does not support this operation.",
    subcode=33,
)


@dataclass
class FakeGraph:
    """The comment edges of the Graph API and the Send API (`/{page-id}/messages`), answering
    errors from `answers` first."""

    token: str = TOKEN
    hidden: list[tuple[str, str]] = field(default_factory=list)  # (comment, field)
    deleted: list[str] = field(default_factory=list)
    replies: list[tuple[str, str, str]] = field(default_factory=list)  # (edge, comment, text)
    # (account, the form as sent, its JSON parameters read): messages sent with the Send API.
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    calls: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        def refusal(request: Request) -> Response | None:
            self.calls += 1
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return JSONResponse(EXPIRED, status_code=400)
            if self.answers:
                status, body, headers = self.answers.pop(0)
                return JSONResponse(body, status_code=status, headers=headers)
            return None

        async def form(request: Request) -> dict[str, str]:
            parsed = parse_qs((await request.body()).decode())
            return {k: v[0] for k, v in parsed.items()}

        @app.post(f"/{VERSION}/{{comment_id}}")
        async def update(comment_id: str, request: Request) -> Response:
            if (refused := refusal(request)) is not None:
                return refused
            if comment_id in self.deleted:
                return JSONResponse(MISSING, status_code=400)
            for name, value in (await form(request)).items():
                if value == "true":
                    self.hidden.append((comment_id, name))
            return JSONResponse({"success": True})

        @app.delete(f"/{VERSION}/{{comment_id}}")
        async def delete(comment_id: str, request: Request) -> Response:
            if (refused := refusal(request)) is not None:
                return refused
            if comment_id in self.deleted:
                return JSONResponse(MISSING, status_code=400)
            self.deleted.append(comment_id)
            return JSONResponse({"success": True})

        @app.post(f"/{VERSION}/{{account_id}}/messages")
        async def send(account_id: str, request: Request) -> Response:
            if (refused := refusal(request)) is not None:
                return refused
            sent = await form(request)
            for name in ("recipient", "message"):
                sent[name] = json.loads(sent[name])  # type: ignore[assignment]
            self.messages.append((account_id, sent))
            return JSONResponse(
                {"recipient_id": sent["recipient"]["id"], "message_id": f"m_{len(self.messages)}"}  # type: ignore[index]
            )

        @app.post(f"/{VERSION}/{{comment_id}}/{{edge}}")
        async def reply(comment_id: str, edge: str, request: Request) -> Response:
            if (refused := refusal(request)) is not None:
                return refused
            message = (await form(request)).get("message", "")
            self.replies.append((edge, comment_id, message))
            return JSONResponse({"id": f"{comment_id}_{len(self.replies)}"})

        return app


@pytest.fixture
def graph() -> FakeGraph:
    return FakeGraph()


@pytest.fixture
async def page(connect):
    return await connect(Network.facebook, {"access_token": TOKEN})


@pytest.fixture
def on_page(make_request, page):
    def build(action: NetworkAction, external_id: str, **extra: Any):
        return make_request(
            network=Network.facebook,
            action=action,
            external_id=external_id,
            account_id=page.id,
            **extra,
        )

    return build


async def test_hide_delete_and_reply_on_a_page_stage_one_completion_each(
    graph, on_page, request_action, executor_for, stored, completed_events, outcomes
):
    hide = on_page(NetworkAction.hide, "c-1")
    delete = on_page(NetworkAction.delete, "c-2")
    reply = on_page(NetworkAction.reply, "c-3", reply_text="Thanks, we're on it!")
    (_, _, reply_envelope) = await request_action(hide, delete, reply)
    executor, _ = executor_for({HOST: graph.app()})

    settled = await executor.run_due()

    for request in (hide, delete, reply):
        assert outcomes(settled, request.action_id) == ["succeeded"]
    assert graph.hidden == [("c-1", "is_hidden")]
    assert graph.deleted == ["c-2"]
    assert graph.replies == [("comments", "c-3", "Thanks, we're on it!")]
    row = await stored(reply.action_id)
    assert (row.status, row.attempts, row.reply_external_id) == ("succeeded", 1, "c-3_1")
    assert row.completed_at is not None
    assert row.next_attempt_at is None
    [(key, event)] = await completed_events(reply.action_id)
    assert key == "post-1"
    assert event.type == "ingest.action.completed"
    assert event.subject == str(reply.action_id)
    assert event.causationid == str(reply_envelope.id)
    assert event.correlationid == reply_envelope.correlationid
    assert event.data["outcome"] == "succeeded"
    assert event.data["attempts"] == 1
    assert event.data["reply_external_id"] == "c-3_1"
    assert event.data["error"] is None
    assert event.data["interaction_id"] == str(reply.interaction_id)
    assert event.data["requested_by"] == "rule:spam"
    for request in (hide, delete):
        assert len(await completed_events(request.action_id)) == 1


async def test_instagram_hides_with_hide_and_replies_on_the_replies_edge(
    graph, connect, make_request, request_action, executor_for, stored
):
    account = await connect(Network.instagram, {"access_token": TOKEN})
    hide, reply = (
        make_request(
            network=Network.instagram,
            action=action,
            external_id=comment,
            account_id=account.id,
            reply_text=text,
        )
        for action, comment, text in (
            (NetworkAction.hide, "1789", None),
            (NetworkAction.reply, "1790", "Glad you like it"),
        )
    )
    await request_action(hide, reply)
    executor, _ = executor_for({HOST: graph.app()})

    await executor.run_due()

    assert graph.hidden == [("1789", "hide")]
    assert graph.replies == [("replies", "1790", "Glad you like it")]
    assert (await stored(reply.action_id)).reply_external_id == "1790_1"


async def test_an_own_account_s_expired_token_fails_at_once_and_is_never_retried(
    graph,
    connect,
    make_request,
    request_action,
    executor_for,
    stored,
    completed_events,
    clock,
    account_status,
):
    # Connected through ingest's API before the registry: no refresh to wait for.
    account = await connect(Network.facebook, {"access_token": "expired"}, legacy=True)
    request = make_request(
        network=Network.facebook,
        action=NetworkAction.hide,
        external_id="c-1",
        account_id=account.id,
    )
    await request_action(request)
    executor, _ = executor_for({HOST: graph.app()})

    await executor.run_due()
    clock.advance(3600)
    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "code 190" in row.last_error
    assert "reconnect the account" in row.last_error
    assert graph.calls == 1
    [(_, event)] = await completed_events(request.action_id)
    assert event.data["outcome"] == "failed"
    assert event.data["error"] == row.last_error
    assert await account_status(account) == "needs_reauth"


async def test_a_workspace_account_s_refused_token_waits_for_its_refresh_then_acts(
    graph, connect, make_request, request_action, executor_for, stored, clock, sessionmaker
):
    account = await connect(Network.facebook, {"access_token": "expired"})
    # Kept from the workspace's registry, at its version 5.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(connected_account)
            .where(connected_account.c.id == account.id)
            .values(workspace_version=5)
        )
    request = make_request(
        network=Network.facebook,
        action=NetworkAction.hide,
        external_id="c-7",
        account_id=account.id,
    )
    await request_action(request)
    executor, _ = executor_for({HOST: graph.app()})

    await executor.run_due()

    waiting = await stored(request.action_id)
    assert waiting.status == "pending"
    assert waiting.next_attempt_at >= clock() + timedelta(seconds=119)
    async with sessionmaker() as session:
        held = (
            await session.execute(
                select(connected_account).where(connected_account.c.id == account.id)
            )
        ).one()
        asked = (
            (
                await session.execute(
                    select(outbox.c.value).where(
                        outbox.c.key == str(account.id),
                        outbox.c.topic == "account.refresh.requested",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert held.status == "active"
    [request_event] = [decode(value) for value in asked]
    assert (request_event.type, request_event.data["version"]) == (
        "ingest.account.refresh_requested",
        5,
    )

    # The registry's refreshed token arrives (as account.credentials.changed stores it).
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(connected_account)
            .where(connected_account.c.id == account.id)
            .values(
                workspace_version=6,
                credentials_encrypted=credential_box(KEY).encrypt({"access_token": TOKEN}),
            )
        )
    clock.advance(121)
    await executor.run_due()

    assert (await stored(request.action_id)).status == "succeeded"
    assert graph.hidden == [("c-7", "is_hidden")]
    assert graph.calls == 2


async def test_a_throttled_page_waits_the_time_graph_gives_then_succeeds(
    graph, on_page, request_action, executor_for, stored, clock, outcomes
):
    usage = {"1234": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 2}]}
    graph.answers = [
        (
            400,
            graph_error(80001, "There have been too many calls to this Page account."),
            {"X-Business-Use-Case-Usage": json.dumps(usage)},
        )
    ]
    request = on_page(NetworkAction.hide, "c-1")
    await request_action(request)
    executor, _ = executor_for({HOST: graph.app()})

    first = await executor.run_due()
    row = await stored(request.action_id)
    clock.advance(60)
    early = await executor.run_due()
    clock.advance(61)
    then = await executor.run_due()

    assert outcomes(first, request.action_id) == ["retry"]
    assert row.status == "pending"
    assert row.next_attempt_at == clock.at - timedelta(seconds=121) + timedelta(minutes=2)
    assert "code 80001" in row.last_error
    assert outcomes(early, request.action_id) == []
    assert outcomes(then, request.action_id) == ["succeeded"]
    assert (await stored(request.action_id)).attempts == 2
    assert graph.calls == 2


async def test_server_errors_are_retried_with_doubling_backoff_until_it_works(
    graph, on_page, request_action, executor_for, stored, clock, completed_events
):
    graph.answers = [
        (500, graph_error(2, "Service temporarily unavailable", is_transient=True), {}),
        (503, {}, {}),
    ]
    request = on_page(NetworkAction.reply, "c-1", reply_text="Hello")
    await request_action(request)
    executor, _ = executor_for({HOST: graph.app()})
    due: list[timedelta] = []

    for _ in range(3):
        await executor.run_due()
        row = await stored(request.action_id)
        if row.next_attempt_at is not None:
            due.append(row.next_attempt_at - clock.at)
            clock.at = row.next_attempt_at

    assert due == [timedelta(seconds=10), timedelta(seconds=20)]
    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("succeeded", 3)
    assert graph.replies == [("comments", "c-1", "Hello")]
    assert len(await completed_events(request.action_id)) == 1


async def test_server_errors_give_up_after_the_last_attempt(
    graph, on_page, request_action, executor_for, stored, clock, completed_events
):
    graph.answers = [(502, {}, {})] * 3
    request = on_page(NetworkAction.delete, "c-1")
    await request_action(request)
    executor, _ = executor_for({HOST: graph.app()}, policy=RetryPolicy(max_attempts=3))

    for _ in range(4):
        await executor.run_due()
        clock.advance(3600)

    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("gave up after 3 attempts: facebook answered 502")
    assert graph.calls == 3
    [(_, event)] = await completed_events(request.action_id)
    assert event.data["attempts"] == 3


async def test_a_reply_whose_answer_is_lost_is_failed_and_not_sent_again(
    graph, on_page, request_action, executor_for, stored, clock, completed_events
):
    request = on_page(NetworkAction.reply, "c-1", reply_text="Hello")
    await request_action(request)
    executor, networks = executor_for({HOST: graph.app()})
    networks.faults[HOST].script = ["lost"]

    await executor.run_due()
    clock.advance(3600)
    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("outcome unknown: ReadTimeout")
    assert graph.replies == [("comments", "c-1", "Hello")]  # the network did it, unseen
    assert graph.calls == 1
    assert len(await completed_events(request.action_id)) == 1


async def test_a_504_on_a_reply_leaves_its_outcome_unknown(
    graph, on_page, request_action, executor_for, stored
):
    graph.answers = [(504, {}, {})]
    request = on_page(NetworkAction.reply, "c-1", reply_text="Hello")
    await request_action(request)
    executor, _ = executor_for({HOST: graph.app()})

    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "failed"
    assert row.last_error.startswith("outcome unknown: facebook answered 504")


async def test_a_hide_whose_answer_is_lost_is_sent_again(
    graph, on_page, request_action, executor_for, stored, clock
):
    request = on_page(NetworkAction.hide, "c-1")
    await request_action(request)
    executor, networks = executor_for({HOST: graph.app()})
    networks.faults[HOST].script = ["lost"]

    await executor.run_due()
    clock.advance(10)
    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("succeeded", 2)
    assert graph.hidden == [("c-1", "is_hidden"), ("c-1", "is_hidden")]  # hiding twice is once


async def test_a_delete_whose_answer_was_lost_succeeds_when_the_comment_is_gone(
    graph, on_page, request_action, executor_for, stored, clock
):
    request = on_page(NetworkAction.delete, "c-1")
    await request_action(request)
    executor, networks = executor_for({HOST: graph.app()})
    networks.faults[HOST].script = ["lost"]

    await executor.run_due()
    clock.advance(10)
    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.attempts, row.last_error) == ("succeeded", 2, None)
    assert graph.deleted == ["c-1"]


async def test_deleting_a_comment_that_is_not_there_fails(
    graph, on_page, request_action, executor_for, stored
):
    graph.deleted = ["c-9"]
    request = on_page(NetworkAction.delete, "c-9")
    await request_action(request)
    executor, _ = executor_for({HOST: graph.app()})

    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "failed"
    assert "does not exist" in row.last_error


async def test_a_reply_that_could_not_connect_is_sent_once_connected(
    graph, on_page, request_action, executor_for, stored, clock
):
    request = on_page(NetworkAction.reply, "c-1", reply_text="Hello")
    await request_action(request)
    executor, networks = executor_for({HOST: graph.app()})
    networks.faults[HOST].script = ["refused"]

    await executor.run_due()
    row = await stored(request.action_id)
    clock.advance(10)
    await executor.run_due()

    assert row.status == "pending"
    assert row.last_error.startswith("could not connect (ConnectError)")
    done = await stored(request.action_id)
    assert (done.status, done.attempts) == ("succeeded", 2)
    assert graph.replies == [("comments", "c-1", "Hello")]


async def test_a_missing_permission_fails_without_retrying(
    graph, on_page, request_action, executor_for, stored
):
    graph.answers = [(403, graph_error(200, "Permissions error"), {})]
    request = on_page(NetworkAction.hide, "c-1")
    await request_action(request)
    executor, _ = executor_for({HOST: graph.app()})

    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "failed"
    assert "lacks a permission" in row.last_error
