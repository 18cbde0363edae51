"""The executor's rules whatever the network: what it refuses, redelivered requests, replicas
racing for the same action, and calls cut off by a crash."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import ActionOutcome
from beacon_shared.contracts.moderation import NetworkAction
from ingest.actions import service
from ingest.actions.executor import RetryPolicy

pytestmark = pytest.mark.integration

GRAPH_HOST = "graph.test"


@pytest.fixture
def fake_graph():
    """A Graph API that answers every call with success and counts them."""
    calls: list[str] = []
    app = FastAPI()

    @app.api_route("/v23.0/{path:path}", methods=["POST", "DELETE"])
    async def anything(path: str, request: Request) -> dict[str, object]:
        calls.append(f"{request.method} {path}")
        return {"success": True, "id": f"{path.split('/')[0]}_reply"}

    return app, calls


def completed_count(network: str, action: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "beacon_ingest_network_actions_total",
        {"network": network, "action": action, "outcome": outcome},
    )
    return value or 0.0


async def test_the_sandbox_succeeds_without_an_account_and_replies_get_a_synthetic_id(
    make_request, request_action, executor_for, stored, completed_events
):
    before = completed_count("sandbox", "reply", "succeeded")
    reply = make_request(
        network=Network.sandbox,
        action=NetworkAction.reply,
        external_id="s-1",
        account_id=None,
        reply_text="hello",
    )
    hide = make_request(
        network=Network.sandbox, action=NetworkAction.hide, external_id="s-2", account_id=None
    )
    await request_action(reply, hide)
    executor, _ = executor_for({})

    await executor.run_due()

    row = await stored(reply.action_id)
    assert (row.status, row.reply_external_id) == (
        "succeeded",
        f"sandbox-reply-{reply.action_id}",
    )
    assert (await stored(hide.action_id)).status == "succeeded"
    assert completed_count("sandbox", "reply", "succeeded") == before + 1
    [(_, event)] = await completed_events(reply.action_id)
    assert event.data["reply_external_id"] == f"sandbox-reply-{reply.action_id}"


@pytest.mark.parametrize(
    ("network", "reason"),
    [
        (Network.custom, "custom sources have no network Beacon can act on"),
        (Network.linkedin, "Beacon does not act on LinkedIn comments yet"),
    ],
)
async def test_networks_without_a_client_are_unsupported(
    make_request, request_action, executor_for, stored, completed_events, network, reason
):
    before = completed_count(network.value, "hide", "unsupported")
    request = make_request(
        network=network, action=NetworkAction.hide, external_id="c-1", account_id=None
    )
    await request_action(request)
    executor, _ = executor_for({})

    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.last_error, row.attempts) == ("unsupported", reason, 0)
    [(_, event)] = await completed_events(request.action_id)
    assert (event.data["outcome"], event.data["error"]) == ("unsupported", reason)
    assert completed_count(network.value, "hide", "unsupported") == before + 1


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("no_account_id", "the request names no connected account"),
        ("unknown_account", "no connected account"),
        ("another_tenants_account", "no connected account"),
        ("needs_reauth", "the account needs re-authorisation: reconnect it"),
        ("paused", "the account is paused"),
        ("no_credentials", "the account has no credentials: reconnect it with them"),
        ("other_network", "is on instagram, not facebook"),
        ("no_reply_text", "a reply needs reply_text"),
    ],
)
async def test_actions_that_cannot_be_carried_out_fail_with_a_reason_and_no_call(
    connect,
    set_status,
    make_request,
    request_action,
    executor_for,
    stored,
    completed_events,
    fake_graph,
    unique,
    case,
    reason,
):
    app, calls = fake_graph
    account_id: object = None
    reply_text: str | None = "hello"
    if case == "unknown_account":
        account_id = uuid.uuid4()
    elif case == "another_tenants_account":
        other = await connect(Network.facebook, {"access_token": "t"}, tenant_id=unique("other"))
        account_id = other.id
    elif case == "other_network":
        account_id = (await connect(Network.instagram, {"access_token": "t"})).id
    elif case == "no_credentials":
        account_id = (await connect(Network.facebook, None)).id
    elif case != "no_account_id":
        account = await connect(Network.facebook, {"access_token": "t"})
        account_id = account.id
        if case in ("needs_reauth", "paused"):
            await set_status(account, case)
        else:
            reply_text = None
    request = make_request(
        network=Network.facebook,
        action=NetworkAction.reply,
        external_id="c-1",
        account_id=account_id,
        reply_text=reply_text,
    )
    await request_action(request)
    executor, _ = executor_for({GRAPH_HOST: app})

    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "failed"
    assert reason in row.last_error
    assert calls == []
    assert len(await completed_events(request.action_id)) == 1


async def test_a_redelivered_request_is_stored_once_and_acted_on_once(
    connect, make_request, request_action, executor_for, stored, completed_events, fake_graph
):
    app, calls = fake_graph
    account = await connect(Network.facebook, {"access_token": "t"})
    request = make_request(
        network=Network.facebook,
        action=NetworkAction.hide,
        external_id="c-1",
        account_id=account.id,
    )
    [first] = await request_action(request)
    await request_action(request, request)  # moderation sent it again, twice in one batch
    executor, _ = executor_for({GRAPH_HOST: app})

    await executor.run_due()
    await request_action(request)  # and once more after it was done
    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("succeeded", 1)
    assert row.request_event_id == first.id
    assert calls == ["POST c-1"]
    assert len(await completed_events(request.action_id)) == 1


async def test_two_replicas_running_at_once_act_once(
    connect, make_request, request_action, executor_for, completed_events, fake_graph
):
    app, calls = fake_graph
    account = await connect(Network.facebook, {"access_token": "t"})
    requests = [
        make_request(
            network=Network.facebook,
            action=NetworkAction.reply,
            external_id=f"c-{n}",
            account_id=account.id,
            reply_text="hi",
        )
        for n in range(6)
    ]
    await request_action(*requests)
    replicas = [executor_for({GRAPH_HOST: app}, batch_size=2)[0] for _ in range(2)]

    await asyncio.gather(*(replica.run_due() for replica in replicas))

    assert sorted(calls) == sorted(f"POST c-{n}/comments" for n in range(6))
    for request in requests:
        assert len(await completed_events(request.action_id)) == 1


async def test_a_reply_cut_off_by_a_crash_is_failed_not_resent(
    connect, make_request, request_action, executor_for, stored, sessionmaker, clock, fake_graph
):
    app, calls = fake_graph
    account = await connect(Network.facebook, {"access_token": "t"})
    reply = make_request(
        network=Network.facebook,
        action=NetworkAction.reply,
        external_id="c-1",
        account_id=account.id,
        reply_text="hi",
    )
    hide = make_request(
        network=Network.facebook,
        action=NetworkAction.hide,
        external_id="c-2",
        account_id=account.id,
    )
    await request_action(reply, hide)
    # A replica claims both and starts their calls, then dies before recording anything.
    async with sessionmaker() as session, session.begin():
        claimed = await service.claim(
            session,
            now=clock.at,
            hold_until=clock.at + timedelta(minutes=5),
            lease=uuid.uuid4(),
            limit=10,
        )
        for action in claimed:
            assert await service.start_attempt(session, action, now=clock.at)
    executor, _ = executor_for({GRAPH_HOST: app})

    before_hold = await executor.run_due()
    clock.advance(301)
    await executor.run_due()

    assert before_hold == []
    replied = await stored(reply.action_id)
    assert (replied.status, replied.attempts) == ("failed", 1)
    assert replied.last_error.startswith("outcome unknown: an earlier attempt got no answer")
    hidden = await stored(hide.action_id)
    assert (hidden.status, hidden.attempts) == ("succeeded", 2)
    assert calls == ["POST c-2"]


async def test_a_replica_whose_hold_expired_records_nothing_over_the_one_that_took_over(
    connect, make_request, request_action, executor_for, sessionmaker, clock, completed_events
):
    account = await connect(Network.facebook, {"access_token": "t"})
    request = make_request(
        network=Network.sandbox, action=NetworkAction.hide, external_id="c-1", account_id=account.id
    )
    await request_action(request)
    async with sessionmaker() as session, session.begin():
        [slow] = await service.claim(
            session, now=clock.at, hold_until=clock.at, lease=uuid.uuid4(), limit=10
        )
    clock.advance(1)
    executor, _ = executor_for({})
    await executor.run_due()  # the hold expired: another replica takes it and finishes

    async with sessionmaker() as session, session.begin():
        late = await service.complete(
            session, slow, outcome=ActionOutcome.failed, error="late", now=clock.at
        )

    assert late is None
    [(_, event)] = await completed_events(request.action_id)
    assert event.data["outcome"] == "succeeded"


async def test_a_stopping_executor_claims_nothing(
    make_request, request_action, executor_for, stored
):
    request = make_request(
        network=Network.sandbox, action=NetworkAction.hide, external_id="s-1", account_id=None
    )
    await request_action(request)
    executor, _ = executor_for({})
    stop = asyncio.Event()
    stop.set()

    settled = await executor.run_due(stop)

    assert settled == []
    assert (await stored(request.action_id)).status == "pending"


async def test_a_rate_limit_beyond_the_retry_window_gives_up_at_once(
    connect, make_request, request_action, executor_for, stored, clock
):
    app = FastAPI()

    @app.post("/v23.0/{comment_id}")
    async def throttled(comment_id: str) -> JSONResponse:
        return JSONResponse(
            {"error": {"message": "Too many calls", "code": 4}},
            status_code=400,
            headers={"Retry-After": "7200"},
        )

    account = await connect(Network.facebook, {"access_token": "t"})
    request = make_request(
        network=Network.facebook,
        action=NetworkAction.hide,
        external_id="c-1",
        account_id=account.id,
    )
    await request_action(request)
    executor, _ = executor_for(
        {GRAPH_HOST: app}, policy=RetryPolicy(give_up_after=timedelta(hours=1))
    )

    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "failed"
    assert row.last_error.startswith("gave up: facebook answered 400 (code 4)")
    assert "past the retry window" in row.last_error
