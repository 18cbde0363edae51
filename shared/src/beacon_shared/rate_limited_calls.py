"""One call to a rate-limited network API, guarded the same way for every network.

Before the call, a window already known to be spent refuses it locally (`RetryLater` at its
reset, nothing sent); after it, what the answer's rate-limit headers say of each window is kept,
and a 429 spends the windows until the network says to come back. A call that may have gone out
without an answer is `OutcomeUnknown` only when it `creates` something; any other is safe to
send again (`RetryLater`, kind `connection`). The windows are kept by the caller (the publisher
keeps them per network, app and account in a rate-limit book); the network's protocol
(`beacon_shared.networks`) names the headers and reads an error answer's detail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import OutcomeUnknown, RetryLater
from beacon_shared.rate_limit_headers import LimitHeaders


class Windows(Protocol):
    """Where a caller keeps the rate-limit windows of the networks it calls, by scope."""

    def ensure_free(self, network: Network, scopes: Iterable[str], *, now: datetime) -> None:
        """RetryLater, without a request, while a window of these scopes is spent."""
        ...

    def record_headers(
        self, network: Network, scope: str, headers: Mapping[str, str], names: LimitHeaders
    ) -> None:
        """Keep what an answer's headers said of the window of `scope`."""
        ...

    def refused(
        self,
        network: Network,
        scopes: Sequence[str],
        response: httpx.Response,
        *,
        names: LimitHeaders,
        now: datetime,
    ) -> datetime:
        """A 429: the windows of these scopes spent until when the answer says; that time."""
        ...


@dataclass(frozen=True)
class Limit:
    """A window a call counts against: its scope, and the answer headers that describe it."""

    scope: str
    headers: LimitHeaders


async def call_within_limits(
    windows: Windows,
    network: Network,
    limits: Sequence[Limit],
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    creates: bool,
    detail: Callable[[httpx.Response], str | None],
    clock: Callable[[], datetime],
) -> httpx.Response:
    """The answer to `send()`, a call counted against `limits` (the endpoint's own window
    first); a 429 is raised as RetryLater (`detail` says what the network said), any other answer
    returned as it came."""
    scopes = [limit.scope for limit in limits]
    windows.ensure_free(network, scopes, now=clock())
    try:
        response = await send()
    except OutcomeUnknown as exc:
        if creates:
            raise
        raise RetryLater(f"{network.value}: {exc.reason}", kind="connection") from exc
    now = clock()
    for limit in limits:
        windows.record_headers(network, limit.scope, response.headers, limit.headers)
    if response.status_code == 429:
        said = detail(response)
        raise RetryLater(
            f"{network.value} answered 429" + (f": {said}" if said else ""),
            kind="rate_limited",
            after=windows.refused(network, scopes, response, names=limits[0].headers, now=now),
        )
    return response
