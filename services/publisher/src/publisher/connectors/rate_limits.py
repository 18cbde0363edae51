"""What each network said about its rate limits, kept per network, app and account.

Connectors record what the answers' headers say (remaining calls and when the window resets) and
ask before calling whether a window is spent; a spent window becomes a `RetryLater` at its reset,
without a request. Kept in each worker's memory: a worker that has not yet heard of a limit
learns it from its first refused call, which publishes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from beacon_shared.contracts.common import Network
from publisher.connectors.base import parse_timestamp


@dataclass(frozen=True)
class Window:
    """One rate-limit window: calls left in it, and when it resets."""

    remaining: int
    reset_at: datetime


class ResetFormat(StrEnum):
    """How a network writes when a window resets."""

    epoch_seconds = "epoch_seconds"
    iso8601 = "iso8601"

    def parse(self, value: str) -> datetime | None:
        """The reset time `value` says; None when it is not in this format."""
        if self is ResetFormat.iso8601:
            return parse_timestamp(value)
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (ValueError, OverflowError):
            return None


@dataclass(frozen=True)
class LimitHeaders:
    """The pair of answer headers that describe one window: calls left, and its reset."""

    remaining: str
    reset: str
    reset_format: ResetFormat


# A 429 that says nothing about when to come back is waited out this long.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=1)


def utc_now() -> datetime:
    """The connectors' default clock."""
    return datetime.now(UTC)


def account_scope(account_id: object) -> str:
    """The scope of limits counted per connected account (per user token)."""
    return f"account:{account_id}"


def app_scope(app_id: object) -> str:
    """The scope of limits counted per client application (shared by its accounts)."""
    return f"app:{app_id}"


class RateLimitBook:
    """Windows by (network, scope)."""

    def __init__(self) -> None:
        self._windows: dict[tuple[Network, str], Window] = {}

    def record(self, network: Network, scope: str, *, remaining: int, reset_at: datetime) -> None:
        """Remember what an answer said about a window."""
        if len(self._windows) > 100_000:
            self._windows.clear()
        self._windows[(network, scope)] = Window(remaining, reset_at)

    def record_headers(
        self, network: Network, scope: str, headers: Mapping[str, str], names: LimitHeaders
    ) -> None:
        """Remember what an answer's `headers` (named by `names`) said about a window; an
        answer without both, or with either unreadable, changes nothing."""
        remaining = headers.get(names.remaining)
        reset = headers.get(names.reset)
        if remaining is None or reset is None:
            return
        try:
            left = int(float(remaining))
        except (ValueError, OverflowError):
            return
        reset_at = names.reset_format.parse(reset)
        if reset_at is not None:
            self.record(network, scope, remaining=left, reset_at=reset_at)

    def exhaust(self, network: Network, scope: str, *, until: datetime) -> None:
        """A 429 (or a quota check) said the window is spent until `until`."""
        self.record(network, scope, remaining=0, reset_at=until)

    def blocked_until(
        self, network: Network, scopes: Iterable[str], *, now: datetime
    ) -> datetime | None:
        """The latest reset among spent, unexpired windows of these scopes; None when free."""
        latest: datetime | None = None
        for scope in scopes:
            window = self._windows.get((network, scope))
            if window is None or window.reset_at <= now:
                continue
            if window.remaining <= 0 and (latest is None or window.reset_at > latest):
                latest = window.reset_at
        return latest

    def refuse(
        self,
        network: Network,
        scopes: Sequence[str],
        *,
        said: datetime | None,
        now: datetime,
        default_wait: timedelta = DEFAULT_RATE_LIMIT_WAIT,
    ) -> datetime:
        """A 429 (or a spent quota): the first scope's window is spent until the latest of what
        the answer `said` and any window of these scopes already known to be spent, or
        `default_wait` from now when neither says. Returns that time."""
        candidates = [
            when
            for when in (said, self.blocked_until(network, scopes, now=now))
            if when is not None and when > now
        ]
        until = max(candidates) if candidates else now + default_wait
        self.exhaust(network, scopes[0], until=until)
        return until
