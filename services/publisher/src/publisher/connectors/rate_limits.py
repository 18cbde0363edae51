"""What each network said about its rate limits, kept per network, app and account.

Connectors record what the answers' headers say (remaining calls and when the window resets) and
ask before calling whether a window is spent; a spent window becomes a `RetryLater` at its reset,
without a request (the Mastodon, Bluesky and X connectors through one guard,
`beacon_shared.rate_limited_calls`). Kept in each worker's memory: a worker that has not yet
heard of a limit learns it from its first refused call, which publishes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import RetryLater, retry_after
from beacon_shared.rate_limit_headers import LimitHeaders, Window

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
        window = names.window(headers)
        if window is not None:
            self.record(network, scope, remaining=window.remaining, reset_at=window.reset_at)

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

    def ensure_free(self, network: Network, scopes: Iterable[str], *, now: datetime) -> None:
        """RetryLater, without a request, while a window of these scopes is spent."""
        until = self.blocked_until(network, scopes, now=now)
        if until is not None:
            raise RetryLater(
                f"{network.value} rate limit spent until {until.isoformat()}; nothing was sent",
                kind="rate_limited",
                after=until,
            )

    def refused(
        self,
        network: Network,
        scopes: Sequence[str],
        response: httpx.Response,
        *,
        names: LimitHeaders,
        now: datetime,
    ) -> datetime:
        """A 429: `refuse` until what the answer says (Retry-After, else the reset header named
        by `names`); the time to try again."""
        said = retry_after(response, now=now, limits=names)
        return self.refuse(network, scopes, said=said, now=now)
