"""The metrics poller against a fake Mastodon instance: GET /api/v1/accounts/:id/statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.bounds import INT64_MAX
from beacon_shared.contracts.common import Network

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
INSTANCE = "https://rival.example"
OWN_INSTANCE = "https://brand.example"
TOKEN = "brand-token"
RIVAL = "109000000000000001"


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def status(
    n: int, *, age: timedelta, likes: int = 3, replies: int = 1, boosts: int = 2
) -> dict[str, Any]:
    """A status of the account, `age` old; ids grow with time like Mastodon's."""
    created = NOW - age
    return {
        "id": str(110_000_000_000_000_000 + int(created.timestamp()) * 1000 + n),
        "created_at": iso(created),
        "in_reply_to_id": None,
        "content": f"<p>Post {n} about <a href='x'>#Coffee</a> &amp; tea</p>",
        "visibility": "public",
        "favourites_count": likes,
        "replies_count": replies,
        "reblogs_count": boosts,
        "reblog": None,
        "account": {"id": RIVAL, "acct": "rival@rival.example"},
    }


def boost(n: int, *, age: timedelta) -> dict[str, Any]:
    return {**status(n, age=age), "reblog": status(900 + n, age=age + timedelta(days=1))}


@dataclass
class FakeInstance:
    """A Mastodon instance's account statuses endpoint, with switchable failures."""

    statuses: list[dict[str, Any]] = field(default_factory=list)
    fail_with: int | None = None
    malformed: bool = False
    remaining: int = 299
    reset: str = iso(NOW + timedelta(minutes=5))
    # Every call, whichever account it reads: other tests' accounts may be due too.
    calls: list[dict[str, Any]] = field(default_factory=list)

    def queries(self, account_id: str = RIVAL) -> list[dict[str, Any]]:
        """The queries that read one account, oldest first."""
        return [c for c in self.calls if c["account_id"] == account_id]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/accounts/{account_id}/statuses")
        async def statuses(account_id: str, request: Request) -> Response:
            query = dict(request.query_params)
            self.calls.append(
                {
                    "account_id": account_id,
                    "authorization": request.headers.get("authorization"),
                    **query,
                }
            )
            headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Reset": self.reset}
            if self.fail_with is not None:
                return JSONResponse({"error": "nope"}, self.fail_with, headers=headers)
            if self.malformed:
                return Response("<html>502 Bad Gateway", media_type="application/json")
            headers["X-RateLimit-Remaining"] = str(self.remaining)
            chosen = sorted(self.statuses, key=lambda s: int(s["id"]), reverse=True)
            if query.get("exclude_reblogs") == "true":
                chosen = [s for s in chosen if not s.get("reblog")]
            if "max_id" in query:
                chosen = [s for s in chosen if int(s["id"]) < int(query["max_id"])]
            return JSONResponse(chosen[: int(query.get("limit", 20))], headers=headers)

        return app


@pytest.fixture
def instance() -> FakeInstance:
    return FakeInstance()


@pytest.fixture
async def rival(track):
    return await track(
        Network.mastodon, RIVAL, handle="rival", label="Rival Inc", instance_url=INSTANCE
    )


async def test_a_competitors_recent_posts_are_observed_once_each_with_their_totals(
    instance, rival, poller_for, observed, poll_state, clock
):
    instance.statuses = [
        status(1, age=timedelta(hours=2), likes=10, replies=4, boosts=6),
        status(2, age=timedelta(days=3)),
        boost(3, age=timedelta(hours=1)),
        status(4, age=timedelta(days=8)),  # older than the window
    ]
    poller = poller_for(instance.app())

    outcome = await poller.poll_account(rival)

    events = await observed()
    assert outcome.outcome == "observed"
    assert outcome.posts == 2
    by_post = {event.post_external_id: (key, event) for key, event in events}
    assert set(by_post) == {instance.statuses[0]["id"], instance.statuses[1]["id"]}
    key, first = by_post[instance.statuses[0]["id"]]
    assert key == first.post_external_id
    assert first.owner == "competitor"
    assert first.competitor_id == str(rival.id)
    assert first.brand_id == "brand-1"
    assert first.network is Network.mastodon
    assert first.account_external_id == RIVAL
    assert first.account_handle == "rival@rival.example"
    assert (first.likes, first.comments, first.shares) == (10, 4, 6)
    assert first.text == "Post 1 about #Coffee & tea"
    assert first.post_created_at == NOW - timedelta(hours=2)
    assert first.observed_at == NOW
    [query] = instance.queries()
    assert query["exclude_reblogs"] == "true"
    assert query["exclude_replies"] == "true"
    assert query["authorization"] is None  # public: no token is sent for a competitor
    state = await poll_state(rival)
    assert state.next_at == NOW + timedelta(seconds=900)
    assert state.polled_at == NOW
    assert (state.failures, state.last_error) == (0, None)


async def test_a_read_pages_back_until_it_passes_the_window(instance, rival, poller_for, observed):
    instance.statuses = [status(n, age=timedelta(hours=n)) for n in range(1, 61)]
    instance.statuses.append(status(99, age=timedelta(days=10)))
    poller = poller_for(instance.app())

    outcome = await poller.poll_account(rival)

    assert outcome.posts == 60
    assert len(await observed()) == 60
    queries = instance.queries()
    assert len(queries) == 2
    assert "max_id" not in queries[0]
    assert queries[1]["max_id"] == min(
        (s["id"] for s in instance.statuses[:40]), key=lambda i: (len(i), i)
    )


async def test_an_account_is_not_polled_again_before_its_interval(
    instance, rival, poller_for, observed, clock
):
    instance.statuses = [status(1, age=timedelta(hours=1))]
    poller = poller_for(instance.app())
    await poller.poll_account(rival)

    clock.advance(600)
    early = await poller.poll_due()
    clock.advance(301)
    due = await poller.poll_due()

    assert rival.id not in early
    assert due[rival.id].outcome == "observed"
    assert len(await observed()) == 2  # the same post, observed twice with its totals


async def test_a_rate_limit_rests_the_account_until_the_reset(
    instance, rival, poller_for, observed, poll_state, clock
):
    instance.fail_with = 429
    instance.reset = iso(NOW + timedelta(minutes=40))
    poller = poller_for(instance.app())

    outcome = await poller.poll_account(rival)

    state = await poll_state(rival)
    assert outcome.outcome == "rate_limited"
    assert await observed() == []
    assert state.next_at == NOW + timedelta(minutes=40)
    assert (state.failures, state.last_error) == (0, "rate_limited")
    clock.advance(39 * 60)
    assert rival.id not in await poller.poll_due()


async def test_a_spent_quota_stores_the_page_and_waits_for_the_reset(
    instance, rival, poller_for, observed, poll_state
):
    instance.statuses = [status(1, age=timedelta(hours=1))]
    instance.remaining = 0
    instance.reset = iso(NOW + timedelta(hours=1))
    poller = poller_for(instance.app())

    outcome = await poller.poll_account(rival)

    assert outcome.outcome == "observed"
    assert len(await observed()) == 1
    assert (await poll_state(rival)).next_at == NOW + timedelta(hours=1)


async def test_server_errors_back_off_doubling_and_a_success_resets(
    instance, rival, poller_for, observed, poll_state, clock
):
    instance.fail_with = 503
    poller = poller_for(instance.app())

    first = await poller.poll_account(rival)
    after_first = await poll_state(rival)
    clock.at = after_first.next_at
    await poller.poll_account(rival)
    after_second = await poll_state(rival)
    instance.fail_with = None
    instance.statuses = [status(1, age=timedelta(hours=1))]
    clock.at = after_second.next_at
    recovered = await poller.poll_account(rival)

    assert first.outcome == "failed"
    assert after_first.next_at == NOW + timedelta(seconds=900)
    assert (after_first.failures, after_first.last_error) == (1, "http_503")
    assert after_second.next_at == after_first.next_at + timedelta(seconds=1800)
    assert after_second.failures == 2
    assert recovered.outcome == "observed"
    final = await poll_state(rival)
    assert (final.failures, final.last_error) == (0, None)
    assert len(await observed()) == 1


async def test_a_malformed_answer_stores_nothing_and_backs_off(
    instance, rival, poller_for, observed, poll_state
):
    instance.malformed = True
    poller = poller_for(instance.app())

    outcome = await poller.poll_account(rival)

    state = await poll_state(rival)
    assert outcome.outcome == "malformed"
    assert await observed() == []
    assert (state.failures, state.last_error) == (1, "malformed")


async def test_malformed_statuses_are_skipped_and_the_rest_observed(
    instance, rival, poller_for, observed
):
    good = status(1, age=timedelta(hours=1))
    no_counts = {k: v for k, v in status(2, age=timedelta(hours=2)).items() if k != "replies_count"}
    negative = status(3, age=timedelta(hours=3), likes=-1)
    instance.statuses = [good, no_counts, negative]
    poller = poller_for(instance.app())

    outcome = await poller.poll_account(rival)

    assert (outcome.outcome, outcome.posts, outcome.malformed) == ("observed", 1, 2)
    assert [event.post_external_id for _, event in await observed()] == [good["id"]]


async def test_an_unknown_account_is_recorded_as_not_found(instance, rival, poller_for, poll_state):
    instance.fail_with = 404
    poller = poller_for(instance.app())

    outcome = await poller.poll_account(rival)

    state = await poll_state(rival)
    assert outcome.outcome == "gone"
    assert state.failures == 1
    assert state.last_error.startswith("not_found")


async def test_own_accounts_are_read_with_their_instance_and_token(
    instance, connect, poller_for, observed
):
    own = await connect(Network.mastodon, "5", {"base_url": OWN_INSTANCE, "access_token": TOKEN})
    instance.statuses = [status(1, age=timedelta(hours=1), likes=7)]
    poller = poller_for(instance.app())

    outcomes = await poller.poll_due()

    assert outcomes[own.id].outcome == "observed"
    [query] = instance.queries(own.external_account_id)
    assert query["authorization"] == f"Bearer {TOKEN}"
    [(_, event)] = await observed()
    assert (event.owner, event.competitor_id, event.likes) == ("own", None, 7)
    assert event.account_external_id == own.external_account_id


async def test_paused_competitors_and_own_accounts_without_credentials_are_not_polled(
    instance, track, connect, poller_for, sessionmaker
):
    from ingest.competitors import service
    from ingest.competitors.schemas import CompetitorPatch

    paused = await track(Network.mastodon, "77", instance_url=INSTANCE)
    async with sessionmaker() as session, session.begin():
        await service.update(
            session,
            tenant_id=paused.tenant_id,
            competitor_id=paused.id,
            patch=CompetitorPatch(status="paused"),
        )
    bare = await connect(Network.mastodon, "6")
    poller = poller_for(instance.app())

    outcomes = await poller.poll_due()

    assert paused.id not in outcomes
    assert bare.id not in outcomes
    assert instance.queries("77") == []
    assert instance.queries(bare.external_account_id) == []


async def test_an_account_held_by_one_replica_rests_for_another(
    instance, rival, poller_for, sessionmaker
):
    from ingest.post_metrics import repository

    async with sessionmaker() as session, session.begin():
        held = await repository.claim(
            session, account=rival, now=NOW, hold_until=NOW + timedelta(minutes=5)
        )
    poller = poller_for(instance.app())

    outcome = await poller.poll_account(rival)

    assert held == 0
    assert outcome.outcome == "resting"
    assert instance.queries() == []


async def test_untracking_a_competitor_drops_its_schedule(
    instance, rival, poller_for, sessionmaker
):
    from sqlalchemy import func, select

    from ingest.competitors import service
    from ingest.post_metrics.models import post_metrics_poll

    await poller_for(instance.app()).poll_account(rival)
    async with sessionmaker() as session, session.begin():
        await service.untrack(session, tenant_id=rival.tenant_id, competitor_id=rival.id)
    async with sessionmaker() as session:
        left = await session.scalar(
            select(func.count()).where(post_metrics_poll.c.account_id == rival.id)
        )
    assert left == 0


async def test_the_competitor_shows_how_its_last_polls_went(
    instance, rival, poller_for, sessionmaker, clock
):
    from ingest.competitors import service

    poller = poller_for(instance.app())
    await poller.poll_account(rival)
    async with sessionmaker() as session:
        fine = await service.get(session, tenant_id=rival.tenant_id, competitor_id=rival.id)
    instance.fail_with = 503
    clock.advance(900)
    await poller.poll_account(rival)
    async with sessionmaker() as session:
        failing = await service.get(session, tenant_id=rival.tenant_id, competitor_id=rival.id)

    assert (fine.metrics_polled_at, fine.metrics_error) == (NOW, None)
    assert (failing.metrics_polled_at, failing.metrics_error) == (NOW, "http_503")


async def test_a_total_past_int8_is_clamped_and_its_neighbours_observed(
    instance, rival, poller_for, observed
):
    good = status(1, age=timedelta(hours=1))
    viral = status(2, age=timedelta(hours=2), likes=2**70)
    instance.statuses = [good, viral]
    poller = poller_for(instance.app())

    outcome = await poller.poll_account(rival)

    likes = {event.post_external_id: event.likes for _, event in await observed()}
    assert (outcome.outcome, outcome.posts, outcome.malformed) == ("observed", 2, 0)
    assert likes == {good["id"]: 3, viral["id"]: INT64_MAX}
