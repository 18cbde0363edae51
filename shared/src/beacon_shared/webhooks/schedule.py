"""When to retry a webhook, and which HTTP outcomes are retried at all.

Schedule (Svix-style, after the Standard Webhooks "deliverability" section): the first attempt is
immediate, then retries follow 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after the previous
attempt: eight attempts over 27 h 35 min 5 s nominally. Each delay gets up to ±10 % random jitter
so that endpoints recovering from an outage are not hit by every queued message at once.

Outcomes (`classify`):
- 2xx: delivered.
- 410 Gone: the receiver wants no more webhooks; disable the endpoint, do not retry.
- 429 Too Many Requests and any 5xx: retried, honouring `Retry-After` (seconds or HTTP date).
- network errors and timeouts (no status code): retried.
- 3xx and every other 4xx: failed, not retried. Redirects are not followed (the spec asks the
  endpoint owner to update the URL), and a 400/401/404 will not change by sending again.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Protocol

RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)
JITTER = 0.10
# A receiver's Retry-After may lengthen a delay, but not park a message beyond the longest step.
MAX_RETRY_AFTER = max(RETRY_DELAYS)
# Bounds a message's life even if workers run late or Retry-After stretches every step; the
# nominal schedule with maximal jitter (about 30 h 20 min) always fits.
MAX_RETRY_WINDOW = timedelta(hours=48)


class Outcome(StrEnum):
    """What one delivery attempt means for the message and its endpoint."""

    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    DISABLED = "disabled"


class Uniform(Protocol):
    """The part of `random.Random` the jitter needs; tests pass a seeded or fixed one."""

    def uniform(self, a: float, b: float) -> float: ...


_rng = random.Random()


def classify(status_code: int) -> Outcome:
    """Map a response status to an outcome (see the module docstring)."""
    if 200 <= status_code <= 299:
        return Outcome.DELIVERED
    if status_code == 410:
        return Outcome.DISABLED
    if status_code == 429 or 500 <= status_code <= 599:
        return Outcome.RETRY
    return Outcome.FAILED


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """Parse `Retry-After` as delay-seconds or an HTTP date; None when absent or unparsable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def jittered(delay: timedelta, *, rng: Uniform | None = None, jitter: float = JITTER) -> timedelta:
    """Return `delay` scaled by a random factor within ±`jitter`."""
    factor = (rng or _rng).uniform(1.0 - jitter, 1.0 + jitter)
    factor = min(max(factor, 1.0 - jitter), 1.0 + jitter)
    return delay * factor


def next_attempt_at(
    attempts_made: int,
    *,
    first_attempt_at: datetime,
    now: datetime,
    retry_after: timedelta | None = None,
    rng: Uniform | None = None,
    delays: tuple[timedelta, ...] = RETRY_DELAYS,
    max_window: timedelta = MAX_RETRY_WINDOW,
) -> datetime | None:
    """Return when to make the next attempt after a retryable failure, or None to give up.

    `attempts_made` counts attempts so far, the failed one included (1 after the first try);
    `now` is when that attempt ended. The delay follows `delays`, with jitter, lengthened (never
    shortened) by the receiver's `Retry-After` up to `MAX_RETRY_AFTER`.
    """
    if attempts_made < 1:
        raise ValueError("attempts_made counts the attempt that just failed, so it is >= 1")
    if first_attempt_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    if attempts_made > len(delays):
        return None
    delay = jittered(delays[attempts_made - 1], rng=rng)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    at = now + delay
    if at - first_attempt_at > max_window:
        return None
    return at
