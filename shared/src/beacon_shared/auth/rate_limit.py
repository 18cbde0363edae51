"""Per-API-key request rate limits: a token bucket per key, kept in the process's memory.

Limits are enforced per API process: nothing is shared between processes or replicas, so with N
replicas (or `uvicorn --workers N`) behind a load balancer a key may get up to N times its limit.
That keeps every request free of a round trip to a shared store; a limit meant as a hard quota
across replicas needs a shared bucket (e.g. in PostgreSQL or Redis) instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

# Float refills land a hair either side of whole tokens (20 s x 0.05/s); this absorbs that.
_EPSILON = 1e-9


@dataclass(frozen=True)
class RateLimitDecision:
    """Whether one request may go ahead, and what the caller is told about its quota."""

    allowed: bool
    limit: int
    remaining: int
    # Seconds until the bucket is full again, i.e. the whole limit is available.
    reset_seconds: int
    # Seconds until the next request would be allowed; 0 when this one was.
    retry_after_seconds: int

    def headers(self) -> dict[str, str]:
        """RateLimit-Limit / -Remaining / -Reset, plus Retry-After when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_seconds)
        return headers


@dataclass
class _Bucket:
    tokens: float
    updated_at: float


class RateLimiter:
    """Token buckets per key: `limit` requests in a burst, refilled at `limit` per minute.

    State lives in this object only, so limits hold per process (see the module docstring). Taking
    a token never awaits, so concurrent requests on one event loop cannot race on a bucket.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_tracked_keys: int = 100_000,
    ) -> None:
        self.clock = clock
        self.max_tracked_keys = max_tracked_keys
        self._buckets: dict[Hashable, _Bucket] = {}

    def __len__(self) -> int:
        """How many keys have a bucket in memory."""
        return len(self._buckets)

    def take(self, key: Hashable, *, limit_per_minute: int) -> RateLimitDecision:
        """Spend one of `key`'s tokens if it has one; the decision says either way."""
        if limit_per_minute < 1:
            raise ValueError("a rate limit must allow at least one request a minute")
        now = self.clock()
        per_second = limit_per_minute / 60
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._buckets[key] = _Bucket(float(limit_per_minute), now)
        else:
            # A monotonic clock never goes back, but an injected one might: never refill backwards.
            elapsed = max(0.0, now - bucket.updated_at)
            bucket.tokens = min(float(limit_per_minute), bucket.tokens + elapsed * per_second)
            bucket.updated_at = now
        allowed = bucket.tokens >= 1 - _EPSILON
        if allowed:
            bucket.tokens = max(0.0, bucket.tokens - 1)
            retry_after = 0
        else:
            retry_after = max(1, _whole_seconds((1 - bucket.tokens) / per_second))
        return RateLimitDecision(
            allowed=allowed,
            limit=limit_per_minute,
            remaining=math.floor(bucket.tokens + _EPSILON),
            reset_seconds=_whole_seconds((limit_per_minute - bucket.tokens) / per_second),
            retry_after_seconds=retry_after,
        )

    def _forget_idle(self, now: float) -> None:
        """Drop the buckets that have refilled completely: they say nothing a new one would not."""
        if len(self._buckets) < self.max_tracked_keys:
            return
        # Any bucket refills from empty to full in one minute, whatever its limit.
        idle = [key for key, bucket in self._buckets.items() if now - bucket.updated_at >= 60]
        for key in idle:
            del self._buckets[key]


def _whole_seconds(seconds: float) -> int:
    """Seconds rounded up, so a client waiting that long is never early."""
    return max(0, math.ceil(seconds - _EPSILON))
