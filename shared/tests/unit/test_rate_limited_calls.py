"""A call within a network's rate limits: refused locally while spent, windows kept from the
answer's headers, a 429 spending them; no I/O (answers are built in the test)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import OutcomeUnknown, RetryLater, retry_after
from beacon_shared.networks import mastodon, x
from beacon_shared.rate_limit_headers import LimitHeaders
from beacon_shared.rate_limited_calls import Limit, call_within_limits

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RESET = NOW + timedelta(minutes=15)


class Book:
    """The windows as a plain mapping: scope -> (calls left, reset)."""

    def __init__(self) -> None:
        self.windows: dict[str, tuple[int, datetime]] = {}

    def ensure_free(self, network: Network, scopes: Iterable[str], *, now: datetime) -> None:
        for scope in scopes:
            left, reset = self.windows.get(scope, (1, now))
            if left <= 0 and reset > now:
                raise RetryLater("spent", kind="rate_limited", after=reset)

    def record_headers(
        self, network: Network, scope: str, headers: Mapping[str, str], names: LimitHeaders
    ) -> None:
        window = names.window(headers)
        if window is not None:
            self.windows[scope] = (window.remaining, window.reset_at)

    def refused(
        self,
        network: Network,
        scopes: Sequence[str],
        response: httpx.Response,
        *,
        names: LimitHeaders,
        now: datetime,
    ) -> datetime:
        until = retry_after(response, now=now, limits=names) or now + timedelta(minutes=1)
        self.windows[scopes[0]] = (0, until)
        return until


def answer(status: int, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": "slow down"})


async def call(book: Book, limits: Sequence[Limit], response: httpx.Response, **kw) -> object:
    sent: list[int] = []

    async def send() -> httpx.Response:
        sent.append(1)
        return response

    result = await call_within_limits(
        book,
        Network.mastodon,
        limits,
        send,
        creates=kw.get("creates", False),
        detail=lambda r: r.json().get("error"),
        clock=lambda: NOW,
    )
    return result, len(sent)


MASTODON_HEADERS = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": RESET.isoformat()}


class TestCallWithinLimits:
    async def test_an_answer_is_returned_and_its_window_kept(self):
        book = Book()
        response = answer(200, MASTODON_HEADERS)

        result, sent = await call(book, [Limit("account:1", mastodon.LIMITS)], response)

        assert (result, sent) == (response, 1)
        assert book.windows == {"account:1": (0, RESET)}

    async def test_a_spent_window_refuses_without_a_request(self):
        book = Book()
        book.windows["account:1"] = (0, RESET)

        with pytest.raises(RetryLater) as refused:
            await call(book, [Limit("account:1", mastodon.LIMITS)], answer(200))

        assert refused.value.after == RESET

    async def test_a_429_spends_the_window_until_the_network_says(self):
        book = Book()

        with pytest.raises(RetryLater) as refused:
            await call(book, [Limit("account:1", mastodon.LIMITS)], answer(429, MASTODON_HEADERS))

        assert (refused.value.kind, refused.value.after) == ("rate_limited", RESET)
        assert refused.value.reason == "mastodon answered 429: slow down"
        assert book.windows["account:1"] == (0, RESET)

    async def test_each_window_is_kept_from_its_own_headers(self):
        book = Book()
        day = int((NOW + timedelta(hours=20)).timestamp())
        headers = {
            "x-rate-limit-remaining": "5",
            "x-rate-limit-reset": str(int(RESET.timestamp())),
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(day),
        }
        limits = [Limit("account:1", x.ENDPOINT_LIMITS), Limit("account:1:24h", x.USER_DAY_LIMITS)]

        await call(book, limits, answer(201, headers))

        assert book.windows == {
            "account:1": (5, RESET),
            "account:1:24h": (0, datetime.fromtimestamp(day, UTC)),
        }

    async def test_a_lost_answer_is_safe_to_resend_unless_the_call_creates(self):
        async def lost() -> httpx.Response:
            raise OutcomeUnknown("read timeout")

        def guarded(creates: bool):
            return call_within_limits(
                Book(),
                Network.mastodon,
                [Limit("account:1", mastodon.LIMITS)],
                lost,
                creates=creates,
                detail=lambda r: None,
                clock=lambda: NOW,
            )

        with pytest.raises(RetryLater) as retried:
            await guarded(creates=False)
        with pytest.raises(OutcomeUnknown):
            await guarded(creates=True)

        assert (retried.value.kind, retried.value.reason) == (
            "connection",
            "mastodon: read timeout",
        )
