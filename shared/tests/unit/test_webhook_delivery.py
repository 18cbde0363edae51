"""Webhook retry schedule, outcome classification, and one delivery over a mock transport."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from beacon_shared.webhooks import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    Attempt,
    Outcome,
    classify,
    deliver,
    envelope,
    new_secret,
    next_attempt_at,
    parse_retry_after,
    verify,
)
from beacon_shared.webhooks.delivery import EXCERPT_BYTES
from beacon_shared.webhooks.schedule import JITTER, MAX_RETRY_AFTER, jittered

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
URL = "https://agency.example/hooks/beacon"
MSG_ID = "msg_01JDAZ8Q7S9X3K"
SECRET = new_secret()


class Fixed:
    """A jitter source that always returns one end of the range, or the middle."""

    def __init__(self, where: float) -> None:
        self.where = where

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.where


class Wild:
    """A misbehaving source returning values far outside the range."""

    def __init__(self, value: float) -> None:
        self.value = value

    def uniform(self, a: float, b: float) -> float:
        return self.value


MIDDLE = Fixed(0.5)


def _walk(rng: Fixed | random.Random) -> list[datetime]:
    """Every attempt time when each attempt fails as soon as it is made."""
    times = [START]
    while (
        at := next_attempt_at(len(times), first_attempt_at=START, now=times[-1], rng=rng)
    ) is not None:
        times.append(at)
    return times


class TestSchedule:
    def test_first_retry_follows_five_seconds_after_the_first_attempt(self) -> None:
        at = next_attempt_at(1, first_attempt_at=START, now=START, rng=MIDDLE)
        assert at == START + timedelta(seconds=5)

    def test_retries_span_at_least_24_hours_in_total(self) -> None:
        times = _walk(Fixed(0.0))
        assert times[-1] - times[0] >= timedelta(hours=24)
        assert _walk(MIDDLE)[-1] - START == timedelta(hours=27, minutes=35, seconds=5)

    def test_gives_up_after_the_eighth_attempt(self) -> None:
        assert len(_walk(MIDDLE)) == MAX_ATTEMPTS == 8
        assert next_attempt_at(7, first_attempt_at=START, now=START, rng=MIDDLE) is not None
        assert next_attempt_at(8, first_attempt_at=START, now=START, rng=MIDDLE) is None

    def test_gives_up_when_the_next_attempt_would_leave_the_retry_window(self) -> None:
        late = START + timedelta(hours=47)
        assert next_attempt_at(7, first_attempt_at=START, now=late, rng=MIDDLE) is None

    @pytest.mark.parametrize(("where", "factor"), [(0.0, 1 - JITTER), (1.0, 1 + JITTER)])
    def test_jitter_reaches_ten_percent_either_way(self, where: float, factor: float) -> None:
        at = next_attempt_at(2, first_attempt_at=START, now=START, rng=Fixed(where))
        assert at == START + timedelta(minutes=5) * factor

    @pytest.mark.parametrize("value", [-5.0, 0.0, 7.0])
    def test_jitter_stays_bounded_even_if_the_source_misbehaves(self, value: float) -> None:
        delay = jittered(timedelta(hours=10), rng=Wild(value))
        assert timedelta(hours=9) <= delay <= timedelta(hours=11)

    def test_seeded_jitter_is_deterministic_and_within_bounds(self) -> None:
        first, second = _walk(random.Random(7)), _walk(random.Random(7))
        assert first == second
        for step, (before, after) in enumerate(itertools.pairwise(first)):
            nominal = RETRY_DELAYS[step]
            assert nominal * (1 - JITTER) <= after - before <= nominal * (1 + JITTER)

    def test_retry_after_lengthens_a_short_delay(self) -> None:
        at = next_attempt_at(
            1, first_attempt_at=START, now=START, retry_after=timedelta(minutes=1), rng=MIDDLE
        )
        assert at == START + timedelta(minutes=1)

    def test_retry_after_never_shortens_the_schedule(self) -> None:
        at = next_attempt_at(
            3, first_attempt_at=START, now=START, retry_after=timedelta(seconds=1), rng=MIDDLE
        )
        assert at == START + timedelta(minutes=30)

    def test_retry_after_is_capped(self) -> None:
        at = next_attempt_at(
            1, first_attempt_at=START, now=START, retry_after=timedelta(days=30), rng=MIDDLE
        )
        assert at == START + MAX_RETRY_AFTER

    def test_attempts_made_counts_the_failed_attempt(self) -> None:
        with pytest.raises(ValueError, match="attempts_made"):
            next_attempt_at(0, first_attempt_at=START, now=START)

    def test_naive_datetimes_are_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone"):
            next_attempt_at(1, first_attempt_at=START, now=datetime(2026, 11, 24))


class TestClassify:
    @pytest.mark.parametrize(
        ("status", "outcome"),
        [
            (200, Outcome.DELIVERED),
            (204, Outcome.DELIVERED),
            (299, Outcome.DELIVERED),
            (301, Outcome.FAILED),
            (400, Outcome.FAILED),
            (401, Outcome.FAILED),
            (404, Outcome.FAILED),
            (410, Outcome.DISABLED),
            (429, Outcome.RETRY),
            (500, Outcome.RETRY),
            (502, Outcome.RETRY),
            (503, Outcome.RETRY),
            (504, Outcome.RETRY),
        ],
    )
    def test_status_maps_to_outcome(self, status: int, outcome: Outcome) -> None:
        assert classify(status) is outcome


class TestParseRetryAfter:
    def test_seconds(self) -> None:
        assert parse_retry_after("120", now=START) == timedelta(seconds=120)

    def test_http_date(self) -> None:
        value = "Tue, 24 Nov 2026 12:10:00 GMT"
        assert parse_retry_after(value, now=START) == timedelta(minutes=10)

    def test_date_in_the_past_means_now(self) -> None:
        value = "Tue, 24 Nov 2026 11:00:00 GMT"
        assert parse_retry_after(value, now=START) == timedelta(0)

    @pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5"])
    def test_absent_or_unparsable_is_none(self, value: str | None) -> None:
        assert parse_retry_after(value, now=START) is None


class FakeClock:
    """perf_counter stand-in: each reading advances by a fixed step."""

    def __init__(self, step: float = 0.25) -> None:
        self._readings: Iterator[float] = (i * step for i in range(1_000_000))

    def __call__(self) -> float:
        return next(self._readings)


Handler = Callable[[httpx.Request], httpx.Response]


async def _deliver(
    handler: Handler, *, secret: str | list[str] = SECRET
) -> tuple[Attempt, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(recording)) as client:
        attempt = await deliver(
            client,
            url=URL,
            secret=secret,
            msg_id=MSG_ID,
            event_type="post.published",
            payload={"post_id": "p1", "targets": ["meta", "x"], "ok": True},
            now=START,
            occurred_at=START - timedelta(minutes=1),
            clock=FakeClock(),
        )
    return attempt, seen


def _raise(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


class TestEnvelope:
    def test_is_minified_json_with_type_timestamp_and_data(self) -> None:
        body = envelope("post.published", {"id": "p1", "n": 2}, occurred_at=START)
        assert body == (
            b'{"type":"post.published","timestamp":"2026-11-24T12:00:00Z","data":{"id":"p1","n":2}}'
        )

    def test_naive_event_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone"):
            envelope("post.published", {}, occurred_at=datetime(2026, 11, 24))


class TestDeliver:
    async def test_2xx_is_delivered_with_a_verifiable_signed_body(self) -> None:
        attempt, seen = await _deliver(lambda _: httpx.Response(200, text="ok"))
        assert attempt == Attempt(
            msg_id=MSG_ID,
            url=URL,
            attempted_at=START,
            outcome=Outcome.DELIVERED,
            status_code=200,
            duration_ms=250,
            response_excerpt="ok",
        )
        (request,) = seen
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-id"] == MSG_ID
        assert request.headers["webhook-timestamp"] == str(int(START.timestamp()))
        verify(SECRET, request.headers, request.content, now=START)
        assert json.loads(request.content) == {
            "type": "post.published",
            "timestamp": "2026-11-24T11:59:00Z",
            "data": {"post_id": "p1", "targets": ["meta", "x"], "ok": True},
        }

    async def test_rotation_signs_with_every_secret(self) -> None:
        old = new_secret()
        _, seen = await _deliver(lambda _: httpx.Response(204), secret=[SECRET, old])
        (request,) = seen
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        verify(old, request.headers, request.content, now=START)

    async def test_500_is_retried(self) -> None:
        attempt, _ = await _deliver(lambda _: httpx.Response(500, text="boom"))
        assert (attempt.outcome, attempt.status_code) == (Outcome.RETRY, 500)
        assert attempt.response_excerpt == "boom"
        assert attempt.retry_after is None

    async def test_429_is_retried_with_its_retry_after(self) -> None:
        attempt, _ = await _deliver(
            lambda _: httpx.Response(429, headers={"Retry-After": "90"}, text="slow down")
        )
        assert (attempt.outcome, attempt.status_code) == (Outcome.RETRY, 429)
        assert attempt.retry_after == timedelta(seconds=90)

    async def test_410_disables_the_endpoint(self) -> None:
        attempt, _ = await _deliver(lambda _: httpx.Response(410))
        assert (attempt.outcome, attempt.status_code) == (Outcome.DISABLED, 410)

    async def test_other_4xx_fails_without_retry(self) -> None:
        attempt, _ = await _deliver(
            lambda _: httpx.Response(400, headers={"Retry-After": "5"}, text="bad")
        )
        assert (attempt.outcome, attempt.retry_after) == (Outcome.FAILED, None)

    async def test_redirects_are_not_followed(self) -> None:
        attempt, seen = await _deliver(
            lambda _: httpx.Response(307, headers={"Location": "https://elsewhere.example/"})
        )
        assert (attempt.outcome, attempt.status_code, len(seen)) == (Outcome.FAILED, 307, 1)

    async def test_timeout_is_retried_without_raising(self) -> None:
        attempt, _ = await _deliver(_raise(httpx.ReadTimeout("read timed out")))
        assert (attempt.outcome, attempt.status_code) == (Outcome.RETRY, None)
        assert attempt.error == "ReadTimeout: read timed out"
        assert attempt.duration_ms == 250

    async def test_overall_deadline_covers_a_receiver_that_never_answers(self) -> None:
        async def never(request: httpx.Request) -> httpx.Response:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async with httpx.AsyncClient(transport=httpx.MockTransport(never)) as client:
            attempt = await deliver(
                client,
                url=URL,
                secret=SECRET,
                msg_id=MSG_ID,
                event_type="post.published",
                payload={},
                now=START,
                timeout=0.0,
                clock=FakeClock(),
            )
        assert (attempt.outcome, attempt.status_code, attempt.error) == (
            Outcome.RETRY,
            None,
            "TimeoutError",
        )

    async def test_connection_error_is_retried_without_raising(self) -> None:
        attempt, _ = await _deliver(_raise(httpx.ConnectError("connection refused")))
        assert (attempt.outcome, attempt.status_code) == (Outcome.RETRY, None)
        assert attempt.error == "ConnectError: connection refused"

    async def test_unsupported_scheme_fails_without_retry(self) -> None:
        attempt, _ = await _deliver(_raise(httpx.UnsupportedProtocol("ftp")))
        assert attempt.outcome is Outcome.FAILED

    async def test_response_excerpt_is_at_most_one_kilobyte(self) -> None:
        attempt, _ = await _deliver(lambda _: httpx.Response(500, text="é" * 5000))
        assert 0 < len(attempt.response_excerpt.encode()) <= EXCERPT_BYTES

    async def test_naive_now_is_refused(self) -> None:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(lambda _: httpx.Response(200))
        ) as client:
            with pytest.raises(ValueError, match="timezone"):
                await deliver(
                    client,
                    url=URL,
                    secret=SECRET,
                    msg_id=MSG_ID,
                    event_type="post.published",
                    payload={},
                    now=datetime(2026, 11, 24),
                )
