"""The Mastodon poller against a fake instance speaking GET /api/v1/notifications."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select, text, update

from beacon_shared.bounds import INT32_MAX
from beacon_shared.contracts.common import Network
from beacon_shared.events import decode
from beacon_shared.networks import bluesky, mastodon
from beacon_shared.testing.plugin import eventually
from ingest.accounts import polling
from ingest.accounts.models import connected_account
from ingest.db import outbox
from ingest.pollers.paging import RATE_LIMIT_FALLBACK, reset_of

pytestmark = pytest.mark.integration

TOKEN = "mastodon-token"
BASE_URL = "https://mastodon.example"


def account(n: int) -> dict[str, Any]:
    return {
        "id": f"90{n}",
        "acct": f"fan{n}@other.example",
        "display_name": f"Fan {n}",
        "followers_count": 10 * n,
    }


def mention(nid: int, *, reply_to: str | None = None) -> dict[str, Any]:
    return {
        "id": str(nid),
        "type": "mention",
        "created_at": "2026-11-24T10:00:00.000Z",
        "account": account(nid),
        "status": {
            "id": f"1100{nid}",
            "created_at": "2026-11-24T10:00:00.000Z",
            "in_reply_to_id": reply_to,
            "content": f'<p>Hello <span class="h-card">@brand</span> &amp; co #{nid}</p>',
            "visibility": "public",
        },
    }


def favourite(nid: int, status_id: str = "77") -> dict[str, Any]:
    return {
        "id": str(nid),
        "type": "favourite",
        "created_at": "2026-11-24T10:01:00.000Z",
        "account": account(nid),
        "status": {"id": status_id, "content": "<p>our post</p>", "in_reply_to_id": None},
    }


def reblog(nid: int) -> dict[str, Any]:
    return {**favourite(nid), "type": "reblog"}


def follow(nid: int) -> dict[str, Any]:
    return {
        "id": str(nid),
        "type": "follow",
        "created_at": "2026-11-24T10:02:00.000Z",
        "account": account(nid),
    }


@dataclass
class FakeInstance:
    """A Mastodon instance's notifications endpoint, with switchable failures."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    fail_with: int | None = None
    malformed: bool = False
    remaining: int = 299
    reset: str = "2026-11-24T12:05:00.000Z"
    queries: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/notifications")
        async def notifications(request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return JSONResponse({"error": "The access token is invalid"}, status_code=401)
            query = request.query_params
            self.queries.append({"types": query.getlist("types[]"), **dict(query)})
            headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Reset": self.reset}
            if self.fail_with is not None:
                return JSONResponse({"error": "nope"}, self.fail_with, headers=headers)
            if self.malformed:
                return Response("<html>502 Bad Gateway", media_type="application/json")
            headers["X-RateLimit-Remaining"] = str(self.remaining)
            types = set(query.getlist("types[]"))
            chosen = sorted(
                (n for n in self.notifications if n["type"] in types),
                key=lambda n: int(n["id"]),
            )
            limit = int(query.get("limit", 40))
            if "min_id" in query:
                page = [n for n in chosen if int(n["id"]) > int(query["min_id"])][:limit]
            else:
                page = chosen[-limit:]
            return JSONResponse(list(reversed(page)), headers=headers)

        return app


@pytest.fixture
def instance() -> FakeInstance:
    return FakeInstance()


@pytest.fixture
async def polled(connect):
    return await connect(Network.mastodon, {"base_url": BASE_URL, "access_token": TOKEN})


async def test_first_poll_stores_each_notification_once_and_saves_the_cursor(
    instance, polled, runner_for, stored, account_state
):
    instance.notifications = [
        mention(101),
        mention(102, reply_to="5550"),
        favourite(103),
        reblog(104),
        follow(105),
    ]
    runner = runner_for(instance.app())

    outcome = await runner.poll_account(polled)

    rows = {row.external_id: row for row in await stored(polled.tenant_id)}
    assert outcome.outcome == "stored"
    assert outcome.stored == 5
    assert {r.kind for r in rows.values()} == {"mention", "reply", "reaction", "share", "follow"}
    plain = rows["1100101"]
    assert plain.kind == "mention"
    assert plain.text == "Hello @brand & co #101"
    assert plain.thread_external_id == "1100101"
    assert plain.author_id == "90101"
    assert plain.author_handle == "fan101@other.example"
    assert plain.author_followers == 1010
    assert plain.brand_id == "brand-1"
    assert plain.raw["status"]["content"].startswith("<p>Hello")
    assert rows["1100102"].parent_external_id == "5550"
    assert rows["notification:103"].parent_external_id == "77"
    assert rows["notification:105"].kind == "follow"
    assert (await account_state(polled)).poll_cursor == "105"
    assert instance.queries[0]["types"] == ["mention", "favourite", "reblog", "follow"]
    assert "min_id" not in instance.queries[0]


async def test_next_poll_asks_after_the_cursor_and_stores_only_new_ones(
    instance, polled, runner_for, stored, account_state, clock
):
    instance.notifications = [mention(201), favourite(202)]
    runner = runner_for(instance.app())
    await runner.poll_account(polled)
    instance.notifications += [mention(203), follow(204)]

    clock.advance(30)  # one interval: an account is polled at most once per interval
    second = await runner.poll_account(polled)
    clock.advance(30)
    third = await runner.poll_account(polled)

    assert instance.queries[1]["min_id"] == "202"
    assert (second.stored, second.duplicates) == (2, 0)
    assert (third.stored, third.duplicates) == (0, 0)
    assert len(await stored(polled.tenant_id)) == 4
    assert (await account_state(polled)).poll_cursor == "204"


async def test_a_repeated_answer_stores_no_duplicates(
    instance, polled, runner_for, stored, sessionmaker, clock
):
    instance.notifications = [mention(301), reblog(302)]
    runner = runner_for(instance.app())
    await runner.poll_account(polled)
    # A lost cursor (or an instance that ignores min_id) serves the same notifications again.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE ingest.connected_account SET poll_cursor = NULL WHERE id = :id"),
            {"id": polled.id},
        )
    clock.advance(30)  # one interval: an account is polled at most once per interval
    again = await runner.poll_account(polled)

    assert (again.stored, again.duplicates) == (0, 2)
    assert len(await stored(polled.tenant_id)) == 2


async def test_an_exhausted_rate_limit_rests_the_account_until_reset(
    instance, polled, runner_for, stored, clock
):
    instance.notifications = [mention(401)]
    instance.remaining = 0
    instance.reset = (clock.at + timedelta(minutes=5)).isoformat()
    runner = runner_for(instance.app())

    first = await runner.poll_account(polled)
    instance.notifications.append(mention(402))
    clock.advance(60)
    resting = await runner.poll_account(polled)
    clock.advance(300)
    after_reset = await runner.poll_account(polled)

    assert first.stored == 1
    assert resting.outcome == "resting"
    assert len(instance.queries) == 2
    assert after_reset.stored == 1


async def test_429_skips_the_account_until_the_reset_it_names(
    instance, polled, runner_for, clock, account_state
):
    instance.fail_with = 429
    instance.reset = (clock.at + timedelta(minutes=2)).isoformat()
    runner = runner_for(instance.app())

    limited = await runner.poll_account(polled)
    clock.advance(119)
    still = await runner.poll_account(polled)
    instance.fail_with = None
    clock.advance(2)
    resumed = await runner.poll_account(polled)

    assert limited.outcome == "rate_limited"
    assert still.outcome == "resting"
    assert resumed.outcome == "stored"
    assert len(instance.queries) == 2
    assert (await account_state(polled)).poll_cursor is None


async def test_server_errors_back_off_exponentially_and_keep_the_cursor(
    instance, polled, runner_for, clock, account_state
):
    instance.notifications = [mention(501)]
    runner = runner_for(instance.app())
    await runner.poll_account(polled)
    instance.fail_with = 500
    clock.advance(30)  # one interval: an account is polled at most once per interval
    failed = await runner.poll_account(polled)
    clock.advance(59)
    resting = await runner.poll_account(polled)
    clock.advance(2)
    failed_again = await runner.poll_account(polled)
    clock.advance(61)
    still_resting = await runner.poll_account(polled)

    assert failed.outcome == "failed"
    assert resting.outcome == "resting"
    assert failed_again.outcome == "failed"
    assert still_resting.outcome == "resting"  # the second failure waits 120 s, not 60
    assert (await account_state(polled)).poll_cursor == "501"


async def test_malformed_json_is_counted_and_keeps_the_cursor(
    instance, polled, runner_for, account_state, stored, clock
):
    instance.notifications = [mention(601)]
    runner = runner_for(instance.app())
    await runner.poll_account(polled)
    instance.notifications.append(mention(602))
    instance.malformed = True
    clock.advance(30)  # one interval: an account is polled at most once per interval
    outcome = await runner.poll_account(polled)

    assert (outcome.outcome, outcome.malformed) == ("malformed", 1)
    assert (await account_state(polled)).poll_cursor == "601"
    assert len(await stored(polled.tenant_id)) == 1


async def test_a_malformed_notification_is_counted_and_the_rest_stored(
    instance, polled, runner_for, stored, account_state
):
    broken = mention(702)
    del broken["account"]
    instance.notifications = [mention(701), broken, follow(703)]
    runner = runner_for(instance.app())

    outcome = await runner.poll_account(polled)

    assert (outcome.stored, outcome.malformed) == (2, 1)
    assert (await account_state(polled)).poll_cursor == "703"


async def test_a_refused_token_marks_an_own_account_needs_reauth(
    instance, connect, runner_for, account_state
):
    # Connected through ingest's API before the registry: no refresh to wait for.
    revoked = await connect(
        Network.mastodon, {"base_url": BASE_URL, "access_token": "revoked"}, legacy=True
    )
    runner = runner_for(instance.app())

    outcome = await runner.poll_account(revoked)
    listed = await runner.poll_all()

    assert outcome.outcome == "needs_reauth"
    assert (await account_state(revoked)).status == "needs_reauth"
    assert revoked.id not in listed


async def test_a_workspace_account_s_refused_token_rests_it_until_the_refresh(
    instance, connect, runner_for, account_state, sessionmaker, clock
):
    revoked = await connect(Network.mastodon, {"base_url": BASE_URL, "access_token": "revoked"})
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(connected_account)
            .where(connected_account.c.id == revoked.id)
            .values(workspace_version=2)
        )
    runner = runner_for(instance.app())

    outcome = await runner.poll_account(revoked)
    again = await runner.poll_account(revoked)  # resting: not due before the wait ends

    state = await account_state(revoked)
    assert (outcome.outcome, again.outcome) == ("awaiting_credentials", "resting")
    assert state.status == "active"
    assert state.poll_next_at >= clock() + timedelta(seconds=119)
    async with sessionmaker() as session:
        asked = (
            (
                await session.execute(
                    select(outbox.c.value).where(
                        outbox.c.key == str(revoked.id),
                        outbox.c.topic == "account.refresh.requested",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [decode(v).data["version"] for v in asked] == [2]

    # No refreshed token within the wait (a Mastodon token is not refreshed): a person, then.
    clock.advance(121)
    last = await runner.poll_account(revoked)

    assert last.outcome == "needs_reauth"
    assert (await account_state(revoked)).status == "needs_reauth"


async def test_one_failing_account_does_not_stop_the_others(
    instance, polled, connect, runner_for, stored
):
    broken = await connect(Network.mastodon, {"access_token": TOKEN})  # no base_url
    instance.notifications = [mention(801)]
    runner = runner_for(instance.app())

    outcomes = await runner.poll_all()

    assert outcomes[broken.id].outcome == "failed"
    assert outcomes[polled.id].outcome == "stored"
    assert len(await stored(polled.tenant_id)) == 1


def test_reset_headers_parse_as_each_network_writes_them_or_fall_back():
    five_past = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    iso = httpx.Response(429, headers={"X-RateLimit-Reset": "2026-01-01T00:05:00.000Z"})
    epoch = httpx.Response(429, headers={"ratelimit-reset": "1767225900"})
    before = datetime.now(UTC)

    assert reset_of(mastodon.LIMITS, iso) == five_past
    assert reset_of(bluesky.LIMITS, epoch) == five_past
    assert reset_of(mastodon.LIMITS, httpx.Response(429)) >= before + RATE_LIMIT_FALLBACK


async def test_the_worker_job_polls_every_interval_and_stops_when_told(
    instance, polled, runner_for, stored, clock
):
    instance.notifications = [mention(901)]
    runner = runner_for(instance.app(), interval_seconds=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))

    def stored_count(expected: int):
        async def check() -> bool:
            return len(await stored(polled.tenant_id)) == expected

        return check

    await eventually(stored_count(1), timeout=5)
    instance.notifications.append(mention(902))
    clock.advance(1)  # the account is due again
    await eventually(stored_count(2), timeout=5)
    stop.set()
    await asyncio.wait_for(running, timeout=5)


async def test_two_workers_polling_at_once_poll_the_account_once(instance, polled, runner_for):
    instance.notifications = [mention(701)]
    replicas = [runner_for(instance.app()), runner_for(instance.app())]

    outcomes = await asyncio.gather(*(replica.poll_account(polled) for replica in replicas))

    assert sorted(o.outcome for o in outcomes) == ["resting", "stored"]
    assert len(instance.queries) == 1


async def test_a_backoff_outlives_the_worker_that_set_it(instance, polled, runner_for, clock):
    instance.fail_with = 500
    failed = await runner_for(instance.app()).poll_account(polled)
    restarted = runner_for(instance.app())  # a new process: nothing of the first in memory

    clock.advance(59)
    resting = await restarted.poll_account(polled)
    clock.advance(2)
    instance.fail_with = None
    resumed = await restarted.poll_account(polled)

    assert [failed.outcome, resting.outcome, resumed.outcome] == ["failed", "resting", "stored"]


async def test_an_account_held_by_a_worker_that_died_is_polled_after_the_hold(
    instance, polled, runner_for, clock, sessionmaker
):
    async with sessionmaker() as session, session.begin():
        await polling.claim(  # what a worker killed mid-poll leaves behind
            session,
            tenant_id=polled.tenant_id,
            account_id=polled.id,
            now=clock.at,
            hold_until=clock.at + timedelta(seconds=300),
        )
    runner = runner_for(instance.app())

    held = await runner.poll_account(polled)
    clock.advance(301)
    freed = await runner.poll_account(polled)

    assert (held.outcome, freed.outcome) == ("resting", "stored")


async def test_an_author_past_the_follower_column_is_clamped_and_a_time_past_storage_left_out(
    instance, polled, runner_for, stored
):
    famous = mention(801)
    famous["account"]["followers_count"] = 2**40
    ancient = mention(802)
    ancient["created_at"] = "0001-01-01T00:00:00+01:00"  # year 0 in UTC
    instance.notifications = [famous, ancient, follow(803)]
    runner = runner_for(instance.app())

    outcome = await runner.poll_account(polled)

    rows = {row.external_id: row for row in await stored(polled.tenant_id)}
    assert (outcome.stored, outcome.malformed) == (2, 1)
    assert rows["1100801"].author_followers == INT32_MAX
    assert "1100802" not in rows
