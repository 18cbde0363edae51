"""Rate-limit headers read as each network writes them; no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from beacon_shared.networks import bluesky, mastodon, x
from beacon_shared.rate_limit_headers import Window

RESET = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


class TestLimitHeaders:
    def test_mastodon_writes_its_reset_in_iso_8601(self):
        headers = httpx.Headers(
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-03-02T09:15:00.000Z"}
        )

        assert mastodon.LIMITS.window(headers) == Window(0, RESET)

    @pytest.mark.parametrize("limits", [bluesky.LIMITS, x.ENDPOINT_LIMITS])
    def test_bluesky_and_x_write_theirs_in_epoch_seconds(self, limits):
        headers = httpx.Headers(
            {limits.remaining: "12.0", limits.reset: str(int(RESET.timestamp()))}
        )

        assert limits.window(headers) == Window(12, RESET)

    @pytest.mark.parametrize(
        ("limits", "reset"),
        [
            (mastodon.LIMITS, str(int(RESET.timestamp()))),
            (bluesky.LIMITS, "2026-03-02T09:15:00Z"),
            (bluesky.LIMITS, "1e400"),
            (bluesky.LIMITS, ""),
        ],
    )
    def test_a_reset_not_in_the_networks_format_is_not_read(self, limits, reset):
        headers = httpx.Headers({limits.remaining: "0", limits.reset: reset})

        assert limits.reset_of(headers) is None
        assert limits.window(headers) is None

    @pytest.mark.parametrize("remaining", [None, "many", "inf"])
    def test_an_unreadable_or_missing_count_gives_no_window(self, remaining):
        given = {"ratelimit-remaining": remaining, "ratelimit-reset": str(RESET.timestamp())}
        headers = httpx.Headers({k: v for k, v in given.items() if v is not None})

        assert bluesky.LIMITS.window(headers) is None
        assert bluesky.LIMITS.reset_of(headers) == RESET
