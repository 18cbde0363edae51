"""Mastodon actions against a fake instance speaking POST /api/v1/statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction

pytestmark = pytest.mark.integration

TOKEN = "mastodon-token"
HOST = "mastodon.test"
BASE_URL = f"https://{HOST}"


@dataclass
class FakeInstance:
    """Statuses, deduped by Idempotency-Key as Mastodon does."""

    statuses: list[dict[str, str]] = field(default_factory=list)
    by_key: dict[str, dict[str, str]] = field(default_factory=dict)
    keys: list[str | None] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/v1/statuses")
        async def post_status(request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return JSONResponse({"error": "The access token is invalid"}, status_code=401)
            key = request.headers.get("idempotency-key")
            self.keys.append(key)
            if self.answers:
                status, body, headers = self.answers.pop(0)
                return JSONResponse(body, status_code=status, headers=headers)
            if key in self.by_key:
                return JSONResponse(self.by_key[key])
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            status_json = {
                "id": f"1133{len(self.statuses):04d}",
                "content": f"<p>{form['status']}</p>",
                "in_reply_to_id": form.get("in_reply_to_id"),
            }
            self.statuses.append(status_json)
            if key is not None:
                self.by_key[key] = status_json
            return JSONResponse(status_json)

        return app


@pytest.fixture
def instance() -> FakeInstance:
    return FakeInstance()


@pytest.fixture
async def brand(connect):
    return await connect(Network.mastodon, {"base_url": BASE_URL, "access_token": TOKEN})


@pytest.fixture
def on_mastodon(make_request, brand):
    def build(action: NetworkAction, external_id: str, **extra: Any):
        return make_request(
            network=Network.mastodon,
            action=action,
            external_id=external_id,
            account_id=brand.id,
            **extra,
        )

    return build


async def test_a_reply_is_a_status_in_reply_to_the_comment_with_an_idempotency_key(
    instance, on_mastodon, request_action, executor_for, stored
):
    request = on_mastodon(NetworkAction.reply, "110001", reply_text="Thanks!")
    await request_action(request)
    executor, _ = executor_for({HOST: instance.app()})

    await executor.run_due()

    assert [(s["in_reply_to_id"], s["content"]) for s in instance.statuses] == [
        ("110001", "<p>Thanks!</p>")
    ]
    assert instance.keys == [str(request.action_id)]
    row = await stored(request.action_id)
    assert (row.status, row.reply_external_id) == ("succeeded", "11330000")


@pytest.mark.parametrize(
    ("handle", "text", "sent"),
    [
        ("alice@other.social", "Thanks!", "@alice@other.social Thanks!"),
        ("@bob", "Thanks!", "@bob Thanks!"),
        ("carol", "Thanks @Carol, noted", "Thanks @Carol, noted"),
    ],
)
async def test_a_reply_mentions_the_author_so_they_are_notified(
    instance, on_mastodon, request_action, executor_for, handle, text, sent
):
    await request_action(
        on_mastodon(NetworkAction.reply, "110001", reply_text=text, author_handle=handle)
    )
    executor, _ = executor_for({HOST: instance.app()})

    await executor.run_due()

    assert [s["content"] for s in instance.statuses] == [f"<p>{sent}</p>"]


async def test_a_reply_whose_answer_is_lost_is_resent_under_the_same_key_and_made_once(
    instance, on_mastodon, request_action, executor_for, stored, clock, completed_events
):
    request = on_mastodon(NetworkAction.reply, "110001", reply_text="Thanks!")
    await request_action(request)
    executor, networks = executor_for({HOST: instance.app()})
    networks.faults[HOST].script = ["lost"]

    await executor.run_due()
    pending = await stored(request.action_id)
    clock.advance(10)
    await executor.run_due()

    assert pending.status == "pending"
    assert pending.uncertain_since is not None
    assert len(instance.statuses) == 1
    assert instance.keys == [str(request.action_id)] * 2
    row = await stored(request.action_id)
    assert (row.status, row.attempts, row.reply_external_id) == ("succeeded", 2, "11330000")
    assert len(await completed_events(request.action_id)) == 1


async def test_a_lost_reply_is_not_resent_once_the_key_may_be_forgotten(
    instance, on_mastodon, request_action, executor_for, stored, clock
):
    instance.answers = [(503, {"error": "busy"}, {})]
    request = on_mastodon(NetworkAction.reply, "110001", reply_text="Thanks!")
    await request_action(request)
    executor, networks = executor_for({HOST: instance.app()})
    # A 503, then the answer lost, then the next try comes too late for the key.
    networks.faults[HOST].script = ["", "lost"]

    await executor.run_due()
    clock.advance(10)
    await executor.run_due()
    clock.advance(3600)
    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.last_error.startswith("outcome unknown")
    assert len(instance.statuses) == 1


async def test_hiding_or_deleting_another_accounts_status_is_unsupported(
    instance, on_mastodon, request_action, executor_for, stored
):
    hide = on_mastodon(NetworkAction.hide, "110001")
    delete = on_mastodon(NetworkAction.delete, "110002")
    await request_action(hide, delete)
    executor, _ = executor_for({HOST: instance.app()})

    await executor.run_due()

    for request in (hide, delete):
        row = await stored(request.action_id)
        assert row.status == "unsupported"
        assert "only its author or the instance's moderators" in row.last_error
    assert instance.keys == []


async def test_a_429_waits_for_x_ratelimit_reset(
    instance, on_mastodon, request_action, executor_for, stored, clock
):
    reset = clock.at.replace(microsecond=0) + timedelta(minutes=5)
    instance.answers = [
        (429, {"error": "Too many requests"}, {"X-RateLimit-Reset": reset.isoformat()})
    ]
    request = on_mastodon(NetworkAction.reply, "110001", reply_text="Thanks!")
    await request_action(request)
    executor, _ = executor_for({HOST: instance.app()})

    await executor.run_due()
    row = await stored(request.action_id)
    clock.at = reset
    await executor.run_due()

    assert row.next_attempt_at == reset
    assert row.last_error == "mastodon answered 429: Too many requests"
    assert (await stored(request.action_id)).status == "succeeded"
    assert len(instance.statuses) == 1


async def test_a_504_on_a_reply_is_resent_under_the_same_key(
    instance, on_mastodon, request_action, executor_for, stored, clock
):
    instance.answers = [(504, {"error": "Gateway Timeout"}, {})]
    request = on_mastodon(NetworkAction.reply, "110001", reply_text="Thanks!")
    await request_action(request)
    executor, _ = executor_for({HOST: instance.app()})

    await executor.run_due()
    pending = await stored(request.action_id)
    clock.advance(10)
    await executor.run_due()

    assert pending.last_error == "outcome unknown: mastodon answered 504: Gateway Timeout"
    assert pending.uncertain_since is not None
    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("succeeded", 2)
    assert instance.keys == [str(request.action_id)] * 2
    assert len(instance.statuses) == 1
