"""Network action rules without I/O: backoff, rate-limit headers, what each answer means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.network_calls import (
    CredentialsRefused,
    NotFound,
    OutcomeUnknown,
    Refused,
    RetryLater,
    for_status,
    retry_after,
)
from beacon_shared.networks import mastodon, x
from ingest.actions.executor import RetryPolicy
from ingest.actions.networks.bluesky import BlueskyClient
from ingest.actions.networks.graph import FacebookClient
from ingest.actions.networks.mastodon import MastodonClient
from ingest.actions.networks.x import XClient

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def answer(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        json=body if body is not None else {},
        headers=headers,
        request=httpx.Request("POST", "https://network.test/x"),
    )


class TestRetryPolicy:
    def test_backoff_doubles_per_attempt_up_to_the_cap(self):
        policy = RetryPolicy(backoff_seconds=10, backoff_max_seconds=60)
        delays = [policy.next_at(attempts=n, now=NOW, after=None) - NOW for n in range(1, 6)]
        assert delays == [timedelta(seconds=s) for s in (10, 20, 40, 60, 60)]

    def test_a_later_time_asked_by_the_network_wins(self):
        policy = RetryPolicy(backoff_seconds=10)
        asked = NOW + timedelta(minutes=15)
        assert policy.next_at(attempts=1, now=NOW, after=asked) == asked
        assert policy.next_at(attempts=1, now=NOW, after=NOW) == NOW + timedelta(seconds=10)


class TestRetryAfter:
    def test_seconds_an_http_date_and_reset_headers_are_understood(self):
        assert retry_after(answer(429, headers={"Retry-After": "30"}), now=NOW) == NOW + timedelta(
            seconds=30
        )
        dated = answer(429, headers={"Retry-After": "Tue, 24 Nov 2026 12:05:00 GMT"})
        assert retry_after(dated, now=NOW) == NOW + timedelta(minutes=5)
        epoch = answer(429, headers={"x-rate-limit-reset": str(int(NOW.timestamp()) + 900)})
        assert retry_after(epoch, now=NOW, limits=x.ENDPOINT_LIMITS) == NOW + timedelta(minutes=15)
        iso = answer(429, headers={"X-RateLimit-Reset": "2026-11-24T12:05:00.000Z"})
        assert retry_after(iso, now=NOW, limits=mastodon.LIMITS) == NOW + timedelta(minutes=5)

    def test_nothing_said_is_none(self):
        assert retry_after(answer(429), now=NOW, limits=x.ENDPOINT_LIMITS) is None
        assert retry_after(answer(429, headers={"Retry-After": "soon"}), now=NOW) is None


class TestForStatus:
    @pytest.mark.parametrize(
        ("status", "creates", "raised"),
        [
            (429, True, RetryLater),
            (500, True, RetryLater),
            (503, True, RetryLater),
            (504, False, RetryLater),
            (504, True, OutcomeUnknown),
            (401, False, CredentialsRefused),
            (404, False, NotFound),
            (403, False, Refused),
            (422, True, Refused),
        ],
    )
    def test_each_answer_means_one_thing(self, status, creates, raised):
        with pytest.raises(raised):
            for_status(answer(status), network="net", creates=creates, now=NOW)

    def test_success_raises_nothing(self):
        for_status(answer(201), network="net", creates=True, now=NOW)


def test_what_each_network_cannot_do():
    x, mastodon, bluesky = XClient(base_url="https://x.test"), MastodonClient(), BlueskyClient()
    facebook = FacebookClient(base_url="https://graph.test", version="v23.0")
    assert [a for a in NetworkAction if facebook.unsupported(a)] == []
    assert [a for a in NetworkAction if x.unsupported(a)] == [NetworkAction.delete]
    assert [a for a in NetworkAction if mastodon.unsupported(a)] == [
        NetworkAction.hide,
        NetworkAction.delete,
    ]
    assert [a for a in NetworkAction if bluesky.unsupported(a)] == [
        NetworkAction.hide,
        NetworkAction.delete,
    ]
    assert mastodon.idempotency_window(NetworkAction.reply) is not None
    assert x.idempotency_window(NetworkAction.reply) is None
