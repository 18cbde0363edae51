"""X API v2: the root URL, the OAuth 2.0 user-context bearer token, the rate-limit headers and how
an error answer maps onto the shared failures.

Errors: https://docs.x.com/x-api/fundamentals/response-codes-and-errors
Rate limits: https://docs.x.com/x-api/fundamentals/rate-limits
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import Refused, for_status, json_object, send
from beacon_shared.rate_limit_headers import LimitHeaders, ResetFormat

DEFAULT_BASE_URL = "https://api.x.com"
# Every endpoint's own window per user (or app); the reset is in epoch seconds.
REMAINING_HEADER = "x-rate-limit-remaining"
RESET_HEADER = "x-rate-limit-reset"
# Posting's 24-hour windows: the user's, and the whole app's.
USER_DAY_REMAINING_HEADER = "x-user-limit-24hour-remaining"
USER_DAY_RESET_HEADER = "x-user-limit-24hour-reset"
APP_DAY_REMAINING_HEADER = "x-app-limit-24hour-remaining"
APP_DAY_RESET_HEADER = "x-app-limit-24hour-reset"
ENDPOINT_LIMITS = LimitHeaders(REMAINING_HEADER, RESET_HEADER, ResetFormat.epoch_seconds)
USER_DAY_LIMITS = LimitHeaders(
    USER_DAY_REMAINING_HEADER, USER_DAY_RESET_HEADER, ResetFormat.epoch_seconds
)
APP_DAY_LIMITS = LimitHeaders(
    APP_DAY_REMAINING_HEADER, APP_DAY_RESET_HEADER, ResetFormat.epoch_seconds
)


def detail(body: Mapping[str, Any]) -> str | None:
    """X's problem detail, or the first error's message."""
    if isinstance(body.get("detail"), str):
        return str(body["detail"])[:300]
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = errors[0].get("message") or errors[0].get("detail")
        return str(message)[:300] if message else None
    return None


def raise_for_answer(response: httpx.Response, *, creates: bool, now: datetime) -> None:
    """Raise what a non-2xx X answer means; a 429 waits for the endpoint's reset.

    `creates` marks a request that makes a post: a 504 leaves its outcome unknown.
    """
    if response.is_success:
        return
    said = detail(json_object(response))
    if response.status_code == 403 and said and "duplicate" in said.lower():
        raise Refused(f"x refused a duplicate of a recent post: {said}")
    for_status(
        response,
        network=Network.x.value,
        creates=creates,
        now=now,
        limits=ENDPOINT_LIMITS,
        detail=said,
    )


class XApi:
    """Calls to X API v2 through the client it is given."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str = DEFAULT_BASE_URL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base = base_url.rstrip("/")
        self._http = http
        self._clock = clock

    async def request(self, method: str, path: str, *, token: str, **kwargs: Any) -> httpx.Response:
        """One request to `path` (e.g. `2/tweets`) with the token; the answer as it came."""
        return await send(
            self._http,
            method,
            f"{self.base}/{path.lstrip('/')}",
            headers={"Authorization": f"Bearer {token}"},
            **kwargs,
        )

    async def call(
        self, method: str, path: str, *, token: str, creates: bool, **kwargs: Any
    ) -> httpx.Response:
        """One request whose non-2xx answer is raised as what it means; the answer."""
        response = await self.request(method, path, token=token, **kwargs)
        raise_for_answer(response, creates=creates, now=self._clock())
        return response
