"""Per-key token buckets on a fake clock: burst, refill, Retry-After, reset, and the 429 error."""

from __future__ import annotations

import pytest

from beacon_shared.auth.rate_limit import RateLimitDecision, RateLimiter
from beacon_shared.errors import RateLimited


class FakeClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> RateLimiter:
    return RateLimiter(clock=clock)


def spend(limiter: RateLimiter, key: str, limit: int, times: int) -> list[RateLimitDecision]:
    return [limiter.take(key, limit_per_minute=limit) for _ in range(times)]


class TestRateLimiter:
    def test_a_new_key_may_spend_its_whole_limit_at_once(self, limiter):
        decisions = spend(limiter, "k", 3, 4)

        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert [d.remaining for d in decisions] == [2, 1, 0, 0]
        assert {d.limit for d in decisions} == {3}

    def test_a_refused_request_is_told_when_the_next_token_comes_back(self, limiter, clock):
        spend(limiter, "k", 3, 3)  # 3 a minute: one token every 20 s

        assert limiter.take("k", limit_per_minute=3).retry_after_seconds == 20
        clock.advance(5)
        assert limiter.take("k", limit_per_minute=3).retry_after_seconds == 15
        clock.advance(0.5)
        assert limiter.take("k", limit_per_minute=3).retry_after_seconds == 15  # 14.5, rounded up

    def test_the_key_is_let_in_again_once_retry_after_has_passed(self, limiter, clock):
        spend(limiter, "k", 3, 3)
        refused = limiter.take("k", limit_per_minute=3)

        clock.advance(refused.retry_after_seconds - 0.01)
        assert not limiter.take("k", limit_per_minute=3).allowed
        clock.advance(0.01)
        assert limiter.take("k", limit_per_minute=3).allowed

    def test_tokens_refill_at_the_limit_per_minute(self, limiter, clock):
        spend(limiter, "k", 60, 60)  # one token a second

        clock.advance(2.5)

        assert [d.allowed for d in spend(limiter, "k", 60, 3)] == [True, True, False]

    def test_refused_requests_take_no_token(self, limiter, clock):
        spend(limiter, "k", 3, 3)
        spend(limiter, "k", 3, 10)  # all refused

        clock.advance(20)

        assert limiter.take("k", limit_per_minute=3).allowed

    def test_a_bucket_never_holds_more_than_the_limit(self, limiter, clock):
        spend(limiter, "k", 3, 3)

        clock.advance(3600)

        assert [d.allowed for d in spend(limiter, "k", 3, 4)] == [True, True, True, False]

    def test_retry_after_is_at_least_one_second(self, limiter):
        spend(limiter, "k", 600, 600)  # a token every 0.1 s

        refused = limiter.take("k", limit_per_minute=600)

        assert not refused.allowed
        assert refused.retry_after_seconds == 1

    def test_an_allowed_request_has_no_retry_after(self, limiter):
        assert limiter.take("k", limit_per_minute=3).retry_after_seconds == 0

    def test_reset_is_the_time_until_the_whole_limit_is_back(self, limiter, clock):
        assert limiter.take("k", limit_per_minute=3).reset_seconds == 20
        spend(limiter, "k", 3, 2)
        assert limiter.take("k", limit_per_minute=3).reset_seconds == 60
        clock.advance(50)
        assert limiter.take("k", limit_per_minute=3).reset_seconds == 30  # 1.5 tokens left

    def test_keys_have_buckets_of_their_own(self, limiter):
        spend(limiter, "busy", 3, 4)

        assert limiter.take("quiet", limit_per_minute=3).allowed

    def test_a_limit_below_one_is_refused(self, limiter):
        with pytest.raises(ValueError, match="at least one"):
            limiter.take("k", limit_per_minute=0)

    def test_buckets_idle_a_full_minute_are_forgotten_when_too_many_keys_are_tracked(self, clock):
        limiter = RateLimiter(clock=clock, max_tracked_keys=2)
        spend(limiter, "a", 1, 1)
        spend(limiter, "b", 1, 1)

        clock.advance(60)
        limiter.take("c", limit_per_minute=1)

        assert len(limiter) == 1

    def test_buckets_still_refilling_are_kept_even_over_the_bound(self, clock):
        limiter = RateLimiter(clock=clock, max_tracked_keys=2)
        spend(limiter, "a", 1, 1)
        spend(limiter, "b", 1, 1)

        clock.advance(30)
        limiter.take("c", limit_per_minute=1)

        assert len(limiter) == 3
        assert not limiter.take("a", limit_per_minute=1).allowed  # half a token so far

    def test_uses_the_monotonic_clock_by_default(self):
        limiter = RateLimiter()

        assert [d.allowed for d in spend(limiter, "k", 2, 3)] == [True, True, False]


class TestRateLimitDecision:
    def test_an_allowed_request_gets_the_quota_headers_only(self):
        decision = RateLimitDecision(
            allowed=True, limit=3, remaining=2, reset_seconds=20, retry_after_seconds=0
        )

        assert decision.headers() == {
            "RateLimit-Limit": "3",
            "RateLimit-Remaining": "2",
            "RateLimit-Reset": "20",
        }

    def test_a_refused_request_gets_retry_after_too(self):
        decision = RateLimitDecision(
            allowed=False, limit=3, remaining=0, reset_seconds=60, retry_after_seconds=20
        )

        assert decision.headers()["Retry-After"] == "20"


class TestRateLimited:
    def test_is_a_429_rate_limited_problem_with_retry_after(self):
        error = RateLimited("slow down", retry_after=7, headers={"RateLimit-Limit": "3"})

        assert (error.status, error.code, error.detail) == (429, "rate_limited", "slow down")
        assert error.headers == {"RateLimit-Limit": "3", "Retry-After": "7"}

    def test_retry_after_is_never_below_one_second(self):
        assert RateLimited(retry_after=0).headers["Retry-After"] == "1"
