"""The rate-limit book reading windows from answers' headers, in each network's format; no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from beacon_shared.contracts.common import Network
from beacon_shared.rate_limit_headers import LimitHeaders, ResetFormat
from publisher.connectors.rate_limits import RateLimitBook

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RESET = NOW + timedelta(minutes=15)
EPOCH = LimitHeaders("x-rate-limit-remaining", "x-rate-limit-reset", ResetFormat.epoch_seconds)
ISO = LimitHeaders("x-ratelimit-remaining", "x-ratelimit-reset", ResetFormat.iso8601)
SCOPE = "account:1"


def headers(**values: str) -> httpx.Headers:
    return httpx.Headers({name.replace("_", "-"): value for name, value in values.items()})


def blocked(book: RateLimitBook, network: Network = Network.x) -> datetime | None:
    return book.blocked_until(network, [SCOPE], now=NOW)


class TestRecordHeaders:
    def test_a_spent_window_in_epoch_seconds_blocks_until_its_reset(self):
        book = RateLimitBook()

        book.record_headers(
            Network.x,
            SCOPE,
            headers(x_rate_limit_remaining="0", x_rate_limit_reset=str(int(RESET.timestamp()))),
            EPOCH,
        )

        assert blocked(book) == RESET

    def test_a_spent_window_in_iso_8601_blocks_until_its_reset(self):
        book = RateLimitBook()

        book.record_headers(
            Network.mastodon,
            SCOPE,
            headers(x_ratelimit_remaining="0", x_ratelimit_reset="2026-03-02T09:15:00.000Z"),
            ISO,
        )

        assert blocked(book, Network.mastodon) == RESET

    def test_header_names_match_whatever_their_case(self):
        book = RateLimitBook()

        book.record_headers(
            Network.mastodon,
            SCOPE,
            httpx.Headers(
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-03-02T09:15:00Z"}
            ),
            ISO,
        )

        assert blocked(book, Network.mastodon) == RESET

    def test_an_answer_with_calls_left_frees_a_window_recorded_spent(self):
        book = RateLimitBook()
        book.exhaust(Network.x, SCOPE, until=RESET)

        book.record_headers(
            Network.x,
            SCOPE,
            headers(x_rate_limit_remaining="12.0", x_rate_limit_reset=str(RESET.timestamp())),
            EPOCH,
        )

        assert blocked(book) is None

    @pytest.mark.parametrize(
        ("remaining", "reset"),
        [
            (None, str(int(RESET.timestamp()))),
            ("5", None),
            ("many", str(int(RESET.timestamp()))),
            ("inf", str(int(RESET.timestamp()))),
            ("5", "2026-03-02T09:15:00Z"),  # ISO 8601 where epoch seconds are due
            ("5", "1e400"),
        ],
    )
    def test_a_missing_or_unreadable_header_leaves_the_window_as_it_was(self, remaining, reset):
        book = RateLimitBook()
        book.exhaust(Network.x, SCOPE, until=RESET)
        given = {"x-rate-limit-remaining": remaining, "x-rate-limit-reset": reset}

        book.record_headers(
            Network.x,
            SCOPE,
            httpx.Headers({name: value for name, value in given.items() if value is not None}),
            EPOCH,
        )

        assert blocked(book) == RESET

    def test_epoch_seconds_where_iso_8601_is_due_are_not_read(self):
        book = RateLimitBook()
        book.exhaust(Network.mastodon, SCOPE, until=RESET)

        book.record_headers(
            Network.mastodon,
            SCOPE,
            headers(x_ratelimit_remaining="5", x_ratelimit_reset=str(int(RESET.timestamp()))),
            ISO,
        )

        assert blocked(book, Network.mastodon) == RESET
